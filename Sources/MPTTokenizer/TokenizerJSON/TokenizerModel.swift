/// Reads the `model` object of a tokenizer.json: vocab, merges and options, building the
/// `BPEModel` the way HF's `BpeBuilder` does.
struct BPEVocabReader {
    /// Token bytes (UTF-8 of the vocab key, compared byte for byte as Rust does) → id.
    let ids: [[UInt8]: UInt32]
    /// Id → token text.
    let textsByID: [UInt32: String]
    /// One more than the largest vocab id.
    let idBound: Int
    /// The number of vocab entries (HF's `get_vocab_size`).
    var count: Int { ids.count }
    let model: BPEModel

    init(model json: JSONValue) throws {
        guard json.objectMembers != nil else { throw BPETokenizerError.wrongType(key: "model", expected: "an object", found: json.typeName) }
        if let type = json["type"] {
            guard let name = type.stringValue else { throw BPETokenizerError.wrongType(key: "model.type", expected: "a string", found: type.typeName) }
            guard name == "BPE" else { throw BPETokenizerError.unsupported(key: "model.type", value: "'\(name)'") }
        }
        try Self.checkDefaults(json)

        guard let vocabJSON = json["vocab"] else { throw BPETokenizerError.missingKey("model.vocab") }
        guard let members = vocabJSON.objectMembers else {
            throw BPETokenizerError.wrongType(key: "model.vocab", expected: "an object", found: vocabJSON.typeName)
        }
        var ids: [[UInt8]: UInt32] = [:]
        var texts: [UInt32: String] = [:]
        ids.reserveCapacity(members.count)
        texts.reserveCapacity(members.count)
        var bound = 0
        for (token, value) in members {
            guard let id = value.intValue, id >= 0, id < BPETokenizer.idLimit else {
                throw BPETokenizerError.invalidTokenID(token: token, limit: BPETokenizer.idLimit)
            }
            if let first = texts[UInt32(id)] { throw BPETokenizerError.duplicateTokenID(id: id, first: first, second: token) }
            texts[UInt32(id)] = token
            ids[Array(token.utf8)] = UInt32(id)
            bound = max(bound, id + 1)
        }
        self.ids = ids
        self.textsByID = texts
        self.idBound = bound

        let merges = try Self.readMerges(json["merges"], ids: ids)
        var byteIds = [Int32](repeating: -1, count: 256)
        for byte in 0..<256 {
            if let id = ids[Array(String(ByteLevelAlphabet.scalarForByte[byte]).utf8)] { byteIds[byte] = Int32(id) }
        }
        var unknownId: Int32 = -1
        if let unk = json["unk_token"], !unk.isNull {
            guard let text = unk.stringValue else { throw BPETokenizerError.wrongType(key: "model.unk_token", expected: "a string", found: unk.typeName) }
            guard let id = ids[Array(text.utf8)] else { throw BPETokenizerError.unknownTokenNotInVocab(text) }
            unknownId = Int32(id)
        }
        model = BPEModel(byteIds: byteIds, merges: merges, unknownId: unknownId,
                         fuseUnknown: try TokenizerConfigReader.bool(json["fuse_unk"], key: "model.fuse_unk", default: false))
    }

    /// Refuses options that change BPE results when set away from their defaults.
    private static func checkDefaults(_ json: JSONValue) throws {
        for key in ["byte_fallback", "ignore_merges"] where try TokenizerConfigReader.bool(json[key], key: "model." + key, default: false) {
            throw BPETokenizerError.unsupported(key: "model." + key, value: "true")
        }
        for key in ["continuing_subword_prefix", "end_of_word_suffix"] {
            guard let value = json[key], !value.isNull else { continue }
            guard value.stringValue == "" else { throw BPETokenizerError.unsupported(key: "model." + key, value: "a non-empty affix") }
        }
        if let dropout = json["dropout"], !dropout.isNull, dropout.doubleValue != 0 {
            throw BPETokenizerError.unsupported(key: "model.dropout", value: "non-zero")
        }
    }

    /// Merges as `"a b"` strings (lines starting with `#version` skipped, as HF does) or
    /// `["a", "b"]` pairs; rank = position. Later duplicates of a pair win, as in HF's map.
    private static func readMerges(_ value: JSONValue?, ids: [[UInt8]: UInt32]) throws -> BPEMergeTable {
        guard let value else { throw BPETokenizerError.missingKey("model.merges") }
        guard let list = value.arrayValue else { throw BPETokenizerError.wrongType(key: "model.merges", expected: "an array", found: value.typeName) }
        var table = BPEMergeTable(capacityFor: list.count)
        var rank: UInt32 = 0
        for (index, item) in list.enumerated() {
            let left: String, right: String
            if let line = item.stringValue {
                if line.hasPrefix("#version") { continue }
                let parts = line.split(separator: " ", omittingEmptySubsequences: false)
                guard parts.count == 2 else { throw BPETokenizerError.malformedMerge(index: index) }
                left = String(parts[0]); right = String(parts[1])
            } else if let pair = item.arrayValue, pair.count == 2, let first = pair[0].stringValue, let second = pair[1].stringValue {
                left = first; right = second
            } else {
                throw BPETokenizerError.malformedMerge(index: index)
            }
            let leftBytes = Array(left.utf8), rightBytes = Array(right.utf8)
            guard let leftId = ids[leftBytes] else { throw BPETokenizerError.mergeTokenNotInVocab(index: index, token: left) }
            guard let rightId = ids[rightBytes] else { throw BPETokenizerError.mergeTokenNotInVocab(index: index, token: right) }
            guard let resultId = ids[leftBytes + rightBytes] else {
                throw BPETokenizerError.mergeTokenNotInVocab(index: index, token: left + right)
            }
            table.set(left: leftId, right: rightId, rank: rank, result: resultId)
            rank += 1
        }
        return table
    }
}
