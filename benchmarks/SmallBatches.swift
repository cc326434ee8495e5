import Descent
import DescentOpenCL
import Foundation

/// `descent-benchmarks small-batches cpu|DEVICE`: training steps of the Fashion-MNIST MLP
/// (784-256-128-10 ReLU, Adam 1e-3, no dropout) at batch 1, 8 and 32, as
/// benchmarks/small-batches.sh runs it beside PyTorch (peers/small_batches.py). Each step takes a
/// batch of shuffled training rows (`uploadRows`), runs forward, loss, backward and Adam; for each
/// batch size, 200 warm-up steps, then 2 000 steps timed one by one with the device drained after
/// each (`synchronize`): median and 10th/90th percentiles in ms. Prints one JSON line.
enum SmallBatchesCase {
  static let batchSizes = [1, 8, 32]

  static func run(_ arguments: [String]) throws {
    guard arguments.count == 1 else {
      FileHandle.standardError.write(Data("usage: descent-benchmarks small-batches cpu|DEVICE\n".utf8))
      exit(64)
    }
    let backend: any Backend =
      arguments[0] == "cpu" ? CPUBackend() : try OpenCLBackend(DeviceSelector(arguments[0]))
    let train = try FashionMNIST.load(.train)
    var result: [String: Any] = ["backend": backend.name]
    for batchSize in batchSizes {
      let model = try Sequential(inputFeatures: 784, backend: backend, seed: 1) {
        try Dense(256, activation: .relu, initializer: .heUniform)
        try Dense(128, activation: .relu, initializer: .heUniform)
        try Dense(10)
      }
      let trainer = try Trainer(model: model, loss: .softmaxCrossEntropy, optimizer: Adam())
      let inputs = try backend.allocate(batchSize * 784), targets = try backend.allocate(batchSize)
      let order = BatchOrder.permutation(train.rows, seed: 1, epoch: 0)
      var milliseconds: [Double] = []
      for step in 0..<2200 {
        let rows = (0..<batchSize).map { order[(step * batchSize + $0) % order.count] }
        let start = DispatchTime.now().uptimeNanoseconds
        try backend.uploadRows(rows, of: train.features, width: 784, to: inputs)
        try backend.uploadRows(rows, of: train.targets, width: 1, to: targets)
        try trainer.trainStep(inputs: inputs, targets: targets, rows: batchSize)
        try backend.synchronize()
        if step >= 200 { milliseconds.append(Double(DispatchTime.now().uptimeNanoseconds - start) / 1e6) }
      }
      milliseconds.sort()
      result["batch \(batchSize)"] = [
        "median_ms": milliseconds[milliseconds.count / 2], "p10_ms": milliseconds[milliseconds.count / 10],
        "p90_ms": milliseconds[milliseconds.count * 9 / 10], "loss": try trainer.takeAverageLoss(),
      ]
    }
    print(String(decoding: try JSONSerialization.data(withJSONObject: result, options: [.sortedKeys]), as: UTF8.self))
  }
}
