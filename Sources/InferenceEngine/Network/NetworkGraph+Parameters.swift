/// One parameter tensor the network declares.
struct ParameterRequirement: Hashable {
  var key: String
  var shape: [Int]
  /// False for the deep-supervision heads that inference never uses: checked when present, not
  /// required.
  var required: Bool
}

extension NetworkGraph {
  /// Every parameter of the PyTorch module, canonical names only (the `all_modules.*` and
  /// `decoder.encoder.*` aliases are left out), in `state_dict` registration order: encoder
  /// (stem, stages), then decoder stages, transpconvs, seg_layers.
  var parameters: [ParameterRequirement] {
    var list: [ParameterRequirement] = []
    func add(_ conv: ConvLayer, required: Bool = true) {
      list.append(.init(key: conv.weightKey, shape: conv.weightShape, required: required))
      if conv.hasBias { list.append(.init(key: conv.biasKey, shape: [conv.outputChannels], required: required)) }
    }
    func add(_ block: ConvNormBlock) {
      add(block.conv)
      if block.norm.affine {
        list.append(.init(key: block.norm.module + ".weight", shape: [block.norm.channels], required: true))
        list.append(.init(key: block.norm.module + ".bias", shape: [block.norm.channels], required: true))
      }
    }
    if let stem { add(stem) }
    for stage in encoder {
      switch stage {
      case .plain(let convs): convs.forEach(add)
      case .residual(let blocks):
        for b in blocks {
          add(b.conv1)
          add(b.conv2)
          if let p = b.projection { add(p) }
        }
      }
    }
    for stage in decoder { stage.convs.forEach(add) }
    for stage in decoder {
      let up = stage.upsample
      list.append(.init(key: up.weightKey, shape: up.weightShape, required: true))
      if up.hasBias { list.append(.init(key: up.biasKey, shape: [up.outputChannels], required: true)) }
    }
    for h in unusedHeads { add(h, required: false) }
    add(head)
    return list
  }

  /// Keys PyTorch stores as aliases of canonical parameters: `ConvDropoutNormReLU.all_modules.*`
  /// and the decoder's reference to the encoder, `decoder.encoder.*`. Ignored by the binding.
  static func isKnownAlias(_ key: String) -> Bool {
    key.hasPrefix("decoder.encoder.") || key.contains(".all_modules.")
  }

  /// Reads and checks every parameter from `source`.
  ///
  /// Strict, like PyTorch's `load_state_dict(strict=True)` but naming shapes: each required
  /// parameter must be present with exactly the declared shape; optional ones (unused
  /// deep-supervision heads) are checked only when present; any other key that is not a known
  /// alias (`isKnownAlias`) is an error. Problems are reported in registration order, the first
  /// one thrown: a missing key, then a shape, then the unexpected keys (all of them, sorted).
  ///
  /// - Throws: `EngineError` with `.missingParameter`, `.shapeMismatch` (message
  ///   `<key>: expected [..], found [..]`), `.invalidWeightData` (value count differs from the
  ///   shape's product, or a value is NaN/infinite), or `.unexpectedParameters`.
  func bind(_ source: some WeightSource) throws -> [String: [Float]] {
    let declared = parameters
    var values: [String: [Float]] = [:]
    for p in declared {
      guard let found = source.shape(of: p.key) else {
        if !p.required { continue }
        throw EngineError(
          .missingParameter,
          "\(p.key): missing from the weights (expected \(describeShape(p.shape))); the checkpoint does not match this \(spec.network.rawValue) architecture",
          key: p.key)
      }
      guard found == p.shape else {
        throw EngineError(
          .shapeMismatch, "\(p.key): expected \(describeShape(p.shape)), found \(describeShape(found))", key: p.key)
      }
      guard p.required else { continue }
      guard let tensor = source.tensor(named: p.key) else {
        throw EngineError(
          .missingParameter, "\(p.key): listed with a shape but its values could not be read", key: p.key)
      }
      let count = p.shape.reduce(1, *)
      guard tensor.shape == p.shape, tensor.values.count == count else {
        throw EngineError(
          .invalidWeightData,
          "\(p.key): shape \(describeShape(tensor.shape)) needs \(count) values, found \(tensor.values.count)",
          key: p.key)
      }
      if let bad = tensor.values.firstIndex(where: { !$0.isFinite }) {
        throw EngineError(
          .invalidWeightData, "\(p.key): value \(tensor.values[bad]) at flat index \(bad) is not finite", key: p.key)
      }
      values[p.key] = tensor.values
    }
    let known = Set(declared.map(\.key))
    let unexpected = source.keys.filter { !known.contains($0) && !Self.isKnownAlias($0) }.sorted()
    if let first = unexpected.first {
      let listed = unexpected.prefix(8).map { key in "\(key) \(source.shape(of: key).map(describeShape) ?? "")" }
      let more = unexpected.count > 8 ? " and \(unexpected.count - 8) more" : ""
      throw EngineError(
        .unexpectedParameters,
        "unexpected parameter\(unexpected.count == 1 ? "" : "s") that \(spec.network.rawValue) does not have: \(listed.joined(separator: ", "))\(more); the checkpoint was trained with a different architecture",
        key: first)
    }
    return values
  }
}
