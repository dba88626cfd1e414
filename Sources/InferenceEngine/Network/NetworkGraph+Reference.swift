/// The obviously-correct forward pass: nested loops in the plain `[C, D, H, W]` layout, float64
/// accumulation, one op at a time exactly as nnunet-inference.md section 3 writes it. Thousands of
/// times slower than `UNet.forward`; it exists so that tests can check the fast path on
/// configurations without PyTorch goldens. Not for users.
extension NetworkGraph {
  package func referenceForward(_ input: Tensor, weights: [String: [Float]]) -> Tensor {
    let eps = spec.normalization.epsilon
    let slope = spec.nonlinearity.negativeSlope
    func cdnr(_ b: ConvNormBlock, _ x: Tensor) -> Tensor {
      var y = ReferenceOps.conv(x, b.conv, weights)
      y = ReferenceOps.instanceNorm(
        y, gamma: b.norm.affine ? weights[b.norm.module + ".weight"] : nil,
        beta: b.norm.affine ? weights[b.norm.module + ".bias"] : nil, eps: eps)
      return b.activates ? ReferenceOps.leakyReLU(y, slope) : y
    }
    var h = input
    if let stem { h = cdnr(stem, h) }
    var skips: [Tensor] = []
    for stage in encoder {
      switch stage {
      case .plain(let convs):
        for c in convs { h = cdnr(c, h) }
      case .residual(let blocks):
        for b in blocks {
          var r = h
          if let s = b.poolStride { r = ReferenceOps.averagePool(r, s) }
          if let p = b.projection { r = cdnr(p, r) }
          let y = cdnr(b.conv2, cdnr(b.conv1, h))
          h = ReferenceOps.leakyReLU(Tensor(shape: y.shape, values: zip(y.values, r.values).map { $0 + $1 }), slope)
        }
      }
      skips.append(h)
    }
    h = skips.removeLast()
    for stage in decoder {
      let up = ReferenceOps.transposedConv(h, stage.upsample, weights)
      let skip = skips.removeLast()
      h = Tensor(shape: [up.channels + skip.channels] + up.spatialShape, values: up.values + skip.values)
      for c in stage.convs { h = cdnr(c, h) }
    }
    return ReferenceOps.conv(h, head, weights)
  }
}

/// Plain-layout reference kernels (float64 accumulation).
enum ReferenceOps {
  static func conv(_ x: Tensor, _ layer: ConvLayer, _ weights: [String: [Float]]) -> Tensor {
    let w = weights[layer.weightKey]!
    let bias = layer.hasBias ? weights[layer.biasKey]! : nil
    let (cin, cout, k, s) = (layer.inputChannels, layer.outputChannels, layer.kernel, layer.stride)
    let inS = x.spatialShape
    let outS = layer.outputSpatial(inS)
    let pad = k.map { $0 / 2 }
    var out = [Float](repeating: 0, count: cout * outS.reduce(1, *))
    for o in 0..<cout {
      for z in 0..<outS[0] {
        for y in 0..<outS[1] {
          for xx in 0..<outS[2] {
            var acc = Double(bias?[o] ?? 0)
            for c in 0..<cin {
              for a in 0..<k[0] {
                let iz = z * s[0] - pad[0] + a
                guard iz >= 0, iz < inS[0] else { continue }
                for b in 0..<k[1] {
                  let iy = y * s[1] - pad[1] + b
                  guard iy >= 0, iy < inS[1] else { continue }
                  for e in 0..<k[2] {
                    let ix = xx * s[2] - pad[2] + e
                    guard ix >= 0, ix < inS[2] else { continue }
                    let wv = w[(((o * cin + c) * k[0] + a) * k[1] + b) * k[2] + e]
                    acc += Double(wv) * Double(x.values[((c * inS[0] + iz) * inS[1] + iy) * inS[2] + ix])
                  }
                }
              }
            }
            out[((o * outS[0] + z) * outS[1] + y) * outS[2] + xx] = Float(acc)
          }
        }
      }
    }
    return Tensor(shape: [cout] + outS, values: out)
  }

  static func instanceNorm(_ x: Tensor, gamma: [Float]?, beta: [Float]?, eps: Double) -> Tensor {
    let v = x.voxelCount
    var out = x.values
    for c in 0..<x.channels {
      let plane = x.values[(c * v)..<((c + 1) * v)]
      let mean = plane.reduce(0.0) { $0 + Double($1) } / Double(v)
      let variance = plane.reduce(0.0) { $0 + (Double($1) - mean) * (Double($1) - mean) } / Double(v)
      let g = Double(gamma?[c] ?? 1)
      let b = Double(beta?[c] ?? 0)
      for i in 0..<v {
        out[c * v + i] = Float((Double(x.values[c * v + i]) - mean) / (variance + eps).squareRoot() * g + b)
      }
    }
    return Tensor(shape: x.shape, values: out)
  }

  static func leakyReLU(_ x: Tensor, _ slope: Double) -> Tensor {
    Tensor(shape: x.shape, values: x.values.map { $0 >= 0 ? $0 : Float(slope) * $0 })
  }

  static func averagePool(_ x: Tensor, _ s: [Int]) -> Tensor {
    let inS = x.spatialShape
    let outS = (0..<3).map { inS[$0] / s[$0] }
    var out = [Float](repeating: 0, count: x.channels * outS.reduce(1, *))
    for c in 0..<x.channels {
      for z in 0..<outS[0] {
        for y in 0..<outS[1] {
          for xx in 0..<outS[2] {
            var acc = 0.0
            for a in 0..<s[0] {
              for b in 0..<s[1] {
                for e in 0..<s[2] {
                  acc += Double(
                    x.values[((c * inS[0] + z * s[0] + a) * inS[1] + y * s[1] + b) * inS[2] + xx * s[2] + e])
                }
              }
            }
            out[((c * outS[0] + z) * outS[1] + y) * outS[2] + xx] = Float(acc / Double(s.reduce(1, *)))
          }
        }
      }
    }
    return Tensor(shape: [x.channels] + outS, values: out)
  }

  /// `out[o, z·sd + a, y·sh + b, x·sw + e] = bias[o] + Σ_c x[c, z, y, x] · W[c, o, a, b, e]`.
  static func transposedConv(_ x: Tensor, _ layer: TransposedConvLayer, _ weights: [String: [Float]]) -> Tensor {
    let w = weights[layer.weightKey]!
    let bias = layer.hasBias ? weights[layer.biasKey]! : nil
    let s = layer.stride
    let inS = x.spatialShape
    let outS = (0..<3).map { inS[$0] * s[$0] }
    let (cin, cout) = (layer.inputChannels, layer.outputChannels)
    var out = [Float](repeating: 0, count: cout * outS.reduce(1, *))
    for o in 0..<cout {
      for z in 0..<inS[0] {
        for y in 0..<inS[1] {
          for xx in 0..<inS[2] {
            for a in 0..<s[0] {
              for b in 0..<s[1] {
                for e in 0..<s[2] {
                  var acc = Double(bias?[o] ?? 0)
                  for c in 0..<cin {
                    acc +=
                      Double(x.values[((c * inS[0] + z) * inS[1] + y) * inS[2] + xx])
                      * Double(w[(((c * cout + o) * s[0] + a) * s[1] + b) * s[2] + e])
                  }
                  out[((o * outS[0] + z * s[0] + a) * outS[1] + y * s[1] + b) * outS[2] + xx * s[2] + e] = Float(acc)
                }
              }
            }
          }
        }
      }
    }
    return Tensor(shape: [cout] + outS, values: out)
  }
}
