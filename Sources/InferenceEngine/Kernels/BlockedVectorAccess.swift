/// Whole 8-channel blocks of `nCdhw8c` activations as one `SIMD8<Float>`: the loads and stores
/// shared by the kernels on that layout (blocks are 32-byte aligned: buffers are 64-byte aligned
/// and blocks are 8 floats).
protocol BlockedVectorAccess {}

extension BlockedVectorAccess {
  @inline(__always)
  static func load(_ p: UnsafePointer<Float>) -> SIMD8<Float> {
    UnsafeRawPointer(p).load(as: SIMD8<Float>.self)
  }

  @inline(__always)
  static func store(_ v: SIMD8<Float>, _ p: UnsafeMutablePointer<Float>) {
    UnsafeMutableRawPointer(p).storeBytes(of: v, as: SIMD8<Float>.self)
  }
}
