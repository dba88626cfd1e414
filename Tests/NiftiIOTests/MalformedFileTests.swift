import Foundation
import Testing
import VolumeCore
import _TestSupport
import NiftiIO

/// The verdict reliability.md section 1.4 asks for.
enum Verdict: Sendable, CustomStringConvertible {
  case accept
  /// Accepted, with a warning on this header field.
  case warn(String)
  /// Rejected with one of these error codes.
  case reject([NiftiError.Code])

  var description: String {
    switch self {
    case .accept: "accept"
    case .warn(let f): "warn(\(f))"
    case .reject(let c): "reject(\(c.map(\.rawValue).joined(separator: "|")))"
    }
  }
}

/// A valid 4x5x6 float32 single-file NIfTI-1 with one mutation (reliability.md 1.4, "E1").
struct MalformedCase: Sendable, CustomStringConvertible {
  var id: String
  var what: String
  var fileName = "case.nii"
  var verdict: Verdict
  var options = NiftiReadOptions()
  var mutate: @Sendable (inout [UInt8]) -> Void

  var description: String { "\(id) \(what)" }
}

/// Byte-level editing of a little-endian NIfTI-1 file.
extension Array where Element == UInt8 {
  mutating func put<T: FixedWidthInteger>(_ value: T, at offset: Int) {
    for n in 0..<MemoryLayout<T>.size { self[offset + n] = UInt8(truncatingIfNeeded: value >> (8 * n)) }
  }
  mutating func putFloat(_ value: Float, at offset: Int) { put(value.bitPattern, at: offset) }
}

enum Corpus {
  /// The valid base file: 4x5x6 float32, LPS-ish affine, both codes 1.
  static let base: [UInt8] = {
    let affine = Affine(rows: [[-1.5, 0, 0, 10], [0, -2, 0, 20], [0, 0, 2.5, -30], [0, 0, 0, 1]])
    let volume = Synthetic.ramp(Float.self, shape: [4, 5, 6], affine: affine)
    return encode(NiftiImage(volume), suffix: ".nii")
  }()

  static func encode(_ image: NiftiImage, suffix: String) -> [UInt8] {
    let dir = try! Fixtures.temporaryDirectory()
    defer { try? FileManager.default.removeItem(at: dir) }
    let url = dir.appendingPathComponent("base" + suffix)
    try! image.write(to: url)
    return [UInt8](try! Data(contentsOf: url))
  }

  static let gzipBase: [UInt8] = {
    let volume = Synthetic.ramp(Float.self, shape: [16, 16, 16], affine: .scaling([1, 1, 1]))
    var options = NiftiWriteOptions()
    options.threads = 1
    let dir = try! Fixtures.temporaryDirectory()
    defer { try? FileManager.default.removeItem(at: dir) }
    let url = dir.appendingPathComponent("base.nii.gz")
    try! NiftiImage(volume).write(to: url, options: options)
    return [UInt8](try! Data(contentsOf: url))
  }()

  static func fixture(_ name: String) -> [UInt8] { [UInt8](try! Data(contentsOf: Fixtures.committed("nifti/\(name)"))) }

  static let cases: [MalformedCase] = {
    var c = [MalformedCase]()
    func add(_ id: String, _ what: String, _ verdict: Verdict, file: String = "case.nii", options: NiftiReadOptions = NiftiReadOptions(), _ m: @escaping @Sendable (inout [UInt8]) -> Void) {
      c.append(MalformedCase(id: id, what: what, fileName: file, verdict: verdict, options: options, mutate: m))
    }
    add("00", "valid .nii", .accept) { _ in }
    add("00gz", "valid .nii.gz", .accept, file: "case.nii.gz") { $0 = gzipBase }
    add("01", "empty file", .reject([.notNifti])) { $0 = [] }
    add("02", "100-byte file", .reject([.notNifti])) { $0 = Array($0.prefix(100)) }
    add("03", "sizeof_hdr=123", .reject([.notNifti])) { $0.put(Int32(123), at: 0) }
    add("04", "whole header big-endian", .accept) { $0 = fixture("float32_be.nii") }
    add("05", "magic xyz", .reject([.notNifti])) { $0.replaceSubrange(344..<348, with: Array("xyz\0".utf8)) }
    add("06", "magic ni1 in a single file", .reject([.unsupported])) { $0.replaceSubrange(344..<348, with: Array("ni1\0".utf8)) }
    add("07", "dim[0]=0", .reject([.invalidHeader])) { $0.put(Int16(0), at: 40) }
    add("08", "dim[0]=8", .reject([.invalidHeader])) { $0.put(Int16(8), at: 40) }
    add("09", "dim[0]=-1", .reject([.invalidHeader])) { $0.put(Int16(-1), at: 40) }
    add("10", "dim[2]=0", .reject([.invalidHeader])) { $0.put(Int16(0), at: 44) }
    add("11", "dim[2]=-5", .reject([.invalidHeader])) { $0.put(Int16(-5), at: 44) }
    add("12", "datatype 3", .reject([.unsupported])) { $0.put(Int16(3), at: 70) }
    add("13", "datatype 0", .reject([.unsupported])) { $0.put(Int16(0), at: 70) }
    add("14", "datatype 1 (binary)", .reject([.unsupported])) { $0.put(Int16(1), at: 70) }
    add("15", "bitpix inconsistent", .warn("bitpix")) { $0.put(Int16(8), at: 72) }
    add("16", "vox_offset=100", .reject([.invalidHeader])) { $0.putFloat(100, at: 108) }
    add("17", "vox_offset past EOF", .reject([.truncated])) { $0.putFloat(4096, at: 108) }
    add("18", "vox_offset=353", .warn("vox_offset")) { b in b.putFloat(353, at: 108); b.insert(0, at: 352) }
    add("19", "vox_offset=NaN", .reject([.invalidHeader])) { $0.putFloat(.nan, at: 108) }
    add("20", "vox_offset<0", .reject([.invalidHeader])) { $0.putFloat(-352, at: 108) }
    add("21", "scl_slope=0", .accept) { $0.putFloat(0, at: 112) }
    add("22", "scl_slope=NaN", .accept) { $0.putFloat(.nan, at: 112) }
    add("23", "scl_slope=Inf", .reject([.invalidHeader])) { $0.putFloat(.infinity, at: 112) }
    add("24", "scl_inter=Inf", .reject([.invalidHeader])) { b in b.putFloat(2, at: 112); b.putFloat(.infinity, at: 116) }
    add("25", "qform_code=99", .warn("qform_code")) { $0.put(Int16(99), at: 252) }
    add("26", "sform_code=-1", .warn("sform_code")) { $0.put(Int16(-1), at: 254) }
    add("27", "sform_code=1, all-zero srows", .warn("srow_x/y/z")) { b in for o in stride(from: 280, to: 328, by: 4) { b.putFloat(0, at: o) } }
    add("27b", "all-zero srows, no qform", .reject([.invalidHeader])) { b in
      for o in stride(from: 280, to: 328, by: 4) { b.putFloat(0, at: o) }
      b.put(Int16(0), at: 252)
    }
    add("28", "quaternion b²+c²+d²>1, qform only", .reject([.invalidHeader])) { b in
      b.put(Int16(0), at: 254)
      for o in [256, 260, 264] { b.putFloat(0.9, at: o) }
    }
    add("28b", "quaternion b²+c²+d²>1, valid sform", .accept) { b in for o in [256, 260, 264] { b.putFloat(0.9, at: o) } }
    add("29", "pixdim NaN", .reject([.invalidHeader])) { $0.putFloat(.nan, at: 80) }
    add("30", "pixdim 0", .reject([.invalidHeader])) { $0.putFloat(0, at: 84) }
    add("31", "pixdim negative", .warn("pixdim[3]")) { $0.putFloat(-2.5, at: 88) }
    add("32", "pixdim Inf", .reject([.invalidHeader])) { $0.putFloat(.infinity, at: 80) }
    add("33", "data half missing", .reject([.truncated])) { $0 = Array($0.prefix(352 + 240)) }
    add("34", "dims 32767³ float64 in an 832-byte file", .reject([.tooLarge, .truncated])) { b in
      for n in 1...3 { b.put(Int16(32767), at: 40 + 2 * n) }
      b.put(Int16(64), at: 70); b.put(Int16(64), at: 72)
    }
    add("35", ".nii.gz cut in half", .reject([.truncated]), file: "case.nii.gz") { $0 = Array(gzipBase.prefix(gzipBase.count / 2)) }
    add("36", "gzip CRC byte flipped", .reject([.corruptCompression]), file: "case.nii.gz") { b in
      b = gzipBase; b[b.count - 6] ^= 0xFF
    }
    add("37", "deflate body corrupted", .reject([.corruptCompression, .truncated]), file: "case.nii.gz") { b in
      b = gzipBase; for o in (b.count / 2)..<(b.count / 2 + 8) { b[o] ^= 0x5A }
    }
    add("38", "plain NIfTI named .gz", .warn("file name"), file: "case.nii.gz") { _ in }
    add("39", "extension flag set, no room for an extension", .accept) { $0[348] = 1 }
    for (id, size) in [("40", Int32(0)), ("41", Int32(-16)), ("42", Int32(1 << 30))] {
      add(id, "extension size \(size)", .reject([.invalidHeader])) { b in
        b.insert(contentsOf: [UInt8](repeating: 0, count: 32), at: 352)
        b.putFloat(384, at: 108)
        b[348] = 1
        b.put(size, at: 352)
        b.put(Int32(4), at: 356)
      }
    }
    add("42b", "valid 32-byte extension", .accept) { b in
      b.insert(contentsOf: [UInt8](repeating: 0, count: 32), at: 352)
      b.putFloat(384, at: 108)
      b[348] = 1
      b.put(Int32(32), at: 352)
      b.put(Int32(4), at: 356)
    }
    add("43", "4-D (…, 2) read as two volumes", .accept) { b in
      b.put(Int16(4), at: 40); b.put(Int16(2), at: 48)
      b.append(contentsOf: b[352...])
    }
    add("44", "NaN/±Inf voxels", .warn("data")) { b in
      b.putFloat(.nan, at: 352); b.putFloat(.infinity, at: 356); b.putFloat(-.infinity, at: 360)
    }
    add("45", "7 dims of 32767 (overflows Int64)", .reject([.tooLarge])) { b in
      b.put(Int16(7), at: 40)
      for n in 1...7 { b.put(Int16(32767), at: 40 + 2 * n) }
    }
    add("46", "RGB24", .reject([.unsupported])) { b in b.put(Int16(128), at: 70); b.put(Int16(24), at: 72) }
    add("47", "garbage in dim[5...7] beyond dim[0]", .accept) { b in for n in 5...7 { b.put(Int16(-7), at: 40 + 2 * n) } }
    add("48", "uint8 with slope/intercept", .accept) { $0 = fixture("uint8_scaled.nii") }
    add("49", "valid NIfTI-2", .accept) { $0 = fixture("nifti2_float32.nii") }
    add("50", "NIfTI-2 dim[0]=200", .reject([.invalidHeader])) { b in
      b = fixture("nifti2_float32.nii"); b.put(Int64(200), at: 16)
    }
    var capped = NiftiReadOptions()
    capped.maxBytes = 1 << 20
    add("51", "gzip bomb beyond --max-bytes (header consistent)", .reject([.tooLarge]), file: "case.nii.gz", options: capped) { b in
      b = gzipBomb
    }
    add("51b", "highly compressed file within the caps", .accept, file: "case.nii.gz") { b in b = gzipBomb }
    add("x1", "garbage after the gzip stream", .reject([.corruptCompression]), file: "case.nii.gz") { b in b = gzipBase + Array("garbage".utf8) }
    add("x2", "zero padding after the gzip stream", .warn("gzip trailer"), file: "case.nii.gz") { b in b = gzipBase + [UInt8](repeating: 0, count: 70) }
    return c
  }()

  /// 128³ uint16 zeros (4 MiB), compressed to a few kilobytes.
  static let gzipBomb: [UInt8] = {
    let volume = Volume<UInt16>(grid: ImageGrid(shape: [128, 128, 128], affine: .identity), repeating: 0)
    return encode(NiftiImage(volume), suffix: ".nii.gz")
  }()
}

@Suite("Malformed NIfTI files (reliability.md 1.4)")
struct MalformedFileTests {
  @Test("each case gets its verdict, with an error naming the file", arguments: Corpus.cases)
  func verdict(_ testCase: MalformedCase) throws {
    let dir = try Fixtures.temporaryDirectory()
    defer { try? FileManager.default.removeItem(at: dir) }
    var bytes = Corpus.base
    testCase.mutate(&bytes)
    let url = dir.appendingPathComponent(testCase.fileName)
    try Data(bytes).write(to: url)
    let result = Result { try NiftiImage(contentsOf: url, options: testCase.options) }
    switch (testCase.verdict, result) {
    case (.accept, .success(let image)):
      #expect(image.grid.voxelCount > 0)
    case (.warn(let field), .success(let image)):
      #expect(image.warnings.contains { $0.field == field }, "\(testCase): expected a warning on \(field), got \(image.warnings)")
    case (.reject(let codes), .failure(let error)):
      let niftiError = try #require(error as? NiftiError, "\(testCase): \(error)")
      #expect(codes.contains(niftiError.code), "\(testCase): got \(niftiError.code): \(niftiError)")
      #expect(niftiError.description.hasPrefix(url.path), "message must name the file: \(niftiError)")
    default:
      Issue.record("\(testCase): expected \(testCase.verdict), got \(result)")
    }
  }

  @Test("every single-bit flip of a .nii.gz is either detected or harmless (gzip header bytes)")
  func bitFlips() throws {
    let dir = try Fixtures.temporaryDirectory()
    defer { try? FileManager.default.removeItem(at: dir) }
    let base = Corpus.gzipBase
    let url = dir.appendingPathComponent("flip.nii.gz")
    try Data(base).write(to: url)
    let reference = try NiftiImage(contentsOf: url).volume.converted(to: Float.self).voxels
    var rng = SeededGenerator(seed: 2)
    var detected = 0
    for _ in 0..<40 {
      var bytes = base
      let offset = Int(rng.next() % UInt64(bytes.count))
      bytes[offset] ^= UInt8(1 << (rng.next() % 8))
      try Data(bytes).write(to: url)
      switch Result(catching: { try NiftiImage(contentsOf: url) }) {
      case .failure: detected += 1
      case .success(let image):
        // Only bytes no checksum covers (gzip header mtime/flags/OS, NIfTI fields that do not
        // change the data) may flip without an error, and then the voxels must be unchanged.
        #expect(image.volume.converted(to: Float.self).voxels.elementsEqual(reference) { $0 == $1 || ($0.isNaN && $1.isNaN) },
          "flip at byte \(offset) returned wrong voxels without an error")
      }
    }
    #expect(detected >= 30, "only \(detected) of 40 flips detected")
  }

  @Test("every case of reliability.md 1.4 is in the table")
  func tableIsComplete() {
    let ids = Set(Corpus.cases.map { String($0.id.prefix(2)) })
    for n in 0...51 {
      #expect(ids.contains(n < 10 ? "0\(n)" : "\(n)"), "case \(n) missing")
    }
  }
}

