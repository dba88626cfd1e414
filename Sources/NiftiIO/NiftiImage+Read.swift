import Foundation
import VolumeCore

/// Limits and policies for reading.
public struct NiftiReadOptions: Sendable {
  /// Largest accepted voxel count (all volumes together). Default 2³¹.
  public var maxVoxels: Int = 1 << 31
  /// Largest accepted data size in bytes. Default 16 GiB.
  public var maxBytes: Int = 16 << 30
  /// Accept files with neither a usable sform nor qform, using the pixdim-only affine with a
  /// warning (`--allow-no-orientation`). Off by default: left/right could be wrong.
  public var allowMissingOrientation = false
  /// Accept spatial units other than mm (metre, micron, undefined codes in `xyzt_units`) with a
  /// warning instead of refusing the file (`NiftiHeader.checkSpatialUnits`). Only `vibeseg info`
  /// sets it: it shows the header; everything else uses sizes in mm.
  public var acceptAnySpatialUnits = false

  public init() {}
}

extension NiftiImage {
  /// deflate cannot expand data by more than about 1032:1; a `.gz` declaring more bytes than that
  /// is truncated or lying, and is rejected before any allocation.
  static let maximumDeflateRatio = 1032

  /// Reads a `.nii` or `.nii.gz` file (gzip is recognised by its content, not its name).
  ///
  /// Validates the header (see `NiftiHeader.validate`), checks the declared size against the file
  /// size and the caps *before* allocating, walks the extensions, reads the data straight into
  /// typed storage (byte-swapped if big-endian), and for gzip inflates to the end verifying every
  /// member's CRC32 and length. Throws `NiftiError` naming the file and the field.
  public init(contentsOf url: URL, options: NiftiReadOptions = NiftiReadOptions()) throws {
    let path = url.path
    let file = try FileDescriptor(readingFrom: path)
    let fileSize = try file.size()
    guard fileSize > 0 else { throw NiftiError(.notNifti, "empty file", path: path) }
    var warnings = [NiftiWarning]()

    var magic = [UInt8](repeating: 0, count: 2)
    _ = try magic.withUnsafeMutableBytes { try file.read(into: $0) }
    guard lseek(file.raw, 0, SEEK_SET) == 0 else { throw NiftiError(.ioFailure, "cannot seek", path: path) }
    let compressed = magic == [0x1F, 0x8B]
    let namedGz = path.lowercased().hasSuffix(".gz")
    if namedGz != compressed {
      warnings.append(NiftiWarning(field: "file name",
        message: compressed ? "gzip-compressed content in a file not named .gz" : "named .gz but not gzip-compressed; read as plain NIfTI"))
    }
    let gzip = compressed ? try GzipSource(file) : nil
    let source: ByteSource = gzip ?? PlainFileSource(file)

    // Fixed header: sizeof_hdr first, which decides version and byte order.
    var headerBytes = [UInt8](repeating: 0, count: 4)
    let got = try headerBytes.withUnsafeMutableBytes { try source.read(into: $0) }
    guard got == 4, let (version, order) = NiftiHeader.detectLayout(headerBytes) else {
      if got < 4 { throw NiftiError(.notNifti, "short header (\(got) < 348 bytes)", path: path) }
      throw NiftiError(.notNifti, "sizeof_hdr is neither 348 (NIfTI-1) nor 540 (NIfTI-2) in either byte order: not a NIfTI file", path: path, field: "sizeof_hdr")
    }
    let headerSize = version == .nifti1 ? 348 : 540
    var rest = [UInt8](repeating: 0, count: headerSize - 4)
    let gotRest = try rest.withUnsafeMutableBytes { try source.read(into: $0) }
    guard gotRest == rest.count else {
      throw NiftiError(.notNifti, "short header (\(4 + gotRest) < \(headerSize) bytes)", path: path)
    }
    headerBytes += rest
    let header = NiftiHeader(decoding: headerBytes, version: version, byteOrder: order)
    warnings += try header.validate(path: path)
    warnings += try header.checkSpatialUnits(path: path, accept: options.acceptAnySpatialUnits)
    let (voxelCount, byteCount) = try header.dataByteCount(path: path)
    let offset = Int(header.voxOffset)

    // Resource caps and size plausibility, before any allocation.
    guard voxelCount <= options.maxVoxels else {
      throw NiftiError(.tooLarge, "\(voxelCount) voxels exceed the limit of \(options.maxVoxels)", path: path, field: "dim")
    }
    guard byteCount <= options.maxBytes else {
      throw NiftiError(.tooLarge, "\(byteCount) bytes of voxel data exceed the limit of \(options.maxBytes)", path: path, field: "dim")
    }
    let (needed, overflow) = offset.addingReportingOverflow(byteCount)
    if overflow { throw NiftiError(.tooLarge, "vox_offset + data size overflows", path: path, field: "vox_offset") }
    if compressed {
      let (bound, o) = fileSize.multipliedReportingOverflow(by: Self.maximumDeflateRatio)
      if !o && needed > bound + 4096 {
        throw NiftiError(.truncated, "declares \(needed) bytes but a \(fileSize)-byte gzip file cannot hold more than about \(bound): truncated or corrupt", path: path, field: "dim")
      }
    } else if needed > fileSize {
      let available = max(0, fileSize - offset)
      throw NiftiError(.truncated, "data truncated (\(available)/\(byteCount) bytes after vox_offset \(offset))", path: path, field: "vox_offset")
    }

    // Extensions between the header and vox_offset.
    let extensionBytes = try source.readExactly(offset - headerSize, what: "extension area", path: path)
    try Self.checkExtensions(extensionBytes, bigEndian: order == .big, headerSize: headerSize, path: path, warnings: &warnings)

    guard let type = header.scalarType else { fatalError("validated above") }
    let shape = header.spatialShape
    guard let (affine, affineSource) = header.chooseAffine(allowMissing: options.allowMissingOrientation, warnings: &warnings) else {
      throw NiftiError(.invalidHeader, "no usable orientation: sform_code \(header.sformCode) and qform_code \(header.qformCode) give no valid transform (pass --allow-no-orientation to use voxel sizes only)", path: path, field: "qform_code/sform_code")
    }
    let grid = ImageGrid(shape: shape, affine: affine)
    let volume = try Self.readVolume(type, grid: grid, channels: header.volumeCount, byteCount: byteCount,
      source: source, swap: order == .big, path: path)
    let extra = try source.finish()
    if extra > 0 { warnings.append(NiftiWarning(field: "data", message: "\(extra) bytes after the voxel data ignored")) }
    if let gzip, gzip.trailingZeroBytes > 0 {
      warnings.append(NiftiWarning(field: "gzip trailer", message: "\(gzip.trailingZeroBytes) zero bytes of padding after the gzip stream"))
    }
    let nonFinite = Self.countNonFinite(volume)
    if nonFinite > 0 {
      warnings.append(NiftiWarning(field: "data", message: "\(nonFinite) NaN or infinite voxels"))
    }
    self.volume = volume
    self.header = header
    self.scaling = header.scaling
    self.affineSource = affineSource
    self.warnings = warnings
    self.nonFiniteVoxelCount = nonFinite
  }

  /// Walks NIfTI extensions (`esize`, `ecode`, data) when the extension flag is set and there is
  /// room before vox_offset: each `esize` must be ≥ 16 and fit in the remaining space (nifti_clib
  /// `nifti_check_extension`); not a multiple of 16 is warned (nibabel). Contents are skipped.
  static func checkExtensions(_ bytes: [UInt8], bigEndian: Bool, headerSize: Int, path: String, warnings: inout [NiftiWarning]) throws {
    guard bytes.count >= 4, bytes[0] != 0 else { return }
    let reader = BinaryFieldReader(bytes: bytes, bigEndian: bigEndian)
    var position = 4
    var index = 0
    while position + 8 <= bytes.count {
      let size = reader.int32(position)
      let field = "extension \(index) esize (at byte \(headerSize + position))"
      guard size >= 16 else { throw NiftiError(.invalidHeader, "bad extension size \(size) (minimum 16)", path: path, field: field) }
      guard size <= bytes.count - position else {
        throw NiftiError(.invalidHeader, "bad extension size \(size): only \(bytes.count - position) bytes remain before vox_offset", path: path, field: field)
      }
      if size % 16 != 0 { warnings.append(NiftiWarning(field: field, message: "size \(size) is not a multiple of 16")) }
      position += size
      index += 1
    }
  }

  static func readVolume(_ type: ScalarType, grid: ImageGrid, channels: Int, byteCount: Int,
    source: ByteSource, swap: Bool, path: String) throws -> AnyVolume {
    switch type {
    case .uint8: AnyVolume(try readTyped(UInt8.self, grid, channels, byteCount, source, swap, path))
    case .int8: AnyVolume(try readTyped(Int8.self, grid, channels, byteCount, source, swap, path))
    case .int16: AnyVolume(try readTyped(Int16.self, grid, channels, byteCount, source, swap, path))
    case .uint16: AnyVolume(try readTyped(UInt16.self, grid, channels, byteCount, source, swap, path))
    case .int32: AnyVolume(try readTyped(Int32.self, grid, channels, byteCount, source, swap, path))
    case .uint32: AnyVolume(try readTyped(UInt32.self, grid, channels, byteCount, source, swap, path))
    case .int64: AnyVolume(try readTyped(Int64.self, grid, channels, byteCount, source, swap, path))
    case .uint64: AnyVolume(try readTyped(UInt64.self, grid, channels, byteCount, source, swap, path))
    case .float32: AnyVolume(try readTyped(Float.self, grid, channels, byteCount, source, swap, path))
    case .float64: AnyVolume(try readTyped(Double.self, grid, channels, byteCount, source, swap, path))
    }
  }

  private static func readTyped<V: VoxelScalar>(_: V.Type, _ grid: ImageGrid, _ channels: Int, _ byteCount: Int,
    _ source: ByteSource, _ swap: Bool, _ path: String) throws -> Volume<V> {
    let count = grid.voxelCount * channels
    var readError: Error? = nil
    let voxels = [V](unsafeUninitializedCapacity: count) { buffer, initialized in
      let raw = UnsafeMutableRawBufferPointer(buffer)
      do {
        let got = try source.read(into: raw)
        guard got == byteCount else {
          throw NiftiError(.truncated, "data truncated (\(got)/\(byteCount) bytes)", path: path, field: "data")
        }
        if swap { byteSwap(raw, itemSize: MemoryLayout<V>.size) }
        initialized = count
      } catch {
        // Any bit pattern is a valid V; mark initialised so the array can be freed, then rethrow.
        initialized = count
        readError = error
      }
    }
    if let readError { throw readError }
    return Volume(grid: grid, channelCount: channels, voxels: voxels)
  }

  /// Reverses the bytes of each `itemSize`-byte element in place.
  static func byteSwap(_ raw: UnsafeMutableRawBufferPointer, itemSize: Int) {
    switch itemSize {
    case 2: let b = raw.bindMemory(to: UInt16.self); for p in b.indices { b[p] = b[p].byteSwapped }
    case 4: let b = raw.bindMemory(to: UInt32.self); for p in b.indices { b[p] = b[p].byteSwapped }
    case 8: let b = raw.bindMemory(to: UInt64.self); for p in b.indices { b[p] = b[p].byteSwapped }
    default: break
    }
  }

  static func countNonFinite(_ volume: AnyVolume) -> Int {
    switch volume {
    case .float32(let v): v.voxels.reduce(0) { $0 + ($1.isFinite ? 0 : 1) }
    case .float64(let v): v.voxels.reduce(0) { $0 + ($1.isFinite ? 0 : 1) }
    default: 0
    }
  }
}
