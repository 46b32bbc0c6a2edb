import Testing

/// The `bson` module in real services: what bson.encode / bson.encode_order make of every kind
/// of value and what bson.decode makes of documents, byte for byte as Skynet v1.8.0 printed them
/// for the same service (vectors.lua, run under Skynet's own bson); round trips of every type;
/// objectids from several services at once; bad documents and values, and 20,000 fuzzed
/// buffers, each a clear Lua error in a node that keeps serving.
@Suite struct BSONTests {
    /// The suite's Lua files: the services and bsonreport.lua, their way of printing.
    static let files = [
        "vectors.lua", "roundtrip.lua", "objectid.lua", "idmaker.lua", "malformed.lua", "fuzz.lua", "bsonreport.lua",
    ]

    /// Runs the service `name` (one of `files`, under its own name: error messages carry it) as
    /// a node's start service and returns what it printed as "name\tvalue" lines, by name, once
    /// it has printed "done".
    static func run(_ name: String, timeout: Double = 30) throws -> [String: String] {
        var sources: [String: String] = [:]
        for file in files { sources[file] = luaSource(file) }
        let node = try TestNode(sources, start: name)
        _ = try node.output.waitForPrint(timeout: timeout) { $0 == "done" }
        var results: [String: String] = [:]
        for line in node.output.stdout {
            let parts = line.split(separator: "\t", maxSplits: 1, omittingEmptySubsequences: false)
            if parts.count == 2 { results[String(parts[0])] = String(parts[1]) }
        }
        return results
    }

    /// Checks every expected line, and that the service printed no line the test does not know.
    static func expect(_ results: [String: String], _ expected: [String: String], prefixes: [String]) {
        for (name, value) in expected {
            #expect(results[name] == value, "\(name)")
        }
        let unknown = results.keys.filter { name in
            expected[name] == nil && prefixes.contains { name.hasPrefix($0) }
        }
        #expect(unknown.isEmpty, "lines without an expected value: \(unknown.sorted())")
    }

    @Test func encodingsMatchSkynetByteForByte() throws {
        // Printed by Skynet v1.8.0 running vectors.lua.
        let skynet: [String: String] = [
            #"int 0"#: #"0c0000001076000000000000"#,
            #"int 1"#: #"0c0000001076000100000000"#,
            #"int -1"#: #"0c000000107600ffffffff00"#,
            #"int 2147483647"#: #"0c000000107600ffffff7f00"#,
            #"int -2147483648"#: #"0c0000001076000000008000"#,
            #"int 2147483648"#: #"10000000127600000000800000000000"#,
            #"int -2147483649"#: #"10000000127600ffffff7fffffffff00"#,
            #"int 9223372036854775807"#: #"10000000127600ffffffffffffff7f00"#,
            #"int -9223372036854775808"#: #"10000000127600000000000000008000"#,
            #"double 0"#: #"10000000017600000000000000000000"#,
            #"double -0"#: #"10000000017600000000000000008000"#,
            #"double 1.5"#: #"10000000017600000000000000f83f00"#,
            #"double 3"#: #"10000000017600000000000000084000"#,
            #"double 4294967295"#: #"100000000176000000e0ffffffef4100"#,
            #"double 1e+308"#: #"10000000017600a0c8eb85f3cce17f00"#,
            #"double -9.9999999999999991e-309"#: #"10000000017600d2e81978d630078000"#,
            #"double inf"#: #"10000000017600000000000000f07f00"#,
            #"double -inf"#: #"10000000017600000000000000f0ff00"#,
            #"double 3.1415926535897931"#: #"10000000017600182d4454fb21094000"#,
            #"double nan"#: #"10000000017600000000000000f8ff00"#,
            #"string empty"#: #"0d000000027600010000000000"#,
            #"string hello"#: #"120000000276000600000068656c6c6f0000"#,
            #"string zero"#: #"10000000027600040000006100620000"#,
            #"string lonezero"#: #"0e00000002760002000000000000"#,
            #"string accents"#: #"130000000276000700000068c3a96c6c6f0000"#,
            #"string cjk"#: #"1300000002760007000000e4b8ade696870000"#,
            #"string emoji"#: #"1100000002760005000000f09f98800000"#,
            #"string max"#: #"1100000002760005000000f48fbfbf0000"#,
            #"string surrogate"#: #"1000000002760004000000eda0800000"#,
            #"boolean true"#: #"090000000876000100"#,
            #"boolean false"#: #"090000000876000000"#,
            #"null"#: #"080000000a760000"#,
            #"minkey"#: #"08000000ff760000"#,
            #"maxkey"#: #"080000007f760000"#,
            #"binary"#: #"12000000057600050000000068656c6c6f00"#,
            #"binary empty"#: #"0d000000057600000000000000"#,
            #"binary subtype 4"#: #"1d00000005760010000000041111111111111111111111111111111100"#,
            #"regex"#: #"0c0000000b76002a00690000"#,
            #"regex no options"#: #"0f0000000b760068656c6c6f000000"#,
            #"regex options"#: #"130000000b76005e612e2a7a2400696d780000"#,
            #"date 0"#: #"10000000097600000000000000000000"#,
            #"date"#: #"100000000976000068e5cf8b01000000"#,
            #"date -1"#: #"1000000009760018fcffffe703000000"#,
            #"date 2^32+5"#: #"10000000097600881300000000000000"#,
            #"timestamp"#: #"100000001176000700000000f1536500"#,
            #"timestamp default"#: #"100000001176000000000000f1536500"#,
            #"objectid"#: #"140000000776000123456789abcdef0123456700"#,
            #"objectid upper"#: #"140000000776000123456789abcdef0123456700"#,
            #"int64 5"#: #"10000000127600050000000000000000"#,
            #"int64 -1"#: #"10000000127600ffffffffffffffff00"#,
            #"jscode"#: #"100000000d760004000000783d310000"#,
            #"array"#: #"220000000476001a0000001030000100000010310002000000103200030000000000"#,
            #"array 12"#:
                #"630000000476005b0000001030000100000010310002000000103200030000001033000400000010340005000000103500060000001036000700000010370008000000103800090000001039000a000000103130000b000000103131000c0000000000"#,
            #"array nested"#:
                #"350000000476002d0000000430000c00000010300001000000000431000e0000000230000200000061000003320005000000000000"#,
            #"array of documents"#: #"2d000000047600250000000330000c00000010780001000000000331000e000000027900020000007a00000000"#,
            #"array mixed"#: #"1b0000000476001300000010300001000000103100020000000000"#,
            #"array from keys"#: #"1f000000047600170000000230000200000061000231000200000062000000"#,
            #"array __len"#: #"220000000476001a0000001030000a000000103100140000001032001e0000000000"#,
            #"empty table"#: #"0d000000037600050000000000"#,
            #"document"#: #"21000000037600190000000378001100000003790009000000087a000100000000"#,
            #"document __pairs"#: #"3100000003760029000000106200010000001061000200000003630013000000107a000100000010790002000000000000"#,
            #"encode __pairs"#: #"27000000026b310003000000763100046b32001300000010300001000000103100020000000000"#,
            #"encode empty"#: #"0500000000"#,
            #"encode one"#: #"160000000268656c6c6f0006000000776f726c640000"#,
            #"encode_order empty"#: #"0500000000"#,
            #"encode_order keys"#: #"1a000000107a000100000010610002000000106d000300000000"#,
            #"encode_order number key"#: #"1d000000023100040000006f6e650002322e35000400000074776f0000"#,
            #"encode_order document"#: #"2b000000036f000c0000001078000100000000046c00140000000330000c00000010610001000000000000"#,
            #"key utf8"#: #"0f00000010636cc3a9000100000000"#,
        ]
        Self.expect(
            try Self.run("vectors"), skynet,
            prefixes: [
                "int ", "double ", "string ", "boolean ", "binary", "regex", "date", "timestamp", "objectid",
                "int64", "array", "document", "encode", "key ", "null", "minkey", "maxkey", "jscode", "empty",
            ])
    }

    @Test func decodingAndDocumentObjectsMatchSkynet() throws {
        // Printed by Skynet v1.8.0 running vectors.lua (it decodes through its mongo driver's
        // reply parser; Skyhost's bson.decode takes the string).
        let skynet: [String: String] = [
            #"decode array"#: #"{t={[1]="d",[2]="b",[6]="c"}}"#,
            #"decode binary"#: #"{b=binary(0,6869212a2a),c=binary(4,78797a)}"#,
            #"decode binary4"#: #"{c=binary(4,78797a)}"#,
            #"decode codews"#: #"{c=unsupported(000f1800000004000000783d31000c0000001078000100000000)}"#,
            #"decode date"#: #"{d=date(1717000000),e=date(-1),f=date(0),g=date(0)}"#,
            #"decode dbpointer"#: #"{p=unsupported(000c0200000061000102030405060708090a0b0c)}"#,
            #"decode duplicate"#: #"{a=2,b="x"}"#,
            #"decode jscode"#: #"{j=unsupported(000d04000000783d3100)}"#,
            #"decode nested"#: #"{d={a={[1]=1},e={},f={}}}"#,
            #"decode objectid"#: #"{o=objectid(0123456789abcdef01234567)}"#,
            #"decode regex"#: #"{r=regex(a^*,im)}"#,
            #"decode scalars"#:
                #"{M=maxkey,d=2.5f,f=boolean(false),i="hello",j=9223372036854775807,k=7,m=minkey,n=nil,t=boolean(true),w=boolean(true)}"#,
            #"decode string zero"#: #"{s="a\0b"}"#,
            #"decode symbol"#: #"{s=unsupported(000e0400000061626300)}"#,
            #"decode timestamp"#: #"{t=timestamp(1697338213,7)}"#,
            #"again jscode"#: #"true"#,
            #"again symbol"#: #"true"#,
            #"again codews"#: #"true"#,
            #"again dbpointer"#: #"true"#,
            #"again binary4"#: #"true"#,
            #"again regex"#: #"true"#,
            #"again timestamp"#: #"true"#,
            #"again objectid"#: #"true"#,
            #"object length"#: #"86"#,
            #"object tostring"#:
                #"560000001069000100000001660000000000000004400862000109640010270000000000001174000200000001000000076f000123456789abcdef01234567126c000700000000000000027300040000007374720000"#,
            #"object decode"#:
                #"{b=boolean(true),d=date(10),f=2.5f,i=1,l=7,o=objectid(0123456789abcdef01234567),s="str",t=timestamp(1,2)}"#,
            #"object field"#: #"nil"#,
            #"makeindex returns"#: #"true"#,
            #"replaced"#:
                #"56000000106900fbffffff0166000000000000001c4008620000096400204e0000000000001174000600000005000000076f00ffffffffffffffffffffffff126c00ffffffffffffffff027300040000007374720000"#,
        ]
        Self.expect(try Self.run("vectors"), skynet, prefixes: ["decode ", "again ", "object ", "makeindex", "replaced"])
    }

    @Test func typesMarkersAndErrorsMatchSkynet() throws {
        // Printed by Skynet v1.8.0 running vectors.lua.
        let skynet: [String: String] = [
            #"type nil"#: #"nil"#,
            #"type null"#: #"nil"#,
            #"type minkey"#: #"minkey"#,
            #"type maxkey"#: #"maxkey"#,
            #"type integer"#: #"number 7"#,
            #"type float"#: #"number 1.5"#,
            #"type boolean"#: #"boolean false"#,
            #"type string"#: #"string "abc""#,
            #"type lone zero"#: #"string "\0""#,
            #"type binary"#: #"binary "xy" 0"#,
            #"type objectid"#: #"objectid "0123456789abcdef01234567""#,
            #"type date"#: #"date -5"#,
            #"type timestamp"#: #"timestamp 100 7"#,
            #"type regex"#: #"regex "p" "o""#,
            #"type int64"#: #"int64 -3"#,
            #"type jscode"#: #"unsupported "abc""#,
            #"type table"#: #"table"#,
            #"marker null"#: #"000a"#,
            #"marker minkey"#: #"00ff"#,
            #"marker maxkey"#: #"007f"#,
            #"marker regex nil"#: #"000b610000"#,
            #"marker regex numbers"#: #"000b313200333400"#,
            #"marker regex table"#: #"000b610000"#,
            #"marker binary nil"#: #"000500"#,
            #"marker binary number"#: #"0005003132"#,
            #"marker date 2^32+5"#: #"000905000000"#,
            #"marker timestamp"#: #"00110000000005000000 00110000000005000000"#,
            #"marker timestamp inc"#: #"00110300000005000000 0011ffffffff09000000"#,
            #"marker timestamp counter"#: #"1"#,
            #"module"#: #"binary,date,decode,encode,encode_order,int64,maxkey,minkey,null,objectid,regex,timestamp,type"#,
            #"metatable"#: #"__index,__len,__name,__newindex,__tostring"#,
            #"methods"#: #"decode,makeindex"#,
            #"metatable name"#: #"bson"#,
            #"error hole"#: #"Bson array has a hole (nil), Use bson.null instead"#,
            #"error number key"#: #"Bson dictionary's key can't be number"#,
            #"error top-level array"#: #"Bson dictionary's key can't be number"#,
            #"error boolean key"#: #"Invalid key type : boolean"#,
            #"error function"#: #"Invalid value type : function"#,
            #"error thread"#: #"Invalid value type : thread"#,
            #"error light userdata"#: #"Invalid value type : userdata"#,
            #"error cycle"#: #"Too depth while encoding bson"#,
            #"error not a table"#: #"bad argument #1 to 'bson.encode' (table expected, got string)"#,
            #"error __len float"#: #"__len should return integer"#,
            #"error odd arguments"#: #"Invalid ordered dict"#,
            #"error table key"#: #"Argument 1 need a string"#,
            #"error utf8 key"#: #"Invalid utf8 string"#,
            #"error utf8 value"#: #"Invalid utf8 string"#,
            #"error overlong"#: #"Invalid utf8 string"#,
            #"error beyond U+10FFFF"#: #"Invalid utf8 string"#,
            #"error subtype"#: #"Invalid subtype 97"#,
            #"error objectid size"#: #"Invalid object id abc"#,
            #"error date size"#: #"Invalid date"#,
            #"error objectid short"#: #"Invalid objectid 0123"#,
            #"error objectid number"#: #"Invalid objectid 123"#,
            #"error date float"#: #"bad argument #1 to 'bson.date' (number has no integer representation)"#,
            #"error int64 string"#: #"bad argument #1 to 'bson.int64' (number expected, got string)"#,
            #"error type none"#: #"Invalid type no value"#,
            #"error type function"#: #"Invalid type function"#,
            #"error type userdata"#: #"Invalid type userdata"#,
            #"error type regex"#: #"Invalid regex"#,
            #"error type subtype"#: #"Invalid subtype 99"#,
            #"error replace 2^40"#: #"vectors.lua:258: 1099511627776.0 must be a 32bit integer "#,
            #"error replace 1.5"#: #"vectors.lua:259: 1.5 must be a 32bit integer "#,
            #"error replace string"#: #"vectors.lua:260: 3.0 must be a 32bit integer "#,
            #"error replace double"#: #"vectors.lua:261: bad argument #3 to 'newindex' (number expected, got string)"#,
            #"error replace date"#: #"vectors.lua:262: Type mismatch, need bson type 9"#,
            #"error replace objectid"#: #"vectors.lua:263: Type mismatch, need bson type 7"#,
            #"error replace int64"#: #"vectors.lua:264: 0.5 must be a 64bit integer "#,
            #"error replace string field"#: #"vectors.lua:265: Can't replace key : s"#,
            #"error replace unknown"#: #"vectors.lua:266: Can't replace key : z"#,
            #"error replace before makeindex"#: #"vectors.lua:267: call makeindex first"#,
            #"error makeindex table"#: #"bad argument #1 to '?' (bson expected, got table)"#,
        ]
        Self.expect(
            try Self.run("vectors"), skynet, prefixes: ["type ", "marker ", "module", "metatable", "methods", "error "])
    }

    @Test func everyTypeRoundTrips() throws {
        let results = try Self.run("roundtrip")
        let mismatches = results.filter { $0.key.hasPrefix("mismatch ") }
        #expect(mismatches.isEmpty, "\(mismatches)")
        #expect(results["round trips"] == "47 of 47")
        #expect(results["string decode"] == "true")
        // "a", "b" and "c" come in the order encode_order was given them.
        #expect(results["keys in order"] == "6 13 41 42")
        #expect(results["kinds"] == "{e={},f=0.5f,i=1,l=1099511627776,m=3,o={x=1}}")
        #expect(
            results["replaced"]
                == "{b=boolean(false),d=date(1700000000),f=-2.25f,i=-7,l=-9223372036854775808,"
                + "o=objectid(ffffffffffffffffffffffff),s=\"fixed\",t=timestamp(7,3)}")
        #expect(results["replaced length"] == "true")
    }

    @Test func objectIdsAreUniqueAndInTheOrderTheyWereMade() throws {
        let results = try Self.run("objectid", timeout: 60)
        #expect(results["ids"] == "80000")
        #expect(results["distinct"] == "80000")
        #expect(results["outside their time"] == "0")
        #expect(results["other machine part"] == "0")
        #expect(results["out of order"] == "0")
        #expect(results["parse"] == "objectid 24 true")
        #expect(results["parse upper case"] == "true")
    }

    @Test func malformedInputIsAClearErrorAndTheNodeKeepsServing() throws {
        let results = try Self.run("malformed", timeout: 120)
        let expected = [
            "decode valid": "no error",
            "decode empty string": "Invalid bson document: a string of 0 bytes (a document has at least 5)",
            "decode too short": "Invalid bson document: a string of 3 bytes (a document has at least 5)",
            "decode truncated": "Invalid bson document: its length prefix says 25 bytes, the string has 22",
            "decode prefix too small": "Invalid bson document: its length prefix says 24 bytes, the string has 25",
            "decode prefix too large": "Invalid bson document: its length prefix says 26 bytes, the string has 25",
            "decode prefix negative": "Invalid bson document: its length prefix says -1 bytes, the string has 25",
            "decode no document end": "Invalid document end",
            "decode inner length too large": "Invalid bson block (60 bytes needed, 1 left)",
            "decode inner length too small": "Invalid bson document length 3",
            "decode inner end": "Invalid document end",
            "decode type undefined": "Invalid bson type : 6",
            "decode type decimal128": "Invalid bson type : 19",
            "decode type unknown": "Invalid bson type : 66",
            "decode type zero": "Invalid bson type : 0",
            "decode string without terminator": "Invalid bson string : no terminating zero",
            "decode string length 0": "Invalid bson string , length = 0",
            "decode string length negative": "Invalid bson string , length = -5",
            "decode string past the end": "Invalid bson block (100 bytes needed, 4 left)",
            "decode key without terminator": "Invalid bson block : cstring without terminating zero",
            "decode binary length negative": "Invalid bson binary length -1",
            "decode binary past the end": "Invalid bson block (11 bytes needed, 4 left)",
            "decode objectid short": "Invalid bson block (12 bytes needed, 5 left)",
            "decode regex without terminators": "Invalid bson block : cstring without terminating zero",
            "decode code with scope too short": "Invalid bson code with scope length 4",
            "decode nested 1000": "no error",
            "decode nested 1001": "bson document nested too deep (more than 1000 levels)",
            "decode array nested 5000": "bson document nested too deep (more than 1000 levels)",
            "decode nothing": "0 0 0",
            "encode cycle": "Too depth while encoding bson",
            "encode function": "Invalid value type : function",
            "encode function in array": "Invalid value type : function",
            "encode too deep": "Too depth while encoding bson",
            "encode key with zero": "Bson key can't contain a zero byte",
            "encode key with zero in table": "Bson key can't contain a zero byte",
            "encode binary marker without subtype": "Invalid binary",
            "encode regex marker without zero": "Invalid regex",
            "encode regex marker with one zero": "Invalid regex",
            "encode regex pattern with zero": "Invalid regex",
            "encode regex bad utf8": "Invalid utf8 string",
            "encode jscode marker framing": "Invalid bson block (9 bytes needed, 4 left)",
            "encode int64 marker size": "Invalid int64",
            "encode timestamp marker size": "Invalid timestamp",
            "encode not a document userdata": "Invalid bson document in userdata",
            "encode __len negative": "__len should return a non-negative integer",
            "encode __pairs raises": "no pairs here",
            "encode objectid bad hex": "Invalid objectid 0123456789abcdef0123456z",
            "encode type binary without subtype": "Invalid binary",
            "encode type regex without zero": "Invalid regex",
            "encode replace int32 out of range": "1099511627776.0 must be a 32bit integer ",
            "encode tostring of a table": "bad argument #1 to '?' (bson expected, got table)",
            "encode length of a table": "bad argument #1 to '?' (bson expected, got table)",
            "encode replace on a table": "bad argument #1 to '?' (bson expected, got table)",
            "memory after failing encodes": "true",
            "fuzz alive": "pong",
            "still serving": "pong",
        ]
        Self.expect(results, expected, prefixes: ["decode ", "encode "])
        // 10,000 random buffers and 10,000 mutations of valid documents: each decodes or fails
        // with a message, and whatever decodes encodes again or fails with a message.
        var figures: [String: Int] = [:]
        for word in (results["fuzz"] ?? "").split(separator: " ") {
            let parts = word.split(separator: "=")
            if parts.count == 2 { figures[String(parts[0])] = Int(parts[1]) }
        }
        #expect(figures["buffers"] == 20000, "\(results["fuzz"] ?? "no fuzz figures")")
        #expect((figures["errors"] ?? 0) + (figures["decoded"] ?? 0) == 20000)
        #expect((figures["errors"] ?? 0) > 1000 && (figures["decoded"] ?? 0) > 1000, "both outcomes are common")
        #expect(figures["unexpected"] == 0)
    }
}
