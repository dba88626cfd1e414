import Foundation

/// UIDs for new instances, series and dimension organisations: `2.25.<UUID as a decimal integer>`
/// (PS3.5 B.2: no registered root needed; at most 44 characters).
///
/// `.random` uses fresh random UUIDs; `.deterministic(seed)` derives the n-th UID from the seed
/// (golden tests and reproducible outputs): 128 bits from two 64-bit FNV-1a hashes of
/// `seed#n`, with the UUID version (4) and variant bits set as for a random UUID.
public final class SegmentationUIDSource: @unchecked Sendable {
  private let seed: String?
  private var counter = 0

  private init(seed: String?) { self.seed = seed }

  public static var random: SegmentationUIDSource { SegmentationUIDSource(seed: nil) }
  public static func deterministic(_ seed: String) -> SegmentationUIDSource { SegmentationUIDSource(seed: seed) }

  /// The next UID.
  public func next() -> String {
    var bytes: [UInt8]
    if let seed {
      counter += 1
      let text = Array("\(seed)#\(counter)".utf8)
      bytes =
        Self.bigEndian(Self.fnv1a(text, basis: 0xcbf2_9ce4_8422_2325))
        + Self.bigEndian(Self.fnv1a(text, basis: 0x8422_2325_cbf2_9ce4))
      bytes[6] = bytes[6] & 0x0F | 0x40
      bytes[8] = bytes[8] & 0x3F | 0x80
    } else {
      let u = UUID().uuid
      bytes = [u.0, u.1, u.2, u.3, u.4, u.5, u.6, u.7, u.8, u.9, u.10, u.11, u.12, u.13, u.14, u.15]
    }
    return "2.25." + Self.decimal(bytes)
  }

  /// A big-endian unsigned integer of any width in decimal (repeated division by 10).
  static func decimal(_ bigEndian: [UInt8]) -> String {
    var digits: [UInt8] = []
    var number = bigEndian
    while number.contains(where: { $0 != 0 }) {
      var remainder = 0
      for i in number.indices {
        let value = remainder * 256 + Int(number[i])
        number[i] = UInt8(value / 10)
        remainder = value % 10
      }
      digits.append(UInt8(remainder))
    }
    return digits.isEmpty ? "0" : String(digits.reversed().map { Character(String($0)) })
  }

  static func fnv1a(_ bytes: [UInt8], basis: UInt64) -> UInt64 {
    var hash = basis
    for b in bytes { hash = (hash ^ UInt64(b)) &* 0x0000_0100_0000_01B3 }
    return hash
  }

  static func bigEndian(_ v: UInt64) -> [UInt8] { (0..<8).map { UInt8((v >> (56 - 8 * UInt64($0))) & 0xFF) } }
}
