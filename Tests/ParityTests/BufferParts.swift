import Descent
import DescentOpenCL
import Testing

/// `allocateParts` on every backend, and the one optimizer update per step it allows.
@Suite struct BufferParts {
  static var backends: [any Backend] { [TestBackends.cpu] + TestBackends.openCL }

  /// Where the backend must put the parts: its sub-buffer alignment, in floats.
  static func alignment(_ backend: any Backend) -> Int {
    (backend as? OpenCLBackend).map { max(1, $0.device.baseAddressAlignment / 4) } ?? 16
  }

  /// Each part is its own range of the whole, at the aligned offset, and the gaps stay zero: an
  /// op on one part leaves its neighbours alone, and an op on the whole reaches every part.
  @Test func partsAreAlignedRangesOfTheWhole() throws {
    let counts = [1, 17, 0, 1000, 3, 64]
    for backend in Self.backends {
      let (whole, parts) = try backend.allocateParts(counts)
      let alignment = Self.alignment(backend)
      let layout = try PartsLayout(counts, alignment: alignment, device: backend.name)
      #expect(parts.map(\.count) == counts, "\(backend.name)")
      #expect(whole.count == layout.total, "\(backend.name)")
      // The layout itself, stated independently: each part starts at the first multiple of the
      // alignment at or past the previous part's end, and the whole ends with the last part
      // (written out for the CPU's 16 floats, 64 bytes).
      if alignment == 16 { #expect(layout.offsets == [0, 16, 48, 48, 1056, 1072] && layout.total == 1136) }
      var end = 0
      for (offset, count) in zip(layout.offsets, counts) {
        #expect(
          offset % alignment == 0 && offset >= end && offset - end < alignment,
          "\(backend.name): part at \(offset) after an end at \(end), alignment \(alignment)")
        end = offset + count
      }
      #expect(layout.total == end, "\(backend.name)")
      #expect(try backend.download(whole) == [Float](repeating: 0, count: whole.count), "\(backend.name): not zeroed")
      let values = counts.indices.map { part in (0..<counts[part]).map { Float(1000 * part + $0 + 1) } }
      for (part, buffer) in parts.enumerated() { try backend.upload(values[part], to: buffer) }
      var expected = [Float](repeating: 0, count: layout.total)
      for (part, offset) in layout.offsets.enumerated() {
        expected.replaceSubrange(offset..<offset + counts[part], with: values[part])
      }
      #expect(try backend.download(whole) == expected, "\(backend.name): parts misplaced")
      try backend.fill(parts[3], with: -1)
      expected.replaceSubrange(layout.offsets[3]..<layout.offsets[3] + 1000, with: repeatElement(-1, count: 1000))
      #expect(try backend.download(whole) == expected, "\(backend.name): a part's op reached past it")
      try backend.scale(whole, by: 2)
      for (part, buffer) in parts.enumerated() {
        let offset = layout.offsets[part]
        #expect(
          try backend.download(buffer) == expected[offset..<offset + counts[part]].map { 2 * $0 }, "\(backend.name)")
      }
    }
  }

  @Test func badCountsAreNamed() throws {
    for backend in Self.backends {
      #expect(
        throws: BackendError.invalidArgument(op: "allocateParts", parameter: "count", value: "-1", allowed: ">= 0")
      ) { _ = try backend.allocateParts([4, -1]) }
      let error = #expect(throws: BackendError.self) { _ = try backend.allocateParts([Int.max / 4, Int.max / 4]) }
      #expect(error?.description.contains("pass what memory can address") == true, "\(String(describing: error))")
    }
  }

  /// The trainer's one update over the whole model moves every parameter exactly as one update
  /// per parameter, with its own state buffers, would (Adam with AMSGrad and weight decay: three
  /// state slots; widths that leave gaps between the parts).
  @Test func oneUpdatePerStepEqualsOnePerParameter() throws {
    let optimizer = Adam(learningRate: 0.01, weightDecay: 0.1, amsgrad: true)
    for backend in Self.backends {
      func model() throws -> Sequential {
        try Sequential(inputFeatures: 7, backend: backend, seed: 5) {
          try Dense(9, activation: .tanh)
          try Dense(3, bias: false)
          try Dense(4)
        }
      }
      let inputs = try backend.buffer(Inputs.uniform(35, seed: 1)),
        targets = try backend.buffer(Inputs.uniform(20, seed: 2))
      let fused = try model(), separate = try model()
      let trainer = try Trainer(model: fused, loss: .meanSquaredError, optimizer: optimizer)
      let probe = try Trainer(model: separate, loss: .meanSquaredError, optimizer: optimizer)
      let state = try separate.parameters.map { parameter in
        try (0..<3).map { _ in
          let buffer = try backend.allocate(parameter.count)
          try backend.fill(buffer, with: 0)
          return buffer
        }
      }
      for t in 1...4 {
        try trainer.trainStep(inputs: inputs, targets: targets, rows: 5)
        try probe.computeGradients(inputs: inputs, targets: targets, rows: 5)
        let update = optimizer.update(step: t, learningRate: Double(optimizer.learningRate), momentum: nil)
        for (parameter, state) in zip(separate.parameters, state) {
          try backend.update(update, parameter: parameter.value, gradient: parameter.gradient, state: state)
        }
      }
      #expect(try fused.weights() == separate.weights(), "\(backend.name)")
      #expect(try fused.weights() != model().weights(), "\(backend.name): the steps must move the weights")
    }
  }

  /// On OpenCL the update is one kernel launch however many tensors the model has.
  @Test(.enabled(if: !TestBackends.openCL.isEmpty, "OpenCL skipped: \(TestBackends.openCLUnavailableReason)"))
  func theUpdateIsOneLaunch() throws {
    // A backend of its own: the shared ones count the launches of tests running meanwhile.
    for backend in try TestBackends.openCL.map({ try OpenCLBackend(device: $0.device, profile: $0.profile) }) {
      let model = try Sequential(inputFeatures: 6, backend: backend, seed: 3) {
        try Dense(8, activation: .relu)
        try Dense(8, activation: .relu)
        try Dense(3)
      }
      let trainer = try Trainer(
        model: model, loss: .softmaxCrossEntropy, optimizer: Adam(), metrics: [.accuracy])
      let inputs = try backend.buffer(Inputs.uniform(24, seed: 1)), labels = try backend.buffer([0, 2, 1, 1])
      try trainer.trainStep(inputs: inputs, targets: labels, rows: 4)  // builds the kernels
      var before = backend.launches
      try trainer.computeGradients(inputs: inputs, targets: labels, rows: 4)
      let gradients = backend.launches - before
      before = backend.launches
      try trainer.trainStep(inputs: inputs, targets: labels, rows: 4)
      #expect(backend.launches - before == gradients + 1, "\(backend.name): \(gradients) launches for the gradients")
      // Forward 3 products (bias and activation fused in); the losses, then their mean with the
      // running total (2); the accuracy's hits counted into their running total (1); backward 3
      // weight-gradient products (the bias gradients fused in) and 2 input-gradient products (the
      // activation derivatives fused in, Wᵀ read in place). Each fusion lowers this.
      #expect(gradients == 11, "\(backend.name)")
    }
  }
}
