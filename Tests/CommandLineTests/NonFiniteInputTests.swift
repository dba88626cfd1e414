import Foundation
import NiftiIO
import Testing
import VolumeCore
import _TestSupport

/// Issue 15, rows 1-3: NaN and infinite voxels, and intensities so large that normalisation
/// overflows, never give an encoding crash or a silently empty label map.
@Suite("non-finite voxels and overflowing intensities", .serialized)
struct NonFiniteInputTests {
  static let segmentImage = Fixtures.committed("segment/case_asr/image.nii.gz")
  static let predictImage = Fixtures.committed("predictions/plain_fold0_nomirror/case_0000.nii.gz")
  static let segmentModels = [
    "--model", Fixtures.committed("segment/main").path, "--roi-model", Fixtures.committed("segment/roi").path,
  ]

  /// `source` as float32 with `edit` applied to its voxels, written to `dir/name`.
  static func edited(_ source: URL, in dir: URL, name: String, _ edit: (inout [Float]) -> Void) throws -> URL {
    let image = try NiftiImage(contentsOf: source)
    var volume = image.volume.converted(to: Float.self)
    edit(&volume.voxels)
    let url = dir.appendingPathComponent(name)
    try NiftiImage(volume).write(to: url)
    return url
  }

  /// The index of the largest voxel (inside the body, so inside nnU-Net's non-zero crop).
  static func brightest(_ v: [Float]) -> Int { v.indices.max { v[$0] < v[$1] }! }

  @Test("row 1: info --json on an image with NaN and ±Inf voxels: exit 0, valid JSON, finite range, the count")
  func infoJSON() throws {
    let dir = try Fixtures.temporaryDirectory()
    var finite: (Float, Float) = (0, 0)
    let url = try Self.edited(Self.segmentImage, in: dir, name: "nonfinite.nii.gz") { v in
      finite = (v.min()!, v.max()!)
      v[0] = .infinity
      v[1] = -.infinity
      v[2] = .nan
      finite = (v[3...].min()!, v[3...].max()!)
    }
    let r = try VibeSegBinary.run(["info", "--json", url.path])
    #expect(r.status == 0, "\(r.stderr)")
    let json = try JSONSerialization.jsonObject(with: Data(r.stdout.utf8)) as? [String: Any]
    #expect(json?["nonFiniteVoxels"] as? Int == 3)
    #expect(json?["minimum"] as? Double == Double(finite.0))
    #expect(json?["maximum"] as? Double == Double(finite.1))
    #expect(!r.stdout.lowercased().contains("inf\"") && !r.stdout.lowercased().contains("nan\""), "\(r.stdout)")
    let text = try VibeSegBinary.run(["info", url.path])
    #expect(text.status == 0 && text.stdout.contains("3 NaN/Inf"), "\(text.stdout)\(text.stderr)")
    // No finite voxel at all: minimum and maximum are null, not a crash.
    let allNaN = try Self.edited(Self.segmentImage, in: dir, name: "nan.nii.gz") { v in
      for i in v.indices { v[i] = .nan }
    }
    let empty = try VibeSegBinary.run(["info", "--json", allNaN.path])
    #expect(empty.status == 0, "\(empty.stderr)")
    let emptyJSON = try JSONSerialization.jsonObject(with: Data(empty.stdout.utf8)) as? [String: Any]
    #expect(emptyJSON?["minimum"] is NSNull && emptyJSON?["maximum"] is NSNull, "\(empty.stdout)")
  }

  @Test("row 2: one NaN voxel: predict and segment refuse with 65 naming the count; nothing written")
  func oneNaN() throws {
    let dir = try Fixtures.temporaryDirectory()
    let nanPredict = try Self.edited(Self.predictImage, in: dir, name: "p.nii.gz") { v in v[Self.brightest(v)] = .nan }
    let nanSegment = try Self.edited(Self.segmentImage, in: dir, name: "s.nii.gz") { v in v[Self.brightest(v)] = .nan }
    let out = dir.appendingPathComponent("out.nii.gz")
    let predict = try VibeSegBinary.run(["predict", "-m", CommittedModels.folder("plain_1ch").path, "-i", nanPredict.path, "-o", out.path])
    #expect(predict.status == 65 && predict.stderr.contains("1 of") && predict.stderr.contains("p.nii.gz"), "\(predict.stderr)")
    let segment = try VibeSegBinary.run(["segment", nanSegment.path, "-o", out.path] + Self.segmentModels)
    #expect(segment.status == 65 && segment.stderr.contains("1 of") && segment.stderr.contains("s.nii.gz"), "\(segment.stderr)")
    #expect(!FileManager.default.fileExists(atPath: out.path))
    // batch reads its cases through the same seam (ImageInput.readVolume): the case fails with
    // the same reason, nothing is written for it.
    let cohort = dir.appendingPathComponent("cohort")
    try FileManager.default.createDirectory(at: cohort, withIntermediateDirectories: true)
    try FileManager.default.copyItem(at: nanPredict, to: cohort.appendingPathComponent("case_0000.nii.gz"))
    let results = dir.appendingPathComponent("results")
    let batch = try VibeSegBinary.run(
      ["batch", cohort.path, "-o", results.path, "--task", "predict", "--model", CommittedModels.folder("plain_1ch").path, "--retries", "1"])
    #expect(batch.status == 2 && batch.stderr.contains("1 of") && batch.stderr.contains("NaN"), "\(batch.stderr)")
    #expect(!FileManager.default.fileExists(atPath: results.appendingPathComponent("case.nii.gz").path))
  }

  @Test("row 3: intensities near float32's maximum: an error or a real label map, never an empty map with exit 0")
  func hugeIntensities() throws {
    let dir = try Fixtures.temporaryDirectory()
    let reference = dir.appendingPathComponent("reference.nii.gz")
    let ok = try VibeSegBinary.run(["predict", "-m", CommittedModels.folder("plain_1ch").path, "-i", Self.predictImage.path, "-o", reference.path])
    #expect(ok.status == 0, "\(ok.stderr)")
    #expect(try NiftiImage(contentsOf: reference).volume.valueRange?.max ?? 0 > 0, "the unscaled image gives labels")
    let model = CommittedModels.folder("plain_1ch").path
    let cases: [(name: String, source: URL, arguments: (URL, URL) -> [String])] = [
      ("predict", Self.predictImage, { input, out in ["predict", "-m", model, "-i", input.path, "-o", out.path] }),
      ("segment", Self.segmentImage, { input, out in ["segment", input.path, "-o", out.path] + Self.segmentModels }),
    ]
    for (name, source, arguments) in cases {
      let huge = try Self.edited(source, in: dir, name: "huge-\(name).nii.gz") { v in
        let top = v.max()!
        for i in v.indices { v[i] = v[i] / top * 3e38 }
      }
      let out = dir.appendingPathComponent("out-\(name).nii.gz")
      let args = arguments(huge, out)
      let r = try VibeSegBinary.run(args)
      if r.status == 0 {
        #expect(try NiftiImage(contentsOf: out).volume.valueRange?.max ?? 0 > 0, "\(name): exit 0 with an empty label map")
      } else {
        #expect(r.status == 65 && r.stderr.contains("non-finite"), "\(name): \(r.status) \(r.stderr)")
        #expect(!FileManager.default.fileExists(atPath: out.path))
      }
    }
  }
}
