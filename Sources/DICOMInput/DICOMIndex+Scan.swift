import DICOMCore
import Foundation

extension DICOMIndex {
  /// Every regular file at or under `url` with its outcome, plus what the walk itself skipped
  /// (symbolic links, sockets, FIFOs, devices). Entries are visited in name order.
  static func scan(_ url: URL, limits: DICOMIndexLimits) throws -> (
    outcomes: [(String, DICOMFileOutcome)], skipped: [SkippedFile]
  ) {
    let manager = FileManager.default
    var isFolder: ObjCBool = false
    // The root as given is followed if it is a link (as `ls` follows its operands); links
    // inside a folder are not.
    guard manager.fileExists(atPath: url.path, isDirectory: &isFolder) else {
      throw DICOMError(.fileNotFound, "no such file or folder", path: url.path)
    }
    var outcomes: [(String, DICOMFileOutcome)] = []
    var skipped: [SkippedFile] = []
    if !isFolder.boolValue {
      outcomes.append((url.path, outcome(ofFile: url.path, limits: limits)))
      return (outcomes, skipped)
    }
    var count = 0
    func walk(_ folder: String, depth: Int) throws {
      guard depth <= limits.maxDepth else {
        throw DICOMError(.tooLarge, "folders nested deeper than \(limits.maxDepth) levels", path: folder)
      }
      let names: [String]
      do {
        names = try manager.contentsOfDirectory(atPath: folder).sorted()
      } catch {
        throw DICOMError(.ioFailure, "cannot list the folder: \(error.localizedDescription)", path: folder)
      }
      for name in names {
        let path = (folder as NSString).appendingPathComponent(name)
        count += 1
        guard count <= limits.maxFiles else {
          throw DICOMError(.tooLarge, "more than \(limits.maxFiles) entries under the folder", path: url.path)
        }
        // attributesOfItem does not follow a final symbolic link (lstat).
        let type = (try? manager.attributesOfItem(atPath: path)[.type]) as? FileAttributeType
        switch type {
        case .typeDirectory?: try walk(path, depth: depth + 1)
        case .typeRegular?: outcomes.append((path, outcome(ofFile: path, limits: limits)))
        case .typeSymbolicLink?: skipped.append(SkippedFile(path: path, reason: "symbolic link (not followed)"))
        default: skipped.append(SkippedFile(path: path, reason: "not a regular file or folder"))
        }
      }
    }
    try walk(url.path, depth: 0)
    return (outcomes, skipped)
  }

  /// Reads one file's header and classifies it. Non-DICOM files are skipped, never errors.
  static func outcome(ofFile path: String, limits: DICOMIndexLimits) -> DICOMFileOutcome {
    do {
      let header = try DICOMHeader(contentsOf: URL(fileURLWithPath: path), limits: limits.header)
      return DICOMFileRecord.outcome(for: header)
    } catch let error as DICOMError {
      switch error.code {
      case .notDICOM: return .skipped(reason: "not DICOM: \(error.message)")
      default: return .rejected(error)
      }
    } catch {
      return .rejected(DICOMError(.ioFailure, "\(error)", path: path))
    }
  }
}
