import Testing
@testable import MPTFormats

@Suite struct JSONTests {
    @Test func parsesNestedValuesInOrder() throws {
        let value = try JSONParser.parse(#"{"b": [1, 2.5e-3, -0], "a": {"x": null, "y": true}, "s": "\u00e9\ud83d\ude00\n"}"#)
        #expect(value.objectMembers?.map(\.key) == ["b", "a", "s"])
        #expect(value["b"]?.arrayValue?.first?.intValue == 1)
        #expect(value["b"]?.arrayValue?[1].doubleValue == 0.0025)
        #expect(value["a"]?["y"]?.boolValue == true)
        #expect(value["s"]?.stringValue == "é😀\n")
    }

    @Test func rejectsDuplicatesDepthAndGarbage() {
        #expect(throws: JSONError.duplicateKey("a", offset: 9)) { try JSONParser.parse(#"{"a": 1, "a": 2}"#) }
        #expect(throws: JSONError.tooDeep(limit: 128)) { try JSONParser.parse(String(repeating: "[", count: 10_000)) }
        #expect(throws: JSONError.invalidUTF8) { try JSONParser.parse([0x22, 0xFF, 0x22]) }
        #expect(throws: JSONError.self) { try JSONParser.parse("{\"a\": 1} x") }
        #expect(throws: JSONError.self) { try JSONParser.parse("[1,]") }
        #expect(throws: JSONError.self) { try JSONParser.parse("01") }
        #expect(throws: JSONError.self) { try JSONParser.parse("\"unterminated") }
    }

    @Test func writerRoundTrips() throws {
        let text = #"{"k":[1,"two",{"three":false}],"e":"a\"b\\c\u0001"}"#
        let value = try JSONParser.parse(text)
        #expect(JSONWriter.compact(value) == text)
        #expect(try JSONParser.parse(JSONWriter.pretty(value)) == value)
    }
}
