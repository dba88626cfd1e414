/// The plain, obviously-correct forward pass (nested loops, float64 accumulation): a test oracle,
/// thousands of times slower than `UNet`. Binds weights exactly as strictly as `UNet`.
package struct ReferenceNetwork {
  let graph: NetworkGraph
  let weights: [String: [Float]]

  package init(spec: ArchitectureSpec, weights: some WeightSource) throws {
    try spec.validate()
    graph = NetworkGraph(spec: spec)
    self.weights = try graph.bind(weights)
  }

  /// Logits `[K, D, H, W]` for a `[C, D, H, W]` input whose spatial extents are multiples of
  /// `spec.requiredTileDivisor`.
  package func forward(_ input: Tensor) -> Tensor { graph.referenceForward(input, weights: weights) }
}
