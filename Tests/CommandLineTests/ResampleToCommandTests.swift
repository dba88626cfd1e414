import Foundation
import NiftiIO
import Testing
import VolumeCore
import _TestSupport

/// `vibeseg resample-to` against TPTBox 1.1.0's own outputs (Tests/Fixtures/resample_to, made by
/// scripts/fixtures/make_resample_to_fixtures.py: `NII.reorient(RAS).rescale(1.40625, 1.40625, 3)`
/// and `resample_from_to` on a sagittal PIR and an oblique series).
@Suite("vibeseg resample-to")
struct ResampleToCommandTests {
  static func fixture(_ name: String) -> String { Fixtures.committed("resample_to/\(name)").path }

  /// max |a − b| / max |b| over all voxels, on the values with scl_slope/scl_inter applied.
  static func relativeError(_ a: NiftiImage, _ b: NiftiImage) -> Double {
    let x = a.scaledVolume(as: Double.self).voxels
    let y = b.scaledVolume(as: Double.self).voxels
    precondition(x.count == y.count)
    let scale = y.map(abs).max() ?? 1
    return zip(x, y).map { abs($0 - $1) }.max()! / scale
  }

  static func labels(_ image: NiftiImage) -> [Int64] { image.volume.converted(to: Int64.self).voxels }

  @Test("series mode: grid, image and labels (--outside nearest) as TPTBox", arguments: ["sagittal", "oblique"])
  func seriesParity(_ name: String) throws {
    let dir = try Fixtures.temporaryDirectory()
    defer { try? FileManager.default.removeItem(at: dir) }
    let out = dir.appendingPathComponent("image.nii.gz")
    let lab = dir.appendingPathComponent("label.nii.gz")
    let result = try VibeSegBinary.run([
      "resample-to", Self.fixture("\(name)/series.nii.gz"), "-o", out.path, "--label", Self.fixture("\(name)/label.nii.gz"),
      "--label-output", lab.path, "--outside", "nearest",
    ])
    #expect(result.status == 0, "\(result.stderr)")
    let expected = try NiftiImage(contentsOf: URL(fileURLWithPath: Self.fixture("\(name)/expected_image.nii.gz")))
    let written = try NiftiImage(contentsOf: out)
    #expect(written.grid.shape == expected.grid.shape)
    #expect(written.grid.affine == expected.grid.affine, "\(written.grid.affine) vs \(expected.grid.affine)")
    #expect(written.volume.scalarType == .float32)
    let error = Self.relativeError(written, expected)
    print("resample-to \(name): image max relative error \(error)")
    #expect(error <= 1e-5)
    let expectedLabels = try NiftiImage(contentsOf: URL(fileURLWithPath: Self.fixture("\(name)/expected_label_nearest.nii.gz")))
    let writtenLabels = try NiftiImage(contentsOf: lab)
    #expect(writtenLabels.grid == written.grid)
    #expect(writtenLabels.volume.scalarType == expectedLabels.volume.scalarType)
    let mismatches = zip(Self.labels(writtenLabels), Self.labels(expectedLabels)).filter { $0 != $1 }.count
    #expect(mismatches == 0)
  }

  @Test(
    "--label-interp onehot-linear: per-label trilinear weights and the first largest, as scipy map_coordinates(order=1) + np.argmax; differs from nearest",
    arguments: ["sagittal", "oblique"])
  func oneHotLinear(_ name: String) throws {
    let dir = try Fixtures.temporaryDirectory()
    defer { try? FileManager.default.removeItem(at: dir) }
    let lab = dir.appendingPathComponent("label.nii.gz")
    let report = dir.appendingPathComponent("report.json")
    let result = try VibeSegBinary.run([
      "resample-to", Self.fixture("\(name)/series.nii.gz"), "-o", dir.appendingPathComponent("image.nii.gz").path, "--label",
      Self.fixture("\(name)/label.nii.gz"), "--label-output", lab.path, "--outside", "nearest", "--label-interp", "onehot-linear",
      "--report", report.path,
    ])
    #expect(result.status == 0, "\(result.stderr)")
    let expected = try NiftiImage(contentsOf: URL(fileURLWithPath: Self.fixture("\(name)/expected_label_onehot.nii.gz")))
    let nearest = try NiftiImage(contentsOf: URL(fileURLWithPath: Self.fixture("\(name)/expected_label_nearest.nii.gz")))
    let written = try NiftiImage(contentsOf: lab)
    #expect(written.grid.shape == expected.grid.shape)
    #expect(written.volume.scalarType == expected.volume.scalarType)
    let mismatches = zip(Self.labels(written), Self.labels(expected)).filter { $0 != $1 }.count
    #expect(mismatches == 0)
    #expect(zip(Self.labels(written), Self.labels(nearest)).filter { $0 != $1 }.count > 0, "the interpolation matters here")
    #expect(try String(contentsOf: report, encoding: .utf8).contains("\"onehot-linear\""))
    let usage = try VibeSegBinary.run([
      "resample-to", Self.fixture("\(name)/series.nii.gz"), "-o", dir.appendingPathComponent("x.nii.gz").path,
      "--label-interp", "onehot-linear",
    ])
    #expect(usage.status == 64, "\(usage.stderr)")
  }

  @Test(
    "--qc-image: Otsu thresholds, inside voxels and body-mask Dice as skimage/scipy compute them; a subject moved by 8 mm is flagged",
    arguments: ["sagittal", "oblique"])
  func alignmentQC(_ name: String) throws {
    let dir = try Fixtures.temporaryDirectory()
    defer { try? FileManager.default.removeItem(at: dir) }
    let data = try Data(contentsOf: URL(fileURLWithPath: Self.fixture("expected_qc.json")))
    let all = try #require(try JSONSerialization.jsonObject(with: data) as? [String: Any])
    let expected = try #require(all[name] as? [String: Any])
    for vibe in ["vibe", "vibe_moved"] {
      let report = dir.appendingPathComponent("\(vibe).json")
      let png = dir.appendingPathComponent("\(vibe).png")
      let result = try VibeSegBinary.run([
        "resample-to", Self.fixture("\(name)/series.nii.gz"), "-o", dir.appendingPathComponent("\(vibe).nii.gz").path,
        "--qc-image", Self.fixture("\(name)/\(vibe).nii.gz"), "--qc-png", png.path, "--report", report.path,
      ])
      #expect(result.status == 0, "\(result.stderr)")
      let json = try #require(
        try JSONSerialization.jsonObject(with: Data(contentsOf: report)) as? [String: Any])
      let qc = try #require(json["qc"] as? [String: Any])
      let theirs = try #require(expected[vibe] as? [String: Any])
      #expect(abs((qc["dice"] as! Double) - (theirs["dice"] as! Double)) <= 1e-12, "\(name) \(vibe)")
      #expect(qc["insideVoxels"] as? Int == theirs["insideVoxels"] as? Int)
      #expect(qc["referenceOtsu"] as? Double == theirs["referenceOtsu"] as? Double)
      #expect(abs((qc["seriesOtsu"] as! Double) - (expected["seriesOtsu"] as! Double)) <= 1e-3)
      #expect(FileManager.default.fileExists(atPath: png.path))
      if vibe == "vibe_moved" {
        #expect(qc["flagged"] as? Bool == true && result.stderr.contains("alignment QC"), "\(result.stderr)")
      }
    }
  }

  @Test("reference mode: a second contrast and the label map onto the TPTBox target", arguments: ["sagittal", "oblique"])
  func referenceParity(_ name: String) throws {
    let dir = try Fixtures.temporaryDirectory()
    defer { try? FileManager.default.removeItem(at: dir) }
    let out = dir.appendingPathComponent("second.nii.gz")
    let lab = dir.appendingPathComponent("label.nii.gz")
    let result = try VibeSegBinary.run([
      "resample-to", Self.fixture("\(name)/second.nii.gz"), "-o", out.path,
      "--reference", Self.fixture("\(name)/expected_image.nii.gz"),
      "--label", Self.fixture("\(name)/label.nii.gz"), "--label-output", lab.path, "--outside", "nearest",
    ])
    #expect(result.status == 0, "\(result.stderr)")
    let expected = try NiftiImage(contentsOf: URL(fileURLWithPath: Self.fixture("\(name)/expected_second.nii.gz")))
    let written = try NiftiImage(contentsOf: out)
    #expect(written.grid.shape == expected.grid.shape)
    // The output carries the reference's grid exactly; TPTBox's own resample_from_to output
    // differs from its target's affine by float32 rounding (up to ~3e-8 mm on the oblique case).
    let reference = try NiftiImage(contentsOf: URL(fileURLWithPath: Self.fixture("\(name)/expected_image.nii.gz")))
    #expect(written.grid.affine == reference.grid.affine)
    let affineDifference = (0..<3).flatMap { r in (0..<4).map { c in abs(written.grid.affine[r, c] - expected.grid.affine[r, c]) } }.max()!
    #expect(affineDifference < 1e-6)
    let error = Self.relativeError(written, expected)
    print("resample-to \(name) --reference: image max relative error \(error)")
    #expect(error <= 1e-5)
    let expectedLabels = try NiftiImage(contentsOf: URL(fileURLWithPath: Self.fixture("\(name)/expected_label_nearest.nii.gz")))
    let mismatches = zip(Self.labels(try NiftiImage(contentsOf: lab)), Self.labels(expectedLabels)).filter { $0 != $1 }.count
    #expect(mismatches == 0)
  }

  /// `--mode constant` (scipy `affine_transform(mode="constant", cval=min)`; not compared with
  /// TPTBox: its `resample_from_to(mode="constant")` on the sagittal fixture does not equal that
  /// scipy call, e.g. target voxel (0, 15, 2) is the fill in TPTBox and 525.65 in scipy): onto the label map's grid, which reaches past the series, the voxels outside the
  /// series take exactly the series minimum, and `--mode nearest` gives no such plateau.
  @Test("--mode constant fills with the image minimum outside the series")
  func constantMode() throws {
    let dir = try Fixtures.temporaryDirectory()
    defer { try? FileManager.default.removeItem(at: dir) }
    let series = try NiftiImage(contentsOf: URL(fileURLWithPath: Self.fixture("sagittal/series.nii.gz")))
    let minimum = series.volume.converted(to: Double.self).voxels.min()!
    var counts = [String: Int]()
    for mode in ["constant", "nearest"] {
      let out = dir.appendingPathComponent("\(mode).nii.gz")
      let result = try VibeSegBinary.run([
        "resample-to", Self.fixture("sagittal/series.nii.gz"), "-o", out.path, "--mode", mode,
        "--reference", Self.fixture("sagittal/label.nii.gz"),
      ])
      #expect(result.status == 0, "\(result.stderr)")
      counts[mode] = try NiftiImage(contentsOf: out).volume.converted(to: Double.self).voxels.filter { $0 == minimum }.count
    }
    #expect(counts["constant"]! > 1000, "most of the label grid lies outside the sagittal series")
    #expect(counts["nearest"]! < 10)
  }

  /// Target voxels whose nearest label voxel does not exist, computed here without VoxelMapping:
  /// the fixture's label affine is diagonal, so the source index is `(w − t) / A_aa` per axis.
  static func outsideVoxels(target: ImageGrid, label: ImageGrid) -> [Bool] {
    let a = label.affine
    for r in 0..<3 { for c in 0..<3 where r != c { precondition(a[r, c] == 0, "the label fixture's affine is diagonal") } }
    var outside = [Bool]()
    for k in 0..<target.shape[2] {
      for j in 0..<target.shape[1] {
        for i in 0..<target.shape[0] {
          let w = target.affine.apply([Double(i), Double(j), Double(k)])
          outside.append(
            (0..<3).contains { axis in
              let x = (w[axis] - a[axis, 3]) / a[axis, axis]
              let nearest = (x + 0.5).rounded(.down)
              return nearest < 0 || nearest >= Double(label.shape[axis])
            })
        }
      }
    }
    return outside
  }

  @Test("default --outside ignore: exactly the voxels outside the label grid get the ignore id", arguments: ["sagittal", "oblique"])
  func ignoreOutside(_ name: String) throws {
    let dir = try Fixtures.temporaryDirectory()
    defer { try? FileManager.default.removeItem(at: dir) }
    let out = dir.appendingPathComponent("image.nii.gz")
    let lab = dir.appendingPathComponent("label.nii.gz")
    let report = dir.appendingPathComponent("report.json")
    let result = try VibeSegBinary.run([
      "resample-to", Self.fixture("\(name)/series.nii.gz"), "-o", out.path, "--label", Self.fixture("\(name)/label.nii.gz"),
      "--label-output", lab.path, "--ignore-label", "200", "--report", report.path,
    ])
    #expect(result.status == 0, "\(result.stderr)")
    let labelGrid = try NiftiImage(contentsOf: URL(fileURLWithPath: Self.fixture("\(name)/label.nii.gz"))).grid
    let written = try NiftiImage(contentsOf: lab)
    let outside = Self.outsideVoxels(target: written.grid, label: labelGrid)
    let count = outside.filter { $0 }.count
    #expect(count > 0 && count < outside.count, "the fixture has voxels on both sides")
    let values = Self.labels(written)
    #expect(values.filter { $0 == 200 }.count == count)
    let tptbox = Self.labels(try NiftiImage(contentsOf: URL(fileURLWithPath: Self.fixture("\(name)/expected_label_nearest.nii.gz"))))
    for n in values.indices {
      if outside[n] { #expect(values[n] == 200) } else if values[n] != tptbox[n] {
        Issue.record("voxel \(n) inside the label grid: \(values[n]) vs TPTBox \(tptbox[n])")
        break
      }
    }
    let json = try JSONSerialization.jsonObject(with: Data(contentsOf: report)) as! [String: Any]
    let label = json["label"] as! [String: Any]
    #expect(label["outsideVoxels"] as? Int == count)
    #expect(abs((label["outsideFraction"] as! Double) - Double(count) / Double(outside.count)) < 1e-12)
    #expect((json["target"] as! [String: Any])["shape"] as? [Int] == written.grid.shape)
    #expect(result.stderr.contains("lie outside"))
  }

  @Test("an ignore id that the label map already uses is warned about")
  func ignoreCollision() throws {
    let dir = try Fixtures.temporaryDirectory()
    defer { try? FileManager.default.removeItem(at: dir) }
    let result = try VibeSegBinary.run([
      "resample-to", Self.fixture("sagittal/series.nii.gz"), "-o", dir.appendingPathComponent("i.nii.gz").path,
      "--label", Self.fixture("sagittal/label.nii.gz"), "--label-output", dir.appendingPathComponent("l.nii.gz").path,
      "--ignore-label", "5",
    ])
    #expect(result.status == 0, "\(result.stderr)")
    #expect(result.stderr.contains("vibeseg: warning:") && result.stderr.contains("already hold id 5"))
    let clean = try VibeSegBinary.run([
      "resample-to", Self.fixture("sagittal/series.nii.gz"), "-o", dir.appendingPathComponent("i2.nii.gz").path,
      "--label", Self.fixture("sagittal/label.nii.gz"), "--label-output", dir.appendingPathComponent("l2.nii.gz").path,
      "--ignore-label", "200",
    ])
    #expect(clean.status == 0 && !clean.stderr.contains("warning"), "\(clean.stderr)")
  }

  @Test("--outside background writes 0 there")
  func background() throws {
    let dir = try Fixtures.temporaryDirectory()
    defer { try? FileManager.default.removeItem(at: dir) }
    let lab = dir.appendingPathComponent("label.nii.gz")
    let result = try VibeSegBinary.run([
      "resample-to", Self.fixture("sagittal/series.nii.gz"), "-o", dir.appendingPathComponent("i.nii.gz").path,
      "--label", Self.fixture("sagittal/label.nii.gz"), "--label-output", lab.path, "--outside", "background",
    ])
    #expect(result.status == 0, "\(result.stderr)")
    let written = try NiftiImage(contentsOf: lab)
    let labelGrid = try NiftiImage(contentsOf: URL(fileURLWithPath: Self.fixture("sagittal/label.nii.gz"))).grid
    let outside = Self.outsideVoxels(target: written.grid, label: labelGrid)
    let values = Self.labels(written)
    #expect(outside.indices.allSatisfy { !outside[$0] || values[$0] == 0 })
  }

  @Test("the default --outside ignore without --ignore-label fills outside voxels with the registry's ignore label (73)")
  func ignoreDefaultsToRegistry() throws {
    let dir = try Fixtures.temporaryDirectory()
    defer { try? FileManager.default.removeItem(at: dir) }
    let lab = dir.appendingPathComponent("l.nii.gz")
    let result = try VibeSegBinary.run([
      "resample-to", Self.fixture("sagittal/series.nii.gz"), "-o", dir.appendingPathComponent("i.nii.gz").path,
      "--label", Self.fixture("sagittal/label.nii.gz"), "--label-output", lab.path,
    ])
    #expect(result.status == 0, "\(result.stderr)")
    #expect(result.stderr.contains("set to the ignore label 73"))
    let written = try NiftiImage(contentsOf: lab)
    let labelGrid = try NiftiImage(contentsOf: URL(fileURLWithPath: Self.fixture("sagittal/label.nii.gz"))).grid
    let outside = Self.outsideVoxels(target: written.grid, label: labelGrid)
    let values = Self.labels(written)
    #expect(outside.contains(true))
    #expect(outside.indices.allSatisfy { !outside[$0] || values[$0] == 73 })
  }

  @Test("an invalid --outside is a usage error (64)")
  func invalidOutside() throws {
    let dir = try Fixtures.temporaryDirectory()
    defer { try? FileManager.default.removeItem(at: dir) }
    let result = try VibeSegBinary.run([
      "resample-to", Self.fixture("sagittal/series.nii.gz"), "-o", dir.appendingPathComponent("i.nii.gz").path,
      "--outside", "smear",
    ])
    #expect(result.status == 64)
    #expect(result.stderr.contains("smear"))
  }

  @Test("a missing input is named (66) and nothing is written")
  func missing() throws {
    let dir = try Fixtures.temporaryDirectory()
    defer { try? FileManager.default.removeItem(at: dir) }
    let missing = dir.appendingPathComponent("nope.nii.gz").path
    let result = try VibeSegBinary.run(["resample-to", missing, "-o", dir.appendingPathComponent("i.nii.gz").path])
    #expect(result.status == 66)
    #expect(result.stderr.contains(missing))
    #expect(try FileManager.default.contentsOfDirectory(atPath: dir.path).isEmpty)
  }

  @Test("a 4-D image is rejected with its name (65)")
  func fourD() throws {
    let dir = try Fixtures.temporaryDirectory()
    defer { try? FileManager.default.removeItem(at: dir) }
    let fourD = dir.appendingPathComponent("fourD.nii.gz")
    try NiftiImage(Volume<Float>(grid: ImageGrid(shape: [4, 4, 4], affine: .identity), channelCount: 2, repeating: 1)).write(to: fourD)
    let out = dir.appendingPathComponent("o.nii.gz")
    let result = try VibeSegBinary.run(["resample-to", fourD.path, "-o", out.path])
    #expect(result.status == 65)
    #expect(result.stderr.contains("fourD.nii.gz"))
    #expect(!FileManager.default.fileExists(atPath: out.path))
  }

  @Test("a sheared affine is refused (65) unless --allow-shear")
  func shear() throws {
    let dir = try Fixtures.temporaryDirectory()
    defer { try? FileManager.default.removeItem(at: dir) }
    var affine = Affine.identity
    affine[0, 1] = 0.3
    let sheared = dir.appendingPathComponent("sheared.nii.gz")
    try NiftiImage(Volume<Float>(grid: ImageGrid(shape: [6, 6, 6], affine: affine), repeating: 1)).write(to: sheared)
    let out = dir.appendingPathComponent("o.nii.gz")
    let refused = try VibeSegBinary.run(["resample-to", sheared.path, "-o", out.path])
    #expect(refused.status == 65)
    #expect(refused.stderr.contains("sheared.nii.gz") && refused.stderr.contains("--allow-shear"))
    #expect(!FileManager.default.fileExists(atPath: out.path))
    let allowed = try VibeSegBinary.run(["resample-to", sheared.path, "-o", out.path, "--allow-shear"])
    #expect(allowed.status == 0, "\(allowed.stderr)")
  }

  @Test("an existing output is kept without --overwrite (73)")
  func existingOutput() throws {
    let dir = try Fixtures.temporaryDirectory()
    defer { try? FileManager.default.removeItem(at: dir) }
    let out = dir.appendingPathComponent("o.nii.gz")
    try Data("keep".utf8).write(to: out)
    let result = try VibeSegBinary.run(["resample-to", Self.fixture("sagittal/series.nii.gz"), "-o", out.path])
    #expect(result.status == 73)
    #expect(try Data(contentsOf: out) == Data("keep".utf8))
  }
}
