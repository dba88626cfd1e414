import Testing

@testable import InferenceEngine

@Suite("oneDNN backend plumbing")
struct BackendTests {
  @Test("the OpenMP team size of the calling thread can be set")
  func openMPThreads() throws {
    // libdnnl is linked, so its OpenMP runtime is loaded once any oneDNN call has been made.
    _ = try DNNLRuntime()
    #expect(OpenMPThreads.set(1))
    #expect(OpenMPThreads.current == 1)
    #expect(OpenMPThreads.set(2))
    #expect(OpenMPThreads.current == 2)
  }

  @Test("blocked convolutions run on oneDNN's JIT kernels, not the reference or GEMM fallbacks")
  func implementations() throws {
    let golden = try EngineGolden("resenc_5stage_c2_aniso")
    let net = try UNet(spec: golden.spec, weights: golden.weights)
    let impls = try net.implementations(shape: golden.input.shape)
    #expect(!impls.isEmpty)
    for (layer, impl) in impls where impl != "simple:any" {
      #expect(impl.hasPrefix("jit"), "\(layer): \(impl)")
    }
  }
}
