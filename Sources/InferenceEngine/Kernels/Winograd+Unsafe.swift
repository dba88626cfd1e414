/// The three transforms of the Winograd F(2x2x2, 3x3x3) convolution (Lavin & Gray 2016, "Fast
/// Algorithms for Convolutional Neural Networks", F(2,3) nested over the three axes), on the
/// engine's `nCdhw8c` activations.
///
/// One dimension, points 0, 1, -1 and infinity: a 2-output correlation `y[i] = Σ_k d[i+k]·g[k]`
/// (PyTorch's `conv3d`) of a 4-sample input `d` with a 3-tap kernel `g` is
/// `y = Aᵀ[(G g) ⊙ (Bᵀ d)]` with
///
///     Bᵀ = | 1  0 -1  0 |     G = | 1    0    0   |     Aᵀ = | 1  1  1  0 |
///          | 0  1  1  0 |         | 1/2  1/2  1/2 |          | 0  1 -1 -1 |
///          | 0 -1  1  0 |         | 1/2 -1/2  1/2 |
///          | 0  1  0 -1 |         | 0    0    1   |
///
/// In 3-D every matrix acts on each axis in turn (z, y, x), so a 4x4x4 input tile and a 3x3x3
/// kernel give 64 products per (input channel, output channel) pair, summed over input channels:
/// 64 matrix products `M[p] = V[p] · U[p]` (`[tiles, Cin] x [Cin, Cout]`) instead of 216
/// multiply-adds per 2x2x2 output block. Point index `p = (a·4 + b)·4 + c` for axis
/// coefficients `a` (z), `b` (y), `c` (x). Bᵀ and Aᵀ hold only 0 and ±1 (adds only, exact); G
/// holds ±1/2, applied once per weight in float64.
enum WinogradKernel: BlockedVectorAccess {
  /// `U[p][i][o] = Σ_{kz,ky,kx} G[a][kz]·G[b][ky]·G[c][kx]·w[o][i][kz][ky][kx]`, written as
  /// `64` matrices `[cinPadded, coutPadded]` (row-major; zero rows and columns beyond `cin`,
  /// `cout`). `w` is PyTorch's OIDHW `[cout, cin, 3, 3, 3]`. Computed in float64, rounded once.
  static func transformWeights(
    _ w: UnsafePointer<Float>, cout: Int, cin: Int, into u: UnsafeMutablePointer<Float>, cinPadded: Int, coutPadded: Int
  ) {
    let g: [[Double]] = [[1, 0, 0], [0.5, 0.5, 0.5], [0.5, -0.5, 0.5], [0, 0, 1]]
    u.update(repeating: 0, count: 64 * cinPadded * coutPadded)
    var taps = [Double](repeating: 0, count: 27)
    var alongX = [Double](repeating: 0, count: 36)  // [kz][ky][c]
    var alongY = [Double](repeating: 0, count: 48)  // [kz][b][c]
    for o in 0..<cout {
      for i in 0..<cin {
        let kernel = w + (o * cin + i) * 27
        for t in 0..<27 { taps[t] = Double(kernel[t]) }
        for kz in 0..<3 {
          for ky in 0..<3 {
            for c in 0..<4 {
              alongX[(kz * 3 + ky) * 4 + c] = (0..<3).reduce(0) { $0 + g[c][$1] * taps[(kz * 3 + ky) * 3 + $1] }
            }
          }
          for b in 0..<4 {
            for c in 0..<4 {
              alongY[(kz * 4 + b) * 4 + c] = (0..<3).reduce(0) { $0 + g[b][$1] * alongX[(kz * 3 + $1) * 4 + c] }
            }
          }
        }
        for a in 0..<4 {
          for bc in 0..<16 {
            let v = (0..<3).reduce(0.0) { $0 + g[a][$1] * alongY[$1 * 16 + bc] }
            u[((a * 16 + bc) * cinPadded + i) * coutPadded + o] = Float(v)
          }
        }
      }
    }
  }

  /// `Bᵀ d` on 4 vectors `d[0], d[s], d[2s], d[3s]` in place.
  @inline(__always)
  static func inputStep(_ d: UnsafeMutablePointer<SIMD8<Float>>, _ s: Int) {
    let (d0, d1, d2, d3) = (d[0], d[s], d[2 * s], d[3 * s])
    d[0] = d0 - d2
    d[s] = d1 + d2
    d[2 * s] = d2 - d1
    d[3 * s] = d1 - d3
  }

  /// Input transform of one channel block of one tile: reads the 4x4x4 input voxels starting at
  /// `(z0, y0, x0)` (block-relative plane of `src`, zeros outside `0..<spatial`), writes
  /// `Bᵀ d B` (all three axes) for point `p` to `v + p·pointStride`. `d`: 64 vectors of scratch.
  @inline(__always)
  static func transformInputTile(
    _ src: UnsafePointer<Float>, spatial: (Int, Int, Int), origin: (Int, Int, Int), d: UnsafeMutablePointer<SIMD8<Float>>,
    into v: UnsafeMutablePointer<Float>, pointStride: Int
  ) {
    let (depth, height, width) = spatial
    let (z0, y0, x0) = origin
    let inside = z0 >= 0 && y0 >= 0 && x0 >= 0 && z0 + 4 <= depth && y0 + 4 <= height && x0 + 4 <= width
    // Along x while loading (each row of 4 in registers), along y in `d`, along z while storing.
    for zy in 0..<16 {
      let (z, y) = (z0 + (zy >> 2), y0 + (zy & 3))
      var (d0, d1, d2, d3) = (SIMD8<Float>(), SIMD8<Float>(), SIMD8<Float>(), SIMD8<Float>())
      if inside {
        let row = src + ((z * height + y) * width + x0) * 8
        (d0, d1, d2, d3) = (load(row), load(row + 8), load(row + 16), load(row + 24))
      } else if z >= 0 && z < depth && y >= 0 && y < height {
        let row = src + (z * height + y) * width * 8
        if x0 >= 0 && x0 < width { d0 = load(row + x0 * 8) }
        if x0 + 1 >= 0 && x0 + 1 < width { d1 = load(row + (x0 + 1) * 8) }
        if x0 + 2 >= 0 && x0 + 2 < width { d2 = load(row + (x0 + 2) * 8) }
        if x0 + 3 >= 0 && x0 + 3 < width { d3 = load(row + (x0 + 3) * 8) }
      }
      d[zy * 4] = d0 - d2
      d[zy * 4 + 1] = d1 + d2
      d[zy * 4 + 2] = d2 - d1
      d[zy * 4 + 3] = d1 - d3
    }
    for z in 0..<4 {
      for x in 0..<4 { inputStep(d + z * 16 + x, 4) }
    }
    for yx in 0..<16 {
      let (a0, a1, a2, a3) = (d[yx], d[16 + yx], d[32 + yx], d[48 + yx])
      store(a0 - a2, v + yx * pointStride)
      store(a1 + a2, v + (16 + yx) * pointStride)
      store(a2 - a1, v + (32 + yx) * pointStride)
      store(a1 - a3, v + (48 + yx) * pointStride)
    }
  }

  /// `Aᵀ m` on 4 vectors `m[0], m[s], m[2s], m[3s]`, the 2 results to `m[0]`, `m[s]`.
  @inline(__always)
  static func outputStep(_ m: UnsafeMutablePointer<SIMD8<Float>>, _ s: Int) {
    let (m0, m1, m2, m3) = (m[0], m[s], m[2 * s], m[3 * s])
    m[0] = m0 + m1 + m2
    m[s] = m1 - m2 - m3
  }

  /// Output transform of one channel block of one tile: reads point `p` from `m + p·pointStride`,
  /// computes `Aᵀ M A` (all three axes) plus `bias`, and writes (or, when `accumulate`, adds) the
  /// 2x2x2 outputs at `(z0, y0, x0)` of the block plane `dst`, skipping those outside `spatial`.
  @inline(__always)
  static func transformOutputTile(
    _ m: UnsafePointer<Float>, pointStride: Int, d: UnsafeMutablePointer<SIMD8<Float>>, bias: SIMD8<Float>,
    into dst: UnsafeMutablePointer<Float>, spatial: (Int, Int, Int), origin: (Int, Int, Int), accumulate: Bool
  ) {
    // Along x while loading (`d[(z·4 + y)·2 + x]`), along y in `d` (`d[(z·4 + j)·2 + x]`, j < 2),
    // along z while storing.
    for zy in 0..<16 {
      let row = m + zy * 4 * pointStride
      let (m0, m1, m2, m3) = (load(row), load(row + pointStride), load(row + 2 * pointStride), load(row + 3 * pointStride))
      d[zy * 2] = m0 + m1 + m2
      d[zy * 2 + 1] = m1 - m2 - m3
    }
    for z in 0..<4 {
      for x in 0..<2 { outputStep(d + z * 8 + x, 2) }
    }
    let (depth, height, width) = spatial
    let (z0, y0, x0) = origin
    for j in 0..<2 where y0 + j < height {
      for k in 0..<2 where x0 + k < width {
        let e = j * 2 + k
        let (m0, m1, m2, m3) = (d[e], d[8 + e], d[16 + e], d[24 + e])
        let near = m0 + m1 + m2 + bias
        let far = m1 - m2 - m3 + bias
        let target = dst + ((z0 * height + y0 + j) * width + x0 + k) * 8
        store(accumulate ? load(target) + near : near, target)
        if z0 + 1 < depth {
          let next = target + height * width * 8
          store(accumulate ? load(next) + far : far, next)
        }
      }
    }
  }
}

/// The products of the Winograd convolution: `C[r, :] = Σ_k A[r, k]·B[k, :]` for `rows` rows,
/// `A` rows `lda` floats apart, `B` `[K, N]` row-major, `C` rows `ldc` apart, `N` a multiple of
/// 8. Register blocks of 6 rows x 16 columns (12 accumulators, 2 loads of `B` and 6 broadcasts
/// of `A` per `k`), then 8-column and single-row remainders. Each output is one float32 sum in
/// increasing `k`, so the result does not depend on how rows are grouped into calls.
enum WinogradGEMM {
  @inline(__always)
  static func load(_ p: UnsafePointer<Float>) -> SIMD8<Float> {
    UnsafeRawPointer(p).loadUnaligned(as: SIMD8<Float>.self)
  }

  @inline(__always)
  static func store(_ v: SIMD8<Float>, _ p: UnsafeMutablePointer<Float>) {
    UnsafeMutableRawPointer(p).storeBytes(of: v, as: SIMD8<Float>.self)
  }

  static func multiply(
    rows: Int, k: Int, n: Int, a: UnsafePointer<Float>, lda: Int, b: UnsafePointer<Float>,
    c: UnsafeMutablePointer<Float>, ldc: Int
  ) {
    var col = 0
    while col + 16 <= n {
      var row = 0
      while row + 6 <= rows {
        block6x16(k: k, n: n, a: a + row * lda, lda: lda, b: b + col, c: c + row * ldc + col, ldc: ldc)
        row += 6
      }
      while row < rows {
        block1(k: k, n: n, width: 2, a: a + row * lda, b: b + col, c: c + row * ldc + col)
        row += 1
      }
      col += 16
    }
    if col < n {
      var row = 0
      while row + 6 <= rows {
        block6x8(k: k, n: n, a: a + row * lda, lda: lda, b: b + col, c: c + row * ldc + col, ldc: ldc)
        row += 6
      }
      while row < rows {
        block1(k: k, n: n, width: 1, a: a + row * lda, b: b + col, c: c + row * ldc + col)
        row += 1
      }
    }
  }

  @inline(__always)
  static func block6x16(
    k: Int, n: Int, a: UnsafePointer<Float>, lda: Int, b: UnsafePointer<Float>, c: UnsafeMutablePointer<Float>,
    ldc: Int
  ) {
    var c00 = SIMD8<Float>(), c01 = SIMD8<Float>(), c10 = SIMD8<Float>(), c11 = SIMD8<Float>()
    var c20 = SIMD8<Float>(), c21 = SIMD8<Float>(), c30 = SIMD8<Float>(), c31 = SIMD8<Float>()
    var c40 = SIMD8<Float>(), c41 = SIMD8<Float>(), c50 = SIMD8<Float>(), c51 = SIMD8<Float>()
    let (a0, a1, a2, a3, a4, a5) = (a, a + lda, a + 2 * lda, a + 3 * lda, a + 4 * lda, a + 5 * lda)
    var bp = b
    for kk in 0..<k {
      let b0 = load(bp)
      let b1 = load(bp + 8)
      bp += n
      var x = SIMD8<Float>(repeating: a0[kk])
      c00.addProduct(x, b0)
      c01.addProduct(x, b1)
      x = SIMD8<Float>(repeating: a1[kk])
      c10.addProduct(x, b0)
      c11.addProduct(x, b1)
      x = SIMD8<Float>(repeating: a2[kk])
      c20.addProduct(x, b0)
      c21.addProduct(x, b1)
      x = SIMD8<Float>(repeating: a3[kk])
      c30.addProduct(x, b0)
      c31.addProduct(x, b1)
      x = SIMD8<Float>(repeating: a4[kk])
      c40.addProduct(x, b0)
      c41.addProduct(x, b1)
      x = SIMD8<Float>(repeating: a5[kk])
      c50.addProduct(x, b0)
      c51.addProduct(x, b1)
    }
    store(c00, c)
    store(c01, c + 8)
    store(c10, c + ldc)
    store(c11, c + ldc + 8)
    store(c20, c + 2 * ldc)
    store(c21, c + 2 * ldc + 8)
    store(c30, c + 3 * ldc)
    store(c31, c + 3 * ldc + 8)
    store(c40, c + 4 * ldc)
    store(c41, c + 4 * ldc + 8)
    store(c50, c + 5 * ldc)
    store(c51, c + 5 * ldc + 8)
  }

  @inline(__always)
  static func block6x8(
    k: Int, n: Int, a: UnsafePointer<Float>, lda: Int, b: UnsafePointer<Float>, c: UnsafeMutablePointer<Float>,
    ldc: Int
  ) {
    var c0 = SIMD8<Float>(), c1 = SIMD8<Float>(), c2 = SIMD8<Float>()
    var c3 = SIMD8<Float>(), c4 = SIMD8<Float>(), c5 = SIMD8<Float>()
    let (a0, a1, a2, a3, a4, a5) = (a, a + lda, a + 2 * lda, a + 3 * lda, a + 4 * lda, a + 5 * lda)
    var bp = b
    for kk in 0..<k {
      let b0 = load(bp)
      bp += n
      c0.addProduct(SIMD8<Float>(repeating: a0[kk]), b0)
      c1.addProduct(SIMD8<Float>(repeating: a1[kk]), b0)
      c2.addProduct(SIMD8<Float>(repeating: a2[kk]), b0)
      c3.addProduct(SIMD8<Float>(repeating: a3[kk]), b0)
      c4.addProduct(SIMD8<Float>(repeating: a4[kk]), b0)
      c5.addProduct(SIMD8<Float>(repeating: a5[kk]), b0)
    }
    store(c0, c)
    store(c1, c + ldc)
    store(c2, c + 2 * ldc)
    store(c3, c + 3 * ldc)
    store(c4, c + 4 * ldc)
    store(c5, c + 5 * ldc)
  }

  /// One row, `width` (1 or 2) vectors of 8 columns.
  @inline(__always)
  static func block1(k: Int, n: Int, width: Int, a: UnsafePointer<Float>, b: UnsafePointer<Float>, c: UnsafeMutablePointer<Float>) {
    var c0 = SIMD8<Float>(), c1 = SIMD8<Float>()
    var bp = b
    for kk in 0..<k {
      let x = SIMD8<Float>(repeating: a[kk])
      c0.addProduct(x, load(bp))
      if width == 2 { c1.addProduct(x, load(bp + 8)) }
      bp += n
    }
    store(c0, c)
    if width == 2 { store(c1, c + 8) }
  }
}
