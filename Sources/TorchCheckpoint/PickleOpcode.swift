/// Pickle opcodes (protocols 0-5) by byte value, with the names CPython's `pickletools` uses.
/// `PickleMachine` executes the binary subset `torch.save` and `pickle.dumps` (protocol ≥ 2)
/// produce for plain data; the text-protocol forms and the code-executing or out-of-band ones
/// (INST, OBJ, PERSID, EXT*, NEWOBJ_EX, BYTEARRAY8, NEXT_BUFFER, READONLY_BUFFER) are rejected.
enum PickleOpcode: UInt8, Sendable {
  case mark = 0x28
  case stop = 0x2E
  case pop = 0x30
  case popMark = 0x31
  case dup = 0x32
  case float = 0x46
  case int = 0x49
  case binInt = 0x4A
  case binInt1 = 0x4B
  case long = 0x4C
  case binInt2 = 0x4D
  case none = 0x4E
  case persID = 0x50
  case binPersID = 0x51
  case reduce = 0x52
  case string = 0x53
  case binString = 0x54
  case shortBinString = 0x55
  case unicode = 0x56
  case binUnicode = 0x58
  case append = 0x61
  case build = 0x62
  case global = 0x63
  case dict = 0x64
  case emptyDict = 0x7D
  case appends = 0x65
  case get = 0x67
  case binGet = 0x68
  case inst = 0x69
  case longBinGet = 0x6A
  case list = 0x6C
  case emptyList = 0x5D
  case obj = 0x6F
  case put = 0x70
  case binPut = 0x71
  case longBinPut = 0x72
  case setItem = 0x73
  case tuple = 0x74
  case emptyTuple = 0x29
  case setItems = 0x75
  case binFloat = 0x47
  case proto = 0x80
  case newObj = 0x81
  case ext1 = 0x82
  case ext2 = 0x83
  case ext4 = 0x84
  case tuple1 = 0x85
  case tuple2 = 0x86
  case tuple3 = 0x87
  case newTrue = 0x88
  case newFalse = 0x89
  case long1 = 0x8A
  case long4 = 0x8B
  case binBytes = 0x42
  case shortBinBytes = 0x43
  case shortBinUnicode = 0x8C
  case binUnicode8 = 0x8D
  case binBytes8 = 0x8E
  case emptySet = 0x8F
  case addItems = 0x90
  case frozenSet = 0x91
  case newObjEx = 0x92
  case stackGlobal = 0x93
  case memoize = 0x94
  case frame = 0x95
  case byteArray8 = 0x96
  case nextBuffer = 0x97
  case readonlyBuffer = 0x98

  /// The `pickletools` name, for messages (`BINPUT`, `STACK_GLOBAL`).
  var name: String {
    switch self {
    case .mark: "MARK"
    case .stop: "STOP"
    case .pop: "POP"
    case .popMark: "POP_MARK"
    case .dup: "DUP"
    case .float: "FLOAT"
    case .int: "INT"
    case .binInt: "BININT"
    case .binInt1: "BININT1"
    case .long: "LONG"
    case .binInt2: "BININT2"
    case .none: "NONE"
    case .persID: "PERSID"
    case .binPersID: "BINPERSID"
    case .reduce: "REDUCE"
    case .string: "STRING"
    case .binString: "BINSTRING"
    case .shortBinString: "SHORT_BINSTRING"
    case .unicode: "UNICODE"
    case .binUnicode: "BINUNICODE"
    case .append: "APPEND"
    case .build: "BUILD"
    case .global: "GLOBAL"
    case .dict: "DICT"
    case .emptyDict: "EMPTY_DICT"
    case .appends: "APPENDS"
    case .get: "GET"
    case .binGet: "BINGET"
    case .inst: "INST"
    case .longBinGet: "LONG_BINGET"
    case .list: "LIST"
    case .emptyList: "EMPTY_LIST"
    case .obj: "OBJ"
    case .put: "PUT"
    case .binPut: "BINPUT"
    case .longBinPut: "LONG_BINPUT"
    case .setItem: "SETITEM"
    case .tuple: "TUPLE"
    case .emptyTuple: "EMPTY_TUPLE"
    case .setItems: "SETITEMS"
    case .binFloat: "BINFLOAT"
    case .proto: "PROTO"
    case .newObj: "NEWOBJ"
    case .ext1: "EXT1"
    case .ext2: "EXT2"
    case .ext4: "EXT4"
    case .tuple1: "TUPLE1"
    case .tuple2: "TUPLE2"
    case .tuple3: "TUPLE3"
    case .newTrue: "NEWTRUE"
    case .newFalse: "NEWFALSE"
    case .long1: "LONG1"
    case .long4: "LONG4"
    case .binBytes: "BINBYTES"
    case .shortBinBytes: "SHORT_BINBYTES"
    case .shortBinUnicode: "SHORT_BINUNICODE"
    case .binUnicode8: "BINUNICODE8"
    case .binBytes8: "BINBYTES8"
    case .emptySet: "EMPTY_SET"
    case .addItems: "ADDITEMS"
    case .frozenSet: "FROZENSET"
    case .newObjEx: "NEWOBJ_EX"
    case .stackGlobal: "STACK_GLOBAL"
    case .memoize: "MEMOIZE"
    case .frame: "FRAME"
    case .byteArray8: "BYTEARRAY8"
    case .nextBuffer: "NEXT_BUFFER"
    case .readonlyBuffer: "READONLY_BUFFER"
    }
  }
}
