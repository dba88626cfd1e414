import DICOMCore
import DICOMSeg
import Foundation
import Testing

/// The issue 19 target: a 72-label SEG of a 320 x 260 x 330 series written in < 2 s and < 200 MB.
/// Runs only with VIBESEG_BENCH_SEG=1 (it allocates about 150 MB); prints the measurements.
@Suite("DICOM-SEG writer benchmark")
struct SegmentationBenchmarkTests {
  static func peakRSSMegabytes() -> Double {
    let status = (try? String(contentsOfFile: "/proc/self/status", encoding: .utf8)) ?? ""
    let line = status.split(separator: "\n").first { $0.hasPrefix("VmHWM:") } ?? ""
    return (Double(line.split(separator: " ").dropFirst().first ?? "0") ?? 0) / 1024
  }

  @Test(
    "71 labels on a 320 x 260 x 330 grid", .enabled(if: ProcessInfo.processInfo.environment["VIBESEG_BENCH_SEG"] == "1")
  )
  func large() throws {
    let (columns, rows, slices) = (320, 260, 330)
    // Synthetic source headers: axial, 1.5 mm pixels, 3 mm slices (pixel data absent: the
    // writer reads headers only).
    let headers = try (0..<slices).map { k -> DICOMHeader in
      var ds = DICOMDataset()
      ds.set(.sopClassUID, "UI", text: "1.2.840.10008.5.1.4.1.1.4")
      ds.set(.sopInstanceUID, "UI", text: "2.25.\(1000 + k)")
      ds.set(.studyInstanceUID, "UI", text: "2.25.1")
      ds.set(.seriesInstanceUID, "UI", text: "2.25.2")
      ds.set(.frameOfReferenceUID, "UI", text: "2.25.3")
      ds.set(.imagePositionPatient, decimals: [-240, -195, Double(k) * 3 - 500])
      ds.set(.imageOrientationPatient, decimals: [1, 0, 0, 0, 1, 0])
      ds.set(.pixelSpacing, decimals: [1.5, 1.5])
      ds.set(.rows, unsignedShorts: [UInt16(rows)])
      ds.set(.columns, unsignedShorts: [UInt16(columns)])
      return try DICOMHeader(bytes: try DICOMEncoder.part10(meta: DICOMDataset(), dataset: ds), path: "slice\(k)")
    }
    let source = try SegmentationSource(headers: headers)
    // A body-like map: 71 labels in bands over a central ellipse, each over a z range.
    var voxels = [UInt8](repeating: 0, count: columns * rows * slices)
    for k in 0..<slices {
      for j in 0..<rows {
        for i in 0..<columns {
          let x = Double(i - columns / 2) / Double(columns / 2)
          let y = Double(j - rows / 2) / Double(rows / 2)
          guard x * x + y * y < 0.8 else { continue }
          // About 16 labels per slice, each over 110 slices: ~5,300 frames (dicom.md 3.2 estimates
          // 5,527 for a realistic body).
          voxels[i + columns * (j + rows * k)] = UInt8(1 + (i / 80 + 4 * (j / 65) + 16 * (k / 110)) % 71)
        }
      }
    }
    let affine: [[Double]] = [[-1.5, 0, 0, 240], [0, -1.5, 0, 195], [0, 0, 3, -500], [0, 0, 0, 1]]
    let map = SegmentationLabelMap(shape: [columns, rows, slices], affine: affine, voxels: voxels)
    let segments = (1...71).map {
      SegmentDefinition(
        number: $0, labelValue: $0, label: "l\($0)", category: .anatomicalStructure,
        type: CodedConcept("\($0)", "SCT", "x"))
    }
    let before = Self.peakRSSMegabytes()
    let start = Date()
    let sampled = try SampledLabels(map: map, source: source)
    let sampledAt = Date()
    let result = try SegmentationWriter.write(
      sampled, source: source, segments: segments, options: SegmentationWriter.Options())
    let seconds = Date().timeIntervalSince(start)
    print(
      "DICOM-SEG benchmark: \(result.frameCount) frames, \(result.bytes.count) bytes; sampling \(String(format: "%.2f", sampledAt.timeIntervalSince(start))) s, total \(String(format: "%.2f", seconds)) s; peak RSS \(String(format: "%.0f", Self.peakRSSMegabytes())) MB (\(String(format: "%.0f", before)) MB before writing)"
    )
    #expect(sampled.resampledPixels == 0)
    #expect(result.frameCount > 5000)
  }
}
