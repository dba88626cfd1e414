import Testing
import Foundation
@testable import NNUNetRuntime

/// A deterministic stand-in network: logits are fixed non-linear functions of the tile, different
/// per "fold", so accumulation order and fold averaging are exercised.
struct FormulaNetwork: TileNetwork {
  var inputChannelCount = 1
  var outputChannelCount = 3
  var fold: Float
  func logits(forTile tile: [Float], shape: [Int]) throws -> [Float] {
    let n = tile.count
    var out = [Float](repeating: 0, count: n * outputChannelCount)
    for c in 0..<outputChannelCount {
      for v in 0..<n { out[c * n + v] = (tile[v] * Float(c + 1) + fold).squareRoot() * 7.3 + Float(v % 13) * 0.011 * fold }
    }
    return out
  }
}

@Suite("Streamed sliding window")
struct SlidingWindowStreamingTests {
  /// nnU-Net's algorithm written plainly: per fold, full-volume float16 accumulators, then
  /// `fp16(acc / w)`, then the fold average in float16.
  func reference(_ data: DenseArray<Float>, patch: [Int], networks: [FormulaNetwork], step: Double) throws -> [[Float16]] {
    let shape = data.shape
    let g = SlidingWindow.gaussian(patch: patch)
    let starts = (0..<3).map { SlidingWindow.tileStarts(size: shape[$0], patch: patch[$0], stepSize: step) }
    var folds = [[[Float16]]]()
    for net in networks {
      var acc = [[Float16]](repeating: [Float16](repeating: 0, count: data.count), count: 3)
      var w = [Float16](repeating: 0, count: data.count)
      for sx in starts[0] { for sy in starts[1] { for sz in starts[2] {
        var tile = [Float]()
        for a in 0..<patch[0] { for b in 0..<patch[1] { for z in 0..<patch[2] {
          tile.append(data.values[((sx + a) * shape[1] + sy + b) * shape[2] + sz + z])
        } } }
        let p = try net.logits(forTile: tile, shape: [1] + patch)
        var t = 0
        for a in 0..<patch[0] { for b in 0..<patch[1] { for z in 0..<patch[2] {
          let idx = ((sx + a) * shape[1] + sy + b) * shape[2] + sz + z
          w[idx] = Float16(Float(w[idx]) + Float(g[t]))
          for c in 0..<3 { acc[c][idx] = Float16(Float(acc[c][idx]) + p[c * tile.count + t] * Float(g[t])) }
          t += 1
        } } }
      } } }
      folds.append(acc.map { a in zip(a, w).map { Float16(Float($0) / Float($1)) } })
    }
    var sum = folds[0]
    for f in folds.dropFirst() { for c in 0..<3 { for v in 0..<data.count { sum[c][v] = Float16(Float(sum[c][v]) + Float(f[c][v])) } } }
    if folds.count > 1 { for c in 0..<3 { for v in 0..<data.count { sum[c][v] = Float16(Float(sum[c][v]) / Float(folds.count)) } } }
    return sum
  }

  @Test(
    "equals full-volume accumulation, with several tile rows along axis 0, 1 or 2 folds, 1 to 3 worker threads",
    arguments: [1, 2], [1, 2, 3])
  func matchesReference(folds: Int, workers: Int) throws {
    let shape = [23, 9, 11]
    let values: [Float] = (0..<(23 * 9 * 11)).map { (n: Int) -> Float in Float((n * 37) % 101) / 10 }
    let data = DenseArray(shape: shape, values: values)
    let networks: [FormulaNetwork] = (0..<folds).map { (f: Int) -> FormulaNetwork in FormulaNetwork(fold: Float(f)) }
    let patch = [8, 6, 8]
    var delivered = [Int](repeating: 0, count: data.count)
    var collected = [[Float16]](repeating: [Float16](repeating: 0, count: data.count), count: 3)
    var blocks = 0
    try SlidingWindow.predict([data], patch: patch, networks: networks, mirrorAxes: [], stepSize: 0.5, workers: workers) { slab in
      blocks += 1
      for c in 0..<3 { slab.scatter(slab.logits[c].values, into: &collected[c], shape: shape) }
      var mark = [Int](repeating: 0, count: data.count)
      slab.scatter([Int](repeating: 1, count: slab.count * slab.countY * shape[2]), into: &mark, shape: shape)
      delivered = zip(delivered, mark).map(+)
    }
    // Every voxel handed on exactly once, in blocks finished tile row by tile row and y band by
    // y band (3 x 2 blocks: 3 tile rows along x, 2 tile starts along y).
    #expect(delivered.allSatisfy { $0 == 1 })
    #expect(blocks == SlidingWindow.tileStarts(size: 23, patch: 8, stepSize: 0.5).count * SlidingWindow.tileStarts(size: 9, patch: 6, stepSize: 0.5).count)
    let expected = try reference(data, patch: patch, networks: networks, step: 0.5)
    for c in 0..<3 { #expect(collected[c] == expected[c], "class \(c)") }
  }

  @Test("slabs capped at a byte size come in row chunks, in order, with the same values")
  func chunkedSlabs() throws {
    let shape = [23, 9, 11]
    let values: [Float] = (0..<(23 * 9 * 11)).map { (n: Int) -> Float in Float((n * 37) % 101) / 10 }
    let data = DenseArray(shape: shape, values: values)
    let networks = [FormulaNetwork(fold: 0), FormulaNetwork(fold: 1)]
    // A y band of a row holds at most 6 x 11 voxels x 3 classes x 2 B = 396 B: 1300 B allows
    // 3 rows per slab.
    var bytes = [Int]()
    var collected = [[Float16]](repeating: [Float16](repeating: 0, count: data.count), count: 3)
    try SlidingWindow.predict([data], patch: [8, 6, 8], networks: networks, mirrorAxes: [], stepSize: 0.5, slabBytes: 1300) { slab in
      bytes.append(3 * slab.count * slab.countY * shape[2] * 2)
      for c in 0..<3 { slab.scatter(slab.logits[c].values, into: &collected[c], shape: shape) }
    }
    #expect(bytes.allSatisfy { $0 <= 1300 })
    #expect(bytes.reduce(0, +) == 3 * data.count * 2)
    let expected = try reference(data, patch: [8, 6, 8], networks: networks, step: 0.5)
    for c in 0..<3 { #expect(collected[c] == expected[c], "class \(c)") }
  }

  @Test("rows wider than a page: blocks released page by page still equal full-volume accumulation")
  func widePlanes() throws {
    // y bands of 4 rows x 700 values x 2 B = 5600 B: whole pages are released (madvise on Linux)
    // and the ring reuses them for later rows.
    let shape = [9, 12, 700]
    let values: [Float] = (0..<(9 * 12 * 700)).map { (n: Int) -> Float in Float((n * 53) % 97) / 9 }
    let data = DenseArray(shape: shape, values: values)
    let networks = [FormulaNetwork(fold: 0), FormulaNetwork(fold: 2)]
    var collected = [[Float16]](repeating: [Float16](repeating: 0, count: data.count), count: 3)
    try SlidingWindow.predict([data], patch: [4, 8, 64], networks: networks, mirrorAxes: [], stepSize: 0.5) { slab in
      for c in 0..<3 { slab.scatter(slab.logits[c].values, into: &collected[c], shape: shape) }
    }
    let expected = try reference(data, patch: [4, 8, 64], networks: networks, step: 0.5)
    for c in 0..<3 {
      let differing = zip(collected[c], expected[c]).filter { $0 != $1 }.count
      #expect(differing == 0, "class \(c): \(differing) of \(data.count) values differ")
    }
  }

  @Test("the accumulator ring clears exactly the lines asked, in every z band, across pages, and reads zeros after")
  func ringClear() throws {
    // Two bands of 700 and 300 values per line, 10 lines: 14000 and 6000 bytes per band (several
    // pages each), so a clear releases whole pages and zeroes the partial ones by hand.
    let ring = try AccumulatorRing(channels: 2, rows: 3, lines: 10, bands: [0..<700, 700..<1000])
    let all = ring.runs(0..<1000)
    #expect(all.count == 2 && all[0].width == 700 && all[1].width == 300 && all[1].skip == 700)
    func value(_ channel: Int, _ x: Int, _ y: Int, _ z: Int) -> Float16 { Float16(Float((channel + x + y * 3 + z) % 11 + 1)) }
    func read(_ channel: Int, _ x: Int, _ y: Int, _ z: Int) -> Float16 {
      let run = ring.runs(z..<(z + 1))[0]
      return ring.row(channel, x)[run.offset + y * run.width]
    }
    for channel in 0..<2 {
      for x in 0..<3 {
        for y in 0..<10 {
          for run in all {
            let line = ring.row(channel, x) + run.offset + y * run.width
            for z in 0..<run.count { line[z] = value(channel, x, y, run.skip + z) }
          }
        }
      }
    }
    ring.clear(row: 4, lines: 2..<8)  // ring row 1
    for channel in 0..<2 {
      for y in 0..<10 {
        for z in stride(from: 0, to: 1000, by: 7) {
          #expect(read(channel, 1, y, z) == ((2..<8).contains(y) ? 0 : value(channel, 1, y, z)))
          #expect(read(channel, 0, y, z) == value(channel, 0, y, z) && read(channel, 2, y, z) == value(channel, 2, y, z))
        }
      }
    }
  }

  @Test("a z range is cut into runs at the band edges, each addressed inside its own band")
  func ringRuns() throws {
    let ring = try AccumulatorRing(channels: 1, rows: 2, lines: 4, bands: [0..<700, 700..<1000, 1000..<1200])
    let runs = ring.runs(650..<1100)
    #expect(runs.map(\.skip) == [0, 50, 350] && runs.map(\.count) == [50, 300, 100] && runs.map(\.width) == [700, 300, 200])
    #expect(runs[0].offset == 650)
    // Bands start on page boundaries: 4 lines x 700 values x 2 bytes rounded up to a page.
    let page = Int(sysconf(Int32(_SC_PAGESIZE)))
    #expect(runs[1].offset * 2 == (4 * 700 * 2 + page - 1) / page * page)
    #expect(ring.runs(700..<1000) == [AccumulatorRing.Run(skip: 0, count: 300, offset: runs[1].offset, width: 300)])
  }

  @Test("a step size outside (0, 1] is refused")
  func stepSizeChecked() {
    let data = DenseArray(shape: [4, 4, 4], values: [Float](repeating: 1, count: 64))
    #expect(throws: PlansError.self) {
      try SlidingWindow.predict([data], patch: [2, 2, 2], networks: [FormulaNetwork(fold: 0)], mirrorAxes: [], stepSize: 1.5) { _ in }
    }
  }

}
