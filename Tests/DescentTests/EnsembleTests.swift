@testable import Descent
import Foundation
import TestSupport
import Testing

/// Ensembles: the weighted average they compute, their file, and every way a file or a member
/// list can be wrong.
@Suite struct EnsembleTests {
  let backend = CPUBackend()
  let folder = TemporaryFolder("descent-ensemble")

  /// A small classifier (logits, or probabilities with `softmax`) with the preprocessing every
  /// member of an ensemble shares.
  func classifier(seed: UInt64, hidden: Int = 6, softmax: Bool = false, inputs: Int = 4) throws -> Sequential {
    var layers: [any Layer] = [try Dense(hidden, activation: .tanh), try Dense(3)]
    if softmax { layers.append(Softmax()) }
    let model = try Sequential(layers, inputFeatures: inputs, backend: backend, seed: seed)
    model.output = ModelOutput(kind: .classes, classNames: ["a", "b", "c"], label: "kind")
    model.preprocessing = Preprocessing(
      scale: 0.5,
      standardization: Standardization(
        means: Array([0.5, -1, 2, 0].prefix(inputs)), deviations: Array([2, 1, 0.5, 3].prefix(inputs))))
    return model
  }

  func rows(_ count: Int) -> [Float] { (0..<count * 4).map { Float(($0 * 29) % 17) / 2 - 4 } }

  /// Σ weightᵢ · softmax(memberᵢ's logits), computed here from each member's own raw predictions
  /// in Double: an ensemble that averaged logits, skipped a weight or normalized differently
  /// would differ by far more than the one rounding allowed (2⁻²³ relative, on values ≤ 1).
  @Test func aClassifierEnsembleAveragesProbabilitiesByWeight() throws {
    let members = [try classifier(seed: 1), try classifier(seed: 2, hidden: 9, softmax: true), try classifier(seed: 3)]
    let ensemble = try Ensemble(members: members, weights: [2, 1, 5])
    #expect(ensemble.weights == [0.25, 0.125, 0.625] && ensemble.outputsProbabilities)
    let raw = rows(7)
    let outputs = try ensemble.predict(raw: raw, rows: 7, batchSize: 3)
    var expected = [Double](repeating: 0, count: 21)
    for (member, weight) in zip(members, [0.25, 0.125, 0.625]) {
      let out = try member.predict(raw: raw, rows: 7).map(Double.init)
      for row in 0..<7 {
        let logits = Array(out[row * 3..<row * 3 + 3])
        let p = member.outputsProbabilities ? logits : logits.map { exp($0 - logits.max()!) }
        for column in 0..<3 { expected[row * 3 + column] += weight * p[column] / p.reduce(0, +) }
      }
    }
    for (got, want) in zip(outputs, expected) { #expect(abs(Double(got) - want) <= 2e-7, "\(got) vs \(want)") }
    for row in 0..<7 { #expect(abs(outputs[row * 3..<row * 3 + 3].reduce(0, +) - 1) < 1e-6) }
  }

  /// With temperatures, member i contributes softmax(logits / Tᵢ) — a softmax member
  /// softmax(log p / Tᵢ) — computed here in Double; multiplying by T, or leaving a member at 1,
  /// would differ by far more than the rounding (2e-7 on values ≤ 1, log p of a Float p adding
  /// its 2⁻²⁴ relative error divided by T).
  @Test func temperaturesSoftenOrSharpenEachMember() throws {
    let members = [try classifier(seed: 1), try classifier(seed: 2, hidden: 9, softmax: true), try classifier(seed: 3)]
    let temperatures = [2.5, 0.6, 1]
    let ensemble = try Ensemble(members: members, weights: [2, 1, 5], temperatures: temperatures)
    let raw = rows(7)
    let outputs = try ensemble.predict(raw: raw, rows: 7, batchSize: 3)
    var expected = [Double](repeating: 0, count: 21)
    for (index, member) in members.enumerated() {
      let out = try member.predict(raw: raw, rows: 7).map(Double.init)
      for row in 0..<7 {
        let logits = out[row * 3..<row * 3 + 3].map {
          (member.outputsProbabilities ? log($0) : $0) / temperatures[index]
        }
        let p = logits.map { exp($0 - logits.max()!) }
        for column in 0..<3 { expected[row * 3 + column] += ensemble.weights[index] * p[column] / p.reduce(0, +) }
      }
    }
    for (got, want) in zip(outputs, expected) { #expect(abs(Double(got) - want) <= 2e-7, "\(got) vs \(want)") }
    let plain = try Ensemble(members: members, weights: [2, 1, 5]).predict(raw: raw, rows: 7, batchSize: 3)
    #expect(zip(plain, outputs).map { abs($0 - $1) }.max()! > 1e-3, "the temperatures changed nothing")
    // The file keeps them (version 2); an ensemble without them is written as version 1.
    let path = "\(folder.path)/tempered.safetensors"
    try ensemble.save(to: path)
    let loaded = try #require(try ModelFile.load(contentsOf: path, backend: backend) as? Ensemble)
    let reloaded = try loaded.predict(raw: raw, rows: 7, batchSize: 3)
    #expect(loaded.temperatures == temperatures && reloaded == outputs)
    #expect(try SafeTensors.read(path).metadata[Ensemble.descriptionKey]!.contains("\"version\":2"))
    try Ensemble(members: members, weights: [1, 1, 1]).save(to: path)
    let untempered = try SafeTensors.read(path).metadata[Ensemble.descriptionKey]!
    #expect(untempered.contains("\"version\":1") && !untempered.contains("temperatures"), "\(untempered)")
  }

  /// A regression ensemble averages the outputs themselves; a member of weight 0 is left out.
  @Test func aRegressionEnsembleAveragesOutputs() throws {
    let members = try (UInt64(1)...3).map { seed in
      let model = try Sequential(
        [try Dense(5, activation: .relu), try Dense(2)], inputFeatures: 4, backend: backend, seed: seed)
      model.output = ModelOutput(kind: .regression)
      return model
    }
    let ensemble = try Ensemble(members: members, weights: [0, 3, 1])
    #expect(ensemble.members.count == 2 && ensemble.weights == [0.75, 0.25] && !ensemble.outputsProbabilities)
    let raw = rows(5)
    let (b, c) = (try members[1].predict(raw: raw, rows: 5), try members[2].predict(raw: raw, rows: 5))
    let outputs = try ensemble.predict(raw: raw, rows: 5)
    for index in outputs.indices {
      let expected: Double = 0.75 * Double(b[index]) + 0.25 * Double(c[index])
      #expect(outputs[index] == Float(expected))
    }
  }

  /// The file holds every member and weight: a loaded ensemble predicts bit for bit as the saved
  /// one; `ModelFile` tells the two kinds of file apart, and `Sequential.load` names an ensemble's.
  @Test func anEnsembleFileRoundTrips() throws {
    let ensemble = try Ensemble(
      members: [try classifier(seed: 4), try classifier(seed: 5, hidden: 3, softmax: true)], weights: [0.3, 0.7])
    let path = "\(folder.path)/ensemble.safetensors"
    try ensemble.save(to: path)
    let loaded = try #require(try ModelFile.load(contentsOf: path, backend: CPUBackend()) as? Ensemble)
    #expect(loaded.weights == ensemble.weights && loaded.members.count == 2)
    #expect(try loaded.members.map { try $0.describe() } == ensemble.members.map { try $0.describe() })
    let raw = rows(6)
    #expect(try loaded.predict(raw: raw, rows: 6) == ensemble.predict(raw: raw, rows: 6))
    let single = "\(folder.path)/single.safetensors"
    try ensemble.members[0].save(to: single)
    #expect(try ModelFile.load(contentsOf: single, backend: backend) is Sequential)
    #expect(
      try Sequential.load(fileBytes: try ensemble.members[0].encoded(), name: "bytes", backend: backend).weights()
        == ensemble.members[0].weights())
    #expect { try Sequential.load(contentsOf: path, backend: backend) } throws: {
      "\($0)".contains("an ensemble's file") && "\($0)".contains(path)
    }
  }

  /// Members that are not alike, and weights that are no weights, are refused naming what differs.
  @Test func unlikeMembersAndBadWeightsAreRefused() throws {
    let a = try classifier(seed: 1)
    let cases: [(() throws -> Ensemble, String)] = [
      ({ try Ensemble(members: [], weights: []) }, "members"),
      ({ try Ensemble(members: [a], weights: [1, 2]) }, "one per member (1)"),
      ({ try Ensemble(members: [a, try classifier(seed: 2)], weights: [1, -1]) }, "weights[1]"),
      ({ try Ensemble(members: [a, try classifier(seed: 2)], weights: [0, 0]) }, "not all 0"),
      ({ try Ensemble(members: [a, try classifier(seed: 2)], weights: [1, .nan]) }, "weights[1]"),
      ({ try Ensemble(members: [a], weights: [1], temperatures: [1, 2]) }, "one per member (1)"),
      (
        { try Ensemble(members: [a, try classifier(seed: 2)], weights: [1, 1], temperatures: [1, 0]) },
        "temperatures[1]"
      ),
      ({ try Ensemble(members: [a], weights: [1], temperatures: [.infinity]) }, "temperatures[0]"),
      (
        {
          let value = try classifier(seed: 2)
          value.output = ModelOutput(kind: .regression)
          return try Ensemble(members: [value], weights: [1], temperatures: [2])
        }, "an ensemble of values has no temperature"
      ),
      (
        { try Ensemble(members: [a, try classifier(seed: 2, inputs: 3)], weights: [1, 1]) },
        "member 1 has input features 3"
      ),
      (
        {
          let b = try classifier(seed: 2)
          b.output = ModelOutput(kind: .classes, classNames: ["x", "b", "c"], label: "kind")
          return try Ensemble(members: [a, b], weights: [1, 1])
        }, "member 1 has output"
      ),
      (
        {
          let b = try classifier(seed: 2)
          b.preprocessing.scale = 1
          return try Ensemble(members: [a, b], weights: [1, 1])
        }, "member 1 has preprocessing"
      ),
    ]
    for (make, message) in cases {
      #expect(throws: (any Error).self, "\(message)") { _ = try make() }
      do { _ = try make() } catch { #expect("\(error)".contains(message), "\(error)") }
    }
  }

  /// A damaged ensemble file is an error naming the file and what is wrong, never a partial model.
  @Test func damagedEnsembleFilesAreClearErrors() throws {
    let ensemble = try Ensemble(members: [try classifier(seed: 4), try classifier(seed: 5)], weights: [0.5, 0.5])
    let good = "\(folder.path)/good.safetensors"
    try ensemble.save(to: good)
    let (tensors, metadata) = try SafeTensors.read(good)
    let json = metadata[Ensemble.descriptionKey]!
    let named = tensors.sorted { $0.key < $1.key }.map { (name: $0.key, tensor: $0.value) }
    func refused(
      _ tensors: [(name: String, tensor: SafeTensors.Tensor)], _ description: String, _ message: String
    ) throws {
      let path = "\(folder.path)/bad.safetensors"
      try SafeTensors.write(tensors, metadata: [Ensemble.descriptionKey: description], to: path)
      #expect(throws: (any Error).self) { _ = try ModelFile.load(contentsOf: path, backend: backend) }
      do { _ = try ModelFile.load(contentsOf: path, backend: backend) } catch {
        #expect("\(error)".contains(path) && "\(error)".contains(message), "\(message): \(error)")
      }
    }
    func edited(_ key: String, _ value: Any) throws -> String {
      var object = try #require(try JSONSerialization.jsonObject(with: Data(json.utf8)) as? [String: Any])
      object[key] = value
      return String(decoding: try JSONSerialization.data(withJSONObject: object), as: UTF8.self)
    }
    try refused(named, try edited("format", "other"), "ensemble format \"other\"")
    try refused(named, try edited("version", 9), "version 9")
    try refused(named, try edited("weights", [1]), "1 weights for 2 members")
    try refused(named, try edited("weights", [1, -1]), "weights[1]")
    try refused(named, try edited("temperatures", [2]), "1 temperatures for 2 members")
    try refused(named, try edited("temperatures", [2, -1]), "temperatures[1]")
    try refused(named, try edited("members", [] as [Any]), "0 members")
    try refused(named, "[1]", "not a JSON object")
    try refused(
      named + [("member7.0.weight", SafeTensors.Tensor(shape: [1], values: [0]))], json,
      "\"member7.0.weight\" belongs to no member")
    try refused(
      named.filter { $0.name != "member1.1.bias" }, json, "member 1: the description needs a tensor \"1.bias\"")
    try refused(
      named.map {
        $0.name == "member0.0.bias" ? ($0.name, SafeTensors.Tensor(shape: [6], values: [0, 0, .nan, 0, 0, 0])) : $0
      },
      json, "member 0: tensor \"0.bias\" holds nan")
  }
}
