import Descent
import Foundation

// Trains the Fashion-MNIST 784-256-128-10 ReLU MLP (Adam 1e-3, batch 128, the benchmarks' training
// case) on the CPU backend and prints how the core was built and the seconds of each epoch.
// usage: TrainMLP [EPOCHS]   (default 4)
let epochs = CommandLine.arguments.dropFirst().first.flatMap { Int($0) } ?? 4
let train = try FashionMNIST.load(.train)
let model = try Sequential(inputFeatures: 784, backend: CPUBackend(), seed: 1) {
  try Dense(256, activation: .relu, initializer: .heUniform)
  try Dense(128, activation: .relu, initializer: .heUniform)
  try Dense(10)
}
let trainer = try Trainer(model: model, loss: .softmaxCrossEntropy, optimizer: Adam())
print("core: \(CPUBackend.buildDescription)")
for epoch in 1...epochs {
  let history = try trainer.fit(train, epochs: epoch, batchSize: 128, progress: .silent)
  print(String(format: "epoch %d: %.3f s", epoch, history.epochs.last!.seconds))
}
