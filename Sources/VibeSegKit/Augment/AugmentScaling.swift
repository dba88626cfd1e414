import VolumeCore

/// The intensity scaling around the deformation (TPTBox `deformed_nii`), in float32 as TPTBox
/// computes it under NumPy 2 (a Python float meeting a float32 array is cast to float32):
///
/// - per-image: `min`, `range = max(max − min, 1)` with `max − min` taken in the image's own
///   floating type (float32 or float64) or exactly for integer images (TPTBox subtracts NumPy
///   integer scalars, which can wrap around; we do not reproduce that);
///   `x' = (float32(x) − f32(min)) / f32(range)`, back: `x = x'·f32(range) + f32(min)`;
/// - joint: `m` = the largest maximum over the images, `x' = float32(x) / f32(m)`, back
///   `x = x'·f32(m)` (TPTBox keeps `m` a NumPy scalar: with a float64 image the arrays would be
///   deformed in float64; here they are always float32);
/// - none: `x' = float32(x)`.
///
/// Every step is one rounded float32 operation (no fused multiply-add).
struct AugmentScaling {
  let mode: AugmentNormalization
  /// The float32 images to deform.
  let volumes: [Volume<Float>]
  /// Per image (min, range) as applied (joint: (0, m)); empty for `.none`.
  let factors: [(min: Float, range: Float)]

  /// - Throws: `VibeSegKitError.invalidInput` for joint scaling when the largest maximum is 0.
  init(_ images: [AnyVolume], mode: AugmentNormalization, names: [String]) throws {
    self.mode = mode
    let ranges = images.map { image -> (min: Double, max: Double, range: Double) in
      let r = image.valueRange ?? (0, 0)
      let range: Double =
        switch image.scalarType {
        case .float32: Double(Float(r.max) - Float(r.min))
        default: r.max - r.min
        }
      return (r.min, r.max, range)
    }
    switch mode {
    case .perImage:
      factors = ranges.map { (Float($0.min), Float(max($0.range, 1))) }
    case .joint:
      let m = ranges.map(\.max).max() ?? 0
      guard m != 0 else {
        throw VibeSegKitError(
          .invalidInput,
          "joint normalisation divides by the largest image maximum, which is 0; use --normalize per-image or none",
          path: names.first, option: "--normalize")
      }
      factors = images.map { _ in (0, Float(m)) }
    case .none:
      factors = []
    }
    let factors = factors
    volumes = images.enumerated().map { m, image in
      var volume = image.converted(to: Float.self)
      switch mode {
      case .perImage:
        let (low, range) = factors[m]
        for i in volume.voxels.indices {
          let shifted = volume.voxels[i] - low
          volume.voxels[i] = shifted / range
        }
      case .joint:
        let scale = factors[m].range
        for i in volume.voxels.indices { volume.voxels[i] = volume.voxels[i] / scale }
      case .none:
        break
      }
      return volume
    }
  }

  /// A deformed image scaled back (see the type's documentation).
  func restored(_ deformed: Volume<Float>, image m: Int) -> Volume<Float> {
    guard mode != .none else { return deformed }
    var volume = deformed
    let (low, range) = factors[m]
    for i in volume.voxels.indices {
      let scaled = volume.voxels[i] * range
      volume.voxels[i] = mode == .joint ? scaled : scaled + low
    }
    return volume
  }

  /// The sidecar's record of the scaling.
  var records: [AugmentSidecar.Normalization]? {
    mode == .none ? nil : factors.map { .init(min: Double($0.min), range: Double($0.range)) }
  }
}
