import Descent
import DescentOpenCL
import Foundation

/// `descent-benchmarks inference MODEL IMAGES BACKEND`: serving speed of a model file on one
/// backend (`cpu` or an OpenCL device index), as benchmarks/inference.sh runs it beside PyTorch
/// and ONNX Runtime. Batch-1 latency: one raw image through `predict(raw:rows:)` (preprocessing,
/// upload, forward, download), 2 000 times after 200 warm-ups: median and 99th percentile. Then
/// throughput: all rows of IMAGES (raw IDX pixels) in one call (passes of the default 1 024 rows),
/// best of 5. Prints one JSON line.
enum InferenceCase {
  static func run(_ arguments: [String]) throws {
    guard arguments.count == 3 else {
      FileHandle.standardError.write(Data("usage: descent-benchmarks inference MODEL IMAGES cpu|DEVICE\n".utf8))
      exit(64)
    }
    let backend: any Backend = arguments[2] == "cpu" ? CPUBackend() : try OpenCLBackend(DeviceSelector(arguments[2]))
    let model = try Sequential.load(contentsOf: arguments[0], backend: backend)
    let images = try IDXFile(path: arguments[1])
    let rows = images.dimensions[0], width = model.inputFeatures
    var latencies: [Double] = []
    for iteration in 0..<2200 {
      let row = iteration % rows
      let input = Array(images.values[row * width..<(row + 1) * width])
      let start = DispatchTime.now().uptimeNanoseconds
      _ = try model.predict(raw: input, rows: 1)
      if iteration >= 200 { latencies.append(Double(DispatchTime.now().uptimeNanoseconds - start) / 1e3) }
    }
    latencies.sort()
    var best = Double.infinity
    for _ in 0..<5 {
      let start = DispatchTime.now().uptimeNanoseconds
      _ = try model.predict(raw: images.values, rows: rows)
      best = min(best, Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9)
    }
    let result: [String: Any] = [
      "backend": backend.name, "median_us": latencies[latencies.count / 2],
      "p99_us": latencies[latencies.count * 99 / 100], "rows": rows,
      "rows_per_second": Double(rows) / best,
    ]
    print(String(decoding: try JSONSerialization.data(withJSONObject: result, options: [.sortedKeys]), as: UTF8.self))
  }
}
