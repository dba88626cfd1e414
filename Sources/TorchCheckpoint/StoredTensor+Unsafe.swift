extension StoredTensor {
  /// Whether the view is the whole storage in order, so the entry can be read straight into
  /// the result array.
  var coversWholeStorage: Bool {
    reference.storageOffset == 0 && reference.isContiguous && elementCount == reference.storage.elementCount
  }

  /// The view's elements as `T` (whose size must be the dtype's), host byte order.
  ///
  /// Whole-storage views are read directly into the result (peak memory: the result itself);
  /// other views read the storage once into a scratch buffer and gather from it.
  func elements<T: BitwiseCopyable>(_ type: T.Type) throws -> [T] {
    precondition(MemoryLayout<T>.size == dtype.byteCount, "element type does not match the dtype")
    let entry = try reader.entry(for: reference.storage)
    let count = elementCount
    if coversWholeStorage {
      return try [T](unsafeUninitializedCapacity: count) { buffer, initialized in
        let raw = UnsafeMutableRawBufferPointer(buffer)
        // On a throw `initialized` stays 0: T is trivial, nothing needs deinitialising.
        try reader.archive.read(entry, into: raw)
        if reader.bigEndian { Self.swapElements(raw, width: MemoryLayout<T>.size) }
        initialized = count
      }
    }
    let storageBytes = try reader.archive.contents(of: entry)
    return [T](unsafeUninitializedCapacity: count) { buffer, initialized in
      let out = UnsafeMutableRawBufferPointer(buffer)
      storageBytes.withUnsafeBytes { source in gather(from: source, into: out) }
      if reader.bigEndian { Self.swapElements(out, width: MemoryLayout<T>.size) }
      initialized = count
    }
  }

  /// Row-major bytes, little-endian.
  func rawContiguousBytes() throws -> [UInt8] {
    switch dtype.byteCount {
    case 8: return Self.littleEndianBytes(try elements(UInt64.self))
    case 4: return Self.littleEndianBytes(try elements(UInt32.self))
    case 2: return Self.littleEndianBytes(try elements(UInt16.self))
    default: return try elements(UInt8.self)
    }
  }

  private static func littleEndianBytes<T: FixedWidthInteger>(_ values: [T]) -> [UInt8] {
    var out = [UInt8](repeating: 0, count: values.count * MemoryLayout<T>.size)
    out.withUnsafeMutableBytes { raw in
      for (index, value) in values.enumerated() {
        raw.storeBytes(of: value.littleEndian, toByteOffset: index * MemoryLayout<T>.size, as: T.self)
      }
    }
    return out
  }

  /// Copies the view's elements, in row-major order, from the storage bytes `source` to `out`.
  /// The view was checked against the storage size when it was unpickled, and `source` holds
  /// exactly the storage (checked by `StorageReader.entry(for:)`), so every offset is in bounds.
  private func gather(from source: UnsafeRawBufferPointer, into out: UnsafeMutableRawBufferPointer) {
    let width = dtype.byteCount
    let count = elementCount
    guard count > 0 else { return }
    let shape = reference.shape
    let strides = reference.strides
    var index = [Int](repeating: 0, count: shape.count)
    var element = reference.storageOffset
    for position in 0..<count {
      // In bounds: element < storage elementCount (view check), position < count.
      out.baseAddress!.advanced(by: position * width)
        .copyMemory(from: source.baseAddress!.advanced(by: element * width), byteCount: width)
      var axis = shape.count - 1
      while axis >= 0 {
        index[axis] += 1
        element += strides[axis]
        if index[axis] < shape[axis] { break }
        element -= strides[axis] * shape[axis]
        index[axis] = 0
        axis -= 1
      }
    }
  }

  /// Reverses the bytes of each `width`-byte element (big-endian files on little-endian hosts).
  static func swapElements(_ bytes: UnsafeMutableRawBufferPointer, width: Int) {
    guard width > 1 else { return }
    var at = 0
    while at + width <= bytes.count {
      var low = at
      var high = at + width - 1
      while low < high {
        bytes.swapAt(low, high)
        low += 1
        high -= 1
      }
      at += width
    }
  }
}
