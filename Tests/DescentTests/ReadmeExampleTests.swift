import Descent
import Foundation
import TestSupport
import Testing

/// The README's training example, verbatim apart from the assertions: if this breaks, so does the README.
@Suite struct ReadmeExampleTests {
  @Test func trainingExampleLearnsXor() throws {
    let backend = CPUBackend()  // or OpenCLBackend() from DescentOpenCL
    let inputs: [Float] = [0, 0, 0, 1, 1, 0, 1, 1]  // XOR: 4 rows of 2 features
    let labels: [Float] = [0, 1, 1, 0]  // one class index per row
    let model = try Sequential(inputFeatures: 2, backend: backend, seed: 42) {
      try Dense(16, activation: .tanh)
      try Dense(2)
    }
    print(model.summary)
    let trainer = try Trainer(
      model: model, loss: .softmaxCrossEntropy, optimizer: Adam(learningRate: 0.05),
      schedule: .cosine(period: 200), scheduleUnit: .batch, clipping: .globalNorm(1))
    let x = try backend.buffer(inputs), y = try backend.buffer(labels)
    var losses: [Double] = []
    for step in 1...200 {
      try trainer.trainStep(inputs: x, targets: y, rows: 4)  // queued on the device; no wait
      if step % 50 == 0 { losses.append(try trainer.takeAverageLoss()) }  // reads back the mean loss
    }
    print(losses)  // falling below 0.1
    let logits = try model.predict(inputs, rows: 4)  // 4 × 2, inference mode
    let predicted = (0..<4).map { logits[2 * $0 + 1] > logits[2 * $0] ? 1 : 0 }
    #expect(predicted == [0, 1, 1, 0], "logits \(logits)")
    #expect(losses.last! < 0.1, "losses \(losses)")
  }

  /// The README's block is this file's code: each of its lines, in order (indentation aside).
  @Test func theReadmeShowsThisCode() throws {
    let code = try DocumentedCode(
      "README.md", before: "This exact code runs as a test (`Tests/DescentTests/ReadmeExampleTests.swift`")
    let missing = try code.firstLineMissing(from: #filePath)
    #expect(missing == nil, "the README's line is not in the test (in this order): \(missing ?? "")")
  }
}
