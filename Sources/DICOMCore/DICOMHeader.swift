import Foundation

/// The header of one DICOM file: its file meta group and the top-level dataset elements up to,
/// not including, the pixel data, whose place in the file is recorded instead.
///
/// ```swift
/// let header = try DICOMHeader(contentsOf: url)           // reads a bounded prefix only
/// let position = try header.decimals(.imagePositionPatient, count: 3)
/// ```
///
/// Everything in the file is untrusted (dicom.md 5.2): every length is checked against the bytes
/// left and a cap before anything is read, odd lengths are refused, undefined-length sequences and
/// items are walked with a depth cap, and reading stops at (7FE0,0010). Sequence contents are
/// checked for structure and then dropped: only top-level, non-sequence values are kept.
public struct DICOMHeader: Sendable {
  /// How the file starts.
  public enum Layout: String, Sendable {
    /// PS3.10: a 128-byte preamble, `DICM`, the file meta group.
    case part10
    /// `DICM` and the file meta group at byte 0, no preamble.
    case part10WithoutPreamble
    /// No `DICM` marker: a dataset from byte 0 (old ACR-NEMA-style files), group 0008 first;
    /// explicit or implicit VR little endian, told apart by whether bytes 4-5 spell a VR.
    case bareDataset
  }

  /// Where the pixel data's value lies in the file; its bytes are not read.
  public struct PixelDataLocation: Sendable, Equatable {
    /// Byte offset of the first value byte.
    public var offset: Int
    /// The value length; nil for undefined length (encapsulated fragments).
    public var length: Int?
    /// The VR as written (explicit VR), nil in implicit VR.
    public var vr: String?

    public init(offset: Int, length: Int?, vr: String?) {
      self.offset = offset
      self.length = length
      self.vr = vr
    }
  }

  public var path: String
  public var layout: Layout
  /// The file's size in bytes (the header reader reads only a prefix of it).
  public var fileSize: Int
  public var transferSyntax: TransferSyntax
  /// Group 0002 elements (empty for a bare dataset).
  public var meta: [DICOMTag: DICOMElement]
  /// Top-level dataset elements before the pixel data.
  public var elements: [DICOMTag: DICOMElement]
  /// nil when the dataset has no (7FE0,0010) at top level (not an image).
  public var pixelData: PixelDataLocation?

  /// The element with this tag: group 0002 from the file meta, the rest from the dataset.
  public func element(_ tag: DICOMTag) -> DICOMElement? {
    tag.group == 0x0002 ? meta[tag] : elements[tag]
  }
}

/// Resource caps of the header reader.
public struct DICOMReadLimits: Sendable {
  /// The most bytes read from the start of a file to find the pixel data. Real MR headers are a
  /// few kB to a few hundred kB (Siemens CSA headers included).
  public var maxHeaderBytes = 16 << 20
  /// The longest non-sequence element value kept.
  public var maxElementBytes = 4 << 20
  /// The deepest nesting of undefined-length sequences (dicom.md 5.2).
  public var maxSequenceDepth = 16
  /// The first read; a longer header is read again with a 16x larger prefix, up to the cap.
  public var initialReadBytes = 64 << 10

  public init() {}
}

extension DICOMHeader {
  /// Reads the header of the file at `url`: a bounded prefix, never the pixel data.
  ///
  /// - Throws: `DICOMError` — `.fileNotFound` (no such file), `.notDICOM` (not a regular file, empty,
  ///   no `DICM` marker and no parseable bare dataset), `.truncated`, `.malformed`, `.unsupported`
  ///   (big endian, deflated, unknown syntax), `.tooLarge`, `.ioFailure`.
  public init(contentsOf url: URL, limits: DICOMReadLimits = DICOMReadLimits()) throws {
    let path = url.path
    let attributes: [FileAttributeKey: Any]
    do {
      attributes = try FileManager.default.attributesOfItem(atPath: path)
    } catch {
      throw DICOMError(.fileNotFound, "no such file or not readable", path: path)
    }
    // Checked before opening: opening a FIFO for reading would block.
    guard attributes[.type] as? FileAttributeType == .typeRegular else {
      throw DICOMError(.notDICOM, "not a regular file", path: path)
    }
    let fileSize = (attributes[.size] as? NSNumber)?.intValue ?? 0
    guard let handle = FileHandle(forReadingAtPath: path) else {
      throw DICOMError(.fileNotFound, "cannot be opened for reading", path: path)
    }
    defer { try? handle.close() }
    var prefix = [UInt8]()
    var want = min(fileSize, max(limits.initialReadBytes, 132))
    while true {
      do {
        if want > prefix.count {
          guard let more = try handle.read(upToCount: want - prefix.count) else { break }
          prefix += more
          guard prefix.count == want else {
            // The file shrank while we read it: parse what there is as the whole file.
            self = try DICOMHeader(prefix: prefix, path: path, fileSize: prefix.count, limits: limits)
            return
          }
        }
      } catch {
        throw DICOMError(.ioFailure, "read failed: \(error.localizedDescription)", path: path)
      }
      do {
        self = try DICOMHeader(prefix: prefix, path: path, fileSize: fileSize, limits: limits)
        return
      } catch is HeaderParser.NeedMoreBytes {
        want = min(fileSize, min(want * 16, limits.maxHeaderBytes))
      }
    }
    self = try DICOMHeader(prefix: prefix, path: path, fileSize: prefix.count, limits: limits)
  }

  /// Parses a header from the bytes of a whole file (`path` only names it in errors).
  ///
  /// - Throws: `DICOMError` as `init(contentsOf:)`.
  public init(bytes: [UInt8], path: String, limits: DICOMReadLimits = DICOMReadLimits()) throws {
    self = try DICOMHeader(prefix: bytes, path: path, fileSize: bytes.count, limits: limits)
  }

  /// Parses a header from the first `prefix.count` of `fileSize` bytes. Throws
  /// `HeaderParser.NeedMoreBytes` when the header goes on past a prefix shorter than both the file
  /// and the cap.
  init(prefix: [UInt8], path: String, fileSize: Int, limits: DICOMReadLimits) throws {
    var parser = HeaderParser(bytes: prefix, fileSize: max(fileSize, prefix.count), path: path, limits: limits)
    self = try parser.parse()
  }
}
