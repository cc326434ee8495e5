import Descent
import Testing

/// Wrong shapes and wrong buffers are rejected on every backend with a message naming the op and
/// the shapes, before anything runs.
@Suite struct Misuse {
  static var backends: [any Backend] { [TestBackends.cpu] + TestBackends.openCLSuites }

  @Test func gemmShapeMismatchNamesTheShapes() throws {
    for backend in Self.backends {
      let (a, b, c) = (try backend.allocate(6), try backend.allocate(12), try backend.allocate(7))
      let error = #expect(throws: BackendError.self) {
        try backend.gemm(GemmShape(m: 2, n: 4, k: 3), a, b, into: c)
      }
      #expect(
        error?.description == "gemm: shape mismatch: C has 7 elements, gemm 2x4x3 (AB) with C 2x4 needs 8",
        "\(backend.name)")
      let transposed = #expect(throws: BackendError.self) {
        try backend.gemm(
          GemmShape(m: 3, n: 4, k: 2, transposeA: true), a, try backend.allocate(7), into: try backend.allocate(12))
      }
      #expect(transposed?.description == "gemm: shape mismatch: B has 7 elements, gemm 3x4x2 (AᵀB) with B 2x4 needs 8")
    }
  }

  /// A fused bias, activation output or sums of the wrong size, the activation written over C
  /// (which must keep the pre-activation) and sums of no rows are refused before anything runs.
  @Test func gemmFusionMisuseNamesThePart() throws {
    for backend in Self.backends {
      let (a, b, c) = (try backend.allocate(6), try backend.allocate(12), try backend.allocate(8))
      let shape = GemmShape(m: 2, n: 4, k: 3)
      let cases: [(GemmFusion, String)] = [
        (
          GemmFusion(bias: try backend.allocate(3)),
          "gemm: shape mismatch: bias has 3 elements, gemm 2x4x3 (AB) with 4 columns needs 4"
        ),
        (
          GemmFusion(bSums: try backend.allocate(5)),
          "gemm: shape mismatch: bSums has 5 elements, gemm 2x4x3 (AB) with 4 columns needs 4"
        ),
        (
          GemmFusion(activation: (.relu, try backend.allocate(7))),
          "gemm: shape mismatch: activation output has 7 elements, gemm 2x4x3 (AB) with C 2x4 needs 8"
        ),
        (
          GemmFusion(activation: (.relu, c)),
          "gemm: activation output = C is invalid (allowed: a buffer other than C, which keeps the pre-activation)"
        ),
      ]
      for (fusion, message) in cases {
        let error = #expect(throws: BackendError.self) { try backend.gemm(shape, a, b, into: c, fusing: fusion) }
        #expect(error?.description == message, "\(backend.name)")
      }
      let noRows = #expect(throws: BackendError.self) {
        try backend.gemm(
          GemmShape(m: 0, n: 4, k: 3), try backend.allocate(0), b, into: try backend.allocate(0),
          fusing: GemmFusion(bSums: try backend.allocate(4)))
      }
      #expect(
        noRows?.description == "gemm: m = 0 is invalid (allowed: >= 1 when bSums is given)",
        "\(backend.name)")
    }
  }

  @Test func uploadRowsGathersInOrderAndNamesBadRows() throws {
    let values: [Float] = (0..<15).map(Float.init)  // 5 rows of 3
    for backend in Self.backends {
      let buffer = try backend.allocate(9)
      try backend.uploadRows([4, 0, 2], of: values, width: 3, to: buffer)
      #expect(try backend.download(buffer) == [12, 13, 14, 0, 1, 2, 6, 7, 8], "\(backend.name)")
      // Batches of rows wider than a vector (the CPU copies four rows at a time, 16 floats at a
      // time, then the rest): 11 rows of 37, some repeated, from 300 rows.
      let (width, source) = (37, (0..<(300 * 37)).map { Float($0) })
      let picked = [299, 0, 17, 17, 150, 3, 298, 42, 0, 77, 1]
      let batch = try backend.allocate(picked.count * width)
      try backend.uploadRows(picked, of: source, width: width, to: batch)
      #expect(
        try backend.download(batch) == picked.flatMap { source[$0 * width..<($0 + 1) * width] }, "\(backend.name)")
      #expect(
        throws: BackendError.shapeMismatch(op: "uploadRows", detail: "row 5 is outside the 5 rows of 3 in 15 values")
      ) {
        try backend.uploadRows([1, 5, 0], of: values, width: 3, to: buffer)
      }
      #expect(
        throws: BackendError.shapeMismatch(op: "uploadRows", detail: "buffer has 9 elements, 2 rows of 3 needs 6")
      ) {
        try backend.uploadRows([1, 2], of: values, width: 3, to: buffer)
      }
    }
  }

  @Test func elementwiseAndUpdateMisuse() throws {
    for backend in Self.backends {
      let (x, y) = (try backend.allocate(5), try backend.allocate(6))
      #expect(throws: BackendError.shapeMismatch(op: "axpby", detail: "y has 6 elements but x has 5")) {
        try backend.add(x, y, into: x)
      }
      #expect(throws: BackendError.invalidArgument(op: "dropout", parameter: "rate", value: "1.0", allowed: "[0, 1)")) {
        try backend.dropout(x, rate: 1, key: RandomKey(seed: 0), into: x, mask: x)
      }
      #expect(throws: BackendError.shapeMismatch(op: "adam", detail: "1 state buffers given, the update keeps 2")) {
        try backend.update(
          Adam().update(step: 1, learningRate: 0.1, momentum: nil), parameter: x, gradient: x,
          state: [x])
      }
      #expect(throws: BackendError.shapeMismatch(op: "upload", detail: "2 values for a buffer of 5")) {
        try backend.upload([1, 2], to: x)
      }
    }
  }

  @Test(.enabled(if: !TestBackends.openCL.isEmpty, "OpenCL skipped: \(TestBackends.openCLUnavailableReason)"))
  func buffersDoNotCrossBackends() throws {
    let openCL = TestBackends.openCL[0]
    let cpuBuffer = try TestBackends.cpu.allocate(4)
    let clBuffer = try openCL.allocate(4)
    #expect(throws: BackendError.foreignBuffer(op: "multiply", backend: openCL.name)) {
      try openCL.multiply(cpuBuffer, clBuffer, into: clBuffer)
    }
    #expect(throws: BackendError.foreignBuffer(op: "download", backend: "cpu")) {
      _ = try TestBackends.cpu.download(clBuffer)
    }
  }
}
