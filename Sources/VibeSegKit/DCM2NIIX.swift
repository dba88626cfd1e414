import DICOMInput
import Foundation
import NiftiIO
import VolumeCore

#if canImport(Glibc)
  import Glibc
#endif

/// Compressed DICOM through Debian's `dcm2niix`, run as untrusted code on one pre-validated series
/// group at a time (`../shared/docs/dicom.md` 6.3):
///
/// 1. the binary: `$VIBESEG_DCM2NIIX`, else `dcm2niix` on `PATH` (missing: 69 with the
///    `apt-get install dcm2niix` hint);
/// 2. a private scratch folder (`$TMPDIR/vibeseg-dcm2niix-*`, removed on every path) holding links
///    `NNNNNN.dcm` to the group's files and `group.txt` listing them: no DICOM-derived text ever
///    reaches a path or an argument;
/// 3. `dcm2niix -g i -s y -b y -ba y -z n -f vol -o out group.txt` with absolute paths, no shell,
///    `HOME` the scratch folder, `LC_ALL=C`, `PATH=/usr/bin:/bin`, stdin /dev/null, in its own
///    process group, killed (the whole group) after `timeout` seconds
///    (`$VIBESEG_DCM2NIIX_TIMEOUT`, default 600);
/// 4. accepted only when: exit 0; `out` holds exactly `vol.nii` (or `vol_ph.nii`) and `vol.json`;
///    its output has none of dcm2niix's stacking warnings; the NIfTI passes the strict reader; its
///    voxel count is rows x columns x slices and its voxel centres equal the header-derived
///    geometry (`DICOMVolume.geometry`) within 1e-3 mm, in any voxel order (dcm2niix flips rows).
///
/// Exit codes (dicom.md 1.3): 1, 2, 4, 8, 10, 11, a signal, a timeout or a failed check: 65
/// (`invalidInput`, with the last lines of dcm2niix's output); 5 and 9: 70 (`internalError`);
/// 6 and 7: 73; a missing binary: 69 (`toolUnavailable`).
public struct DCM2NIIX: Sendable {
  public var executable: URL
  public var timeout: TimeInterval

  /// The phrases dcm2niix prints when it stacked slices it should not have (exit code 0 anyway).
  static let refusals = [
    "Interslice distance varies", "Missing images", "slices not equidistant", "Slices not stacked",
    "Unable to determine slice direction", "File not large enough", "DICOM appears corrupt",
  ]

  /// The runner from the environment (`VIBESEG_DCM2NIIX`, `PATH`, `VIBESEG_DCM2NIIX_TIMEOUT`).
  ///
  /// - Throws: `VibeSegKitError.toolUnavailable` when no executable is found.
  public static func fromEnvironment() throws -> DCM2NIIX {
    let environment = ProcessInfo.processInfo.environment
    let timeout = environment["VIBESEG_DCM2NIIX_TIMEOUT"].flatMap(TimeInterval.init) ?? 600
    if let given = environment["VIBESEG_DCM2NIIX"], !given.isEmpty {
      guard FileManager.default.isExecutableFile(atPath: given) else {
        throw VibeSegKitError(.toolUnavailable, "VIBESEG_DCM2NIIX names no executable file", path: given)
      }
      return DCM2NIIX(executable: URL(fileURLWithPath: given), timeout: timeout)
    }
    for folder in (environment["PATH"] ?? "/usr/bin:/bin").split(separator: ":") {
      let candidate = URL(fileURLWithPath: String(folder)).appendingPathComponent("dcm2niix")
      if FileManager.default.isExecutableFile(atPath: candidate.path) { return DCM2NIIX(executable: candidate, timeout: timeout) }
    }
    throw VibeSegKitError(
      .toolUnavailable,
      "compressed DICOM is converted with dcm2niix, which is not installed (Debian/Ubuntu: apt-get install dcm2niix; or set VIBESEG_DCM2NIIX)")
  }

  public init(executable: URL, timeout: TimeInterval = 600) {
    self.executable = executable
    self.timeout = timeout
  }

  /// `group` as NIfTI's in-memory form, converted by dcm2niix and checked (see the type).
  public func convert(_ group: SeriesGroup) throws -> (NiftiImage, [String]) {
    let fm = FileManager.default
    let scratch = fm.temporaryDirectory.appendingPathComponent("vibeseg-dcm2niix-\(UUID().uuidString)")
    let out = scratch.appendingPathComponent("out")
    do {
      try fm.createDirectory(at: out, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
    } catch {
      throw VibeSegKitError(.cannotCreateOutput, "cannot create a scratch folder for dcm2niix: \(error.localizedDescription)", path: scratch.path)
    }
    defer { try? fm.removeItem(at: scratch) }
    var list = ""
    for (n, file) in group.files.enumerated() {
      let link = scratch.appendingPathComponent(String(format: "%06d.dcm", n))
      do {
        try fm.createSymbolicLink(atPath: link.path, withDestinationPath: URL(fileURLWithPath: file.path).standardizedFileURL.path)
      } catch {
        throw VibeSegKitError(.cannotCreateOutput, "cannot link a file into the scratch folder: \(error.localizedDescription)", path: link.path)
      }
      list += link.path + "\n"
    }
    let listURL = scratch.appendingPathComponent("group.txt")
    do {
      try Data(list.utf8).write(to: listURL)
    } catch {
      throw VibeSegKitError(.cannotCreateOutput, "cannot write the file list: \(error.localizedDescription)", path: listURL.path)
    }
    let source = group.first.path
    let (status, signalled, timedOut, output) = try run(
      ["-g", "i", "-s", "y", "-b", "y", "-ba", "y", "-z", "n", "-f", "vol", "-o", out.path, listURL.path], in: scratch)
    let tail = output.split(separator: "\n", omittingEmptySubsequences: true).suffix(20).joined(separator: " | ")
    func reject(_ why: String) -> VibeSegKitError {
      VibeSegKitError(.invalidInput, "dcm2niix \(why) (\(group.name), \(group.files.count) file(s)); its output: \(tail.isEmpty ? "(none)" : tail)", path: source)
    }
    if timedOut { throw reject("timed out after \(Int(timeout)) s") }
    if signalled { throw reject("crashed (signal \(status))") }
    switch status {
    case 0: break
    case 5, 9: throw VibeSegKitError(.internalError, "dcm2niix exit \(status): it could not read the file list VibeSeg wrote; its output: \(tail)", path: source)
    case 6, 7: throw VibeSegKitError(.cannotCreateOutput, "dcm2niix exit \(status): it could not write into its scratch folder; its output: \(tail)", path: out.path)
    default: throw reject("failed with exit \(status)")
    }
    if let phrase = Self.refusals.first(where: { output.contains($0) }) { throw reject("warned '\(phrase)'") }
    let produced = ((try? fm.contentsOfDirectory(atPath: out.path)) ?? []).sorted()
    guard let image = produced.first(where: { $0 == "vol.nii" || $0 == "vol_ph.nii" }), Set(produced) == [image, "vol.json"] else {
      throw reject("wrote \(produced.isEmpty ? "nothing" : produced.joined(separator: ", ")) instead of vol.nii and vol.json")
    }
    let nifti: NiftiImage
    do {
      nifti = try NiftiImage(contentsOf: out.appendingPathComponent(image))
    } catch {
      throw reject("wrote a NIfTI the reader refuses: \(error)")
    }
    try check(nifti, against: group, reject: reject)
    // The bytes come from the scratch file; nothing of it is kept but what was read.
    var header = NiftiHeader()
    header.sformCode = 1
    header.qformCode = 1
    var converted = NiftiImage(volume: nifti.volume, header: header)
    converted.scaling = nifti.scaling
    return (converted, ["\(source): compressed pixel data (\(group.first.transferSyntax.uid)) converted by dcm2niix (\(executable.path))"])
  }

  /// Voxel count and voxel centres against the headers (any voxel order: dcm2niix flips rows).
  func check(_ image: NiftiImage, against group: SeriesGroup, reject: (String) -> VibeSegKitError) throws {
    let (shape, affine, _) = DICOMVolume.geometry(of: group)
    guard image.volume.channelCount == 1, image.grid.shape.count == 3 else {
      throw reject("wrote \(image.grid.shape) x \(image.volume.channelCount) volumes where one 3-D volume was expected")
    }
    guard image.grid.voxelCount == shape.reduce(1, *) else {
      throw reject("wrote \(image.grid.shape.map(String.init).joined(separator: " x ")) voxels where the headers give \(shape.map(String.init).joined(separator: " x "))")
    }
    func corners(_ shape: [Int], _ map: ([Double]) -> [Double]) -> [[Double]] {
      var points: [[Double]] = []
      for i in [0, shape[0] - 1] { for j in [0, shape[1] - 1] { for k in [0, shape[2] - 1] { points.append(map([Double(i), Double(j), Double(k)])) } } }
      return points
    }
    let expected = corners(shape) { v in (0..<3).map { r in (0..<3).reduce(affine[r][3]) { $0 + affine[r][$1] * v[$1] } } }
    let found = corners(image.grid.shape) { image.grid.affine.apply($0) }
    let matched = expected.allSatisfy { e in found.contains { f in zip(e, f).allSatisfy { abs($0 - $1) <= 1e-3 } } }
    guard matched else {
      throw reject("wrote an affine whose voxel centres differ from the DICOM geometry (more than 1e-3 mm)")
    }
  }

  /// Runs the executable with `arguments`, no shell, in its own process group (a timeout kills
  /// the group, so children it left cannot hold anything open); stdout and stderr go to a log file
  /// in `folder`. Returns the exit status (or the signal), whether it was signalled or timed out,
  /// and the log.
  func run(_ arguments: [String], in folder: URL) throws -> (Int32, Bool, Bool, String) {
    let log = folder.appendingPathComponent("dcm2niix.log")
    let words: [String] = [executable.path] + arguments
    let environment: [String] = ["HOME=\(folder.path)", "LC_ALL=C", "PATH=/usr/bin:/bin"]
    let pid: pid_t
    do {
      pid = try ChildProcess.spawn(words, output: .file(log.path), environment: environment)
    } catch {
      throw VibeSegKitError(.toolUnavailable, "cannot start dcm2niix: \(error.reason)", path: executable.path)
    }
    let deadline = Date().addingTimeInterval(timeout)
    var status: Int32 = 0
    var timedOut = false
    while true {
      let done = waitpid(pid, &status, WNOHANG)
      if done == pid { break }
      if done < 0 && errno != EINTR { break }
      if Date() > deadline {
        timedOut = true
        kill(-pid, SIGKILL)
        _ = waitpid(pid, &status, 0)
        break
      }
      usleep(20_000)
    }
    // Whatever the group left behind goes too.
    kill(-pid, SIGKILL)
    let output = (try? String(contentsOf: log, encoding: .utf8)) ?? ""
    let signal = status & 0x7f
    if signal != 0 { return (signal, true, timedOut, output) }
    return ((status >> 8) & 0xff, false, timedOut, output)
  }
}
