import Foundation
import TorchCheckpoint

#if canImport(Glibc)
  import Glibc
#elseif canImport(Darwin)
  import Darwin
#endif

/// The archives an install extracts: release downloads (reused when verified before) and local
/// zips, each checked against its published sha256 where there is one.
extension ModelZoo {
  /// A verified archive on disk, ready to extract.
  struct Asset {
    var url: URL
    var record: InstallRecord.Asset
    /// Whether the file is ours (a download) and is deleted after installing or when invalid.
    var owned: Bool
  }

  /// `asset` from the release: a verified earlier download is reused, otherwise it is downloaded
  /// (resuming) into `cache/downloads`, verified and renamed from `.part`.
  func fetch(
    id: Int, asset: String, expectedSHA256: String?, downloader: HTTPDownloader,
    progress: (DownloadProgress) -> Void
  ) throws -> Asset {
    let url = releaseURL(for: asset)
    let final = downloadsFolder.appendingPathComponent(asset)
    let verified = downloadsFolder.appendingPathComponent("\(asset).verified.json")
    if let data = jsonFile(verified),
      let record = try? JSONDecoder().decode(InstallRecord.Asset.self, from: data),
      record.source == url.absoluteString, fileSize(final) == record.size,
      expectedSHA256.map({ $0.lowercased() == record.sha256 }) ?? true,
      (try? sha256(of: final)) == record.sha256
    {
      progress(
        DownloadProgress(
          phase: .reusingDownload, modelID: id, asset: asset, bytesReceived: record.size, totalBytes: record.size))
      return Asset(url: final, record: record, owned: true)
    }
    try? FileManager.default.removeItem(at: verified)
    try? FileManager.default.removeItem(at: final)
    let part = downloadsFolder.appendingPathComponent("\(asset).part")
    let result: HTTPDownloader.Result
    do {
      result = try downloader.download(
        from: url, to: part, expectedSHA256: expectedSHA256, modelID: id, asset: asset, progress: progress)
    } catch var error as ModelZooError where error.code == .downloadFailed {
      let main = Self.assetName(id: id)
      error.message +=
        ". Run the command again to resume; on a machine without internet access, download \(releaseURL(for: main).absoluteString) (and any \(ModelCatalogEntry.padded(id))_K.zip it lists) elsewhere and run `vibeseg models import \(main)`"
      throw error
    }
    guard rename(part.path, final.path) == 0 else {
      throw ModelZooError(.ioFailure, "cannot rename: \(String(cString: strerror(errno)))", path: part.path)
    }
    let record = InstallRecord.Asset(
      name: asset, source: url.absoluteString, size: result.size, sha256: result.sha256,
      publishedDigestVerified: expectedSHA256 != nil)
    try writeAtomically(try JSONEncoder().encode(record), to: verified)
    return Asset(url: final, record: record, owned: true)
  }

  /// A user's local zip: sha256 checked where published.
  func localAsset(
    _ zip: URL, expectedSHA256: String?, id: Int, progress: (DownloadProgress) -> Void
  ) throws -> Asset {
    guard let size = fileSize(zip) else { throw ModelZooError(.missingFile, "no such file", path: zip.path) }
    progress(
      DownloadProgress(
        phase: .verifying, modelID: id, asset: zip.lastPathComponent, bytesReceived: size, totalBytes: size))
    let digest = try sha256(of: zip)
    if let expected = expectedSHA256, expected.lowercased() != digest {
      throw ModelZooError(
        .verificationFailed,
        "sha256 \(digest) does not match the published \(expected.lowercased()) of model \(id); the file is damaged or a different model",
        path: zip.path)
    }
    let record = InstallRecord.Asset(
      name: zip.lastPathComponent, source: zip.standardizedFileURL.absoluteString, size: size, sha256: digest,
      publishedDigestVerified: expectedSHA256 != nil)
    return Asset(url: zip, record: record, owned: false)
  }
}
