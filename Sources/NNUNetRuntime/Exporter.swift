import Foundation
import VolumeCore

/// nnU-Net's export (nnunet-inference.md 7): float16 logits back to the cropped original shape
/// (`resampling_fn_probabilities`, float64 per class, clipped, rounded to float16), logits to
/// labels (argmax, first maximum wins; or sigmoid > 0.5 per region in `regions_class_order`),
/// background outside the crop box, `transpose_backward`, on the input's grid.
struct Exporter {
  let plans: Plans
  let configuration: Configuration
  let labels: LabelLayout
  /// Threads for the argmax.
  var threads = UsableCores.count

  func restoreLogits(_ logits: [DenseArray<Float16>], using record: PreprocessingRecord) throws -> [DenseArray<Float16>] {
    let settings = configuration.probabilityResampling
    return try logits.map { channel in
      if channel.shape == record.shapeAfterCropping { return channel }
      let resampled = try NNUNetResampling.resample(DenseArray(shape: channel.shape, values: channel.values.map(Double.init)),
        to: record.shapeAfterCropping, current: configuration.spacing, new: record.transposedSpacing,
        order: settings.order, orderZ: settings.orderZ, forceSeparateZ: settings.forceSeparateZ)
      return DenseArray(shape: resampled.shape, values: resampled.values.map { Float16($0) })
    }
  }

  /// Float32 softmax over classes (`torch.softmax(logits.float(), 0)`), or sigmoid for regions.
  func probabilities(_ logits: [DenseArray<Float16>]) -> [DenseArray<Float>] {
    let k = logits.count, n = logits[0].count
    var out = [[Float]](repeating: [Float](repeating: 0, count: n), count: k)
    if labels.hasRegions {
      for c in 0..<k { for v in 0..<n { out[c][v] = 1 / (1 + Float.exp(-Float(logits[c].values[v]))) } }
    } else {
      for v in 0..<n {
        var m = -Float.infinity
        for c in 0..<k { m = max(m, Float(logits[c].values[v])) }
        var total: Float = 0
        for c in 0..<k { let e = Float.exp(Float(logits[c].values[v]) - m); out[c][v] = e; total += e }
        for c in 0..<k { out[c][v] /= total }
      }
    }
    return out.map { DenseArray(shape: logits[0].shape, values: $0) }
  }

  /// Labels in the cropped, transposed frame (label values fit 16 bits: `DatasetDescription`
  /// checks them).
  func segmentation<S: BinaryFloatingPoint & Sendable>(_ scores: [DenseArray<S>]) -> DenseArray<UInt16> {
    let n = scores[0].count
    var seg = [UInt16](repeating: 0, count: n)
    if let order = labels.regionsClassOrder, labels.hasRegions {
      // scores are probabilities (sigmoid) here.
      for (i, label) in order.enumerated() {
        let value = UInt16(label)
        for v in 0..<n where scores[i].values[v] > 0.5 { seg[v] = value }
      }
    } else {
      // First maximum over classes (np.argmax: a class replaces the best only when strictly
      // greater, in class order), voxel ranges split over the cores; each worker writes only its
      // own range. Blocks of voxels, classes outer: contiguous loops that vectorise.
      let workers = max(1, min(threads, n / 65536))
      let allLabels = labels.allLabels.map { UInt16($0) }
      let classes = scores.map(\.values)
      let block = 4096
      seg.withUnsafeMutableBufferPointer { out in
        let target = SlidingWindow.SharedPointer(out.baseAddress!)
        DispatchQueue.concurrentPerform(iterations: workers) { w in
          var best = [S](repeating: 0, count: block)
          var index = [Int32](repeating: 0, count: block)
          for start in stride(from: w * n / workers, to: (w + 1) * n / workers, by: block) {
            let count = min(block, (w + 1) * n / workers - start)
            classes[0].withUnsafeBufferPointer { first in
              for v in 0..<count {
                best[v] = first[start + v]
                index[v] = 0
              }
            }
            for c in 1..<classes.count {
              let label = Int32(c)
              classes[c].withUnsafeBufferPointer { values in
                for v in 0..<count where values[start + v] > best[v] {
                  best[v] = values[start + v]
                  index[v] = label
                }
              }
            }
            for v in 0..<count { target.pointer[start + v] = allLabels[Int(index[v])] }
          }
        }
      }
    }
    return DenseArray(shape: scores[0].shape, values: seg)
  }

  /// Un-crop (fill outside the box) and transpose back to reader order.
  func revert<E>(_ array: DenseArray<E>, using record: PreprocessingRecord, fill: E) -> DenseArray<E> {
    let full = array.shape == record.shapeBeforeCropping ? array : array.embedded(in: record.shapeBeforeCropping, at: record.cropLower, fill: fill)
    return full.transposed(plans.transposeBackward)
  }
}

extension Float {
  static func exp(_ x: Float) -> Float { expf(x) }
}

#if canImport(Glibc)
import Glibc
#else
import Darwin
#endif
