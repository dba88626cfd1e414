import CZlib
import DICOMCore
import DICOMInput
import DICOMSeg
import Foundation
import Testing
import _TestSupport

/// `--dicom-compress deflate`: Deflated Explicit VR Little Endian (PS3.5 A.5). Checked against
/// zlib (an implementation independent of the libdeflate that writes it): the deflated body
/// inflates to exactly the dataset bytes of the uncompressed SEG.
@Suite("DICOM-SEG deflate")
struct DeflateTests {
  /// zlib raw inflate (window bits -15) of a whole buffer.
  static func inflateRaw(_ input: [UInt8], capacity: Int) throws -> [UInt8] {
    var stream = z_stream()
    #expect(inflateInit2_(&stream, -15, ZLIB_VERSION, Int32(MemoryLayout<z_stream>.size)) == Z_OK)
    defer { inflateEnd(&stream) }
    var output = [UInt8](repeating: 0, count: capacity + 16)
    var input = input
    let status = input.withUnsafeMutableBufferPointer { source in
      output.withUnsafeMutableBufferPointer { target in
        stream.next_in = source.baseAddress
        stream.avail_in = UInt32(source.count)
        stream.next_out = target.baseAddress
        stream.avail_out = UInt32(target.count)
        return inflate(&stream, Z_FINISH)
      }
    }
    #expect(status == Z_STREAM_END)
    return Array(output.prefix(Int(stream.total_out)))
  }

  /// Where the dataset starts: after the preamble, `DICM` and the meta group (its length is the
  /// value of (0002,0000), explicit VR: bytes 140...143).
  static func datasetStart(_ bytes: [UInt8]) -> Int {
    let length = (0..<4).reduce(0) { $0 | Int(bytes[140 + $1]) << (8 * $1) }
    return 144 + length
  }

  @Test("the deflated body inflates to the uncompressed SEG's dataset; the meta says 1.2.840.10008.1.2.1.99; much smaller")
  func roundTrip() throws {
    let series = try FixtureSeries("dicom_seg/orientations/axial_pr_pc")
    let source = try SegmentationSource(headers: series.headers)
    let sampled = try SampledLabels(map: GeometryRoundTripTests.labelMap(series), source: source)
    let plain = try SegmentationWriter.write(sampled, source: source, segments: GeometryRoundTripTests.segments, options: GeometryRoundTripTests.options())
    var options = GeometryRoundTripTests.options()
    options.deflate = true
    let deflated = try SegmentationWriter.write(sampled, source: source, segments: GeometryRoundTripTests.segments, options: options)
    #expect(deflated.sopInstanceUID == plain.sopInstanceUID)
    let plainDataset = Array(plain.bytes[Self.datasetStart(plain.bytes)...])
    let body = Array(deflated.bytes[Self.datasetStart(deflated.bytes)...])
    #expect(deflated.bytes.count % 2 == 0)
    // One NUL pads an odd deflate stream; zlib stops at the stream's end either way.
    let inflated = try Self.inflateRaw(body, capacity: plainDataset.count)
    #expect(inflated == plainDataset)
    let meta = String(decoding: deflated.bytes[132..<Self.datasetStart(deflated.bytes)], as: UTF8.self)
    #expect(meta.contains("1.2.840.10008.1.2.1.99") && !meta.contains("1.2.840.10008.1.2.1\u{0}"))
    #expect(deflated.bytes.count * 3 < plain.bytes.count, "\(deflated.bytes.count) vs \(plain.bytes.count)")
  }
}
