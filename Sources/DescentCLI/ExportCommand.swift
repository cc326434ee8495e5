import CommandFlags
import Descent
import Foundation

/// `descent export`: writes a model file as an ONNX model for ONNX Runtime, Triton and the like.
struct ExportCommand {
  var model = ""
  var output = "model.onnx"

  static let flags = FlagTable<ExportCommand>(
    "export",
    [
      .value(
        "model", "FILE", "a model file written by `descent train`, `descent ensemble` or Sequential.save", \.model,
        expected: "a path",
        required: true),
      Flag("format", "onnx", "the only format so far: ONNX, opset 17") { _, text in
        text == "onnx" ? nil : "a format descent exports (onnx)"
      },
      .value("output", "FILE", "where the ONNX model goes (default model.onnx)", \.output, expected: "a path"),
    ])

  static var help: String { flags.help }

  init(_ options: [String]) throws { try Self.flags.parse(options, into: &self) }

  func run() throws -> Int32 {
    let modelPath = model
    try Inference.checkWritable(output, flag: "output", inputs: [("model", modelPath)])
    let model = try ModelFile.load(contentsOf: modelPath, backend: CPUBackend(threads: 1))
    try ONNXExport.write(model, to: output)
    print(
      "wrote \(output): input \(try ONNXExport.inputDescription(model)), output \"outputs\" [batch, "
        + "\(model.outputFeatures)]"
        + (model.output.kind == .classes && !model.outputsProbabilities ? " and \"probabilities\"" : ""))
    return 0
  }
}
