import Foundation
import InferenceEngine

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Float16 accumulators for `channels` channels over a ring of `rows` rows (padded row `x` lives
/// in ring row `x % rows`), each row a plane of `lines` lines (`y`) by `n2` values (`z`), in
/// anonymous memory that the system maps in as zero pages when first written: untouched parts cost
/// nothing, and `clear` sets finished parts back to zero for the ring's next use. On Linux whole
/// pages are handed back with `MADV_DONTNEED` (a private anonymous page then reads as zeros);
/// elsewhere, or if `madvise` fails, they are zeroed by hand (BSD/Darwin's `MADV_DONTNEED` keeps
/// the contents).
///
/// Layout: the `z` axis is cut into `bands` (the sliding window's cells along `z`: between
/// consecutive tile starts and ends), and each row stores band after band, each band as
/// `[lines][band width]` starting on a page boundary. A tile that covers some of the bands then
/// touches only their pages (with one band of whole `z` lines a tile covering part of `z` would
/// touch nearly every page of its `y` lines). A finished run of lines is released page by page;
/// the partial pages at its ends are zeroed by hand and stay resident until their other values
/// are cleared too.
///
/// Value `(x, y, z)` of a channel: `row(channel, x) + run.offset + y · run.width + (z - first z
/// of the run)`, with the `Run`s from `runs(_:)`.
final class AccumulatorRing: @unchecked Sendable {
  /// A piece of a `z` range inside one band.
  struct Run: Equatable {
    /// Position of the piece's first value within the requested range.
    var skip: Int
    var count: Int
    /// Offset (in values, within a row) of the piece's first value on line 0.
    var offset: Int
    /// Values per line in this band.
    var width: Int
  }

  let channels: Int
  let rows: Int
  let lines: Int
  let bands: [Range<Int>]
  /// Offset of each band within a row (values; page multiples in bytes).
  private let bandOffsets: [Int]
  /// Elements from one ring row to the next (page multiple in bytes).
  let rowStride: Int
  private let base: UnsafeMutablePointer<Float16>
  private let byteCount: Int
  private static let pageSize = Int(sysconf(Int32(_SC_PAGESIZE)))

  /// `bands`: consecutive ranges covering `0 ..< n2`.
  init(channels: Int, rows: Int, lines: Int, bands: [Range<Int>]) throws {
    self.channels = channels
    self.rows = rows
    self.lines = lines
    self.bands = bands
    let page = Self.pageSize
    var offsets: [Int] = []
    var offset = 0
    for (b, band) in bands.enumerated() {
      if b > 0 && band.lowerBound != bands[b - 1].upperBound || band.isEmpty {
        fatalError("AccumulatorRing: bands \(bands) do not partition the z axis")
      }
      offsets.append(offset)
      offset += (lines * band.count * 2 + page - 1) / page * page / 2
    }
    bandOffsets = offsets
    rowStride = offset
    byteCount = max(page, channels * rows * rowStride * 2)
    #if os(Linux)
    // Reserve no swap for the whole mapping up front: only touched pages are ever resident.
    let flags = MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE
    #else
    let flags = MAP_PRIVATE | MAP_ANONYMOUS
    #endif
    let mapped = mmap(nil, byteCount, PROT_READ | PROT_WRITE, flags, -1, 0)
    guard let mapped, mapped != MAP_FAILED else {
      throw PlansError(.unsupported, "cannot map \(byteCount) bytes for the float16 accumulators", path: "memory")
    }
    base = mapped.assumingMemoryBound(to: Float16.self)
  }

  deinit { munmap(UnsafeMutableRawPointer(base), byteCount) }

  /// The values of padded row `x` of `channel` (address values through `runs`).
  @inline(__always)
  func row(_ channel: Int, _ x: Int) -> UnsafeMutablePointer<Float16> {
    base + (channel * rows + x % rows) * rowStride
  }

  /// The pieces of `z` range `z`, band by band, in order.
  func runs(_ z: Range<Int>) -> [Run] {
    var result: [Run] = []
    for (b, band) in bands.enumerated() {
      let (lo, hi) = (max(band.lowerBound, z.lowerBound), min(band.upperBound, z.upperBound))
      guard lo < hi else { continue }
      result.append(
        Run(skip: lo - z.lowerBound, count: hi - lo, offset: bandOffsets[b] + lo - band.lowerBound, width: band.count))
    }
    return result
  }

  /// Sets lines `ys` of padded row `x` of every channel back to zero (every band), releasing
  /// whole pages. `belowIsClear`: lines `0 ..< ys.lowerBound` of this row are already zero, so the
  /// page holding line `ys.lowerBound`'s start is released whole too (rows finished in increasing
  /// `y` then leave no partial page behind); the last line's page is released whole as well, as
  /// nothing else lives there.
  func clear(row x: Int, lines ys: Range<Int>, belowIsClear: Bool = false) {
    guard !ys.isEmpty else { return }
    let page = Self.pageSize
    for channel in 0..<channels {
      for (b, band) in bands.enumerated() {
        let bandStart = row(channel, x) + bandOffsets[b]
        let start = UnsafeMutableRawPointer(bandStart + ys.lowerBound * band.count)
        let end = UnsafeMutableRawPointer(bandStart + ys.upperBound * band.count)
        let address = Int(bitPattern: start), endAddress = Int(bitPattern: end)
        let alignedStart = belowIsClear ? address / page * page : (address + page - 1) / page * page
        let alignedEnd = ys.upperBound == lines ? (endAddress + page - 1) / page * page : endAddress / page * page
        if alignedEnd > alignedStart
          && FreedMemory.discard(UnsafeMutableRawPointer(bitPattern: alignedStart)!, alignedEnd - alignedStart)
        {
          if alignedStart > address { memset(start, 0, alignedStart - address) }
          if endAddress > alignedEnd { memset(UnsafeMutableRawPointer(bitPattern: alignedEnd)!, 0, endAddress - alignedEnd) }
        } else {
          memset(start, 0, endAddress - address)
        }
      }
    }
  }
}
