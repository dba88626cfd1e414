/// NIfTI file names: `.nii` (plain) or `.nii.gz` (gzip), in any letter case, as nibabel's
/// `splitext_addext` recognises them. The one place these suffixes are spelled; commands that
/// read several formats go through `VibeSegKit.ImageInput`, which uses this for NIfTI.
///
/// ```swift
/// NiftiFileName.isNifti("sub-01_T1w.NII.GZ")   // true
/// NiftiFileName.stem("sub-01_T1w.nii.gz")      // "sub-01_T1w"
/// ```
public enum NiftiFileName {
  /// Longest first, so `.nii.gz` is removed whole.
  public static let suffixes = [".nii.gz", ".nii"]

  /// Whether `name` ends in `.nii` or `.nii.gz` (any case).
  public static func isNifti(_ name: String) -> Bool { stem(name) != nil }

  /// Whether the name asks for gzip compression (`.gz`, any case).
  public static func isCompressed(_ name: String) -> Bool { name.lowercased().hasSuffix(".gz") }

  /// `name` without its NIfTI suffix (letter case of the rest kept), nil when it has none.
  public static func stem(_ name: String) -> String? {
    let lower = name.lowercased()
    for suffix in suffixes where lower.hasSuffix(suffix) { return String(name.dropLast(suffix.count)) }
    return nil
  }
}
