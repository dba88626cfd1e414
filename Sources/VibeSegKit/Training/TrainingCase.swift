import Foundation

/// One training case of `vibeseg export-nnunet`: one contrast of one subject's session (a single
/// channel, training.md §5.2), or an elastically deformed copy of one (`vibeseg augment`).
///
/// Its nnU-Net case id is `<subject>_<session>_<contrast>[_<split>][_d<copy>]`
/// (e.g. `nako-100123_ses1_vibe-water_0_d3`). The parts may hold letters, digits, `-` and `.`
/// but no `_`, so that an id splits back into its parts unambiguously (`init(caseID:)`).
public struct TrainingCase: Sendable, Equatable {
  public var subject: String
  public var session: String
  public var contrast: String
  /// An optional extra part (e.g. a station or a crop index); never of the form `d<k>`.
  public var split: String?
  /// The deformed copy's index `k` (`_d<k>`), nil for an original (undeformed) case.
  public var copy: Int?
  public var image: URL
  public var label: URL
  /// Where the case was listed (manifest row, file), for error messages.
  public var source: String

  public init(
    subject: String, session: String, contrast: String, split: String? = nil, copy: Int? = nil,
    image: URL, label: URL, source: String
  ) {
    self.subject = subject
    self.session = session
    self.contrast = contrast
    self.split = split
    self.copy = copy
    self.image = image
    self.label = label
    self.source = source
  }

  /// `<subject>_<session>_<contrast>[_<split>][_d<copy>]`.
  public var caseID: String {
    ([subject, session, contrast] + [split].compactMap { $0 } + [copy.map { "d\($0)" }].compactMap { $0 })
      .joined(separator: "_")
  }

  /// Whether this is a deformed copy (kept out of validation, training.md §5.4).
  public var isDeformedCopy: Bool { copy != nil }

  /// The parts of a case id: 3 or 4 `_`-separated parts, then an optional `d<k>`.
  ///
  /// - Throws: `VibeSegKitError.invalidInput` naming `source` when the id has another shape.
  public static func parts(ofCaseID id: String, source: String) throws(VibeSegKitError) -> (
    subject: String, session: String, contrast: String, split: String?, copy: Int?
  ) {
    var fields = id.split(separator: "_", omittingEmptySubsequences: false).map(String.init)
    var copy: Int?
    if fields.count > 3, let last = fields.last, let k = copyIndex(last) {
      copy = k
      fields.removeLast()
    }
    guard (3...4).contains(fields.count) else {
      throw VibeSegKitError(
        .invalidInput,
        "case name '\(id)' is not <subject>_<session>_<contrast>[_<split>][_d<k>] (parts without '_')", path: source)
    }
    let parts = (fields[0], fields[1], fields[2], fields.count == 4 ? fields[3] : nil, copy)
    try checkPart(parts.0, "subject", source)
    try checkPart(parts.1, "session", source)
    try checkPart(parts.2, "contrast", source)
    if let split = parts.3 { try checkPart(split, "split", source) }
    return parts
  }

  /// `k` when `text` is `d<k>` (decimal digits, k >= 0).
  static func copyIndex(_ text: String) -> Int? {
    guard text.count > 1, text.first == "d", text.dropFirst().allSatisfy(\.isASCII), let k = Int(text.dropFirst()),
      k >= 0
    else { return nil }
    return k
  }

  /// A part is non-empty ASCII letters, digits, `-` and `.`; a split may not look like `d<k>`.
  static func checkPart(_ text: String, _ what: String, _ source: String) throws(VibeSegKitError) {
    let allowed =
      !text.isEmpty
      && text.unicodeScalars.allSatisfy {
        $0.isASCII && (CharacterSet.alphanumerics.contains($0) || $0 == "-" || $0 == ".")
      }
    guard allowed else {
      throw VibeSegKitError(
        .invalidInput,
        "\(what) '\(text)' must be non-empty and hold only letters, digits, '-' and '.' (no '_': it separates the parts of the case id)",
        path: source)
    }
    if what == "split" && copyIndex(text) != nil {
      throw VibeSegKitError(
        .invalidInput, "split '\(text)' looks like a copy index d<k>; give the copy index as 'copy'", path: source)
    }
  }

  /// Checks the parts (see `parts(ofCaseID:source:)`).
  func validated() throws(VibeSegKitError) -> TrainingCase {
    try Self.checkPart(subject, "subject", source)
    try Self.checkPart(session, "session", source)
    try Self.checkPart(contrast, "contrast", source)
    if let split { try Self.checkPart(split, "split", source) }
    if let copy, copy < 0 { throw VibeSegKitError(.invalidInput, "copy index \(copy) is negative", path: source) }
    return self
  }
}
