import Descent
import Foundation

/// `descent export`: writes a model file as an ONNX model for ONNX Runtime, Triton and the like.
struct ExportCommand {
  static let help = """
      --model FILE           a model file written by `descent train` or Sequential.save
      --format onnx          the only format so far: ONNX, opset 17
      --output FILE          where the ONNX model goes (default model.onnx)
    """

  let flags: FlagValues

  init(_ options: [String]) throws {
    flags = try FlagValues(options, command: "export", flags: ["model", "format", "output"])
  }

  func run() throws -> Int32 {
    let modelPath = try flags.required("model")
    let format = flags["format"] ?? "onnx"
    guard format == "onnx" else {
      throw UsageError(message: "--format: '\(format)' is not a format descent exports (onnx)")
    }
    let output = flags["output"] ?? "model.onnx"
    try Inference.checkWritable(output, flag: "output", inputs: [("model", modelPath)])
    let model = try Sequential.load(contentsOf: modelPath, backend: CPUBackend(threads: 1))
    try ONNXExport.write(model, to: output)
    print(
      "wrote \(output): input \"features\" [batch, \(model.inputFeatures)], output \"outputs\" [batch, "
        + "\(model.outputFeatures)]"
        + (model.output.kind == .classes && !Inference.outputsProbabilities(model) ? " and \"probabilities\"" : ""))
    return 0
  }
}
