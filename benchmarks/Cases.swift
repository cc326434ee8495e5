import Descent
import Foundation

/// The GEMM and memory-bound cases, run on one backend.
enum Cases {
  /// Square sizes, then the products at batch 128 of the Fashion-MNIST MLP of each hidden `widths`
  /// (`GemmShape.mlpProducts`; the parity suite checks the default 256-128 model's), each once.
  static func gemmShapes(widths: [[Int]]) -> [(String, GemmShape)] {
    var products: [(String, GemmShape)] = []
    for (name, shape) in widths.flatMap({ GemmShape.mlpProducts(hidden: $0) })
    where !products.contains(where: { $0.0 == name }) {
      products.append((name, shape))
    }
    return [256, 512, 1024, 2048].map { ("\($0)³", GemmShape(m: $0, n: $0, k: $0)) } + products
  }

  /// The GEMM shapes this run measures: those up to 1024 rows with `quick`, and only `selected` ones.
  static func selectedGemmShapes(_ options: BenchmarkOptions) -> [(String, GemmShape)] {
    gemmShapes(widths: options.widths).filter { (!options.quick || $0.1.m <= 1024) && options.selected($0.0) }
  }

  /// Time budget for one GEMM shape's runs, in seconds.
  static func gemmBudget(_ shape: GemmShape) -> Double { shape.flops > 4e9 ? 4 : 1.5 }

  /// A GFLOP/s row for `shape` timed as `timing`, with the share of `peak` (FLOP/s).
  static func gemmRow(_ name: String, _ shape: GemmShape, _ timing: Timing, backend: String, peak: Double) -> Row {
    let value = shape.flops / timing.median / 1e9
    return Row(
      group: "gemm", name: name, backend: backend, value: value, best: shape.flops / timing.minimum / 1e9,
      unit: "GFLOP/s", percentOfPeak: 100 * value * 1e9 / peak)
  }

  static func gemm(_ backend: any Backend, peak: Double, _ options: BenchmarkOptions) throws -> [Row] {
    try selectedGemmShapes(options).map { name, shape in
      gemmRow(name, shape, try timeGemm(backend, shape), backend: backend.name, peak: peak)
    }
  }

  /// Times `C = op(A)·op(B)` for `shape` on `backend`, on uniform random matrices.
  static func timeGemm(_ backend: any Backend, _ shape: GemmShape) throws -> Timing {
    let a = try backend.allocate(shape.m * shape.k), b = try backend.allocate(shape.k * shape.n)
    let c = try backend.allocate(shape.m * shape.n)
    try backend.fillRandom(a, .uniform(low: -1, high: 1), key: RandomKey(seed: 1))
    try backend.fillRandom(b, .uniform(low: -1, high: 1), key: RandomKey(seed: 2))
    return try Timing.measure(
      budget: gemmBudget(shape), { try backend.gemm(shape, a, b, into: c) },
      finish: backend.synchronize)
  }

  /// The optimizers whose steps ``memory(_:bandwidth:selected:)`` times, by case name. A step reads
  /// the parameters, the gradient and each state buffer it keeps and writes all but the gradient:
  /// 12 + 8 bytes an element per state buffer.
  static let optimizers: [(name: String, optimizer: any Optimizer)] = [
    ("sgd momentum 0.9", SGD(learningRate: 1e-3, momentum: 0.9)), ("adagrad", AdaGrad(learningRate: 1e-3)),
    ("rmsprop", RMSprop(learningRate: 1e-3)), ("adamax", Adamax(learningRate: 1e-3)), ("lion", Lion()),
    ("adam amsgrad", Adam(amsgrad: true)), ("adam", Adam()),
  ]

  /// ReLU forward/backward, softmax cross-entropy and the ``optimizers`` at 1M and 16M
  /// elements; bytes are those each op must read and write. Each row's share of the bandwidth is
  /// of a triad measured right before it (`bandwidth()`): the memory bandwidth this VM gets moves
  /// with its neighbours (Adam at 16M: 38–79 GB/s within minutes, the triad 33–58), and a probe
  /// from the start of the run made the same kernel 67% or 215% of it.
  static func memory(
    _ backend: any Backend, bandwidth: () throws -> Double,
    selected: (String) -> Bool
  ) throws -> [Row] {
    var rows: [Row] = []
    let names = ["relu forward", "relu backward", "softmax cross-entropy (10 classes)"] + optimizers.map(\.name)
    for count in [1 << 20, 1 << 24] {
      let label = count == 1 << 20 ? "1M" : "16M"
      guard names.contains(where: { selected("\($0) \(label)") }) else { continue }
      let x = try backend.allocate(count), y = try backend.allocate(count), g = try backend.allocate(count)
      try backend.fillRandom(x, .normal(mean: 0, standardDeviation: 1), key: RandomKey(seed: 3))
      try backend.fillRandom(g, .normal(mean: 0, standardDeviation: 1), key: RandomKey(seed: 4))
      let slots = optimizers.map { $0.optimizer.stateSlots(momentum: nil).filter(\.kept).count }.max() ?? 0
      let state = try (0..<slots).map { _ in
        let buffer = try backend.allocate(count)
        try backend.fill(buffer, with: 0)
        return buffer
      }
      let classes = 10, rowsCount = count / classes
      let logits = try backend.allocate(rowsCount * classes), labels = try backend.allocate(rowsCount)
      let losses = try backend.allocate(rowsCount), gradient = try backend.allocate(rowsCount * classes)
      try backend.fillRandom(logits, .normal(mean: 0, standardDeviation: 1), key: RandomKey(seed: 5))
      try backend.upload((0..<rowsCount).map { Float($0 % classes) }, to: labels)
      var step = 0
      let updates = optimizers.map { name, optimizer in
        let states = optimizer.stateSlots(momentum: nil).filter(\.kept).count
        let body = {
          step += 1
          try backend.update(
            optimizer.update(step: step, learningRate: Double(optimizer.learningRate), momentum: nil),
            parameter: x, gradient: g, state: Array(state.prefix(states)))
        }
        return (name, 12 + 8 * Double(states), body)
      }
      let cases: [(String, Double, () throws -> Void)] =
        [
          ("relu forward", 8, { try backend.activate(.relu, x, into: y) }),
          ("relu backward", 12, { try backend.activationBackward(.relu, input: x, outputGradient: g, into: y) }),
          (
            "softmax cross-entropy (10 classes)", 8 + 4 + 4 + 4.0 / 10,
            {
              try backend.softmaxCrossEntropy(
                logits: logits, labels: labels, rows: rowsCount, classes: classes,
                gradientScale: 1, losses: losses, gradient: gradient)
            }
          ),
        ] + updates
      for (name, bytesPerElement, body) in cases where selected("\(name) \(label)") {
        let triad = try bandwidth()
        let timing = try Timing.measure(body, finish: backend.synchronize)
        let bytes = bytesPerElement * Double(count)
        rows.append(
          Row(
            group: "memory", name: "\(name) \(label)", backend: backend.name, value: bytes / timing.median / 1e9,
            best: bytes / timing.minimum / 1e9, unit: "GB/s",
            percentOfPeak: 100 * bytes / timing.median / triad,
            note: String(format: "triad just before: %.1f GB/s", triad / 1e9)))
      }
    }
    return rows
  }
}
