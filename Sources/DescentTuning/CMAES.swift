import Foundation

/// Hansen's CMA-ES ("The CMA Evolution Strategy: A Tutorial", 2016, its default settings with
/// positive recombination weights) minimizing over the unit box `[0, 1]ⁿ`: the state
/// ``CMAESSampler`` replays from a study's trials, one generation of `population` results at a time.
///
/// Two departures from the tutorial, both for a study's results rather than its own samples:
/// - Every told point's step `y = (x − m)/σ` is clipped to a Mahalanobis length
///   `√n + 2n/(n + 2)` (Hansen, "Injecting External Solutions Into CMA-ES", 2011): a result that
///   arrives after its generation moved on (another worker's, on a mean and step size since
///   changed) is used, never discarded, and cannot blow up the covariance. The clip rarely touches
///   a point sampled from the current distribution (its length is about `√n`).
/// - Dimensions with a ``Cell`` (whole numbers, stepped floats) keep a margin, after CMA-ES
///   with margin (Hamano, Saito, Nomura & Shirakawa, GECCO 2022): a diagonal scaling `A`, outside
///   the adapted covariance, widens the marginal spread so a sample leaves the mean's cell with
///   probability at least `1/(nλ)`, and integers never freeze. (The paper's mean correction is
///   left out.)
struct CMAES {
  let dimension: Int
  let population: Int
  let parents: Int
  let weights: [Double]
  let muEffective: Double
  let cSigma: Double, dSigma: Double, cC: Double, c1: Double, cMu: Double
  let expectedNorm: Double
  /// Per dimension, the whole-number or step cells its values snap to (nil: continuous).
  let cells: [Cell?]

  /// The interval of the box that snaps to one value of a discrete dimension.
  enum Cell: Sendable {
    /// Cells of one width (whole numbers or a step on a linear scale), in box units.
    case width(Double)
    /// Whole numbers on a log scale: the box maps to `[low, low + span]` in `log`, and the cell of
    /// `v` is `[log(v − ½), log(v + ½)]`.
    case logInteger(low: Double, span: Double)

    /// The width of the cell around box coordinate `x`.
    func width(at x: Double) -> Double {
      switch self {
      case let .width(width): return width
      case let .logInteger(low, span):
        let value = max(1, Foundation.exp(low + x * span).rounded())
        return (Foundation.log(value + 0.5) - Foundation.log(value - 0.5)) / span
      }
    }
  }

  var mean: [Double]
  var sigma: Double
  /// The covariance, and its eigendecomposition `C = B·diag(D²)·Bᵀ` (`B` column-major by eigenvector).
  var covariance: [[Double]]
  var eigenvectors: [[Double]]
  var scales: [Double]
  var pathSigma: [Double]
  var pathC: [Double]
  var generation = 0
  /// The best value of each generation told so far, for the stagnation test.
  var bestValues: [Double] = []

  /// A start at `mean` with step size `sigma` and covariance `covariance` (identity when nil);
  /// `population` defaults to `4 + ⌊3 ln n⌋`.
  init(
    mean: [Double], sigma: Double, covariance: [[Double]]? = nil, population: Int? = nil,
    cells: [Cell?]? = nil
  ) {
    let n = mean.count
    dimension = n
    self.population = population ?? 4 + Int(3 * Foundation.log(Double(n)))
    let (size, parents) = (self.population, self.population / 2)
    self.parents = parents
    let raw = (1...parents).map { Foundation.log(Double(size + 1) / 2) - Foundation.log(Double($0)) }
    let sum = raw.reduce(0, +)
    let weights = raw.map { $0 / sum }
    self.weights = weights
    muEffective = 1 / weights.map { $0 * $0 }.reduce(0, +)
    let (nd, mu) = (Double(n), muEffective)
    cSigma = (mu + 2) / (nd + mu + 5)
    dSigma = 1 + 2 * max(0, ((mu - 1) / (nd + 1)).squareRoot() - 1) + cSigma
    cC = (4 + mu / nd) / (nd + 4 + 2 * mu / nd)
    c1 = 2 / ((nd + 1.3) * (nd + 1.3) + mu)
    cMu = min(1 - c1, 2 * (mu - 2 + 1 / mu) / ((nd + 2) * (nd + 2) + mu))
    expectedNorm = nd.squareRoot() * (1 - 1 / (4 * nd) + 1 / (21 * nd * nd))
    self.cells = cells ?? Array(repeating: nil, count: n)
    self.mean = mean
    self.sigma = sigma
    self.covariance = covariance ?? (0..<n).map { i in (0..<n).map { i == $0 ? 1 : 0 } }
    (eigenvectors, scales) = ([], [])
    pathSigma = Array(repeating: 0, count: n)
    pathC = Array(repeating: 0, count: n)
    decompose()
  }

  /// The margin's scaling of each dimension (1 for continuous ones): enough to give a sample a
  /// `1/(nλ)` chance of leaving the mean's cell.
  var margin: [Double] {
    let alpha = 1 / (Double(dimension) * Double(population))
    let quantile = Self.normalQuantile(1 - alpha / 2)
    return (0..<dimension).map { i in
      guard let width = cells[i]?.width(at: mean[i]) else { return 1 }
      let spread = sigma * covariance[i][i].squareRoot()
      return spread > 0 ? max(1, width / 2 / quantile / spread) : 1
    }
  }

  /// A point `m + σ·A·B·D·z` in the box: redrawn up to 100 times while outside, then clipped
  /// (as Optuna's `cmaes` package repairs infeasible samples).
  func sample(_ generator: inout SeededGenerator) -> [Double] {
    let margin = self.margin
    var point: [Double] = []
    for _ in 0..<100 {
      let z = (0..<dimension).map { _ in generator.normal() }
      point = (0..<dimension).map { i in
        var step = 0.0
        for k in 0..<dimension { step += eigenvectors[k][i] * scales[k] * z[k] }
        return mean[i] + sigma * margin[i] * step
      }
      if point.allSatisfy({ $0 >= 0 && $0 <= 1 }) { return point }
    }
    return point.map { min(max($0, 0), 1) }
  }

  /// One generation's update from `results` (points in the box and values to minimize; any
  /// number, the best `parents` recombined).
  mutating func tell(_ results: [(point: [Double], value: Double)]) {
    let n = dimension
    let margin = self.margin
    let limit = Double(n).squareRoot() + 2 * Double(n) / Double(n + 2)
    let sorted = results.enumerated().sorted { a, b in
      a.element.value != b.element.value ? a.element.value < b.element.value : a.offset < b.offset
    }.map(\.element)
    var steps: [[Double]] = sorted.prefix(parents).map { result in
      (0..<n).map { (result.point[$0] - mean[$0]) / sigma / margin[$0] }
    }
    for index in steps.indices {
      let length = norm(whiten(steps[index]))
      if length > limit { steps[index] = steps[index].map { $0 * limit / length } }
    }
    let weighted = (0..<n).map { i in zip(weights, steps).map { $0 * $1[i] }.reduce(0, +) }
    for i in 0..<n { mean[i] += sigma * margin[i] * weighted[i] }
    let whitened = whiten(weighted)
    let sigmaRate = (cSigma * (2 - cSigma) * muEffective).squareRoot()
    for i in 0..<n { pathSigma[i] = (1 - cSigma) * pathSigma[i] + sigmaRate * whitened[i] }
    generation += 1
    let correction = (1 - Foundation.pow(1 - cSigma, Double(2 * generation))).squareRoot()
    let stalled = norm(pathSigma) / correction >= (1.4 + 2 / Double(n + 1)) * expectedNorm
    let cRate = (cC * (2 - cC) * muEffective).squareRoot()
    for i in 0..<n { pathC[i] = (1 - cC) * pathC[i] + (stalled ? 0 : cRate * weighted[i]) }
    let lost = stalled ? c1 * cC * (2 - cC) : 0
    for i in 0..<n {
      for j in 0...i {
        var rankMu = 0.0
        for (weight, step) in zip(weights, steps) { rankMu += weight * step[i] * step[j] }
        let value = (1 - c1 - cMu + lost) * covariance[i][j] + c1 * pathC[i] * pathC[j] + cMu * rankMu
        (covariance[i][j], covariance[j][i]) = (value, value)
      }
    }
    sigma *= Foundation.exp(min(1, cSigma / dSigma * (norm(pathSigma) / expectedNorm - 1)))
    bestValues.append(sorted[0].value)
    decompose()
  }

  /// Whether the run has stopped making progress and IPOP should restart it (Hansen's TolX,
  /// TolFun / TolFunHist and ConditionCov): the spread below `1e-12` of the box in every
  /// dimension, the best values of the last `10 + ⌈30n/λ⌉` generations within `1e-12`, or a
  /// covariance condition number above `1e14`.
  var hasStagnated: Bool {
    let spread = (0..<dimension).map { sigma * covariance[$0][$0].squareRoot() }
    if spread.allSatisfy({ $0 < 1e-12 }) { return true }
    let history = 10 + Int((30 * Double(dimension) / Double(population)).rounded(.up))
    if bestValues.count >= history {
      let recent = bestValues.suffix(history)
      if recent.max()! - recent.min()! < 1e-12 { return true }
    }
    let (low, high) = (scales.min()!, scales.max()!)
    return low <= 0 || (high / low) * (high / low) > 1e14
  }

  /// `C^{-1/2}·y`.
  func whiten(_ y: [Double]) -> [Double] {
    let n = dimension
    let projected = (0..<n).map { k in (0..<n).map { eigenvectors[k][$0] * y[$0] }.reduce(0, +) / scales[k] }
    return (0..<n).map { i in (0..<n).map { eigenvectors[$0][i] * projected[$0] }.reduce(0, +) }
  }

  private func norm(_ v: [Double]) -> Double { v.map { $0 * $0 }.reduce(0, +).squareRoot() }

  /// Refreshes `eigenvectors` and `scales` (square roots of the eigenvalues, floored at 1e-300).
  private mutating func decompose() {
    let (values, vectors) = Self.symmetricEigen(covariance)
    eigenvectors = vectors
    scales = values.map { max($0, 1e-300).squareRoot() }
  }

  /// Eigenvalues and eigenvectors (one array per eigenvector) of a symmetric matrix by cyclic
  /// Jacobi rotations, to full double precision (sizes of a search space: tens of dimensions).
  static func symmetricEigen(_ matrix: [[Double]]) -> (values: [Double], vectors: [[Double]]) {
    let n = matrix.count
    var a = matrix
    var v = (0..<n).map { i in (0..<n).map { i == $0 ? 1.0 : 0.0 } }
    for _ in 0..<100 {
      var off = 0.0
      for i in 0..<n { for j in 0..<n where i != j { off += a[i][j] * a[i][j] } }
      if off < 1e-300 { break }
      for p in 0..<n {
        for q in (p + 1)..<n where a[p][q] != 0 {
          let theta = (a[q][q] - a[p][p]) / (2 * a[p][q])
          let t = (theta >= 0 ? 1 : -1) / (abs(theta) + (theta * theta + 1).squareRoot())
          let c = 1 / (t * t + 1).squareRoot(), s = t * c
          for k in 0..<n {
            let (akp, akq) = (a[k][p], a[k][q])
            (a[k][p], a[k][q]) = (c * akp - s * akq, s * akp + c * akq)
          }
          for k in 0..<n {
            let (apk, aqk) = (a[p][k], a[q][k])
            (a[p][k], a[q][k]) = (c * apk - s * aqk, s * apk + c * aqk)
          }
          for k in 0..<n {
            let (vkp, vkq) = (v[k][p], v[k][q])
            (v[k][p], v[k][q]) = (c * vkp - s * vkq, s * vkp + c * vkq)
          }
        }
      }
    }
    return ((0..<n).map { a[$0][$0] }, (0..<n).map { k in (0..<n).map { v[$0][k] } })
  }

  /// `Φ⁻¹(p)` for `p` in (0.5, 1), by bisection on `erfc`.
  static func normalQuantile(_ p: Double) -> Double {
    var (low, high) = (0.0, 40.0)
    for _ in 0..<200 {
      let middle = (low + high) / 2
      if 0.5 * erfc(-middle / 2.0.squareRoot()) < p { low = middle } else { high = middle }
    }
    return (low + high) / 2
  }
}
