/// A transfer syntax, as far as the header reader cares: how the dataset after the file meta
/// group is encoded, and whether the pixel data is encapsulated (compressed).
///
/// Read: implicit VR little endian (`1.2.840.10008.1.2`), explicit VR little endian
/// (`1.2.840.10008.1.2.1`) and the encapsulated syntaxes, whose dataset is explicit VR little
/// endian by PS3.5 section A.4 (JPEG family `1.2.840.10008.1.2.4.*`, RLE `1.2.840.10008.1.2.5`,
/// encapsulated uncompressed `1.2.840.10008.1.2.1.98`). Refused with a reason: explicit VR big
/// endian (`1.2.840.10008.1.2.2`, retired), deflated (`1.2.840.10008.1.2.1.99`, the whole
/// dataset is zlib-compressed) and any UID not listed here.
public struct TransferSyntax: Hashable, Sendable, CustomStringConvertible {
  public enum Encoding: String, Sendable {
    case implicitVRLittleEndian
    case explicitVRLittleEndian
  }

  public var uid: String
  public var encoding: Encoding
  /// The pixel data is a sequence of compressed fragments, not native pixels.
  public var isEncapsulated: Bool

  public static let implicitVRLittleEndian = TransferSyntax(
    uid: "1.2.840.10008.1.2", encoding: .implicitVRLittleEndian, isEncapsulated: false)
  public static let explicitVRLittleEndian = TransferSyntax(
    uid: "1.2.840.10008.1.2.1", encoding: .explicitVRLittleEndian, isEncapsulated: false)

  public var description: String { uid }

  /// The syntax a UID names; nil with the reason for the ones refused.
  public static func named(_ uid: String) -> Result<TransferSyntax, RefusedSyntax> {
    switch uid {
    case implicitVRLittleEndian.uid: return .success(.implicitVRLittleEndian)
    case explicitVRLittleEndian.uid: return .success(.explicitVRLittleEndian)
    case "1.2.840.10008.1.2.2":
      return .failure(RefusedSyntax(reason: "explicit VR big endian (1.2.840.10008.1.2.2, retired) is not read; convert the file to little endian first (e.g. dcmconv +te)"))
    case "1.2.840.10008.1.2.1.99":
      return .failure(RefusedSyntax(reason: "deflated explicit VR little endian (1.2.840.10008.1.2.1.99) is not read; decompress it first (e.g. dcmconv +te)"))
    default:
      let encapsulated =
        uid.hasPrefix("1.2.840.10008.1.2.4.") || uid == "1.2.840.10008.1.2.5" || uid == "1.2.840.10008.1.2.1.98"
      guard encapsulated, uid.allSatisfy({ $0.isASCII && ($0.isNumber || $0 == ".") }) else {
        return .failure(RefusedSyntax(reason: "unknown transfer syntax '\(uid)'"))
      }
      return .success(TransferSyntax(uid: uid, encoding: .explicitVRLittleEndian, isEncapsulated: true))
    }
  }

  public struct RefusedSyntax: Error, Sendable {
    public var reason: String
  }
}
