/// One progress report of `ModelZoo.install` / `importArchive`, delivered on the calling thread.
///
/// `.downloading` events arrive a few times per second while bytes flow; every other phase
/// arrives once per asset. The CLI draws a bar from them on a terminal and prints plain log lines
/// otherwise; the library never writes to stdout or stderr itself.
public struct DownloadProgress: Sendable, Equatable {
  public enum Phase: String, Sendable {
    /// Another process holds the install lock for this model; waiting for it.
    case waitingForLock
    /// A request for `asset` is starting (`bytesReceived` > 0 when resuming a `.part`);
    /// `message` names the URL and the resume offset.
    case connecting
    /// Bytes are arriving.
    case downloading
    /// The attempt failed and will be retried (resuming); `message` says why.
    case retrying
    /// The asset is complete; its size and sha256 are being checked.
    case verifying
    /// A verified archive from an earlier, interrupted run is reused.
    case reusingDownload
    /// Archives are being unpacked into the staging folder.
    case extracting
    /// The model is installed (marker written).
    case installed
    /// The model was already installed; nothing was done.
    case alreadyInstalled
  }

  public var phase: Phase
  public var modelID: Int
  /// The release asset (`100.zip`, `100_1.zip`), or the model folder for `.installed`.
  public var asset: String
  /// Bytes of `asset` on disk so far (resumed bytes included).
  public var bytesReceived: Int64
  /// The asset's full size, once the server has said it.
  public var totalBytes: Int64?
  /// Transfer rate of the current attempt, bytes per second.
  public var bytesPerSecond: Double?
  /// Estimated seconds until `asset` is complete.
  public var secondsRemaining: Double?
  /// A human-readable remark (retry reason, path installed to).
  public var message: String?

  public init(
    phase: Phase, modelID: Int, asset: String, bytesReceived: Int64 = 0, totalBytes: Int64? = nil,
    bytesPerSecond: Double? = nil, secondsRemaining: Double? = nil, message: String? = nil
  ) {
    self.phase = phase
    self.modelID = modelID
    self.asset = asset
    self.bytesReceived = bytesReceived
    self.totalBytes = totalBytes
    self.bytesPerSecond = bytesPerSecond
    self.secondsRemaining = secondsRemaining
    self.message = message
  }
}
