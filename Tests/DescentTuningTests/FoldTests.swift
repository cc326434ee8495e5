import Descent
import DescentTuning
import Testing

/// k-fold splits: a partition of the rows, stratified class counts within one row, seeded.
struct FoldTests {
  static func labelled(_ counts: [Int]) throws -> Dataset {
    let labels = counts.enumerated().flatMap { label, count in [Float](repeating: Float(label), count: count) }
    return try Dataset(features: labels.indices.map(Float.init), featureCount: 1, targets: labels)
  }

  @Test(arguments: [2, 3, 5, 7])
  func foldsPartitionTheRows(k: Int) throws {
    let data = try Self.labelled([50, 31, 7, 13])
    for stratified in [false, true] {
      let folds = try data.foldIndices(k, seed: 9, stratified: stratified)
      #expect(folds.count == k)
      #expect(folds.flatMap { $0 }.sorted() == Array(0..<data.rows), "k \(k) stratified \(stratified)")
      let sizes = folds.map(\.count)
      #expect(sizes.max()! - sizes.min()! <= 1)
      let split = try data.folds(k, seed: 9, stratified: stratified)
      for (fold, rows) in zip(split, folds) {
        #expect(fold.validation.rows == rows.count && fold.train.rows == data.rows - rows.count)
        #expect(Set(fold.validation.features).isDisjoint(with: Set(fold.train.features)))
      }
    }
  }

  @Test(arguments: [2, 3, 5, 7])
  func stratifiedFoldsKeepClassCountsWithinOneRow(k: Int) throws {
    let data = try Self.labelled([50, 31, 7, 13])
    let folds = try data.foldIndices(k, seed: 3, stratified: true)
    for label in 0..<4 {
      let counts = folds.map { $0.filter { data.targets[$0] == Float(label) }.count }
      #expect(counts.max()! - counts.min()! <= 1, "class \(label): \(counts)")
    }
    #expect(try data.foldIndices(k, seed: 3, stratified: true) == folds)
    #expect(try data.foldIndices(k, seed: 4, stratified: true) != folds)
  }

  @Test func tooFewRowsOrFoldsAreErrors() throws {
    let data = try Self.labelled([2, 1])
    #expect(throws: ConfigurationError.self) { try data.foldIndices(1, seed: 0, stratified: false) }
    #expect(throws: ConfigurationError.self) { try data.foldIndices(4, seed: 0, stratified: false) }
  }
}
