/// Hard caps applied while reading a checkpoint (reliability.md 2.3 and 2.4).
///
/// Every cap is checked before the memory it guards is allocated; passing one throws
/// `CheckpointError` with code `.limitExceeded`. The defaults admit any nnU-Net checkpoint we know
/// of (the largest, ResEnc-XL, holds ~300 M parameters in ~1.2 GB) with a wide margin.
public struct CheckpointLimits: Sendable, Equatable {
  /// Entries in the zip central directory. torch writes 5 + one per storage.
  public var maxEntries = 200_000
  /// Uncompressed bytes of one entry (2^31 float64 elements).
  public var maxEntryBytes = 1 << 34
  /// Uncompressed bytes of all entries together.
  public var maxTotalBytes = 1 << 36
  /// Uncompressed : compressed ratio of a DEFLATE entry (zip-bomb guard; torch never compresses).
  public var maxCompressionRatio = 200
  /// Size of `data.pkl`.
  public var maxPickleBytes = 256 << 20
  /// Length of one pickled string or bytes object.
  public var maxStringBytes = 64 << 20
  /// Memo entries (BINPUT/MEMOIZE).
  public var maxMemoEntries = 1 << 20
  /// Values on the pickle stack at once.
  public var maxStackDepth = 1 << 20
  /// Container nesting in the value tree. Kept far below the 1,000 of reliability.md 2.3 because
  /// consumers walk (and Swift releases) the tree recursively on threads with small stacks;
  /// nnU-Net checkpoints nest 6 deep.
  public var maxNestingDepth = 256
  /// Items in all containers together, counting shared sub-trees once per reference (stops
  /// "billion laughs" trees built from memo references).
  public var maxContainerElements = 10_000_000
  /// Opcodes executed.
  public var maxOperations = 100_000_000
  /// Elements of one tensor or storage.
  public var maxTensorElements = 1 << 31
  /// Dimensions of one tensor.
  public var maxTensorRank = 16

  public init() {}

  /// The defaults above.
  public static let `default` = CheckpointLimits()
}
