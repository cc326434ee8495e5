/// Products of one or two rows (`m ≤ 2`: a batch-1 forward `x·W`, its backward `dy·Wᵀ`). The
/// blocked kernel computes `mr` rows per tile, so one row did 8× the work (a 784→256 layer at
/// batch 1: 4.6 µs of a 19 µs prediction). Here each row of C is accumulated in registers
/// while B streams past once per row, as a BLAS GEMV does:
///   - B is k×n: `C[row, block] += A[row, p]·B[p, block]` over p, blocks of eight registers
///     (spread over the cores when B is large), then single registers, then a cut one;
///   - B is n×k: each C value is the dot product of the row of A with a row of B, four at once,
///     on the calling thread.
extension GemmKernel {
  private typealias V = Vector

  /// Whether ``rowRun()`` computes this product.
  var isFewRows: Bool { shape.m <= 2 && shape.k > 0 && shape.alpha != 0 }

  func rowRun() {
    // op(A)[row, p] is a[row·k + p], or a[p·m + row] when A is stored k×m.
    let (rowStep, depthStep) = shape.transposeA ? (1, shape.m) : (shape.k, 1)
    for row in 0..<shape.m {
      let x = a + row * rowStep
      if shape.transposeB {
        dotProducts(x, depthStep: depthStep, row: row)
      } else {
        rowTimesMatrix(x, depthStep: depthStep, row: row)
      }
    }
  }

  /// `C[row, j] = alpha·sum + beta·C[row, j]`, not reading C when `beta == 0`.
  @inline(__always)
  private func finish(_ sum: V, row: Int, column: Int) {
    let out = UnsafeMutableRawPointer(c + row * shape.n + column)
    let product = shape.alpha * sum
    let value = shape.beta == 0 ? product : product + shape.beta * out.loadUnaligned(as: V.self)
    out.storeBytes(of: value, as: V.self)
  }

  /// B is k×n: eight registers of C's row at a time (eight independent chains of multiply-adds
  /// keep both FMA pipes busy), then single registers, then the last columns.
  private func rowTimesMatrix(_ x: UnsafePointer<Float>, depthStep: Int, row: Int) {
    let (n, k) = (shape.n, shape.k), lanes = V.scalarCount, size = MemoryLayout<V>.size
    let bRaw = UnsafeRawPointer(b)
    // Blocks of eight registers; with 64 Ki weights or more (256 KiB: the 784→256 layer) they are
    // spread over the cores, each core reading its columns from its own L2 (a batch-1 prediction
    // of the Fashion MLP: 9.0 µs on one core, 6.8 µs on two).
    let blocks = n / (8 * lanes)
    spreading(k * n >= 1 << 16 && blocks >= 2)(blocks) { block in
      let column = block * 8 * lanes
      var (s0, s1, s2, s3, s4, s5, s6, s7) = (V(), V(), V(), V(), V(), V(), V(), V())
      for p in 0..<k {
        let value = V(repeating: x[p &* depthStep]), at = bRaw + (p &* n &+ column) &* 4
        Self.multiplyAdd(&s0, value, at.loadUnaligned(as: V.self))
        Self.multiplyAdd(&s1, value, at.loadUnaligned(fromByteOffset: size, as: V.self))
        Self.multiplyAdd(&s2, value, at.loadUnaligned(fromByteOffset: 2 &* size, as: V.self))
        Self.multiplyAdd(&s3, value, at.loadUnaligned(fromByteOffset: 3 &* size, as: V.self))
        Self.multiplyAdd(&s4, value, at.loadUnaligned(fromByteOffset: 4 &* size, as: V.self))
        Self.multiplyAdd(&s5, value, at.loadUnaligned(fromByteOffset: 5 &* size, as: V.self))
        Self.multiplyAdd(&s6, value, at.loadUnaligned(fromByteOffset: 6 &* size, as: V.self))
        Self.multiplyAdd(&s7, value, at.loadUnaligned(fromByteOffset: 7 &* size, as: V.self))
      }
      finish(s0, row: row, column: column)
      finish(s1, row: row, column: column + lanes)
      finish(s2, row: row, column: column + 2 * lanes)
      finish(s3, row: row, column: column + 3 * lanes)
      finish(s4, row: row, column: column + 4 * lanes)
      finish(s5, row: row, column: column + 5 * lanes)
      finish(s6, row: row, column: column + 6 * lanes)
      finish(s7, row: row, column: column + 7 * lanes)
    }
    var column = blocks * 8 * lanes
    while column < n {
      // One register of columns; past the last column its lanes read the next row of B (ignored).
      // Where that would run past B's end (the last rows), the row is copied into a zeroed register.
      var sum = V()
      let width = min(lanes, n - column), last = k * n
      for p in 0..<k {
        let start = p &* n &+ column
        var values = V()
        if start &+ lanes <= last {
          values = UnsafeRawPointer(b + start).loadUnaligned(as: V.self)
        } else {
          for j in 0..<width { values[j] = b[start &+ j] }
        }
        Self.multiplyAdd(&sum, V(repeating: x[p &* depthStep]), values)
      }
      if width == lanes {
        finish(sum, row: row, column: column)
      } else {
        for j in 0..<width { finish(sum[j], row: row, column: column + j) }
      }
      column += width
    }
  }

  /// B is n×k: C[row, j] is the dot product of the row of A with row j of B, four rows of B at a
  /// time, each summed in a register's lanes.
  private func dotProducts(_ x: UnsafePointer<Float>, depthStep: Int, row: Int) {
    let (n, k) = (shape.n, shape.k), lanes = V.scalarCount
    let vectorDepth = depthStep == 1 ? k / lanes * lanes : 0
    @inline(__always) func xVector(_ p: Int) -> V {
      UnsafeRawPointer(x + p).loadUnaligned(as: V.self)
    }
    @inline(__always) func bVector(_ j: Int, _ p: Int) -> V {
      UnsafeRawPointer(b + (j &* k &+ p)).loadUnaligned(as: V.self)
    }
    var j = 0
    while j + 4 <= n {
      var (s0, s1, s2, s3) = (V(), V(), V(), V())
      var p = 0
      while p < vectorDepth {
        let value = xVector(p)
        Self.multiplyAdd(&s0, value, bVector(j, p))
        Self.multiplyAdd(&s1, value, bVector(j &+ 1, p))
        Self.multiplyAdd(&s2, value, bVector(j &+ 2, p))
        Self.multiplyAdd(&s3, value, bVector(j &+ 3, p))
        p &+= lanes
      }
      var sums = (s0.sum(), s1.sum(), s2.sum(), s3.sum())
      for p in vectorDepth..<k {
        let value = x[p &* depthStep]
        sums.0 += value * b[j &* k &+ p]
        sums.1 += value * b[(j &+ 1) &* k &+ p]
        sums.2 += value * b[(j &+ 2) &* k &+ p]
        sums.3 += value * b[(j &+ 3) &* k &+ p]
      }
      finish(sums.0, row: row, column: j)
      finish(sums.1, row: row, column: j + 1)
      finish(sums.2, row: row, column: j + 2)
      finish(sums.3, row: row, column: j + 3)
      j += 4
    }
    for j in j..<n {
      var s = V()
      var p = 0
      while p < vectorDepth {
        Self.multiplyAdd(&s, xVector(p), bVector(j, p))
        p &+= lanes
      }
      var sum = s.sum()
      for p in vectorDepth..<k { sum += x[p &* depthStep] * b[j &* k &+ p] }
      finish(sum, row: row, column: j)
    }
  }
}
