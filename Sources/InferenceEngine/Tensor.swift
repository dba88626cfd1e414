import Foundation

/// A dense float32 activation in the plain layout `[N = 1, C, D, H, W]`, stored in C order
/// (W fastest): the value of channel `c` at voxel `(z, y, x)` is
/// `values[((c · D + z) · H + y) · W + x]`. This is PyTorch's contiguous NCDHW with the batch axis
/// dropped, and what `UNet.forward` consumes and returns.
///
/// Inside the fast path activations use oneDNN's blocked layout `nCdhw8c` instead (see
/// `BlockedTensor`); `Tensor` only exists at the network's input and output.
public struct Tensor: Hashable, Sendable {
  /// `[C, D, H, W]`.
  public var shape: [Int]
  public var values: [Float]

  /// - Precondition: `shape` has 4 positive entries and `values.count` is their product.
  public init(shape: [Int], values: [Float]) {
    precondition(shape.count == 4 && shape.allSatisfy { $0 > 0 }, "Tensor shape must be [C, D, H, W], got \(shape)")
    precondition(
      values.count == shape.reduce(1, *),
      "Tensor of shape \(shape) needs \(shape.reduce(1, *)) values, got \(values.count)")
    self.shape = shape
    self.values = values
  }

  public var channels: Int { shape[0] }
  /// `[D, H, W]`.
  public var spatialShape: [Int] { Array(shape.dropFirst()) }
  public var voxelCount: Int { shape[1] * shape[2] * shape[3] }

  /// Per voxel, the index of the largest channel value; ties go to the lowest index (as
  /// `torch.argmax` on the CPU and `numpy.argmax`), NaNs are never chosen unless all are NaN
  /// (then 0). Returns `D·H·W` labels in C order.
  public func argmaxOverChannels() -> [Int32] {
    let v = voxelCount
    var best = [Float](repeating: -.infinity, count: v)
    var label = [Int32](repeating: 0, count: v)
    values.withUnsafeBufferPointer { x in
      for c in 0..<channels {
        let plane = c * v
        for i in 0..<v where x[plane + i] > best[i] {
          best[i] = x[plane + i]
          label[i] = Int32(c)
        }
      }
    }
    return label
  }

  /// Softmax over the channel axis per voxel, `exp(x_c - max) / Σ_k exp(x_k - max)` in float32
  /// (`torch.softmax(logits, 0)`, which nnU-Net applies before resampling probabilities).
  public func softmaxOverChannels() -> Tensor {
    let v = voxelCount
    var out = values
    var maxima = [Float](repeating: -.infinity, count: v)
    var sums = [Float](repeating: 0, count: v)
    for c in 0..<channels {
      for i in 0..<v { maxima[i] = Swift.max(maxima[i], values[c * v + i]) }
    }
    for c in 0..<channels {
      for i in 0..<v {
        let e = (values[c * v + i] - maxima[i]).exp()
        out[c * v + i] = e
        sums[i] += e
      }
    }
    for c in 0..<channels {
      for i in 0..<v { out[c * v + i] /= sums[i] }
    }
    return Tensor(shape: shape, values: out)
  }
}

extension Float {
  @inline(__always) fileprivate func exp() -> Float { Float(Foundation.exp(Double(self))) }
}
