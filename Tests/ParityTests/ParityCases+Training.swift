import Descent

extension ParityCase {
  /// The ops only training uses: clipping by value and by global norm, penalty gradients and the
  /// softmax's backward pass.
  static let training: [ParityCase] = clamps + penalties + normClips + softmaxBackwards

  static let clamps: [ParityCase] = counts.map { count in
    let x = Inputs.uniform(count, seed: UInt64(count) + 71, in: -3...3)
    return ParityCase(name: "clip [-1, 0.5] \(count)") { backend in
      let y = try Inputs.output(backend, count)
      try backend.clip(try backend.buffer(x), low: -1, high: 0.5, into: y)
      return try backend.download(y)
    } reference: {
      Expected(x.map { min(max(Double($0), -1), 0.5) }, absolute: 0, relative: 0, why: "exact: a comparison")
    }
  }

  /// L1, L2 and both, with some parameters exactly zero (sign(0) = 0).
  static let penalties: [ParityCase] = [(Float(0.01), Float(0)), (0, 0.05), (0.003, 0.02)].flatMap { l1, l2 in
    counts.map { count in
      var p = Inputs.uniform(count, seed: UInt64(count) + 81)
      for i in stride(from: 0, to: count, by: 5) { p[i] = 0 }
      let parameter = p, g = Inputs.uniform(count, seed: UInt64(count) + 82)
      return ParityCase(name: "penalty_gradient l1 \(l1) l2 \(l2) \(count)") { backend in
        let gradient = try backend.buffer(g)
        try backend.penaltyGradient(l1: l1, l2: l2, parameter: try backend.buffer(parameter), gradient: gradient)
        return try backend.download(gradient)
      } reference: {
        let terms = zip(parameter, g).map { w, g in
          (Double(g), Double(l1) * Double(w.sign == .minus ? -1 : (w == 0 ? 0 : 1)), 2 * Double(l2) * Double(w))
        }
        return Expected(
          terms.map { $0 + $1 + $2 }, bounds: terms.map { gamma(4) * (abs($0) + abs($1) + abs($2)) },
          why: "γ(4)·(|g| + |l1| + |2·l2·p|): two products and two sums")
      }
    }
  }

  /// A norm above the limit scales every element; one below leaves them untouched.
  static let normClips: [ParityCase] = [0.5, 1e6].flatMap { (maxNorm: Float) in
    counts.map { count in
      let x = Inputs.uniform(count, seed: UInt64(count) + 91)
      return ParityCase(name: "clip_to_norm max \(maxNorm) \(count)") { backend in
        let (buffer, squared) = (try backend.buffer(x), try backend.allocate(1))
        try backend.reduce(.sumOfSquares, buffer, into: squared)
        try backend.clipToNorm(buffer, maxNorm: maxNorm, squaredNorm: squared)
        return try backend.download(buffer)
      } reference: {
        let norm = x.doubles.reduce(0) { $0 + $1 * $1 }.squareRoot()
        let factor = min(1, Double(maxNorm) / (norm + 1e-6))
        return Expected(
          x.map { Double($0) * factor }, absolute: 0, relative: factor < 1 ? gamma(count + 8) : 0,
          why: "the factor carries the squared norm's γ(n+1), a 3-ulp √ and a division, then one product")
      }
    }
  }

  static let softmaxBackwards: [ParityCase] = matrices.map { rows, columns in
    let x = Inputs.uniform(rows * columns, seed: UInt64(rows * 3 + columns), in: -4...4)
    let dy = Inputs.uniform(rows * columns, seed: UInt64(rows * 5 + columns))
    let y = (0..<rows).flatMap { Reference.softmax(x.doubles[$0 * columns..<($0 + 1) * columns]) }.map(Float.init)
    return ParityCase(name: "softmax_backward \(rows)x\(columns)") { backend in
      let dx = try Inputs.output(backend, rows * columns)
      try backend.softmaxBackward(
        output: try backend.buffer(y), outputGradient: try backend.buffer(dy),
        rows: rows, columns: columns, into: dx)
      return try backend.download(dx)
    } reference: {
      var values: [Double] = [], bounds: [Double] = []
      for row in 0..<rows {
        let range = row * columns..<(row + 1) * columns
        let dot = range.reduce(0.0) { $0 + Double(dy[$1]) * Double(y[$1]) }
        let dotMagnitude = range.reduce(0.0) { $0 + abs(Double(dy[$1]) * Double(y[$1])) }
        for i in range {
          values.append(Double(y[i]) * (Double(dy[i]) - dot))
          bounds.append(abs(Double(y[i])) * (gamma(columns + 2) * (abs(Double(dy[i])) + dotMagnitude)))
        }
      }
      return Expected(
        values, bounds: bounds,
        why: "|y|·γ(columns+2)·(|dy| + Σ|dy·y|): a dot product, a difference, a product")
    }
  }
}
