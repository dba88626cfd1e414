import CZlib

/// A gzip file inflated with zlib as a stream, straight into the caller's buffer.
///
/// Integrity (reliability.md 1.5): every member is inflated to its end, and zlib verifies its
/// CRC32 and ISIZE trailer (windowBits 15+16). Concatenated members (pigz, multi-member writers,
/// VibeSeg's own writer) are read in sequence. After the last member only zero padding is
/// tolerated (`trailingZeroBytes`); any other trailing byte is an error. A stream that ends
/// before its trailer is `.truncated`.
final class GzipSource: ByteSource {
  private let file: FileDescriptor
  private let stream: UnsafeMutablePointer<z_stream>
  private let input: UnsafeMutableRawBufferPointer
  private var inputEOF = false
  private var finished = false
  /// Zero bytes found after the last gzip member (tolerated padding, reported as a warning).
  private(set) var trailingZeroBytes = 0

  init(_ file: FileDescriptor, chunkSize: Int = 1 << 20) throws {
    self.file = file
    stream = .allocate(capacity: 1)
    stream.initialize(to: z_stream())
    input = .allocate(byteCount: chunkSize, alignment: 16)
    guard czlib_inflate_init_gzip(stream) == Z_OK else {
      stream.deallocate()
      input.deallocate()
      throw NiftiError(.ioFailure, "zlib could not initialise", path: file.path)
    }
  }

  deinit {
    inflateEnd(stream)
    stream.deallocate()
    input.deallocate()
  }

  /// Moves unread input to the front and reads more from the file.
  private func refill() throws {
    let pending = Int(stream.pointee.avail_in)
    if pending > 0, let next = stream.pointee.next_in {
      // Overlapping move within `input`: pending bytes are inside it.
      input.baseAddress!.copyMemory(from: UnsafeRawPointer(next), byteCount: pending)
    }
    let got = try file.read(into: UnsafeMutableRawBufferPointer(rebasing: input[pending...]))
    if got == 0 { inputEOF = true }
    stream.pointee.next_in = input.baseAddress!.assumingMemoryBound(to: Bytef.self)
    stream.pointee.avail_in = UInt32(pending + got)
  }

  private func fail(_ status: Int32) -> NiftiError {
    let detail = stream.pointee.msg.map { String(cString: $0) } ?? "zlib status \(status)"
    let field: String
    switch detail {
    case "incorrect data check": field = "gzip CRC32"
    case "incorrect length check": field = "gzip ISIZE"
    default: field = "gzip stream"
    }
    let message = field == "gzip stream" ? "corrupt compressed data (\(detail))" : "\(detail): the file is damaged"
    return NiftiError(.corruptCompression, message, path: file.path, field: field)
  }

  /// After a member ended: another member follows, only zeros follow, or garbage follows.
  private func afterMemberEnd() throws {
    if stream.pointee.avail_in < 2 && !inputEOF { try refill() }
    if stream.pointee.avail_in < 2 && !inputEOF { try refill() }
    let avail = Int(stream.pointee.avail_in)
    if avail == 0 { finished = true; return }
    let next = stream.pointee.next_in!
    if avail >= 2 && next[0] == 0x1F && next[1] == 0x8B {
      guard inflateReset(stream) == Z_OK else { throw fail(Z_STREAM_ERROR) }
      return
    }
    // Only zero padding may follow the last member.
    while true {
      let n = Int(stream.pointee.avail_in)
      let p = stream.pointee.next_in!
      for idx in 0..<n where p[idx] != 0 {
        throw NiftiError(.corruptCompression, "unexpected data after the end of the gzip stream", path: file.path, field: "gzip trailer")
      }
      trailingZeroBytes += n
      stream.pointee.avail_in = 0
      if inputEOF { break }
      try refill()
      if stream.pointee.avail_in == 0 { break }
    }
    finished = true
  }

  func read(into buffer: UnsafeMutableRawBufferPointer) throws -> Int {
    guard buffer.count > 0 else { return 0 }
    var produced = 0
    while produced < buffer.count && !finished {
      if stream.pointee.avail_in == 0 && !inputEOF { try refill() }
      let want = buffer.count - produced
      let step = min(want, Int(UInt32.max))
      stream.pointee.next_out = (buffer.baseAddress! + produced).assumingMemoryBound(to: Bytef.self)
      stream.pointee.avail_out = UInt32(step)
      let status = inflate(stream, Z_NO_FLUSH)
      produced += step - Int(stream.pointee.avail_out)
      switch status {
      case Z_OK: continue
      case Z_STREAM_END: try afterMemberEnd()
      case Z_BUF_ERROR:
        // No progress possible: zlib needs input the file does not have.
        if inputEOF {
          throw NiftiError(.truncated, "gzip stream truncated: the file ends before the compressed data does", path: file.path, field: "gzip stream")
        }
        try refill()
      default: throw fail(status)
      }
    }
    return produced
  }

  func finish() throws -> Int {
    var extra = 0
    let scratch = UnsafeMutableRawBufferPointer.allocate(byteCount: 1 << 16, alignment: 16)
    defer { scratch.deallocate() }
    while !finished {
      extra += try read(into: scratch)
    }
    return extra
  }
}
