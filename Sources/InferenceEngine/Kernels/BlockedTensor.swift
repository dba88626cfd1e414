import CDNNL

/// A view of one activation in oneDNN's blocked layout `nCdhw8c` (`dnnl_aBcde8b`), batch 1.
///
/// Channels are grouped in blocks of 8; block `b` holds channels `8b..<8b+8` for every voxel, with
/// the 8 channel values of one voxel adjacent: channel `c` at voxel `v = (z·H + y)·W + x` is
/// `base[((c / 8) · V + v) · 8 + c % 8]` with `V = D·H·W`. A channel count that is not a multiple
/// of 8 is padded to one; the padding lanes hold zeros, an invariant every producer keeps
/// (oneDNN's convolutions write zeros there because their padded weights and bias are zero, and
/// the engine's own kernels propagate those zeros). Convolutions rely on it: they read an input
/// of `channels` channels as `paddedChannels` channels with zero weights on the padding lanes
/// (`PlanBuilder.paddingInputChannels`), which is exact only while those lanes hold finite values.
///
/// A contiguous range of whole blocks of a larger tensor is itself a valid tensor, which is how
/// the decoder's skip connections are concatenated without copying.
struct BlockedTensor {
  var base: UnsafeMutablePointer<Float>
  var channels: Int
  /// `[D, H, W]`.
  var spatial: [Int]

  var voxels: Int { spatial[0] * spatial[1] * spatial[2] }
  var blocks: Int { (channels + 7) / 8 }
  var paddedChannels: Int { blocks * 8 }
  var elementCount: Int { blocks * voxels * 8 }

  /// `[1, C, D, H, W]` in `nCdhw8c`.
  func descriptor() throws -> dnnl_memory_desc_t {
    try MemoryLayout5D.descriptor([1, channels] + spatial, dnnl_aBcde8b)
  }

  /// The sub-tensor of channels `8·firstBlock ..< 8·firstBlock + channels`.
  func blocks(from firstBlock: Int, channels: Int) -> BlockedTensor {
    BlockedTensor(base: base + firstBlock * voxels * 8, channels: channels, spatial: spatial)
  }

  var raw: UnsafeMutableRawPointer { UnsafeMutableRawPointer(base) }
}
