/// The result of reading a `data.pkl`: the value tree and every storage its persistent ids name.
public struct PickleDocument: Sendable {
  public var root: PickleValue
  /// Storages by key (`data/<key>` in the archive).
  public var storages: [String: StorageReference]
}

/// Reads a pickle stream (protocol 2-5, as `torch.save` writes with protocol 2) into an inert
/// value tree. Nothing is imported or called: see `PickleGlobal` for the allow-list and
/// `PickleMachine` for the rules. Linear in the stream length; memory bounded by `limits`.
public enum Unpickler {
  /// - Throws: `CheckpointError` (`.malformedPickle`, `.forbiddenGlobal`, `.limitExceeded`,
  ///   `.unsupported`, `.invalidTensor`) for anything but a well-formed, allow-listed stream;
  ///   never traps.
  public static func document(
    from bytes: [UInt8], path: String = "data.pkl", limits: CheckpointLimits = .default
  ) throws(CheckpointError) -> PickleDocument {
    do {
      guard bytes.count <= limits.maxPickleBytes else {
        throw CheckpointError(
          .limitExceeded, "data.pkl holds \(bytes.count) bytes (limit \(limits.maxPickleBytes))", path: path,
          context: "data.pkl")
      }
      var machine = PickleMachine(bytes: bytes, limits: limits, path: path)
      let result = try machine.run()
      var builder = PickleTreeBuilder(machine: machine)
      let root = try builder.tree(result)
      return PickleDocument(root: root, storages: machine.storages)
    } catch let error as CheckpointError {
      throw error
    } catch {
      throw CheckpointError(.malformedPickle, "unexpected error: \(error)", path: path, context: "data.pkl")
    }
  }

  /// The value tree only.
  public static func value(
    from bytes: [UInt8], path: String = "data.pkl", limits: CheckpointLimits = .default
  ) throws(CheckpointError) -> PickleValue {
    try document(from: bytes, path: path, limits: limits).root
  }
}
