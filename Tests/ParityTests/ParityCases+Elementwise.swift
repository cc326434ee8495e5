import Descent
import Foundation

extension ParityCase {
  /// Element counts: 1, 7, 33, 127, 1000, around the OpenCL group of 256, and past the CPU's
  /// threading threshold (2·2¹⁵), so both the serial and the parallel CPU paths run.
  static let counts = [1, 7, 33, 127, 255, 257, 1000, 70_001]
  /// Matrix shapes (rows, columns) for row- and column-wise ops.
  static let matrices: [(Int, Int)] = [(1, 1), (1, 33), (7, 1), (7, 33), (33, 7), (127, 10), (257, 127), (1000, 65)]

  static let elementwise: [ParityCase] = fills + axpby + activations + softmax

  static let fills: [ParityCase] = counts.map { count in
    ParityCase(name: "fill \(count)") { backend in
      let y = try Inputs.output(backend, count)
      try backend.fill(y, with: -2.5)
      return try backend.download(y)
    } reference: {
      Expected([Double](repeating: -2.5, count: count), absolute: 0, relative: 0, why: "exact")
    }
  }

  static let axpby: [ParityCase] = counts.flatMap { count -> [ParityCase] in
    let x = Inputs.uniform(count, seed: UInt64(count) + 11), y = Inputs.uniform(count, seed: UInt64(count) + 12)
    let forms: [(String, Float, Float)] = [("add", 1, 1), ("scale", -1.5, 0), ("axpy", 0.25, 1), ("axpby", 2, -3)]
    var cases = forms.map { label, alpha, beta in
      ParityCase(name: "axpby (\(label)) \(count)") { backend in
        let (xBuffer, yBuffer) = (try backend.buffer(x), try backend.buffer(y))
        let z = try Inputs.output(backend, count)
        switch label {
        case "add": try backend.add(xBuffer, yBuffer, into: z)
        case "scale":
          try backend.scale(xBuffer, by: alpha)
          return try backend.download(xBuffer)
        case "axpy":
          try backend.axpy(alpha: alpha, xBuffer, yBuffer)
          return try backend.download(yBuffer)
        default: try backend.axpby(alpha: alpha, xBuffer, beta: beta, yBuffer, into: z)
        }
        return try backend.download(z)
      } reference: {
        let values = x.indices.map { Double(alpha) * Double(x[$0]) + Double(beta) * Double(y[$0]) }
        let bounds = x.indices.map { gamma(3) * (abs(Double(alpha * x[$0])) + abs(Double(beta * y[$0]))) }
        return Expected(values, bounds: bounds, why: "γ(3)·(|αx| + |βy|): two products and a sum")
      }
    }
    cases.append(
      ParityCase(name: "multiply \(count)") { backend in
        let (xBuffer, yBuffer) = (try backend.buffer(x), try backend.buffer(y))
        let z = try Inputs.output(backend, count)
        try backend.multiply(xBuffer, yBuffer, into: z)
        return try backend.download(z)
      } reference: {
        Expected(x.indices.map { Double(x[$0]) * Double(y[$0]) }, absolute: 0, relative: u, why: "one rounded product")
      })
    return cases
  }

  /// Inputs on [−6, 6], where every activation's interesting part lies.
  static let activations: [ParityCase] = Activation.allCases.flatMap { f in
    counts.flatMap { count -> [ParityCase] in
      let x = Inputs.uniform(count, seed: UInt64(count) + 21, in: -6...6)
      let dy = Inputs.uniform(count, seed: UInt64(count) + 22)
      let forward = ParityCase(name: "activate \(f) \(count)") { backend in
        let xBuffer = try backend.buffer(x)
        let y = try Inputs.output(backend, count)
        try backend.activate(f, xBuffer, into: y)
        return try backend.download(y)
      } reference: {
        let values = x.map { Reference.activation(f, Double($0)) }
        return Expected(
          values, bounds: zip(values, x).map { Reference.activationBound(f, $0, Double($1)) },
          why: activationWhy)
      }
      let backward = ParityCase(name: "activation_backward \(f) \(count)") { backend in
        let (xBuffer, dyBuffer) = (try backend.buffer(x), try backend.buffer(dy))
        let dx = try Inputs.output(backend, count)
        try backend.activationBackward(f, input: xBuffer, outputGradient: dyBuffer, into: dx)
        return try backend.download(dx)
      } reference: {
        let values = x.indices.map {
          Reference.derivative(f, Double(x[$0])) * Double(dy[$0])
        }
        let bounds = x.indices.map {
          16 * 0x1p-23 * abs(Double(dy[$0])) * (1 + abs(Double(x[$0]))) + abs(values[$0]) * 16 * 0x1p-23
        }
        return Expected(
          values, bounds: bounds,
          why: activationWhy
            + "; derivatives subtract near-equal values (1−s, 1−t², 1+erf), so the bound is absolute in |dy|·(1+|x|)")
      }
      return [forward, backward]
    }
  }

  static let activationWhy =
    "OpenCL C allows exp 3, tanh 5, erf 16 ulp (spec 1.2 §7.4); bound 16 ulp of |y|, "
    + "plus 16 ulp of |x| for GELU's 1+erf"

  static let softmax: [ParityCase] = matrices.map { rows, columns in
    let x = Inputs.uniform(rows * columns, seed: UInt64(rows * 7 + columns), in: -8...8)
    return ParityCase(name: "softmax \(rows)x\(columns)") { backend in
      let xBuffer = try backend.buffer(x)
      let y = try Inputs.output(backend, rows * columns)
      try backend.softmax(xBuffer, rows: rows, columns: columns, into: y)
      return try backend.download(y)
    } reference: {
      let values = (0..<rows).flatMap { Reference.softmax(x.doubles[$0 * columns..<($0 + 1) * columns]) }
      return Expected(
        values, absolute: 1e-30, relative: Double(columns + 8) * 4 * u,
        why: "exp (3 ulp) of each term, a sum of `columns` terms, one division")
    }
  }
}
