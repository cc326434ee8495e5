import Foundation

/// Pareto dominance for studies of several objectives: fronts, crowding and hypervolume (Deb,
/// Pratap, Agarwal & Meyarivan, "A Fast and Elitist Multiobjective Genetic Algorithm: NSGA-II",
/// 2002). Points here are minimized: a maximized objective enters negated (``minimized(_:_:)``).
public enum Pareto {
  /// A complete trial's objective values as a point to minimize, nil for one that is not
  /// COMPLETE with finite values (in a study of one objective, its value).
  public static func minimized(_ trial: TrialRecord, _ directions: [Direction]) -> [Double]? {
    guard trial.state == .complete else { return nil }
    let values = trial.values.isEmpty ? trial.value.map { [$0] } ?? [] : trial.values
    guard values.count == directions.count, values.allSatisfy(\.isFinite) else { return nil }
    return zip(values, directions).map { $1 == .minimize ? $0 : -$0 }
  }

  /// How far a trial is from feasible: the sum of its positive constraint values.
  public static func violation(_ trial: TrialRecord) -> Double { trial.constraints.map { max(0, $0) }.reduce(0, +) }

  /// Whether `a` dominates `b`: no worse in every objective and better in one.
  public static func dominates(_ a: [Double], _ b: [Double]) -> Bool {
    var better = false
    for (x, y) in zip(a, b) {
      if x > y { return false }
      if x < y { better = true }
    }
    return better
  }

  /// Deb's constrained domination: a feasible point (violation 0) beats an infeasible one, the
  /// smaller violation wins between infeasible ones, and feasible ones compare by dominance.
  static func dominates(_ a: (point: [Double], violation: Double), _ b: (point: [Double], violation: Double)) -> Bool {
    if a.violation > 0 || b.violation > 0 { return a.violation < b.violation }
    return dominates(a.point, b.point)
  }

  /// Fast non-dominated sorting: the indices of `points` by front, the first dominated by none.
  public static func fronts(_ points: [[Double]], violations: [Double]? = nil) -> [[Int]] {
    let entries = points.indices.map { (point: points[$0], violation: violations?[$0] ?? 0) }
    var dominated = Array(repeating: [Int](), count: points.count)
    var count = Array(repeating: 0, count: points.count)
    for i in entries.indices {
      for j in entries.indices where i != j {
        if dominates(entries[i], entries[j]) {
          dominated[i].append(j)
        } else if dominates(entries[j], entries[i]) {
          count[i] += 1
        }
      }
    }
    var fronts: [[Int]] = []
    var current = entries.indices.filter { count[$0] == 0 }
    while !current.isEmpty {
      fronts.append(current)
      var next: [Int] = []
      for i in current {
        for j in dominated[i] {
          count[j] -= 1
          if count[j] == 0 { next.append(j) }
        }
      }
      current = next.sorted()
    }
    return fronts
  }

  /// Each point's crowding distance within its front: the sum over objectives of the gap between
  /// its neighbours, scaled by the objective's range; the extremes get infinity.
  public static func crowdingDistance(_ points: [[Double]]) -> [Double] {
    guard let dimensions = points.first?.count else { return [] }
    var distance = Array(repeating: 0.0, count: points.count)
    guard points.count > 2 else { return distance.map { _ in .infinity } }
    for m in 0..<dimensions {
      let order = points.indices.sorted { points[$0][m] != points[$1][m] ? points[$0][m] < points[$1][m] : $0 < $1 }
      let (low, high) = (points[order.first!][m], points[order.last!][m])
      (distance[order.first!], distance[order.last!]) = (.infinity, .infinity)
      guard high > low else { continue }
      for k in 1..<(order.count - 1) {
        distance[order[k]] += (points[order[k + 1]][m] - points[order[k - 1]][m]) / (high - low)
      }
    }
    return distance
  }

  /// A hypervolume reference point for minimized `points`: each objective's worst value plus a
  /// tenth of its range (1 when the range is 0, or with no points), so every point adds volume.
  public static func reference(_ points: [[Double]], objectives: Int) -> [Double] {
    (0..<objectives).map { d in
      let values = points.map { $0[d] }
      guard let high = values.max(), let low = values.min() else { return 1 }
      return high + (high > low ? (high - low) / 10 : 1)
    }
  }

  /// The volume the points dominate up to `reference` (each coordinate of the reference above
  /// the points that count; a point not below it in every objective adds nothing), exact, by
  /// slicing along the last objective (fine for the handful of objectives a study has).
  public static func hypervolume(_ points: [[Double]], reference: [Double]) -> Double {
    let inside = points.filter { zip($0, reference).allSatisfy { $0 < $1 } }
    guard !inside.isEmpty else { return 0 }
    let d = reference.count
    if d == 1 { return reference[0] - inside.map { $0[0] }.min()! }
    let sorted = inside.sorted { $0[d - 1] < $1[d - 1] }
    var volume = 0.0
    for (k, point) in sorted.enumerated() {
      let top = k + 1 < sorted.count ? sorted[k + 1][d - 1] : reference[d - 1]
      guard top > point[d - 1] else { continue }
      let slice = sorted.prefix(k + 1).map { Array($0.prefix(d - 1)) }
      volume += hypervolume(slice, reference: Array(reference.prefix(d - 1))) * (top - point[d - 1])
    }
    return volume
  }

  /// The COMPLETE trials of the first front (feasible ones beat infeasible ones), by number.
  public static func front(_ trials: [TrialRecord], directions: [Direction]) -> [TrialRecord] {
    let done = trials.compactMap { trial in minimized(trial, directions).map { (trial, $0) } }
    let first = fronts(done.map(\.1), violations: done.map { violation($0.0) }).first ?? []
    return first.map { done[$0].0 }.sorted { $0.number < $1.number }
  }
}
