import Evaluation
import Foundation
import VolumeCore
import VolumeTransforms

extension AugmentJob {
  /// The inputs of the case as read and checked.
  struct Source {
    var images: [InputImage]
    var label: InputImage?
    /// The first image's grid, shared by every input.
    var grid: ImageGrid
    var warnings: [String]
  }

  /// Reads the images and the label map (one finite 3-D volume each) and checks that they
  /// share the first image's grid (`LabelMap.gridsMatch`: same shape, affines within 1e-4 mm)
  /// and that every axis is long enough to deform once padded.
  func readCase() throws -> Source {
    var warnings = [String]()
    var reads = [InputImage]()
    for url in images {
      let read = try ImageInput.readVolume(url, warnIdentityAffine: false)
      warnings += read.warnings
      reads.append(read)
    }
    let grid = reads[0].grid
    var labelRead: InputImage?
    if let label {
      let read = try ImageInput.readVolume(label, warnIdentityAffine: false)
      warnings += read.warnings
      labelRead = read
    }
    for read in reads.dropFirst() + (labelRead.map { [$0] } ?? []) where !LabelMap.gridsMatch(read.grid, grid) {
      throw VibeSegKitError(
        .gridMismatch,
        "not on the grid of \(images[0].path) (shape \(read.grid.shape) vs \(grid.shape), affines differ by \(read.grid.affine.maxAbsDifference(to: grid.affine)) mm); one field deforms every array of a case, so they must share a grid (resample with vibeseg resample-to)",
        path: read.url.path)
    }
    if let axis = grid.shape.firstIndex(where: { $0 + 2 * pad < 2 }) {
      throw VibeSegKitError(
        .invalidOption,
        "axis \(axis) has \(grid.shape[axis]) voxel; with --pad \(pad) it is too short to deform (needs 2)",
        option: "--pad")
    }
    return Source(images: reads, label: labelRead, grid: grid, warnings: warnings)
  }

  /// Copy `k`'s parameters and field: drawn from `AugmentRandom(seed, caseDigest, k)` by
  /// `AugmentLaw` (σ and points, then `D`), or the replay file's `D` (its sigma recorded as is,
  /// NaN when absent).
  func field(copy k: Int, replay: AugmentSidecar?, caseDigest: [UInt8]) -> (AugmentLaw.Draw, ElasticDeformation) {
    if let replay {
      guard let field = AugmentSidecar.field(replay.displacement ?? []) else {
        preconditionFailure("readParams checked the displacement")
      }
      return (AugmentLaw.Draw(sigma: replay.sigma ?? .nan, sigma0: nil, points: field.controlShape[0]), field)
    }
    var random = AugmentRandom(seed: seed, caseDigest: caseDigest, copyIndex: k)
    let draw = AugmentLaw.draw(&random, sigma: sigma, points: points, deformFactor: deformFactor)
    let field = ElasticDeformation(
      controlShape: [draw.points, draw.points, draw.points],
      displacements: AugmentLaw.displacements(&random, points: draw.points, sigma: draw.sigma))
    return (draw, field)
  }

  /// The sidecar of copy `k` (see `AugmentSidecar`).
  func sidecar(
    copy k: Int, caseName: String, draw: AugmentLaw.Draw, field: ElasticDeformation, replay: AugmentSidecar?,
    names: AugmentNames.Copy, scaled: AugmentScaling, outsideFraction: Double, labels: AugmentSidecar.LabelCheck?
  ) -> AugmentSidecar {
    var sidecar = AugmentSidecar()
    sidecar.rng = replay == nil ? .init(name: AugmentRandom.name, version: AugmentRandom.version) : nil
    sidecar.seed = replay == nil ? seed : replay?.seed
    sidecar.caseId = caseName
    sidecar.copyIndex = k
    sidecar.sigma = draw.sigma.isFinite ? draw.sigma : nil
    sidecar.sigma0 = draw.sigma0
    sidecar.points = field.controlShape[0]
    sidecar.deformFactor = replay == nil && sigma == nil ? deformFactor : nil
    sidecar.pad = pad
    sidecar.normalize = normalize
    sidecar.cval = 0
    sidecar.imageOrder = 3
    sidecar.labelOrder = label == nil ? nil : 0
    sidecar.replayedFrom = replayParams?.path
    sidecar.sources = .init(images: images.map(\.path), label: label?.path)
    sidecar.outputs = .init(images: names.images, label: names.label)
    sidecar.normalization = scaled.records
    sidecar.outsideFraction = outsideFraction
    sidecar.labels = labels
    sidecar.displacement = dumpParams || replay != nil ? AugmentSidecar.nested(field) : nil
    return sidecar
  }
}
