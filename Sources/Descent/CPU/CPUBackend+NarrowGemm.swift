#if DESCENT_AVX512
/// Products at most 16 columns wide (an MLP's output layer: 128×10×128) on AVX-512 builds, with
/// every lane of the 16-float registers busy; the 8×32 micro-kernel would leave 22 of its 32
/// columns empty (39 GFLOP/s on the MLP's 128×10×128, against OpenBLAS's 57–68).
///   - `op(A) = Aᵀ` (a weight gradient `Xᵀ·dY`): 16 rows of C lie in a register's lanes, one
///     register per column; the 16 rows of `op(A)` at one depth are 16 adjacent floats of A.
///   - `op(A) = A` (a forward `X·W`): each element of C is a dot product along the depth, 16
///     depths at a time, against the columns of `op(B)` laid out as rows (copied when B is not
///     transposed: at most 16 × k floats).
extension GemmKernel {
  private typealias V = SIMD16<Float>

  /// Whether ``narrowRun(spread:)`` computes this product.
  var isNarrow: Bool { shape.n <= V.scalarCount && shape.k > 0 && shape.alpha != 0 }

  func narrowRun(spread: (Int, (Int) -> Void) -> Void) {
    if shape.transposeA { rowsInLanes(spread: spread) } else { dotProducts(spread: spread) }
  }

  /// The sum of the lanes as a tree (halves added), 4 dependent adds; `SIMD.sum()` adds the 16
  /// lanes one after another.
  @inline(__always)
  private static func total(_ lanes: V) -> Float {
    let eight = lanes.lowHalf + lanes.highHalf, four = eight.lowHalf + eight.highHalf
    let two = four.lowHalf + four.highHalf
    return two[0] + two[1]
  }

  /// `C[row, column] = alpha·sum + beta·C[row, column]`, not reading C when `beta == 0`.
  @inline(__always)
  private func finish(_ sum: Float, row: Int, column: Int) {
    let out = c + row * shape.n + column
    out.pointee = shape.beta == 0 ? shape.alpha * sum : shape.alpha * sum + shape.beta * out.pointee
  }

  /// `op(B)[p, column]`, for the packing loops.
  @inline(__always)
  private func elementOfB(_ p: Int, _ column: Int) -> Float {
    shape.transposeB ? b[column * shape.k + p] : b[p * shape.n + column]
  }

  /// `op(A) = Aᵀ`: strips of 16 rows of C, one register per column, over the whole depth. op(B)
  /// is copied first as k rows of 16 (zeros past n), so each multiply-add takes its B value
  /// at a fixed offset from one pointer.
  private func rowsInLanes(spread: (Int, (Int) -> Void) -> Void) {
    let (m, n, k) = (shape.m, shape.n, shape.k)
    let packedB = UnsafeMutablePointer<Float>.allocate(capacity: k * 16)
    defer { packedB.deallocate() }
    for p in 0..<k {
      for column in 0..<16 { packedB[p * 16 + column] = column < n ? elementOfB(p, column) : 0 }
    }
    spread((m + 15) / 16) { strip in
      let first = strip * 16, rows = min(16, m - first)
      // A full strip is read in place (A is k×m); a last, shorter one is copied with zero rows.
      var padded: UnsafeMutablePointer<Float>?
      if rows < 16 {
        let copy = UnsafeMutablePointer<Float>.allocate(capacity: 16 * k)
        for p in 0..<k {
          for r in 0..<16 { copy[p * 16 + r] = r < rows ? a[p * m + first + r] : 0 }
        }
        padded = copy
      }
      defer { padded?.deallocate() }
      let (source, stride) = padded.map { (UnsafePointer($0), 16) } ?? (a + first, m)
      var c0 = V(), c1 = V(), c2 = V(), c3 = V(), c4 = V(), c5 = V(), c6 = V(), c7 = V()
      var c8 = V(), c9 = V(), c10 = V(), c11 = V(), c12 = V(), c13 = V(), c14 = V(), c15 = V()
      for p in 0..<k {
        let x = UnsafeRawPointer(source + p &* stride).loadUnaligned(as: V.self)
        let row = packedB + p &* 16
        @inline(__always) func add(_ column: Int, _ sum: inout V) {
          if column < n { sum.addProduct(x, V(repeating: row[column])) }
        }
        add(0, &c0); add(1, &c1); add(2, &c2); add(3, &c3); add(4, &c4); add(5, &c5); add(6, &c6)
        add(7, &c7); add(8, &c8); add(9, &c9); add(10, &c10); add(11, &c11); add(12, &c12)
        add(13, &c13); add(14, &c14); add(15, &c15)
      }
      @inline(__always) func emit(_ column: Int, _ sums: V) {
        guard column < n else { return }
        for r in 0..<rows { finish(sums[r], row: first + r, column: column) }
      }
      emit(0, c0); emit(1, c1); emit(2, c2); emit(3, c3); emit(4, c4); emit(5, c5); emit(6, c6)
      emit(7, c7); emit(8, c8); emit(9, c9); emit(10, c10); emit(11, c11); emit(12, c12)
      emit(13, c13); emit(14, c14); emit(15, c15)
    }
  }

  /// `op(A) = A`: rows of C one at a time, each column a dot product along the depth in chunks of
  /// 16. op(B) is copied first chunk by chunk, each chunk 16 columns × 16 depths (zeros past n and
  /// k), so a chunk's B vectors sit at fixed offsets from one pointer.
  private func dotProducts(spread: (Int, (Int) -> Void) -> Void) {
    let (m, n, k) = (shape.m, shape.n, shape.k)
    let chunks = (k + 15) / 16, fullChunks = k / 16
    let packedB = UnsafeMutablePointer<Float>.allocate(capacity: chunks * 256)
    defer { packedB.deallocate() }
    packedB.initialize(repeating: 0, count: chunks * 256)
    for p in 0..<k {
      for column in 0..<n { packedB[(p / 16) * 256 + column * 16 + p % 16] = elementOfB(p, column) }
    }
    let blocks = min(m, 4 * Parallel.threads)
    spread(blocks) { block in
      for row in block * m / blocks ..< (block + 1) * m / blocks {
        let x = a + row * k
        var s0 = V(), s1 = V(), s2 = V(), s3 = V(), s4 = V(), s5 = V(), s6 = V(), s7 = V()
        var s8 = V(), s9 = V(), s10 = V(), s11 = V(), s12 = V(), s13 = V(), s14 = V(), s15 = V()
        for chunk in 0..<chunks {
          var values: V
          if chunk < fullChunks {
            values = UnsafeRawPointer(x + chunk &* 16).loadUnaligned(as: V.self)
          } else {  // the depth's last, partial chunk: zeros past k
            values = V()
            for p in 0..<(k - chunk * 16) { values[p] = x[chunk * 16 + p] }
          }
          let columns = UnsafeRawPointer(packedB + chunk &* 256)
          @inline(__always) func add(_ column: Int, _ sum: inout V) {
            if column < n { sum.addProduct(values, columns.load(fromByteOffset: column &* 64, as: V.self)) }
          }
          add(0, &s0); add(1, &s1); add(2, &s2); add(3, &s3); add(4, &s4); add(5, &s5); add(6, &s6)
          add(7, &s7); add(8, &s8); add(9, &s9); add(10, &s10); add(11, &s11); add(12, &s12)
          add(13, &s13); add(14, &s14); add(15, &s15)
        }
        @inline(__always) func emit(_ column: Int, _ sums: V) {
          if column < n { finish(Self.total(sums), row: row, column: column) }
        }
        emit(0, s0); emit(1, s1); emit(2, s2); emit(3, s3); emit(4, s4); emit(5, s5); emit(6, s6)
        emit(7, s7); emit(8, s8); emit(9, s9); emit(10, s10); emit(11, s11); emit(12, s12)
        emit(13, s13); emit(14, s14); emit(15, s15)
      }
    }
  }
}
#endif
