import Foundation

/// A weighted average of models trained on the same columns for the same outputs, as ensemble
/// selection (`DescentTuning`'s `EnsembleSelection`, `descent ensemble`) builds it: a classifier
/// ensemble averages its members' class probabilities, each at the member's temperature, any
/// other their outputs. One model file holds the members, their weights and temperatures
/// (``save(to:)``); ``ModelFile/load(contentsOf:backend:)``, `descent predict`, `evaluate` and
/// `export` take it like a single model.
public struct Ensemble: Predictor {
  /// The safetensors metadata key of an ensemble file's description (JSON: the members'
  /// ``ModelDescription``s and their weights); member `i`'s tensors are named `member{i}.0.weight`, ….
  public static let descriptionKey = "descent.ensemble"

  public let members: [Sequential]
  /// Each member's weight: positive, summing to 1.
  public let weights: [Double]
  /// Each member's temperature (temperature scaling, Guo et al. 2017): a classifier member's
  /// probabilities are softmax(logits / T), so T > 1 softens an overconfident member; 1 for
  /// every member of an ensemble of values.
  public let temperatures: [Double]

  /// - Parameters:
  ///   - weights: one per member, finite and ≥ 0, not all 0; divided by their sum. A member of
  ///     weight 0 is left out.
  ///   - temperatures: one per member, finite and > 0 (default: all 1); only 1 for values.
  /// - Throws: ``ConfigurationError`` for no members, or weights or temperatures of another
  ///   count or value;
  ///   ``ModelError/shapeMismatch(_:)`` when the members differ in their columns, outputs, output
  ///   meaning or preprocessing (an average of them would mean nothing).
  public init(members: [Sequential], weights: [Double], temperatures: [Double]? = nil) throws {
    try ConfigurationError.require(!members.isEmpty, "members", "[]", "at least one model")
    try ConfigurationError.require(
      weights.count == members.count, "weights", "\(weights.count) weights", "one per member (\(members.count))")
    let temperatures = temperatures ?? members.map { _ in 1 }
    try ConfigurationError.require(
      temperatures.count == members.count, "temperatures", "\(temperatures.count) temperatures",
      "one per member (\(members.count))")
    let classes = members[0].output.kind == .classes
    if let bad = temperatures.firstIndex(where: { !($0.isFinite && $0 > 0) || (!classes && $0 != 1) }) {
      throw ConfigurationError.outOfRange(
        parameter: "temperatures[\(bad)]", value: "\(temperatures[bad])",
        allowed: classes ? "finite and > 0" : "1 (an ensemble of values has no temperature)")
    }
    let total = weights.reduce(0, +)
    guard let bad = weights.firstIndex(where: { !$0.isFinite || $0 < 0 }) ?? (total > 0 ? nil : 0) else {
      let kept = weights.indices.filter { weights[$0] > 0 }
      self.members = kept.map { members[$0] }
      self.weights = kept.map { weights[$0] / total }
      self.temperatures = kept.map { temperatures[$0] }
      for (index, member) in self.members.enumerated().dropFirst() {
        try Self.check(member, matches: self.members[0], index: kept[index])
      }
      return
    }
    throw ConfigurationError.outOfRange(
      parameter: "weights[\(bad)]", value: "\(weights[bad])", allowed: "finite, >= 0, not all 0")
  }

  private static func check(_ member: Sequential, matches first: Sequential, index: Int) throws {
    func differ(_ what: String, _ a: Any, _ b: Any) -> ModelError {
      .shapeMismatch("ensemble member \(index) has \(what) \(a), member 0 has \(b): an ensemble averages alike models")
    }
    if member.inputFeatures != first.inputFeatures {
      throw differ("input features", member.inputFeatures, first.inputFeatures)
    }
    if member.outputFeatures != first.outputFeatures {
      throw differ("outputs", member.outputFeatures, first.outputFeatures)
    }
    if member.output != first.output { throw differ("output", member.output, first.output) }
    if member.preprocessing != first.preprocessing { throw differ("preprocessing", "of its own", "another") }
  }

  public var inputFeatures: Int { members[0].inputFeatures }
  public var outputFeatures: Int { members[0].outputFeatures }
  public var output: ModelOutput { members[0].output }
  public var preprocessing: Preprocessing { members[0].preprocessing }
  /// A classifier ensemble outputs the average of its members' probabilities.
  public var outputsProbabilities: Bool { output.kind == .classes }

  /// The weighted average, in Double, of the members' probabilities (classifiers) or outputs, for
  /// rows already preprocessed.
  /// - Throws: as ``Sequential/predict(_:rows:batchSize:)``.
  public func predict(
    _ inputs: [Float], rows: Int, batchSize: Int = Sequential.predictionBatchSize
  ) throws -> [Float] {
    var sum = [Double](repeating: 0, count: rows * outputFeatures)
    for (index, member) in members.enumerated() {
      var outputs = try member.predict(inputs, rows: rows, batchSize: batchSize)
      if outputsProbabilities { outputs = member.probabilities(outputs, temperature: temperatures[index]) }
      for row in sum.indices { sum[row] += weights[index] * Double(outputs[row]) }
    }
    return sum.map { Float($0) }
  }

  /// The same for raw rows: each pass's rows get the shared preprocessing once, then go through
  /// every member.
  /// - Throws: as ``Sequential/predict(raw:rows:batchSize:)``.
  public func predict(
    raw inputs: [Float], rows: Int, batchSize: Int = Sequential.predictionBatchSize
  ) throws -> [Float] {
    try Sequential.inPasses(
      inputs, rows: rows, features: inputFeatures, outputs: outputFeatures, batchSize: batchSize,
      preprocessing: preprocessing
    ) { pass, passRows in
      try predict(pass, rows: passRows, batchSize: batchSize)
    }
  }
}

/// What an ensemble file's ``Ensemble/descriptionKey`` holds: version 2 adds the members'
/// temperatures, written only when one is not 1 (as version 1 otherwise, so older readers take it).
struct EnsembleDescription: Codable {
  static let formatName = "descent-ensemble", currentVersion = 2
  var format = formatName
  var version = currentVersion
  var weights: [Double]
  var temperatures: [Double]?
  var members: [ModelDescription]
}

extension Ensemble {
  /// The members' tensors under `member{i}.` names, and the description.
  private func contents() throws -> (tensors: [(name: String, tensor: SafeTensors.Tensor)], metadata: [String: String])
  {
    var tensors: [(name: String, tensor: SafeTensors.Tensor)] = []
    for (index, member) in members.enumerated() {
      tensors += try member.finiteTensors().map { ("member\(index).\($0.name)", $0.tensor) }
    }
    let tempered = temperatures.contains { $0 != 1 }
    let description = EnsembleDescription(
      version: tempered ? EnsembleDescription.currentVersion : 1, weights: weights,
      temperatures: tempered ? temperatures : nil, members: try members.map { try $0.describe() })
    let encoder = JSONEncoder()
    encoder.outputFormatting = [.sortedKeys]
    return (tensors, [Self.descriptionKey: String(decoding: try encoder.encode(description), as: UTF8.self)])
  }

  /// Writes the ensemble's file (safetensors, atomically): every member's weights and the
  /// description ``ModelFile/load(contentsOf:backend:)`` rebuilds it from.
  /// - Throws: as ``Sequential/save(to:)``.
  public func save(to path: String) throws {
    let (tensors, metadata) = try contents()
    try SafeTensors.write(tensors, metadata: metadata, to: path)
  }

  /// The ensemble in the file at `path`, on `backend`.
  /// - Throws: ``DataError`` naming the file (and member) and what is wrong.
  public static func load(contentsOf path: String, backend: any Backend) throws -> Ensemble {
    let (tensors, metadata) = try SafeTensors.read(path)
    return try load(tensors: tensors, metadata: metadata, place: path, backend: backend)
  }

  static func load(
    tensors: [String: SafeTensors.Tensor], metadata: [String: String], place: String, backend: any Backend
  ) throws -> Ensemble {
    func fail(_ detail: String) -> DataError { .inconsistent("\(place): \(detail)") }
    guard let json = metadata[descriptionKey] else {
      throw fail("no \"\(descriptionKey)\" metadata: not an ensemble's file (a single model? use Sequential.load)")
    }
    try FormatHeader.check(
      json, key: descriptionKey, format: EnsembleDescription.formatName, newest: EnsembleDescription.currentVersion,
      noun: "ensemble", place: place)
    guard let description = try? JSONDecoder().decode(EnsembleDescription.self, from: Data(json.utf8)) else {
      throw fail("the ensemble description is incomplete (it needs \"weights\" and \"members\")")
    }
    guard !description.members.isEmpty, description.weights.count == description.members.count else {
      throw fail("\(description.weights.count) weights for \(description.members.count) members")
    }
    if let temperatures = description.temperatures, temperatures.count != description.members.count {
      throw fail("\(temperatures.count) temperatures for \(description.members.count) members")
    }
    var byMember = [[String: SafeTensors.Tensor]](repeating: [:], count: description.members.count)
    for (name, tensor) in tensors {
      guard name.hasPrefix("member"), let dot = name.firstIndex(of: "."),
        let index = Int(name[name.index(name.startIndex, offsetBy: 6)..<dot]), byMember.indices.contains(index)
      else { throw fail("tensor \"\(name)\" belongs to no member the description lists") }
      byMember[index][String(name[name.index(after: dot)...])] = tensor
    }
    let members = try description.members.enumerated().map { index, member in
      // Each member's description is checked as a model file's is.
      let where_ = "\(place): member \(index)"
      try FormatHeader(format: member.format, version: member.version).check(
        format: ModelDescription.formatName, newest: ModelDescription.currentVersion, noun: "model", place: where_)
      try member.checkShape(path: where_)
      return try Sequential.build(member, tensors: byMember[index], place: where_, backend: backend)
    }
    do {
      return try Ensemble(members: members, weights: description.weights, temperatures: description.temperatures)
    } catch let error as ConfigurationError {
      throw fail("\(error)")
    } catch let ModelError.shapeMismatch(detail) {
      throw fail(detail)
    }
  }
}
