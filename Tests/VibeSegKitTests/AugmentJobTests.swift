import Foundation
import NiftiIO
import Testing
import VolumeCore
import _TestSupport

@testable import VibeSegKit

/// `AugmentJob`: seeded determinism, the dump/replay round trip, the parameter law and bad inputs.
@Suite("augment job")
struct AugmentJobTests {
  static let inputs = Fixtures.committed("augment/inputs")
  static let water = inputs.appendingPathComponent("water.nii.gz")
  static let fat = inputs.appendingPathComponent("fat.nii.gz")
  static let seg = inputs.appendingPathComponent("seg.nii.gz")

  static func job(_ out: URL, threads: Int = 2, copies: Int = 2) -> AugmentJob {
    var job = AugmentJob(images: [water, fat], outputFolder: out)
    job.label = seg
    job.caseID = "s01"
    job.seed = 42
    job.copies = copies
    job.threads = threads
    return job
  }

  static func bytes(_ url: URL) throws -> Data { try Data(contentsOf: url) }

  static func files(_ folder: URL) -> [String] {
    ((try? FileManager.default.contentsOfDirectory(atPath: folder.path)) ?? []).filter { !$0.hasPrefix(".") }.sorted()
  }

  @Test("1 and 2 threads write byte-identical copies; the same seed gives the same copy; copies differ")
  func determinism() throws {
    let a = try Fixtures.temporaryDirectory("augment-a")
    let b = try Fixtures.temporaryDirectory("augment-b")
    defer {
      try? FileManager.default.removeItem(at: a)
      try? FileManager.default.removeItem(at: b)
    }
    let first = try Self.job(a, threads: 1).run()
    _ = try Self.job(b, threads: 2).run()
    let names = [
      "water_d1.nii.gz", "fat_d1.nii.gz", "seg_d1.nii.gz", "s01_d1.json", "water_d2.nii.gz", "fat_d2.nii.gz",
      "seg_d2.nii.gz",
      "s01_d2.json",
    ]
    #expect(Self.files(a) == names.sorted())
    for name in names {
      #expect(try Self.bytes(a.appendingPathComponent(name)) == Self.bytes(b.appendingPathComponent(name)), "\(name)")
    }
    #expect(
      try Self.bytes(a.appendingPathComponent("water_d1.nii.gz"))
        != Self.bytes(a.appendingPathComponent("water_d2.nii.gz")))
    let (s1, s2) = (first.sidecars[0], first.sidecars[1])
    #expect(s1.copyIndex == 1 && s2.copyIndex == 2 && s1.seed == 42 && s1.caseId == "s01")
    #expect(s1.sigma != s2.sigma)

    // Another seed or another case id changes the draw.
    var random = AugmentRandom(seed: 42, caseDigest: AugmentJob.digestBytes("s01"), copyIndex: 1)
    var otherSeed = AugmentRandom(seed: 43, caseDigest: AugmentJob.digestBytes("s01"), copyIndex: 1)
    var otherCase = AugmentRandom(seed: 42, caseDigest: AugmentJob.digestBytes("s02"), copyIndex: 1)
    let x = random.next()
    #expect(x != otherSeed.next() && x != otherCase.next())
    let draw = AugmentLaw.draw(&random, sigma: nil, points: nil, deformFactor: 1)
    _ = random.uniform()
    #expect(draw.sigma0 != nil)
  }

  @Test("a copy's dumped displacements replay to byte-identical images and labels")
  func dumpAndReplay() throws {
    let out = try Fixtures.temporaryDirectory("augment-dump")
    let replayed = try Fixtures.temporaryDirectory("augment-replay")
    defer {
      try? FileManager.default.removeItem(at: out)
      try? FileManager.default.removeItem(at: replayed)
    }
    var job = Self.job(out)
    job.dumpParams = true
    let outcome = try job.run()
    let sidecar = outcome.sidecars[1]
    let d = try #require(sidecar.displacement)
    let p = try #require(sidecar.points)
    #expect(d.count == 3 && d[0].count == p && d[0][0].count == p && d[0][0][0].count == p)
    // D = sigma · N(0, 1): the sample standard deviation is near sigma.
    let flat = d.joined().joined().joined()
    let sd = (flat.map { $0 * $0 }.reduce(0, +) / Double(flat.count)).squareRoot()
    #expect(abs(sd / sidecar.sigma! - 1) < 4 / Double(flat.count).squareRoot() + 0.05)

    var replay = AugmentJob(images: [Self.water, Self.fat], outputFolder: replayed)
    replay.label = Self.seg
    replay.caseID = "s01"
    replay.replayParams = out.appendingPathComponent("s01_d2.json")
    let again = try replay.run()
    #expect(again.sidecars[0].copyIndex == 2)
    for name in ["water_d2.nii.gz", "fat_d2.nii.gz", "seg_d2.nii.gz"] {
      #expect(
        try Self.bytes(out.appendingPathComponent(name)) == Self.bytes(replayed.appendingPathComponent(name)), "\(name)"
      )
    }
  }

  @Test("export-nnunet --augmented reads the folder as written: every image copy joins its case with its label copy")
  func exportReadsCopies() throws {
    let out = try Fixtures.temporaryDirectory("augment-export")
    defer { try? FileManager.default.removeItem(at: out) }
    _ = try Self.job(out).run()
    let originals = [
      TrainingCase(subject: "s01", session: "ses1", contrast: "water", image: Self.water, label: Self.seg, source: "test"),
      TrainingCase(subject: "s01", session: "ses1", contrast: "fat", image: Self.fat, label: Self.seg, source: "test"),
    ]
    let copies = try TrainingCaseList.augmentedCopies(in: out, of: originals)
    #expect(copies.map(\.caseID).sorted() == ["s01_ses1_fat_d1", "s01_ses1_fat_d2", "s01_ses1_water_d1", "s01_ses1_water_d2"])
    for c in copies {
      #expect(c.image.lastPathComponent == "\(c.contrast)_d\(c.copy!).nii.gz")
      #expect(c.label.lastPathComponent == "seg_d\(c.copy!).nii.gz")
    }
  }

  @Test("parameter law over 100000 draws: sigma0 uniform on [2, 4.5), points in 3 ... max_points(sigma0)")
  func law() {
    let digest = AugmentJob.digestBytes("law")
    var sigmas = [Double]()
    var pointsSeen = [Int: Set<Int>]()
    for copy in 1...100_000 {
      var random = AugmentRandom(seed: 7, caseDigest: digest, copyIndex: copy)
      let draw = AugmentLaw.draw(&random, sigma: nil, points: nil, deformFactor: 1.5)
      let sigma0 = draw.sigma0!
      #expect(sigma0 >= 2 && sigma0 < 4.5)
      #expect(draw.sigma == sigma0 * 1.5)
      let maximum = AugmentLaw.maxPoints(sigma0: sigma0)
      #expect((3...maximum).contains(draw.points))
      pointsSeen[maximum, default: []].insert(draw.points)
      sigmas.append(sigma0)
    }
    // Kolmogorov–Smirnov against U[2, 4.5): D < 1.95/sqrt(n) is the 0.1 % critical value.
    sigmas.sort()
    let n = Double(sigmas.count)
    var ks = 0.0
    for (i, s) in sigmas.enumerated() {
      let cdf = (s - 2) / 2.5
      ks = max(ks, abs(cdf - Double(i) / n), abs(cdf - Double(i + 1) / n))
    }
    #expect(ks < 1.95 / n.squareRoot(), "KS \(ks)")
    // Every integer 3 ... max_points is reached for each table row.
    for (maximum, seen) in pointsSeen { #expect(seen == Set(3...maximum), "max \(maximum): \(seen.sorted())") }
    #expect(AugmentLaw.maxPoints(sigma0: 2.0) == 15 && AugmentLaw.maxPoints(sigma0: 2.09) == 15)
    #expect(AugmentLaw.maxPoints(sigma0: 2.1) == 14 && AugmentLaw.maxPoints(sigma0: 2.999) == 9)
    #expect(AugmentLaw.maxPoints(sigma0: 4.3) == 5 && AugmentLaw.maxPoints(sigma0: 1.5) == 17)
    // A fixed sigma is used as is (no factor) and picks its table row; fixed points win.
    var random = AugmentRandom(seed: 1, caseDigest: digest, copyIndex: 1)
    let fixed = AugmentLaw.draw(&random, sigma: 4.4, points: nil, deformFactor: 2)
    #expect(fixed.sigma == 4.4 && fixed.sigma0 == nil && (3...5).contains(fixed.points))
    #expect(AugmentLaw.draw(&random, sigma: nil, points: 9, deformFactor: 1).points == 9)
  }

  @Test("copy count: clamp(round(T / N), 4, 500) - 1 with round half to even")
  func copyCount() {
    #expect(AugmentLaw.copies(targetTotal: 2000, sourceCases: 120) == 16)
    #expect(AugmentLaw.copies(targetTotal: 10, sourceCases: 100) == 3)
    #expect(AugmentLaw.copies(targetTotal: 1_000_000, sourceCases: 10) == 499)
    #expect(AugmentLaw.copies(targetTotal: 45, sourceCases: 10) == 3)  // 4.5 -> 4
    #expect(AugmentLaw.copies(targetTotal: 55, sourceCases: 10) == 5)  // 5.5 -> 6
  }

  enum Bad: CaseIterable {
    case gridMismatch, nonFinite, missingImage, missingParams, badParams
  }

  @Test("bad inputs: a clear error naming the file, and nothing written", arguments: Bad.allCases)
  func badInput(_ bad: Bad) throws {
    let work = try Fixtures.temporaryDirectory("augment-bad")
    let out = work.appendingPathComponent("out")
    try FileManager.default.createDirectory(at: out, withIntermediateDirectories: true)
    defer { try? FileManager.default.removeItem(at: work) }
    var job = Self.job(out)
    let expected: VibeSegKitError.Code
    let named: String
    switch bad {
    case .gridMismatch:
      let source = try NiftiImage(contentsOf: Self.seg)
      var shifted = source.volume
      var grid = shifted.grid
      grid.affine = Affine(
        rows: grid.affine.rows.enumerated().map { r, row in r == 0 ? [row[0], row[1], row[2], row[3] + 1.4] : row })
      shifted.grid = grid
      let url = work.appendingPathComponent("seg_shifted.nii.gz")
      try NiftiImage(volume: shifted).write(to: url)
      job.label = url
      (expected, named) = (.gridMismatch, url.path)
    case .nonFinite:
      var volume = try NiftiImage(contentsOf: Self.water).volume.converted(to: Float.self)
      volume.voxels[17] = .nan
      let url = work.appendingPathComponent("water_nan.nii.gz")
      try NiftiImage(volume).write(to: url)
      job.images = [url, Self.fat]
      (expected, named) = (.invalidInput, url.path)
    case .missingImage:
      let url = work.appendingPathComponent("absent.nii.gz")
      job.images = [Self.water, url]
      (expected, named) = (.missingInput, url.path)
    case .missingParams:
      let url = work.appendingPathComponent("absent.json")
      job.replayParams = url
      (expected, named) = (.missingInput, url.path)
    case .badParams:
      let url = work.appendingPathComponent("ragged.json")
      try Data(#"{"displacement": [[[[0, 1], [2]]], [[[0, 1], [2, 3]]], [[[0, 1], [2, 3]]]]}"#.utf8).write(to: url)
      job.replayParams = url
      (expected, named) = (.invalidInput, url.path)
    }
    #expect {
      try job.run()
    } throws: { error in
      guard let error = error as? VibeSegKitError else { return false }
      return error.code == expected && error.description.contains(named)
    }
    #expect(Self.files(out).isEmpty, "\(Self.files(out))")
  }
}
