import DICOMCore
@testable import DICOMInput
import Testing

/// Rules 1-4 of dicom.md 2.4 on hand-made records (no files).
@Suite("DICOM index: grouping, geometry, contrast and station rules")
struct GroupingRuleTests {
  static func record(
    series: String = "1.2.3", number: Int = 1, description: String? = "body_W",
    imageType: [String] = ["DERIVED", "PRIMARY", "DIXON", "WATER"], echoTime: Double? = 2.39, z: Double,
    x: Double = -10, orientation: [Double] = [1, 0, 0, 0, 1, 0], sop: String? = nil, instance: Int? = nil
  ) -> DICOMFileRecord {
    DICOMFileRecord(
      path: "/d/\(series)_\(z).dcm", sopInstanceUID: sop ?? "\(series).\(z)", studyInstanceUID: "9.9",
      seriesInstanceUID: series, seriesNumber: number, seriesDescription: description, protocolName: nil,
      imageType: imageType, echoTime: echoTime, rows: 4, columns: 5, pixelSpacing: [2, 2],
      imageOrientation: orientation, imagePosition: [x, -8, z], instanceNumber: instance, seriesTime: "101500",
      acquisitionTime: nil, bitsAllocated: 16, pixelRepresentation: 0, transferSyntax: .explicitVRLittleEndian,
      pixelData: .init(offset: 1000, length: 40, vr: "OW"))
  }

  static func stack(
    _ zs: [Double], series: String = "1.2.3", number: Int = 1, contrast: String = "W", image: String = "WATER",
    te: Double = 2.39, prefix: String = "body"
  ) -> [DICOMFileRecord] {
    zs.map {
      record(
        series: series, number: number, description: "\(prefix)_\(contrast)", imageType: ["DERIVED", "PRIMARY", "DIXON", image],
        echoTime: te, z: $0)
    }
  }

  func errors(_ index: DICOMIndex) -> [DICOMProblem.Kind] { index.problems.filter { $0.severity == .error }.map(\.kind) }

  @Test("slices are sorted along the normal whatever the file order; a flipped order is fine")
  func sorting() {
    let index = DICOMIndex(root: "/d", files: Self.stack([3, -3, 0, 6]))
    #expect(index.problems.isEmpty)
    #expect(index.groups[0].positions == [-3, 0, 3, 6])
    #expect(index.groups[0].sliceSpacing == 3)
  }

  @Test("spacing: 1 % tolerance either way")
  func spacing() {
    #expect(errors(DICOMIndex(root: "/d", files: Self.stack([0, 3, 6, 9.029]))).isEmpty)
    #expect(errors(DICOMIndex(root: "/d", files: Self.stack([0, 3, 6, 9.04]))) == [.nonUniformSpacing])
    #expect(errors(DICOMIndex(root: "/d", files: Self.stack([0, 3, 6, 8.9]))) == [.nonUniformSpacing])
  }

  @Test("a repeated position with a different instance is an error; displaced slices are not stacked")
  func positions() {
    var files = Self.stack([0, 3, 6])
    files.append(Self.record(z: 3, sop: "other"))
    #expect(errors(DICOMIndex(root: "/d", files: files)) == [.repeatedSlices])
    var shifted = Self.stack([0, 3, 6])
    shifted[1].imagePosition[0] += 5
    #expect(errors(DICOMIndex(root: "/d", files: shifted)) == [.slicesNotStacked])
  }

  @Test("non-parallel orientations make separate groups (rule 1), and the IOP is rounded to 1e-4")
  func orientation() {
    var files = Self.stack([0, 3, 6])
    files[2].imageOrientation = [1, 0, 0, 0, 0.99998, 0.0063]
    #expect(DICOMIndex(root: "/d", files: files).groups.count == 2)
    files[2].imageOrientation = [1, 0, 0, 0, 1, 0.00004]
    #expect(DICOMIndex(root: "/d", files: files).groups.count == 1)
  }

  @Test("InstanceNumber gaps warn only")
  func instanceNumbers() {
    let files = [0.0, 3, 6].enumerated().map { Self.record(z: $0.element, instance: [1, 2, 5][$0.offset]) }
    let index = DICOMIndex(root: "/d", files: files)
    #expect(index.verdict == .accepted)
    #expect(index.problems.map(\.kind) == [.instanceNumberGap])
  }

  @Test("contrast rules: ImageType first, then description, then EchoTime; conflicts name both values")
  func contrast() {
    func decide(_ imageType: [String], _ description: String?) -> (DICOMContrast, [DICOMProblem.Kind]) {
      let index = DICOMIndex(root: "/d", files: [Self.record(description: description, imageType: imageType, z: 0)])
      return (index.groups[0].contrast.contrast, errors(index))
    }
    #expect(decide(["ORIGINAL", "PRIMARY", "DIXON", "OUT_PHASE"], nil) == (.opposedPhase, []))
    #expect(decide(["ORIGINAL", "PRIMARY", "M", "IP"], "x_in") == (.inPhase, []))
    #expect(decide(["ORIGINAL", "PRIMARY", "M", "ND"], "3D_GRE_TRA_F") == (.fat, []))
    #expect(decide(["ORIGINAL", "PRIMARY", "M", "ND"], "localizer") == (.other, []))
    #expect(decide(["DERIVED", "PRIMARY", "DIXON", "FAT"], "Dixon_W") == (.fat, [.contrastConflict]))
    #expect(decide(["DERIVED", "PRIMARY", "WATER", "FAT"], nil) == (.water, [.contrastConflict]))

    // In-phase by ImageType with the smaller TE than its opposed-phase partner: a conflict.
    let files = Self.stack([0, 3], series: "1", number: 1, contrast: "in", image: "IN_PHASE", te: 2.39)
      + Self.stack([0, 3], series: "2", number: 2, contrast: "opp", image: "OPP_PHASE", te: 4.77)
    let index = DICOMIndex(root: "/d", files: files)
    #expect(errors(index) == [.contrastConflict])
    #expect(index.problems[0].message.contains("2.39 ms is smaller than 4.77 ms"), "\(index.problems)")
  }

  @Test("stations: superior first, shared by the contrasts, repeats refused, other counts fine")
  func stations() {
    let ukbb = "Dixon_noBH"
    let water =
      Self.stack([0, 3, 6], series: "w1", number: 2, prefix: ukbb) + Self.stack([-30, -27, -24], series: "w2", number: 4, prefix: ukbb)
    let fat =
      Self.stack([0, 3, 6], series: "f1", number: 1, contrast: "F", image: "FAT", prefix: ukbb)
      + Self.stack([-30, -27, -24], series: "f2", number: 3, contrast: "F", image: "FAT", prefix: ukbb)
    let index = DICOMIndex(root: "/d", files: water + fat)
    #expect(index.verdict == .accepted, "\(index.problems)")
    #expect(index.stations.count == 2)
    #expect(index.stations[0].zRange.upperBound == 6)
    #expect(index.groups.first { $0.key.seriesInstanceUID == "f2" }?.station == 2)
    #expect(index.problems.map(\.kind) == [.stationCount])  // UK Biobank-like names, 2 of 6 stations: a warning

    let missingFat = DICOMIndex(root: "/d", files: water + Self.stack([0, 3, 6], series: "f1", number: 1, contrast: "F", image: "FAT"))
    #expect(errors(missingFat) == [.stationMismatch])

    let repeated = DICOMIndex(root: "/d", files: water + Self.stack([-31, -28, -25], series: "w3", number: 9))
    #expect(errors(repeated) == [.repeatedStation])
    #expect(repeated.groups.first { $0.key.seriesInstanceUID == "w3" }?.station == 2)
  }
}
