import Dispatch
import VolumeCore

extension ElasticDeformation {
  /// The deformed arrays of one `apply` call, on the crop's grid.
  public struct Output: Sendable {
    /// The order-3 outputs, float32, in the order of the inputs.
    public var images: [Volume<Float>]
    /// The order-0 output in the label's own type (`cval` 0 outside), nil without a label map.
    public var label: AnyVolume?
    /// Output voxels whose sample position fell outside the input (all outputs got `cval` 0).
    public var outsideCount: Int
  }

  /// What a field is applied to: the order-3 coefficients of each image (elasticdeform's
  /// float32 prefilter, `float32Coefficients`) and the order-0 input, prepared once and reused
  /// for every field (copy) of a case.
  public struct Inputs: Sendable {
    /// The input grid (every array's).
    public let grid: ImageGrid
    let coefficients: [[Float]]
    let label: AnyVolume?

    /// - Precondition: every image and the label have the same shape and one channel, each
    ///   axis ≥ 2 voxels (the control coordinate divides by `N − 1`), fewer than 2^31 voxels.
    public init(images: [Volume<Float>], label: AnyVolume?, parallel: Bool = true) {
      guard let grid = images.first?.grid ?? label?.grid else {
        preconditionFailure("ElasticDeformation.Inputs: no input")
      }
      let shape = grid.shape
      precondition(
        images.allSatisfy { $0.shape == shape && $0.channelCount == 1 }
          && (label.map { $0.grid.shape == shape && $0.channelCount == 1 } ?? true),
        "ElasticDeformation.Inputs: inputs of different shapes")
      precondition(
        shape.allSatisfy { $0 >= 2 } && shape.reduce(1, *) < Int(Int32.max),
        "ElasticDeformation.Inputs: shape \(shape) needs >= 2 voxels per axis and < 2^31 voxels")
      self.grid = grid
      self.coefficients = images.map {
        ElasticDeformation.float32Coefficients($0.voxels, shape: shape, parallel: parallel)
      }
      self.label = label
    }
  }

  /// elasticdeform `deform_grid([images…, label], D, order=[3…, 0], mode='constant', cval=0.0,
  /// crop=box, prefilter=True)` (see the type's documentation for the maths).
  ///
  /// `crop` selects the output voxels: their positions `p` are the box's voxels in input
  /// coordinates, so the control coordinates and sample points are those of the uncropped
  /// deformation (elasticdeform's `crop` argument; cropping afterwards gives the same values).
  /// The output grid is the input grid cropped to the box. Work is split into output slabs
  /// (axis k) dealt round-robin to `threads` workers; every voxel is computed by the same
  /// operations whichever worker runs it, so results do not depend on `threads`.
  /// O(M·(12 + 64·images)) for M output voxels, after the O(N) prefilter of `Inputs`.
  ///
  /// - Precondition: the box lies inside the input grid and is not empty; `threads ≥ 1`.
  public func apply(to inputs: Inputs, crop: VoxelBox, threads: Int) -> Output {
    let shape = inputs.grid.shape
    precondition(
      crop.isInside(shape: shape) && !crop.isEmpty, "ElasticDeformation.apply: crop \(crop) outside \(shape)")
    precondition(threads >= 1, "ElasticDeformation.apply: threads \(threads)")
    let label = inputs.label
    let grid = inputs.grid.cropped(to: crop)
    let outShape = crop.shape
    let count = crop.voxelCount
    let control = controlCoefficients()
    let plans = (0..<3).map { axis in
      let p = controlShape[axis]
      let coordinates = (0..<outShape[axis]).map { o -> Double in
        Double(p - 1) * Double(crop.lower[axis] + o) / Double(shape[axis] - 1)
      }
      return ResamplingAxisPlan(coordinates: coordinates, inputLength: p, order: .cubic, mode: .constant)
    }
    // Output buffers (every element is written by exactly one slab), freed after copying out.
    let outputPointers = inputs.coefficients.map { _ in UnsafeMutablePointer<Float>.allocate(capacity: count) }
    defer { for pointer in outputPointers { pointer.deallocate() } }
    var labelIndex = label == nil ? [] : [Int32](repeating: -1, count: count)
    // Flat tables for the kernel (no array access, hence no reference counting, per voxel).
    let taps = (0..<3).map { axis in UnsafeMutablePointer<Int>.allocate(capacity: plans[axis].indices.count) }
    let weights = (0..<3).map { axis in UnsafeMutablePointer<Double>.allocate(capacity: plans[axis].weights.count) }
    let imageTable = UnsafeMutablePointer<UnsafePointer<Float>>.allocate(capacity: max(1, inputs.coefficients.count))
    let outputTable = UnsafeMutablePointer<UnsafeMutablePointer<Float>>.allocate(capacity: max(1, outputPointers.count))
    defer {
      for pointer in taps { pointer.deallocate() }
      for pointer in weights { pointer.deallocate() }
      imageTable.deallocate()
      outputTable.deallocate()
    }
    for axis in 0..<3 {
      taps[axis].initialize(from: plans[axis].indices, count: plans[axis].indices.count)
      weights[axis].initialize(from: plans[axis].weights, count: plans[axis].weights.count)
    }
    for (m, pointer) in outputPointers.enumerated() { outputTable[m] = pointer }
    var outside = 0
    withPointers(inputs.coefficients) { coefficientPointers in
      for (m, pointer) in coefficientPointers.enumerated() { imageTable[m] = pointer }
      control.withUnsafeBufferPointer { controlBuffer in
        labelIndex.withUnsafeMutableBufferPointer { indexBuffer in
          let job = ElasticDeformationKernel.Job(
            control: controlBuffer.baseAddress!, controlShape: (controlShape[0], controlShape[1], controlShape[2]),
            controlTaps: (UnsafePointer(taps[0]), UnsafePointer(taps[1]), UnsafePointer(taps[2])),
            controlWeights: (UnsafePointer(weights[0]), UnsafePointer(weights[1]), UnsafePointer(weights[2])),
            inputShape: (shape[0], shape[1], shape[2]),
            lower: (crop.lower[0], crop.lower[1], crop.lower[2]), outputShape: (outShape[0], outShape[1], outShape[2]),
            images: UnsafePointer(imageTable), imageOutputs: UnsafePointer(outputTable),
            imageCount: outputPointers.count,
            labelIndex: label == nil ? nil : indexBuffer.baseAddress)
          let workers = min(threads, outShape[2])
          let counts = OutsideCounts(workers)
          let work: @Sendable (Int) -> Void = { w in
            var sum = 0
            for o2 in stride(from: w, to: outShape[2], by: workers) { sum += ElasticDeformationKernel.slab(o2, job) }
            counts.set(w, sum)
          }
          if workers > 1 {
            DispatchQueue.concurrentPerform(iterations: workers, execute: work)
          } else {
            work(0)
          }
          outside = counts.total
        }
      }
    }
    let deformedLabel = label.map { $0.gathering(labelIndex, grid: grid) }
    let images = outputPointers.map { Volume(grid: grid, voxels: Array(UnsafeBufferPointer(start: $0, count: count))) }
    return Output(images: images, label: deformedLabel, outsideCount: outside)
  }

  /// `apply(to: Inputs(images:label:), crop:threads:)` for a single field.
  public func apply(images: [Volume<Float>], label: AnyVolume?, crop: VoxelBox, threads: Int) -> Output {
    apply(to: Inputs(images: images, label: label, parallel: threads > 1), crop: crop, threads: threads)
  }
}

/// One slot per worker for its outside count (each worker writes only its own slot).
private final class OutsideCounts: @unchecked Sendable {
  private var values: [Int]
  init(_ n: Int) { values = [Int](repeating: 0, count: n) }
  func set(_ w: Int, _ value: Int) { values[w] = value }
  var total: Int { values.reduce(0, +) }
}

/// Calls `body` with a base pointer to each array (kept alive for the call).
private func withPointers<R>(_ arrays: [[Float]], _ body: ([UnsafePointer<Float>]) -> R) -> R {
  func step(_ index: Int, _ collected: [UnsafePointer<Float>]) -> R {
    if index == arrays.count { return body(collected) }
    return arrays[index].withUnsafeBufferPointer { step(index + 1, collected + [$0.baseAddress!]) }
  }
  return step(0, [])
}

extension Volume {
  /// The voxels at `indices` (flat file-order indices into this volume; −1 gives 0) on `grid`.
  ///
  /// - Precondition: `indices.count == grid.voxelCount`, each −1 or a valid index.
  func gathering(_ indices: [Int32], grid: ImageGrid) -> Volume {
    precondition(indices.count == grid.voxelCount, "gathering: \(indices.count) indices for \(grid.shape)")
    let values = indices.map { $0 < 0 ? Voxel.zero : voxels[Int($0)] }
    return Volume(grid: grid, voxels: values)
  }
}

extension AnyVolume {
  /// `Volume.gathering(_:grid:)` for the stored scalar type.
  func gathering(_ indices: [Int32], grid: ImageGrid) -> AnyVolume {
    switch self {
    case .uint8(let v): .uint8(v.gathering(indices, grid: grid))
    case .int8(let v): .int8(v.gathering(indices, grid: grid))
    case .int16(let v): .int16(v.gathering(indices, grid: grid))
    case .uint16(let v): .uint16(v.gathering(indices, grid: grid))
    case .int32(let v): .int32(v.gathering(indices, grid: grid))
    case .uint32(let v): .uint32(v.gathering(indices, grid: grid))
    case .int64(let v): .int64(v.gathering(indices, grid: grid))
    case .uint64(let v): .uint64(v.gathering(indices, grid: grid))
    case .float32(let v): .float32(v.gathering(indices, grid: grid))
    case .float64(let v): .float64(v.gathering(indices, grid: grid))
    }
  }
}
