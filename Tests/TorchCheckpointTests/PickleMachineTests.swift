import Testing
import TorchCheckpoint

/// Structural rules of the unpickler (reliability.md 2.3), one hand-assembled stream each.
@Suite("Unpickler: values, structure errors, caps")
struct PickleMachineTests {
  func code(_ bytes: [UInt8], limits: CheckpointLimits = .default) -> CheckpointError.Code? {
    do {
      _ = try Unpickler.value(from: bytes, limits: limits)
      return nil
    } catch {
      return error.code
    }
  }

  @Test("plain values, OrderedDict, replace-in-place dict semantics, LONG1, BINFLOAT")
  func values() throws {
    let bytes = pickle { p in
      p.global("collections", "OrderedDict"); p.emptyTuple(); p.reduce()
      p.mark()
      p.string("a"); p.int(-7)
      p.string("b"); p.op(0x47, [0x3F, 0xF8, 0, 0, 0, 0, 0, 0])  // 1.5
      p.string("a"); p.op(0x8A, [2, 0xFF, 0x7F])  // LONG1 32767 replaces 'a' in place
      p.string("c"); p.op(0x8A, [9] + Array(repeating: 0xFF, count: 9))  // 9-byte long
      p.string("d"); p.op(0x88); p.op(0x4E)  // True, None... pushes two values
      p.op(0x86)  // TUPLE2
      p.op(0x75)  // SETITEMS
      p.stop()
    }
    let value = try Unpickler.value(from: bytes)
    let dict = try #require(value.dictionary)
    #expect(dict.isOrdered)
    #expect(dict.entries.map(\.key) == [.string("a"), .string("b"), .string("c"), .string("d")])
    #expect(dict["a"] == .int(32767))
    #expect(dict["b"] == .float(1.5))
    #expect(dict["c"] == .bigInt(Array(repeating: 0xFF, count: 9)))
    #expect(dict["d"] == .tuple([.bool(true), .none]))
  }

  @Test("a tensor view is described exactly; views outside the storage are refused")
  func tensors() throws {
    let ok = pickle { p in p.tensor(numel: 24, offset: 2, shape: [2, 3], strides: [6, 2]); p.stop() }
    guard case .tensor(let t) = try Unpickler.value(from: ok) else {
      Issue.record("not a tensor")
      return
    }
    #expect(t.storage == StorageReference(key: "0", dtype: .float32, location: "cpu", elementCount: 24))
    #expect(t.shape == [2, 3] && t.strides == [6, 2] && t.storageOffset == 2 && !t.isContiguous)
    // offset 2 + 1*6 + 2*2 = 12 < 24 fine; 13 + 1*6 + 2*2 = 23 fine; 14 -> 24 out of bounds.
    #expect(code(pickle { p in p.tensor(numel: 24, offset: 13, shape: [2, 3], strides: [6, 2]); p.stop() }) == nil)
    #expect(code(pickle { p in p.tensor(numel: 24, offset: 14, shape: [2, 3], strides: [6, 2]); p.stop() }) == .invalidTensor)
    #expect(code(pickle { p in p.tensor(numel: 4, shape: [2, -3], strides: [1, 1]); p.stop() }) == .invalidTensor)
    #expect(code(pickle { p in p.tensor(numel: 4, shape: [2], strides: [1, 1]); p.stop() }) == .invalidTensor)
    #expect(code(pickle { p in p.tensor(numel: 4, shape: [65536, 65536, 65536], strides: [0, 0, 0]); p.stop() }) == .limitExceeded)
    #expect(code(pickle { p in p.tensor(numel: 0, shape: [0, 5], strides: [5, 1]); p.stop() }) == nil)
    // The same key declared with two sizes (CVE-2026-24747-style confusion).
    let twice = pickle { p in
      p.mark(); p.tensor(numel: 4, shape: [4], strides: [1]); p.tensor(numel: 8, shape: [4], strides: [1]); p.tuple(); p.stop()
    }
    #expect(code(twice) == .invalidTensor)
  }

  @Test("forbidden globals are named, through GLOBAL and STACK_GLOBAL",
    arguments: [("os", "system"), ("posix", "system"), ("builtins", "eval"), ("subprocess", "Popen"),
      ("builtins", "getattr"), ("importlib", "import_module"), ("torch", "load"), ("torch._utils", "_rebuild_qtensor"),
      ("collections", "Counter"), ("numpy", "load")])
  func forbidden(module: String, name: String) throws {
    for bytes in [
      pickle { p in p.global(module, name); p.stop() },
      pickle { p in p.string(module); p.string(name); p.op(0x93); p.stop() },
    ] {
      do {
        _ = try Unpickler.value(from: bytes)
        Issue.record("\(module).\(name) accepted")
      } catch {
        #expect(error.code == .forbiddenGlobal)
        #expect(error.description.contains("\(module).\(name)"))
      }
    }
  }

  @Test("structural errors throw .malformedPickle")
  func structure() {
    let cases: [(String, [UInt8])] = [
      ("unknown opcode", pickle { p in p.op(0xFF) }),
      ("empty stream", []),
      ("no STOP", pickle { p in p.int(1) }),
      ("STOP on empty stack", pickle { p in p.stop() }),
      ("STOP with two values", pickle { p in p.int(1); p.int(2); p.stop() }),
      ("bytes after STOP", pickle { p in p.int(1); p.stop(); p.op(0x4E) }),
      ("STOP with open MARK", pickle { p in p.int(1); p.mark(); p.stop() }),
      ("REDUCE underflow", pickle { p in p.reduce(); p.stop() }),
      ("TUPLE without MARK", pickle { p in p.int(1); p.tuple(); p.stop() }),
      ("APPENDS without MARK", pickle { p in p.emptyList(); p.op(0x65); p.stop() }),
      ("pop across a MARK", pickle { p in p.emptyList(); p.mark(); p.op(0x61); p.stop() }),
      ("TUPLE2 across a MARK", pickle { p in p.int(1); p.mark(); p.int(2); p.op(0x86); p.stop() }),
      ("POP_MARK without MARK", pickle { p in p.int(1); p.op(0x31); p.stop() }),
      ("memo get of a missing key", pickle { p in p.get(3); p.stop() }),
      ("LONG_BINGET of a missing key", pickle { p in p.op(0x6A, [0xFF, 0xFF, 0xFF, 0x7F]); p.stop() }),
      ("BINPUT on an empty stack", pickle { p in p.put(0); p.stop() }),
      ("SETITEM on a list", pickle { p in p.emptyList(); p.int(1); p.int(2); p.op(0x73); p.stop() }),
      ("APPEND on a dict", pickle { p in p.emptyDict(); p.int(1); p.op(0x61); p.stop() }),
      ("SETITEMS with an odd count", pickle { p in p.emptyDict(); p.mark(); p.int(1); p.op(0x75); p.stop() }),
      ("BUILD on a list", pickle { p in p.emptyList(); p.emptyDict(); p.op(0x62); p.stop() }),
      ("REDUCE on a non-global", pickle { p in p.int(1); p.emptyTuple(); p.reduce(); p.stop() }),
      ("REDUCE with non-tuple args", pickle { p in p.global("collections", "OrderedDict"); p.int(1); p.reduce(); p.stop() }),
      ("REDUCE on a storage class", pickle { p in p.global("torch", "FloatStorage"); p.emptyTuple(); p.reduce(); p.stop() }),
      ("NEWOBJ on a function", pickle { p in p.global("torch._utils", "_rebuild_tensor_v2"); p.emptyTuple(); p.op(0x81); p.stop() }),
      ("persistent id that is not a storage", pickle { p in p.string("module"); p.op(0x51); p.stop() }),
      ("persistent id with a path key", pickle { p in p.storage(key: "../x", numel: 1); p.stop() }),
      ("invalid UTF-8", pickle { p in p.op(0x58, [2, 0, 0, 0, 0xC3, 0x28]); p.stop() }),
      ("string past the end", pickle { p in p.op(0x58, [200, 0, 0, 0, 0x41]); p.stop() }),
      ("GLOBAL without newline", pickle { p in p.op(0x63, Array("os".utf8)) }),
      ("STACK_GLOBAL with ints", pickle { p in p.int(1); p.int(2); p.op(0x93); p.stop() }),
      ("_codecs.encode outside latin-1", pickle { p in
        p.global("_codecs", "encode"); p.string("€"); p.string("latin1"); p.op(0x86); p.reduce(); p.stop()
      }),
      ("a list that contains itself", pickle { p in p.emptyList(); p.put(0); p.get(0); p.op(0x61); p.stop() }),
    ]
    for (what, bytes) in cases {
      #expect(code(bytes) == .malformedPickle, "\(what)")
    }
  }

  @Test("text-protocol and code-executing opcodes are refused",
    arguments: [UInt8(0x69), 0x6F, 0x50, 0x82, 0x83, 0x84, 0x92, 0x96, 0x97, 0x98, 0x49, 0x53, 0x56, 0x67, 0x70])
  func refusedOpcodes(raw: UInt8) {
    #expect(code(pickle { p in p.op(raw, Array("x\n".utf8)); p.stop() }) == .unsupported)
  }

  @Test("protocol 6 and 1 are refused")
  func protocols() {
    #expect(code([0x80, 0x06, 0x4E, 0x2E]) == .unsupported)
    #expect(code([0x80, 0x01, 0x4E, 0x2E]) == .unsupported)
    #expect(code([0x80, 0x05, 0x95, 2, 0, 0, 0, 0, 0, 0, 0, 0x4E, 0x2E]) == nil)  // FRAME
  }

  @Test("caps: memo, stack, nesting, container items, string length, operations")
  func caps() {
    var limits = CheckpointLimits()
    limits.maxMemoEntries = 10
    #expect(code(pickle { p in p.int(1); for i in 0..<11 { p.put(UInt8(i)) }; p.stop() }, limits: limits) == .limitExceeded)
    #expect(code(pickle { p in p.int(1); p.put(10); p.stop() }, limits: limits) == .limitExceeded)

    limits = CheckpointLimits()
    limits.maxStackDepth = 100
    #expect(code(pickle { p in for _ in 0..<101 { p.int(1) } }, limits: limits) == .limitExceeded)
    #expect(code(pickle { p in for _ in 0..<101 { p.mark() } }, limits: limits) == .limitExceeded)

    // 100,000 nested 1-tuples: far past the nesting cap, no stack overflow anywhere.
    #expect(code(pickle { p in p.int(1); for _ in 0..<100_000 { p.op(0x85) }; p.stop() }) == .limitExceeded)
    #expect(code(pickle { p in p.int(1); for _ in 0..<255 { p.op(0x85) }; p.stop() }) == nil)

    // Billion laughs: each level is a pair of the previous level, fetched from the memo.
    let laughs = pickle { p in
      p.emptyList(); p.put(0); p.op(0x30)
      for level in 1..<60 { p.get(UInt8(level - 1)); p.get(UInt8(level - 1)); p.op(0x86); p.put(UInt8(level)); p.op(0x30) }
      p.get(59); p.stop()
    }
    #expect(code(laughs) == .limitExceeded)

    limits = CheckpointLimits()
    limits.maxContainerElements = 1000
    #expect(code(pickle { p in p.emptyList(); p.mark(); for _ in 0..<1001 { p.int(1) }; p.op(0x65); p.stop() }, limits: limits) == .limitExceeded)

    limits = CheckpointLimits()
    limits.maxStringBytes = 16
    #expect(code(pickle { p in p.string(String(repeating: "x", count: 17)); p.stop() }, limits: limits) == .limitExceeded)
    #expect(code(pickle { p in p.op(0x8D, [0, 0, 0, 0, 0, 0, 0, 0x80]); p.stop() }) == .limitExceeded)  // BINUNICODE8 2^63

    limits = CheckpointLimits()
    limits.maxOperations = 50
    #expect(code(pickle { p in for _ in 0..<30 { p.int(1); p.op(0x30) }; p.op(0x4E); p.stop() }, limits: limits) == .limitExceeded)

    limits = CheckpointLimits()
    limits.maxPickleBytes = 8
    #expect(code(pickle { p in for _ in 0..<3 { p.int(1) }; p.stop() }, limits: limits) == .limitExceeded)
  }

  @Test("NumPy scalars: numpy.dtype + BUILD byte order + _codecs.encode bytes")
  func numpyScalar() throws {
    let bytes = pickle { p in
      p.global("numpy.core.multiarray", "scalar")
      p.global("numpy", "dtype"); p.string("f8"); p.op(0x89); p.op(0x88); p.op(0x87); p.reduce()
      p.mark(); p.int(3); p.string("<"); p.op(0x4E); p.op(0x4E); p.op(0x4E); p.int(-1); p.int(-1); p.int(0); p.tuple()
      p.op(0x62)  // BUILD
      p.global("_codecs", "encode"); p.string("\u{0}\u{0}\u{0}\u{0}\u{0}\u{0}\u{F0}?"); p.string("latin1"); p.op(0x86); p.reduce()
      p.op(0x86); p.reduce(); p.stop()
    }
    let value = try Unpickler.value(from: bytes)
    #expect(value == .numpyScalar(dtype: "<f8", bytes: [0, 0, 0, 0, 0, 0, 0xF0, 0x3F]))
    #expect(value.doubleValue == 1.0)
  }
}
