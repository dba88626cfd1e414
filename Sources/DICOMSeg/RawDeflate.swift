import CDeflate
import DICOMCore

/// Raw RFC 1951 deflate (no zlib or gzip wrapper) of a whole buffer with libdeflate, as Deflated
/// Explicit VR Little Endian wants the dataset after the file meta group (PS3.5 A.5).
enum RawDeflate {
  /// - Throws: `DICOMError.invalidValue` when libdeflate cannot allocate or compress.
  static func compress(_ input: [UInt8]) throws -> [UInt8] {
    guard let compressor = libdeflate_alloc_compressor(6) else {
      throw DICOMError(.invalidValue, "libdeflate could not allocate a compressor", path: "<segmentation>")
    }
    defer { libdeflate_free_compressor(compressor) }
    let bound = libdeflate_deflate_compress_bound(compressor, input.count)
    var output = [UInt8](repeating: 0, count: bound)
    let written = input.withUnsafeBytes { source in
      output.withUnsafeMutableBytes { target in
        libdeflate_deflate_compress(compressor, source.baseAddress, source.count, target.baseAddress, target.count)
      }
    }
    guard written > 0 else {
      throw DICOMError(.invalidValue, "libdeflate could not compress the dataset", path: "<segmentation>")
    }
    output.removeLast(output.count - written)
    return output
  }
}
