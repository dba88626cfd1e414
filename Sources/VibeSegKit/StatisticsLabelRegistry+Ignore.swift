extension StatisticsLabelRegistry {
  /// The ignore label of this label set: **the largest id + 1** (0 + 1 for an empty set).
  ///
  /// This is the one place that defines it (training.md §5.1). nnU-Net v2 requires the
  /// dataset.json entry named `"ignore"` to hold the highest value of the label set
  /// (`LabelManager` asserts it) and never predicts it; voxels holding it are left out of the
  /// loss. TotalVibeSegmentator's 72 ids give ignore = 73 (model 100's dataset.json).
  /// `vibeseg export-nnunet` writes it into dataset.json and accepts it in label maps;
  /// `vibeseg resample-to` fills label voxels outside the source grid with it by default.
  public var ignoreLabel: Int { (names.keys.max() ?? 0) + 1 }
}
