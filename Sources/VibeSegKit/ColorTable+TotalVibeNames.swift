extension LabelColorTable {
  /// TotalVibeSegmentator's structure names for ids 1...72 (models 100 and 99), the legend's
  /// default names; the one registry is `StatisticsLabelRegistry.totalVibe` (docs/totalvibe.md
  /// section 2). A caller with another model passes its own (`PreviewLabelNames`).
  public static var totalVibeNames: [Int: String] { StatisticsLabelRegistry.totalVibe.names }
}
