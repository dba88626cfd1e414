import Foundation
import NiftiIO
import Testing
import VolumeCore
import VolumeTransforms
import _TestSupport

/// Issue 15: a seeded fuzz of header geometry and plans fields through `info`, `convert`,
/// `model-info`, `predict` and `segment` on the built binary. Every run must end with an exit
/// code from the README's table ({0, 64, 65, 66, 69, 73, 74}), never a signal, under the 6 GiB
/// address-space limit of `InputLimitsCommandTests.run` (below one Double array at the voxel
/// cap). Where the test can compute the outcome from the geometry it checks it exactly: an
/// output above `ResamplingLimits.maxVoxels` or an empty axis is 65 (64 for `convert --spacing`),
/// other units than mm are 65 (a warning in `info`).
///
/// Drawn cases whose output would be legal but larger than a test-sized budget (between
/// `budget` and the cap) are drawn again: they are correct inputs that only cost time.
@Suite("input fuzz through the binary (issue 15)", .serialized)
struct InputFuzzCommandTests {
  static let allowed: Set<Int32> = [0, 64, 65, 66, 69, 73, 74]
  /// Largest output the fuzz lets run: 2^18 voxels through a network, 2^21 through `convert`.
  static let networkBudget = 1 << 18, convertBudget = 1 << 21

  /// 10^U(lo, hi).
  static func logUniform(_ lo: Double, _ hi: Double, using g: inout SeededGenerator) -> Double {
    Double.pow10(Double.random(in: lo...hi, using: &g))
  }

  /// A spacing per axis: a third plausible (0.3...30 mm), the rest over 1e-6...1e6 mm.
  static func spacing(using g: inout SeededGenerator) -> [Double] {
    let plausible = Int.random(in: 0..<3, using: &g) == 0
    return (0..<3).map { _ in plausible ? logUniform(-0.5, 1.5, using: &g) : logUniform(-6, 6, using: &g) }
  }

  /// Voxel count of `shape`, or nil when it overflows.
  static func count(_ shape: [Int]) -> Int? {
    shape.reduce(Optional(1)) { total, n in
      guard let total else { return nil }
      let (p, o) = total.multipliedReportingOverflow(by: n)
      return o ? nil : p
    }
  }

  /// What nnU-Net's `compute_new_shape` gives, as an expectation: nil (65) for an empty axis or
  /// a result above the cap, else the voxel count.
  static func nnunetVoxels(shape: [Int], spacing: [Double], target: [Double]) -> Int?? {
    let sizes = (0..<3).map { (spacing[$0] / target[$0] * Double(shape[$0])).rounded(.toNearestOrEven) }
    if sizes.contains(where: { !($0 >= 1) }) { return .some(nil) }
    let total = sizes.reduce(1, *)
    return total > Double(ResamplingLimits.maxVoxels) ? .some(nil) : .some(Int(total))
  }

  @Test("random header geometry (spacing 1e-6...1e6 mm, units, dims): only table exit codes, never a signal")
  func headers() throws {
    var g = SeededGenerator(seed: 0x15_0004)
    let dir = try Fixtures.temporaryDirectory()
    defer { try? FileManager.default.removeItem(at: dir) }
    let commands = ["info", "convert", "predict", "segment"]
    var runs = 0, refused = 0, succeeded = 0
    let started = Date()
    for n in 0..<64 {
      let command = commands[n % commands.count]
      let shape = (0..<3).map { _ in Int.random(in: 1...10, using: &g) }
      let units = [0, 2, 10, 2, 10, 1, 3, 11, 5][Int.random(in: 0..<9, using: &g)]
      let input = dir.appendingPathComponent("case\(n).nii.gz")
      let output = dir.appendingPathComponent("out\(n).nii.gz")
      var spacing = Self.spacing(using: &g)
      var newSpacing = Self.spacing(using: &g)
      var expected: Int32? = nil  // nil: any code of the table
      // Draw again while the output would be legal but too big for a test.
      for attempt in 0..<50 {
        if attempt > 0 {
          spacing = Self.spacing(using: &g)
          newSpacing = Self.spacing(using: &g)
        }
        try InputLimitsCommandTests.image(shape: shape, spacing: spacing, units: units, at: input)
        // The spacing the binary sees (the header stores float32).
        var options = NiftiReadOptions()
        options.acceptAnySpatialUnits = true
        let seen = try NiftiImage(contentsOf: input, options: options).grid.spacingMillimeters
        let mm = units & 7 == 0 || units & 7 == 2
        if command == "info" { expected = 0; break }
        if !mm { expected = 65; break }
        switch command {
        case "convert":
          let out = try? RescaleGeometry.newShape(
            shape: shape, spacing: RescaleGeometry.roundedSpacing(seen), newSpacing: newSpacing)
          guard let out else { expected = 64; break }
          if RescaleGeometry.isAlreadyAt(seen, newSpacing: newSpacing) { expected = 0; break }
          if Self.count(out)! > Self.convertBudget { continue }
          expected = 0
        case "predict":
          guard let voxels = Self.nnunetVoxels(shape: shape, spacing: seen, target: [3, 3, 3])! else { expected = 65; break }
          if voxels > Self.networkBudget { continue }
          expected = 0
        default:  // segment with the ROI model: rescale to 4 mm (TPTBox), then nnU-Net at 4 mm
          if RescaleGeometry.isAlreadyAt(seen, newSpacing: [4, 4, 4]) { expected = 0; break }
          guard let out = try? RescaleGeometry.newShape(
            shape: shape, spacing: RescaleGeometry.roundedSpacing(seen), newSpacing: [4, 4, 4])
          else { expected = 65; break }
          if Self.count(out)! > Self.networkBudget { continue }
          expected = 0
        }
        break
      }
      let args: [String] =
        switch command {
        case "info": ["info", input.path]
        case "convert": ["convert", input.path, "-o", output.path, "--order", "1", "--spacing"] + newSpacing.map { "\($0)" }
        case "predict": ["predict", "-m", InputLimitsCommandTests.predictModel.path, "-i", input.path, "-o", output.path]
        default: ["segment", input.path, "-o", output.path, "--model", InputLimitsCommandTests.roi.path]
        }
      let r = try InputLimitsCommandTests.run(args, home: dir)
      runs += 1
      if r.status == 0 { succeeded += 1 } else { refused += 1 }
      let context = "case \(n): \(command) shape \(shape) spacing \(spacing) units \(units) new \(newSpacing): \(r)"
      #expect(r.signal == nil && Self.allowed.contains(r.status), "\(context)")
      if let expected { #expect(r.status == expected, "\(context)") }
      if r.status != 0 { #expect(r.stderr.contains(input.path), "the error names the file: \(context)") }
      try? FileManager.default.removeItem(at: output)
    }
    print("header fuzz: \(runs) runs, \(succeeded) succeeded, \(refused) refused, \(String(format: "%.1f", Date().timeIntervalSince(started))) s")
    #expect(succeeded > 0 && refused > 0)
  }

  @Test("random plans fields (patch_size, spacing, features) through model-info, predict and segment")
  func plans() throws {
    var g = SeededGenerator(seed: 0x15_0005)
    let dir = try Fixtures.temporaryDirectory()
    defer { try? FileManager.default.removeItem(at: dir) }
    let predictImage = Fixtures.committed("predictions/smaller_than_patch/case_0000.nii.gz")  // 50x50x16, 3 mm
    let segmentImage = Fixtures.committed("segment/case_asr/image.nii.gz")  // 91x20x117, 2.5x3.2x2.8 mm
    var runs = 0, refused = 0, succeeded = 0
    let started = Date()
    for n in 0..<24 {
      let segment = n % 3 == 2
      let source = segment ? InputLimitsCommandTests.roi : InputLimitsCommandTests.predictModel
      // patch_size: a third valid (multiples of the stride products 4, 16, 16), the rest hostile.
      var patchValid = true
      let patch: String
      switch Int.random(in: 0..<6, using: &g) {
      case 0, 1:
        patch = "[\(4 * Int.random(in: 1...8, using: &g)), \(16 * Int.random(in: 1...6, using: &g)), \(16 * Int.random(in: 1...6, using: &g))]"
      case 2: patch = "[4096, 4096, 4096]"; patchValid = false
      case 3: patch = "[\(Int.random(in: -5...0, using: &g)), 96, 128]"; patchValid = false
      case 4: patch = "[0, 0, 0]"; patchValid = false
      default: patch = "[20, 96]"; patchValid = false
      }
      // spacing: plausible, over 1e-6...1e6, or non-finite / zero / negative.
      var target = [3.0, 3.0, 3.0]
      var spacingText: String
      var spacingValid: Bool
      switch Int.random(in: 0..<4, using: &g) {
      case 0:
        target = (0..<3).map { _ in Self.logUniform(0.3, 1, using: &g) * (segment ? 4 : 3) }
        spacingText = "[\(target.map { "\($0)" }.joined(separator: ", "))]"
        spacingValid = true
      case 1:
        target = (0..<3).map { _ in Self.logUniform(-6, 6, using: &g) }
        spacingText = "[\(target.map { "\($0)" }.joined(separator: ", "))]"
        spacingValid = target.allSatisfy { (0.01...100).contains($0) }
      case 2:
        spacingText = ["[NaN, 3, 3]", "[0, 3, 3]", "[3, -1, 3]", "[3, 3, Infinity]"][Int.random(in: 0..<4, using: &g)]
        spacingValid = false
      default:
        target = segment ? [4, 4, 4] : [3, 3, 3]
        spacingText = "[\(target.map { "\($0)" }.joined(separator: ", "))]"
        spacingValid = true
      }
      // A legal spacing whose resampled input would only cost time: draw a plausible one instead.
      let inputShape = segment ? [117, 20, 91] : [16, 50, 50]  // reader order (z, y, x)
      let inputSpacing = segment ? [2.8, 3.2, 2.5] : [3.0, 3.0, 3.0]
      if spacingValid, let voxels = Self.nnunetVoxels(shape: inputShape, spacing: inputSpacing, target: target)!,
        voxels > Self.networkBudget * 2
      {
        target = segment ? [4, 4, 4] : [3, 3, 3]
        spacingText = "[\(target.map { "\($0)" }.joined(separator: ", "))]"
      }
      let features = Int.random(in: 0..<5, using: &g) == 0 ? "[8, -16, 16, 16, 16]" : nil
      let folder = dir.appendingPathComponent("m\(n)/\(source.lastPathComponent)")
      try FileManager.default.createDirectory(at: folder.deletingLastPathComponent(), withIntermediateDirectories: true)
      try FileManager.default.copyItem(at: source, to: folder)
      let url = folder.appendingPathComponent("plans.json")
      var plans = try JSONSerialization.jsonObject(with: Data(contentsOf: url)) as! [String: Any]
      var configurations = plans["configurations"] as! [String: Any]
      var configuration = configurations["3d_fullres"] as! [String: Any]
      configuration["patch_size"] = "@@PATCH@@"
      configuration["spacing"] = "@@SPACING@@"
      if features != nil {
        var architecture = configuration["architecture"] as! [String: Any]
        var kwargs = architecture["arch_kwargs"] as! [String: Any]
        kwargs["features_per_stage"] = "@@FEATURES@@"
        architecture["arch_kwargs"] = kwargs
        configuration["architecture"] = architecture
      }
      configurations["3d_fullres"] = configuration
      plans["configurations"] = configurations
      let text = String(decoding: try JSONSerialization.data(withJSONObject: plans), as: UTF8.self)
        .replacingOccurrences(of: "\"@@PATCH@@\"", with: patch)
        .replacingOccurrences(of: "\"@@SPACING@@\"", with: spacingText)
        .replacingOccurrences(of: "\"@@FEATURES@@\"", with: features ?? "")
      try text.write(to: url, atomically: true, encoding: .utf8)
      let valid = patchValid && spacingValid && features == nil
      let output = dir.appendingPathComponent("seg\(n).nii.gz")
      let commands: [[String]] = [
        ["model-info", folder.path],
        segment
          ? ["segment", segmentImage.path, "-o", output.path, "--model", folder.path]
          : ["predict", "-m", folder.path, "-i", predictImage.path, "-o", output.path],
      ]
      for args in commands {
        let r = try InputLimitsCommandTests.run(args, home: dir)
        runs += 1
        if r.status == 0 { succeeded += 1 } else { refused += 1 }
        let context = "case \(n): \(args[0]) patch \(patch) spacing \(spacingText) features \(features ?? "-"): \(r)"
        #expect(r.signal == nil && Self.allowed.contains(r.status), "\(context)")
        if !valid {
          #expect(r.status == 65 && r.stderr.contains("plans.json"), "\(context)")
        } else if args[0] == "model-info" {
          #expect(r.status == 0, "\(context)")
        }
      }
      try? FileManager.default.removeItem(at: folder.deletingLastPathComponent())
    }
    print("plans fuzz: \(runs) runs, \(succeeded) succeeded, \(refused) refused, \(String(format: "%.1f", Date().timeIntervalSince(started))) s")
    #expect(succeeded > 0 && refused > 0)
  }
}

extension Double {
  /// 10^x.
  fileprivate static func pow10(_ x: Double) -> Double { Foundation.pow(10, x) }
}
