/// Tunables of downloads and extraction. The defaults suit GitHub release downloads; tests
/// shorten the timeouts (the CLI reads `VIBESEG_DOWNLOAD_TIMEOUT` into `stallTimeout`).
public struct ModelZooOptions: Sendable, Equatable {
  /// Seconds without a single byte arriving (also before the response headers) after which an
  /// attempt is abandoned.
  public var stallTimeout: Double = 60
  /// Attempts per asset; each retry resumes the `.part` file with an HTTP `Range` request.
  /// Only failures that a retry can fix are retried (dropped connections, stalls, HTTP 5xx/408/429).
  public var maxAttempts: Int = 3
  /// Seconds before the first retry; doubled for each further one.
  public var retryDelay: Double = 1
  /// Seconds between two `.downloading` progress events.
  public var progressInterval: Double = 0.25
  /// Caps for extracted archives (reliability.md 2.4 rules 7-9).
  public var maxEntries: Int = 10_000
  public var maxEntryBytes: Int = 16 << 30
  public var maxTotalBytes: Int = 64 << 30
  public var maxCompressionRatio: Int = 200
  /// Test hook: seconds to pause after each extracted entry, so that a test can kill the process
  /// in the middle of an extraction (the CLI reads `VIBESEG_TEST_EXTRACT_DELAY_MS`). Zero otherwise.
  public var extractionDelayPerEntry: Double = 0

  public init() {}

  public static let `default` = ModelZooOptions()
}
