import Testing
import VolumeCore
import VolumeTransforms
import _TestSupport

/// Issue 15 row 4: every resampling path refuses an output above `ResamplingLimits.maxVoxels` (or
/// an undefined one) with a `ResamplingError`, before allocating it. Before the cap these cases
/// trapped (`RescaleGeometry.newShape`, `resizedInternal` preconditions) or tried to allocate
/// terabytes.
@Suite("Resampling voxel cap (issue 15 row 4)")
struct ResamplingLimitsTests {
  struct RescaleCase: Sendable, CustomTestStringConvertible {
    var shape: [Int], spacing: [Double], newSpacing: [Double], code: ResamplingError.Code, why: String
    var testDescription: String { why }
  }

  static let rescaleCases: [RescaleCase] = [
    .init(shape: [91, 20, 117], spacing: [1000, 1000, 1000], newSpacing: [1.5, 1.5, 1.5], code: .tooManyVoxels,
      why: "spacing 1000 mm to 1.5 mm (was: 9 TB allocation)"),
    .init(shape: [91, 20, 117], spacing: [2000, 2000, 2000], newSpacing: [1.5, 1.5, 1.5], code: .tooManyVoxels,
      why: "2000 um read as mm"),
    .init(shape: [64, 64, 64], spacing: [1, 1, 1], newSpacing: [0.01, 0.01, 0.01], code: .tooManyVoxels,
      why: "target 0.01 mm (convert --spacing 0.01 0.01 0.01)"),
    .init(shape: [64, 64, 64], spacing: [1, 1, 1], newSpacing: [1e-300, 1, 1], code: .tooManyVoxels,
      why: "target 1e-300 mm (was: precondition in newShape)"),
    .init(shape: [4, 4, 4], spacing: [1, 1, 1], newSpacing: [0, 1, 1], code: .invalidSpacing, why: "target spacing 0"),
    .init(shape: [4, 4, 4], spacing: [1, 1, 1], newSpacing: [.nan, 1, 1], code: .invalidSpacing, why: "target spacing NaN"),
    .init(shape: [4, 4, 4], spacing: [1, 1, 1], newSpacing: [-2, 1, 1], code: .invalidSpacing, why: "negative target spacing"),
    .init(shape: [4, 4, 4], spacing: [.infinity, 1, 1], newSpacing: [1, 1, 1], code: .invalidSpacing, why: "infinite voxel size"),
  ]

  @Test("RescaleGeometry.newShape refuses", arguments: rescaleCases)
  func rescaleShape(_ c: RescaleCase) {
    #expect(throws: ResamplingError.self) {
      try RescaleGeometry.newShape(shape: c.shape, spacing: c.spacing, newSpacing: c.newSpacing)
    }
    do {
      _ = try RescaleGeometry.newShape(shape: c.shape, spacing: c.spacing, newSpacing: c.newSpacing)
    } catch {
      #expect(error.code == c.code, "\(error)")
      #expect(!error.message.isEmpty)
    }
  }

  @Test("Volume and AnyVolume rescaled(toSpacing:) refuse before allocating", arguments: rescaleCases)
  func rescaleVolume(_ c: RescaleCase) {
    guard c.spacing.allSatisfy({ $0.isFinite }) else { return }  // an image cannot carry that affine
    let volume = Synthetic.ramp(Float.self, shape: c.shape, affine: .scaling(c.spacing))
    #expect(throws: ResamplingError.self) { try volume.rescaled(toSpacing: c.newSpacing, order: .cubic) }
    #expect(throws: ResamplingError.self) { try AnyVolume(volume).rescaled(toSpacing: c.newSpacing, order: .nearest) }
  }

  @Test("the cap is inclusive: exactly maxVoxels passes, one more axis voxel fails")
  func capBoundary() throws {
    let side = 1 << 10  // (2^10)^3 = 2^30
    #expect(try ResamplingLimits.checkedShape([Double(side), Double(side), Double(side)], what: "test") == [side, side, side])
    #expect(throws: ResamplingError.self) {
      try ResamplingLimits.checkedShape([Double(side + 1), Double(side), Double(side)], what: "test")
    }
    #expect(throws: ResamplingError.self) { try ResamplingLimits.check([Int.max, Int.max, 2], what: "overflow") }
    #expect(throws: ResamplingError.self) { try ResamplingLimits.checkedShape([.infinity, 1, 1], what: "inf") }
    #expect(throws: ResamplingError.self) { try ResamplingLimits.checkedShape([1e300, 1e300, 1e300], what: "huge") }
    #expect(ResamplingLimits.maxVoxels == 1 << 30)
  }

  struct ResizeCase: Sendable, CustomTestStringConvertible {
    var shape: [Int], code: ResamplingError.Code, why: String
    var testDescription: String { why }
  }

  static let resizeCases: [ResizeCase] = [
    .init(shape: [0, 4, 4], code: .emptyAxis, why: "an empty axis (nnU-Net's round gave 0; was: precondition)"),
    .init(shape: [-1, 4, 4], code: .emptyAxis, why: "a negative size"),
    .init(shape: [4096, 4096, 4096], code: .tooManyVoxels, why: "4096^3 = 2^36 voxels"),
    .init(shape: [1 << 40, 1 << 40, 2], code: .tooManyVoxels, why: "a product that overflows Int"),
  ]

  @Test("resized(toShape:) refuses", arguments: resizeCases)
  func resize(_ c: ResizeCase) {
    let volume = Synthetic.ramp(Float.self, shape: [4, 4, 4])
    do {
      _ = try volume.resized(toShape: c.shape, order: .linear)
      Issue.record("resized to \(c.shape) did not throw")
    } catch {
      #expect(error.code == c.code, "\(error)")
    }
    #expect(throws: ResamplingError.self) { try AnyVolume(volume).resized(toShape: c.shape, order: .nearest) }
  }
}
