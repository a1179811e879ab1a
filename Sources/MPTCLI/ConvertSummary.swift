import Foundation
import MPTCore
import MPTFormats
import MPTQuant

/// `mpt-convert --json`: what a conversion wrote, read back from the output — every file with
/// its size, the tensor count per stored type, total bytes, wall time, and the tensors that fell
/// back to another ggml type as llama-quantize's rules say.
struct ConvertSummary {
    struct File {
        let name: String
        let bytes: Int
    }

    let output: String
    let format: String
    let files: [File]
    let tensorTypes: [(type: String, count: Int)]
    let tensors: Int
    let seconds: Double
    let fallbacks: [GGUFExport.PlannedTensor]

    init(output: String, result: ModelExport.Result, seconds: Double) throws {
        self.output = output
        self.seconds = seconds
        var byType: [String: Int] = [:]
        switch result {
        case let .directory(names):
            format = "safetensors"
            files = names.map { File(name: $0, bytes: Self.size(of: output + "/" + $0)) }
            for name in names where name.hasSuffix(".safetensors") {
                let collection = try SafetensorsFile.read(path: output + "/" + name)
                for tensor in collection.names { byType[collection[tensor].map { "\($0.dtype)" } ?? "?", default: 0] += 1 }
            }
            fallbacks = []
        case let .ggufFile(planned, paths):
            format = "gguf"
            files = paths.map { File(name: URL(fileURLWithPath: $0).lastPathComponent, bytes: Self.size(of: $0)) }
            for path in paths {
                for info in try GGUFFile.read(path: path).tensors { byType[info.type.description, default: 0] += 1 }
            }
            fallbacks = planned.filter { $0.fallbackFrom != nil }
        }
        tensorTypes = byType.map { (type: $0.key, count: $0.value) }
            .sorted { $0.count != $1.count ? $0.count > $1.count : $0.type < $1.type }
        tensors = byType.values.reduce(0, +)
    }

    func json() -> String {
        let millis = (seconds * 1000).rounded() / 1000
        return JSONWriter.pretty(.object([
            ("output", .string(output)),
            ("format", .string(format)),
            ("files", .array(files.map { .object([("name", .string($0.name)), ("bytes", .number(String($0.bytes)))]) })),
            ("tensors", .number(String(tensors))),
            ("tensor_types", .object(tensorTypes.map { ($0.type, .number(String($0.count))) })),
            ("bytes", .number(String(files.reduce(0) { $0 + $1.bytes }))),
            ("seconds", .number("\(millis)")),
            ("fallbacks", .array(fallbacks.map { tensor in
                .object([("tensor", .string(tensor.name)), ("from", .string(tensor.fallbackFrom.map(\.description) ?? "")),
                         ("to", .string(tensor.type.description))])
            })),
        ]))
    }

    private static func size(of path: String) -> Int {
        var info = stat()
        return stat(path, &info) == 0 ? Int(info.st_size) : 0
    }
}
