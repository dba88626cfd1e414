import VolumeCore

/// A NIfTI image: its voxels as stored (unscaled, in the file's datatype) on their grid, the
/// header they came from, and what the reader noticed.
///
/// ```swift
/// let image = try NiftiImage(contentsOf: url)
/// let values = image.scaledVolume(as: Double.self)   // nibabel img.get_fdata()
/// ```
public struct NiftiImage: Sendable {
  /// Stored voxels; `volume.grid.affine` is the chosen transform (see `affineSource`).
  public var volume: AnyVolume
  /// The header as read (or the one to be written: its units, description and intent are kept).
  public var header: NiftiHeader
  /// `scl_slope`/`scl_inter` to apply to stored values, nil when there is no scaling.
  public var scaling: (slope: Double, intercept: Double)?
  /// Which header transform gave the affine.
  public var affineSource: NiftiHeader.AffineSource
  /// Problems found that did not prevent reading.
  public var warnings: [NiftiWarning]
  /// NaN and ±Inf voxels found when reading floating-point data.
  public var nonFiniteVoxelCount: Int

  /// An image to write: voxels on a grid, no scaling.
  public init(volume: AnyVolume, header: NiftiHeader = NiftiHeader()) {
    self.volume = volume
    self.header = header
    self.scaling = nil
    self.affineSource = .sform
    self.warnings = []
    self.nonFiniteVoxelCount = 0
  }

  public init<V: VoxelScalar>(_ volume: Volume<V>) { self.init(volume: AnyVolume(volume)) }

  public var grid: ImageGrid { volume.grid }

  /// Voxel values with `scl_slope`/`scl_inter` applied (`stored · slope + inter`), in `T`, as
  /// nibabel `img.get_fdata(dtype=T)` returns them.
  public func scaledVolume<T: VoxelScalar & BinaryFloatingPoint>(as type: T.Type) -> Volume<T> {
    guard let (slope, intercept) = scaling else { return volume.converted(to: type) }
    return volume.apply { v in
      let raw = v.convertedErased(to: Double.self)
      return Volume<T>(grid: raw.grid, channelCount: raw.channelCount,
        voxels: raw.voxels.map { T($0 * slope + intercept) })
    }
  }

  /// A label map stored in the smallest integer type that holds its values (uint8 for 0...255),
  /// as the issue requires of written segmentations.
  public static func labelMap<V: VoxelScalar & FixedWidthInteger>(_ labels: Volume<V>) -> NiftiImage {
    let range = labels.valueRange ?? (0, 0)
    let type = ScalarType.smallestInteger(holding: Int64(range.min), Int64(range.max))
    return NiftiImage(volume: AnyVolume(labels).converted(to: type))
  }
}
