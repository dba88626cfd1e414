import Foundation

/// Legend names for `vibeseg preview --label-names`: `LabelNameFile` (a sidecar, a dataset.json,
/// id → name or name → id).
public enum PreviewLabelNames {
  public static func load(contentsOf url: URL) throws(VibeSegKitError) -> [Int: String] {
    try LabelNameFile.load(contentsOf: url)
  }
}
