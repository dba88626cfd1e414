import Foundation
import NiftiIO

/// A review package (training.md §6.3): one folder per case with the image, every version of its
/// label map (`labels_v1.nii.gz`, `labels_v2.nii.gz`, ... never overwritten), an `open.sh` that
/// opens the newest version in ITK-SNAP and a `preview.png`; at the top `labels.txt` (ITK-SNAP
/// label descriptions with the ignore label) and `review.json`, the state of every case.
///
/// States: `queued` (exported) -> `in_review` -> `corrected` (a correction imported) or `rejected`;
/// any state may be set again with `vibeseg review set`, and every change is logged in the
/// case's `history`.
public struct ReviewState: Codable, Sendable, Equatable {
  public enum State: String, Codable, Sendable, CaseIterable {
    case queued
    case inReview = "in_review"
    case corrected
    case rejected
  }

  public struct LabelVersion: Codable, Sendable, Equatable {
    public var version: Int
    /// Relative to the package folder.
    public var file: String
    public var sha256: String
    /// The file it was copied from.
    public var source: String
    public var time: String
    public var reviewer: String?
    /// Per label id (as text): voxels whose membership in the label changed from the previous
    /// version (|before Δ after|), and Dice(before, after) where either holds the label.
    public var changedVoxels: [String: Int]?
    public var dice: [String: Double]?
  }

  public struct Event: Codable, Sendable, Equatable {
    public var time: String
    public var state: State
    public var note: String?
    public var reviewer: String?
  }

  public struct Case: Codable, Sendable, Equatable {
    public var id: String
    public var state: State
    /// Relative to the package folder.
    public var image: String
    /// Why the case is on the queue (e.g. compare-cohort's flags).
    public var reason: String?
    public var versions: [LabelVersion]
    public var history: [Event]
  }

  public var schemaVersion = 1
  public var labels = "labels.txt"
  public var ignoreLabel: Int
  public var cases: [Case]

  public static let fileName = "review.json"

  /// - Throws: `VibeSegKitError.missingInput` (no `review.json`), `.invalidInput` (unreadable).
  public static func load(_ package: URL) throws(VibeSegKitError) -> ReviewState {
    let url = package.appendingPathComponent(fileName)
    guard FileManager.default.fileExists(atPath: url.path) else {
      throw VibeSegKitError(.missingInput, "not a review package (no \(fileName); make one with vibeseg review export)", path: package.path)
    }
    let data = try JSONInput.data(url)
    do {
      return try JSONDecoder().decode(ReviewState.self, from: data)
    } catch {
      throw VibeSegKitError(.invalidInput, "unreadable review state: \(error)", path: url.path)
    }
  }

  func encoded() throws(VibeSegKitError) -> String { try ReportFile.json(self) }

  /// `case id`'s index, or `.invalidOption` listing the ids.
  func index(of id: String) throws(VibeSegKitError) -> Int {
    guard let i = cases.firstIndex(where: { $0.id == id }) else {
      let known = cases.map(\.id).prefix(10).joined(separator: ", ")
      throw VibeSegKitError(.invalidOption, "no case '\(id)' in this package (cases: \(known)\(cases.count > 10 ? ", ..." : ""))")
    }
    return i
  }

  static func now() -> String { ISO8601DateFormatter().string(from: Date()) }

  /// `open.sh` for a case folder: ITK-SNAP on the image with label map `labels` and the
  /// package's label descriptions.
  static func openScript(image: String, labels: String) -> String {
    """
    #!/bin/sh
    # Opens this case in ITK-SNAP: the image, the newest label map, VibeSeg's label descriptions.
    # After correcting, save the segmentation and run:  vibeseg review import <package> <case> <file>
    cd "$(dirname "$0")" && exec itksnap -g "\(image)" -s "\(labels)" -l ../labels.txt

    """
  }

  /// Makes the published `open.sh` scripts executable (rwxr-xr-x).
  static func makeExecutable(_ scripts: [URL]) {
    for url in scripts { try? FileManager.default.setAttributes([.posixPermissions: 0o755], ofItemAtPath: url.path) }
  }

  /// A file's bytes (copied into the package byte for byte).
  static func bytes(_ url: URL) throws(VibeSegKitError) -> [UInt8] {
    do {
      return [UInt8](try Data(contentsOf: url))
    } catch {
      throw VibeSegKitError(.ioFailure, "cannot read: \(error.localizedDescription)", path: url.path)
    }
  }

  /// The `.nii`/`.nii.gz` ending of `url`'s name.
  static func niftiExtension(_ url: URL) -> String { url.path.lowercased().hasSuffix(".nii.gz") ? ".nii.gz" : ".nii" }
}
