/// The pickle opcodes this machine implements (protocols 0–5, binary forms only). Opcodes that
/// import or call arbitrary code in Python (`INST`, `OBJ`, `EXT*`, `NEWOBJ_EX`) and text-protocol
/// forms are deliberately absent and refused.
enum PickleOpcode: UInt8 {
    case mark = 0x28            // (
    case stop = 0x2E            // .
    case pop = 0x30             // 0
    case popMark = 0x31         // 1
    case dup = 0x32             // 2
    case binFloat = 0x47        // G
    case binInt = 0x4A          // J
    case binInt1 = 0x4B         // K
    case binInt2 = 0x4D         // M
    case none = 0x4E            // N
    case binPersID = 0x51       // Q
    case reduce = 0x52          // R
    case binString = 0x54       // T
    case shortBinString = 0x55  // U
    case binUnicode = 0x58      // X
    case binBytes = 0x42        // B
    case shortBinBytes = 0x43   // C
    case emptyList = 0x5D       // ]
    case append = 0x61          // a
    case build = 0x62           // b
    case global = 0x63          // c
    case dict = 0x64            // d
    case appends = 0x65         // e
    case binGet = 0x68          // h
    case longBinGet = 0x6A      // j
    case list = 0x6C            // l
    case binPut = 0x71          // q
    case longBinPut = 0x72      // r
    case setItem = 0x73         // s
    case tuple = 0x74           // t
    case setItems = 0x75        // u
    case emptyDict = 0x7D       // }
    case emptyTuple = 0x29      // )
    case proto = 0x80
    case newObj = 0x81
    case tuple1 = 0x85
    case tuple2 = 0x86
    case tuple3 = 0x87
    case newTrue = 0x88
    case newFalse = 0x89
    case long1 = 0x8A
    case long4 = 0x8B
    case shortBinUnicode = 0x8C
    case binUnicode8 = 0x8D
    case binBytes8 = 0x8E
    case stackGlobal = 0x93
    case memoize = 0x94
    case frame = 0x95
}
