/// One world direction a voxel axis can point towards, using nibabel's default labels
/// `(('L','R'), ('P','A'), ('I','S'))`: the letter is where increasing voxel index goes.
public enum AxisDirection: Character, CaseIterable, Sendable, Codable {
  case left = "L", right = "R", posterior = "P", anterior = "A", inferior = "I", superior = "S"

  /// World axis index in RAS+ (0 = x, 1 = y, 2 = z).
  public var worldAxis: Int {
    switch self {
    case .left, .right: 0
    case .posterior, .anterior: 1
    case .inferior, .superior: 2
    }
  }

  /// +1 when the axis points along the positive RAS+ world axis (R, A, S), -1 otherwise.
  public var sign: Int {
    switch self {
    case .right, .anterior, .superior: 1
    case .left, .posterior, .inferior: -1
    }
  }

  public init(worldAxis: Int, sign: Int) {
    switch (worldAxis, sign > 0) {
    case (0, true): self = .right
    case (0, false): self = .left
    case (1, true): self = .anterior
    case (1, false): self = .posterior
    case (2, true): self = .superior
    default: self = .inferior
    }
  }
}

/// Axis codes of a 3-D image, e.g. `RAS` or `LPS` (nibabel `aff2axcodes`): the world direction
/// each voxel axis i, j, k points towards. Every one of the 48 orientations is a permutation of
/// the three world axes with a sign per axis.
public struct Orientation: Equatable, Hashable, Sendable, CustomStringConvertible, Codable {
  public let directions: [AxisDirection]

  /// Creates an orientation from three directions naming three different world axes.
  public init?(_ directions: [AxisDirection]) {
    guard directions.count == 3, Set(directions.map(\.worldAxis)).count == 3 else { return nil }
    self.directions = directions
  }

  /// Parses axis codes such as "RAS", "lps" (case-insensitive); nil if not a valid orientation.
  public init?(_ code: String) {
    let letters = code.uppercased().compactMap { AxisDirection(rawValue: $0) }
    guard letters.count == 3, code.count == 3 else { return nil }
    self.init(letters)
  }

  public static let ras = Orientation("RAS")!
  public static let lps = Orientation("LPS")!
  public static let pir = Orientation("PIR")!

  /// All 48 orientations, in a stable order.
  public static let all: [Orientation] = {
    var result = [Orientation]()
    let perms = [[0, 1, 2], [0, 2, 1], [1, 0, 2], [1, 2, 0], [2, 0, 1], [2, 1, 0]]
    for p in perms {
      for signs in 0..<8 {
        let dirs = (0..<3).map { a in
          AxisDirection(worldAxis: p[a], sign: (signs >> a) & 1 == 0 ? 1 : -1)
        }
        result.append(Orientation(dirs)!)
      }
    }
    return result
  }()

  public var code: String { String(directions.map(\.rawValue)) }
  public var description: String { code }

  public init(from decoder: any Decoder) throws {
    let text = try decoder.singleValueContainer().decode(String.self)
    guard let value = Orientation(text) else {
      throw DecodingError.dataCorrupted(.init(codingPath: decoder.codingPath, debugDescription: "invalid axis codes \(text)"))
    }
    self = value
  }

  public func encode(to encoder: any Encoder) throws {
    var container = encoder.singleValueContainer()
    try container.encode(code)
  }
}
