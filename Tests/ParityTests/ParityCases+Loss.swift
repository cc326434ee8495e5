import Descent
import Foundation

extension ParityCase {
  static let losses: [ParityCase] = crossEntropy + pointwise + reductions + topK

  /// Fused softmax + cross-entropy; labels cycle through every class, and one case has invalid labels.
  static let crossEntropy: [ParityCase] = {
    var cases = matrices.map { rows, classes in
      crossEntropyCase(rows: rows, classes: classes, labels: (0..<rows).map { Float(($0 * 7) % classes) })
    }
    cases.append(crossEntropyCase(rows: 4, classes: 3, labels: [0, -1, 3, 1.5]))
    // OpenCL's CPU kernel keeps the exponentials of up to 16 classes and computes the rest twice.
    for (rows, classes) in [(40, 16), (23, 17)] {
      cases.append(
        crossEntropyCase(rows: rows, classes: classes, labels: (0..<rows).map { Float(($0 * 5) % classes) }))
    }
    // Logits 80 apart: exponentials from 1 down to e⁻⁸⁰ (every power of two a vectorised exp
    // scales by, still normal floats), on rows that fill vectors and rows that leave a tail.
    for (rows, classes) in [(37, 10), (5, 33)] {
      cases.append(
        crossEntropyCase(
          rows: rows, classes: classes, labels: (0..<rows).map { Float(($0 * 3) % classes) }, spread: 40))
    }
    return cases
  }()

  private static func crossEntropyCase(rows: Int, classes: Int, labels: [Float], spread: Float = 5) -> ParityCase {
    let x = Inputs.uniform(rows * classes, seed: UInt64(rows * 31 + classes), in: -spread...spread)
    let scale = 1 / Float(rows)
    let name = "softmax_cross_entropy \(rows)x\(classes) labels \(labels.prefix(4))"
    return ParityCase(name: name + (spread == 5 ? "" : " logits ±\(spread)")) { backend in
      let (logits, labelBuffer) = (try backend.buffer(x), try backend.buffer(labels))
      let (loss, gradient) = (try Inputs.output(backend, rows), try Inputs.output(backend, rows * classes))
      try backend.softmaxCrossEntropy(
        logits: logits, labels: labelBuffer, rows: rows, classes: classes,
        gradientScale: scale, losses: loss, gradient: gradient)
      // An invalid label's loss is NaN by contract: map it to a sentinel the reference can match.
      return try backend.download(loss).map { $0.isNaN ? -1 : $0 } + backend.download(gradient)
    } reference: {
      var losses: [Double] = [], lossBounds: [Double] = [], gradient: [Double] = [], gradientBounds: [Double] = []
      for row in 0..<rows {
        let logits = x.doubles[row * classes..<(row + 1) * classes]
        let p = Reference.softmax(logits)
        let label = Double(labels[row])
        let valid = label >= 0 && label < Double(classes) && label == label.rounded()
        let largest = logits.max()!
        if valid {
          losses.append(-log(p[Int(label)]))
          // log Σ exp: (classes + 8) ulp relative to log-sum-exp's parts, which cancel with x[label].
          lossBounds.append(
            Double(classes + 8) * 2 * u * (abs(largest) + abs(logits[logits.startIndex + Int(label)]) + 1))
        } else {
          losses.append(-1)
          lossBounds.append(0)
        }
        for c in 0..<classes {
          let difference = p[c] - (valid && c == Int(label) ? 1 : 0)
          gradient.append(Double(scale) * difference)
          // softmax's bound on p, then one rounding each for the subtraction and the scaling.
          gradientBounds.append(Double(scale) * (Double(classes + 8) * 4 * u * p[c] + 2 * u * abs(difference)))
        }
      }
      return Expected(
        losses, bounds: lossBounds, why: "log-sum-exp minus the label's logit, (classes+8) ulp of the parts")
        + Expected(gradient, bounds: gradientBounds, why: "softmax bound, scaled")
    }
  }

  static let pointwise: [ParityCase] = PointwiseLoss.allCases.flatMap { kind in
    counts.map { count in
      let p = Inputs.uniform(count, seed: UInt64(count) + 41, in: -8...8)
      let t =
        kind != .binaryCrossEntropyWithLogits
        ? Inputs.uniform(count, seed: UInt64(count) + 42, in: -8...8)
        : Inputs.uniform(count, seed: UInt64(count) + 42, in: 0...1)
      let scale = 1 / Float(count)
      return ParityCase(name: "pointwise_loss \(kind.rawValue) \(count)") { backend in
        let (predictions, targets) = (try backend.buffer(p), try backend.buffer(t))
        let (loss, gradient) = (try Inputs.output(backend, count), try Inputs.output(backend, count))
        try backend.pointwiseLoss(
          kind, predictions: predictions, targets: targets, gradientScale: scale,
          losses: loss, gradient: gradient)
        return try backend.download(loss) + backend.download(gradient)
      } reference: {
        let (x, y) = (p.doubles, t.doubles)
        switch kind {
        case .squaredError:
          return Expected(
            x.indices.map { (x[$0] - y[$0]) * (x[$0] - y[$0]) }, absolute: 0, relative: gamma(3),
            why: "a difference and a square")
            + Expected(
              x.indices.map { Double(scale) * 2 * (x[$0] - y[$0]) }, absolute: 0, relative: gamma(3),
              why: "a difference and two products")
        case .binaryCrossEntropyWithLogits:
          // −t·log σ(x) − (1−t)·log(1−σ(x)), from the definition.
          let loss = x.indices.map {
            -y[$0] * log(Reference.sigmoid(x[$0])) - (1 - y[$0]) * log(1 - Reference.sigmoid(x[$0]))
          }
          let bounds = x.indices.map { 16 * 2 * u * (abs(x[$0]) + 1) }
          return Expected(loss, bounds: bounds, why: "exp/log1p ulp errors on terms of size |x| that cancel")
            + Expected(
              x.indices.map { Double(scale) * (Reference.sigmoid(x[$0]) - y[$0]) },
              bounds: x.indices.map { _ in Double(scale) * 16 * 2 * u }, why: "σ(x) − t, 16 ulp of 1")
        case .absoluteError:
          return Expected(x.indices.map { abs(x[$0] - y[$0]) }, absolute: 0, relative: u, why: "one rounded difference")
            + Expected(
              x.indices.map { Double(scale) * (x[$0] > y[$0] ? 1 : (x[$0] < y[$0] ? -1 : 0)) },
              absolute: 0, relative: 0, why: "exact: a sign times the scale")
        }
      }
    }
  }

  /// What `op` sums over `x`, in float64: x, x² or |x|.
  static func reductionTerms(_ op: ReduceOp, _ x: [Float]) -> [Double] {
    switch op {
    case .sum: x.doubles
    case .sumOfSquares: x.doubles.map { $0 * $0 }
    case .sumOfAbsolutes: x.doubles.map(abs)
    }
  }

  /// Σx, Σx² and Σ|x| over whole buffers, and row argmax (with a tie resolved to the first column).
  static let reductions: [ParityCase] =
    ReduceOp.allCases.flatMap { op in
      (counts + [0, 1 << 20]).map { count in
        let x = Inputs.uniform(count, seed: UInt64(count) + 51)
        return ParityCase(name: "reduce \(op.rawValue) \(count)") { backend in
          let y = try Inputs.output(backend, 1)
          try backend.reduce(op, try backend.buffer(x), into: y)
          return try backend.download(y)
        } reference: {
          let terms = reductionTerms(op, x)
          return Expected(
            [terms.reduce(0, +)], bounds: [gamma(count + 1) * terms.map(abs).reduce(0, +)],
            why: "γ(n+1)·Σ|term|: n fp32 additions (and a square) in any order")
        }
      }
    }
    + [70_001, 1 << 20].map { count in
      // All terms in [0.5, 1.5): Σ|x| = Σx, so the same bound is relative (about n·2⁻²⁴ of the sum)
      // and a reduction that loses a partial sum fails it; on zero-mean data Σ|x| is ~500× the sum.
      let x = Inputs.uniform(count, seed: UInt64(count) + 53).map { abs($0) + 0.5 }
      return ParityCase(name: "reduce sum of positives \(count)") { backend in
        let y = try Inputs.output(backend, 1)
        try backend.reduce(.sum, try backend.buffer(x), into: y)
        return try backend.download(y)
      } reference: {
        let sum = x.doubles.reduce(0, +)
        return Expected([sum], bounds: [gamma(count + 1) * sum], why: "γ(n+1)·Σx for positive terms")
      }
    }
    + ReduceOp.allCases.flatMap { op in
      // y = alpha·Σ + beta·y, then total += scale·y, on one launch's sizes and on two (OpenCL sums
      // a long buffer in groups first, adding to the total only at the end); beta 0 over a NaN in
      // y must give a number, beta 1.5 must read y.
      [(300, Float(0.37), Float(1.5)), (70_001, 0.37, 1.5), (300, -2, 0), (70_001, -2, 0)].map { count, alpha, beta in
        let x = Inputs.uniform(count, seed: UInt64(count) + 57)
        let (before, totalBefore, scale): (Float, Float, Float) = (beta == 0 ? .nan : 2.5, 10.25, 3)
        return ParityCase(name: "reduce \(op.rawValue) \(count) alpha \(alpha) beta \(beta) adding to a total") {
          backend in
          let (y, total) = (try backend.buffer([before]), try backend.buffer([totalBefore]))
          try backend.reduce(op, try backend.buffer(x), alpha: alpha, beta: beta, into: y, addingTo: (total, scale))
          return try backend.download(y) + backend.download(total)
        } reference: {
          let terms = reductionTerms(op, x)
          let sum = terms.reduce(0, +)
          let kept = beta == 0 ? 0 : Double(beta) * Double(before)
          let value = Double(alpha) * sum + kept
          let bound =
            abs(Double(alpha)) * gamma(count + 1) * terms.map(abs).reduce(0, +) + gamma(3)
            * (abs(Double(alpha) * sum) + abs(kept))
          let added = Double(scale) * (abs(value) + bound)
          return Expected(
            [value, Double(totalBefore) + Double(scale) * value],
            bounds: [bound, Double(scale) * bound + gamma(2) * (added + Double(totalBefore))],
            why: """
              |alpha|·γ(n+1)·Σ|term| for the sum, then γ(3) of the two products and their sum; the \
              total: scale × y's bound, then γ(2) of the product and the sum
              """)
        }
      }
    }
    + matrices.map { rows, columns in
      var values = Inputs.uniform(rows * columns, seed: UInt64(rows + columns) + 61)
      if columns > 2 { values[1] = 5; values[2] = 5 }  // a tie in row 0: the first index wins
      let x = values
      return ParityCase(name: "row_argmax \(rows)x\(columns)") { backend in
        let y = try Inputs.output(backend, rows)
        try backend.rowArgmax(try backend.buffer(x), rows: rows, columns: columns, into: y)
        return try backend.download(y)
      } reference: {
        let values = (0..<rows).map { row -> Double in
          let slice = x[row * columns..<(row + 1) * columns]
          return Double(slice.firstIndex(of: slice.max()!)! - row * columns)
        }
        return Expected(values, absolute: 0, relative: 0, why: "an index: exact")
      }
    }
}

extension ParityCase {
  /// Top-k hit counts for k = 1, 2, 5 with ties (a tie with the label's logit is not "strictly
  /// higher"), NaN in rows and invalid labels (never a hit), added to a running count (alpha 1,
  /// beta 1), scaled, or over a NaN (beta 0 reads nothing); 70 001 rows take OpenCL's two launches.
  static let topK: [ParityCase] = [1, 2, 5].flatMap { k in
    (matrices.filter { $0.1 > 1 } + [(70_001, 3)]).map { rows, columns in
      var values = Inputs.uniform(rows * columns, seed: UInt64(rows * 11 + columns)).map { ($0 * 4).rounded() / 4 }
      values[0] = 0.5
      // NaN in some rows (at the label or elsewhere): their ranking is undefined, never a hit.
      for r in stride(from: 2, to: rows, by: 11) { values[r * columns + (r / 11) % columns] = .nan }
      let x = values
      let labels = (0..<rows).map { r -> Float in
        r % 13 == 5 ? Float(columns) : (r % 17 == 3 ? 0.5 : Float((r * 7) % columns))
      }
      let (alpha, beta, before): (Float, Float, Float) = [1: (1, 1, 2), 2: (1, 0, .nan), 5: (0.5, 2, 3)][k]!
      return ParityCase(name: "top_k_hits k \(k) \(rows)x\(columns) alpha \(alpha) beta \(beta)") { backend in
        let count = try backend.buffer([before])
        try backend.topKHits(
          logits: try backend.buffer(x), labels: try backend.buffer(labels), rows: rows,
          classes: columns, k: k, alpha: alpha, beta: beta, into: count)
        return try backend.download(count)
      } reference: {
        let hits = (0..<rows).filter { r in
          let label = labels[r]
          guard label >= 0, label < Float(columns), label == label.rounded() else { return false }
          let row = x[r * columns..<(r + 1) * columns]
          guard !row.contains(where: \.isNaN) else { return false }
          return row.filter { $0 > x[r * columns + Int(label)] }.count < k
        }.count
        let kept = beta == 0 ? 0 : Double(beta) * Double(before)
        return Expected(
          [Double(alpha) * Double(hits) + kept], absolute: 0, relative: 0,
          why: "exact: comparisons, a count below 2²⁴, and products and a sum exact in fp32")
      }
    }
  }
}
