/// A dense C-order (row-major, last axis fastest) array of 3 spatial axes, as NumPy holds nnU-Net's
/// data. A NIfTI volume's voxels (i fastest) are exactly the C-order array of shape (k, j, i), which
/// is how SimpleITK hands a NIfTI to nnU-Net, so no copy is needed to go between the two.
struct DenseArray<Element> {
  // (Sendable when its elements are: see the extension below.)
  var shape: [Int]
  var values: [Element]

  init(shape: [Int], values: [Element]) {
    precondition(shape.count == 3 && values.count == shape.reduce(1, *), "DenseArray: \(values.count) values for shape \(shape)")
    self.shape = shape
    self.values = values
  }

  init(shape: [Int], repeating value: Element) {
    self.init(shape: shape, values: [Element](repeating: value, count: shape.reduce(1, *)))
  }

  var count: Int { values.count }

  /// NumPy `a.transpose(axes)` materialised in C order: `out[p0, p1, p2] = a[...]` where output
  /// axis n is input axis `axes[n]`.
  func transposed(_ axes: [Int]) -> DenseArray {
    if axes == [0, 1, 2] { return self }
    let newShape = axes.map { shape[$0] }
    let strides = [shape[1] * shape[2], shape[2], 1]
    let s = axes.map { strides[$0] }
    var out = [Element]()
    out.reserveCapacity(count)
    for a in 0..<newShape[0] {
      for b in 0..<newShape[1] {
        let base = a * s[0] + b * s[1]
        for c in 0..<newShape[2] { out.append(values[base + c * s[2]]) }
      }
    }
    return DenseArray(shape: newShape, values: out)
  }

  /// `a[lo0:hi0, lo1:hi1, lo2:hi2]` copied.
  func cropped(lower: [Int], upper: [Int]) -> DenseArray {
    let newShape = (0..<3).map { upper[$0] - lower[$0] }
    var out = [Element]()
    out.reserveCapacity(newShape.reduce(1, *))
    for a in lower[0]..<upper[0] {
      for b in lower[1]..<upper[1] {
        let base = (a * shape[1] + b) * shape[2]
        out.append(contentsOf: values[(base + lower[2])..<(base + upper[2])])
      }
    }
    return DenseArray(shape: newShape, values: out)
  }

  /// Places `self` into a new array of `shape` filled with `fill`, at offset `lower`.
  func embedded(in shape: [Int], at lower: [Int], fill: Element) -> DenseArray {
    var out = DenseArray(shape: shape, repeating: fill)
    write(into: &out, at: lower)
    return out
  }
}
extension DenseArray: Sendable where Element: Sendable {}
