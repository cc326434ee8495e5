#if DESCENT_AVX512
import Foundation

/// Products at most 16 columns wide (an MLP's output layer: 128×10×128) on AVX-512 builds; the
/// 8×32 micro-kernel would leave 22 of its 32 columns empty (39 GFLOP/s on the MLP's 128×10×128,
/// against OpenBLAS's 57–68). Both kernels read B where it lies.
///   - `op(A) = Aᵀ` (a weight gradient `Xᵀ·dY`): 16 rows of C lie in a register's lanes, one
///     register per column, every lane busy; the 16 rows of `op(A)` at one depth are 16 adjacent
///     floats of A (80 GFLOP/s).
///   - `op(A) = A` (a forward `X·W`): 8 rows of C, each in one register (lanes past n idle),
///     from broadcasts of A times rows of op(B) (61 GFLOP/s).
extension GemmKernel {
  private typealias V = SIMD16<Float>

  /// Whether ``narrowRun(spread:)`` computes this product.
  var isNarrow: Bool { shape.n <= V.scalarCount && shape.k > 0 && shape.alpha != 0 }

  func narrowRun(spread: (Int, (Int) -> Void) -> Void) throws {
    if shape.transposeA { try rowsInLanes(spread: spread) } else { try rowsInRegisters(spread: spread) }
  }

  /// `op(B)[p, column]`, for the copying loop.
  @inline(__always)
  private func elementOfB(_ p: Int, _ column: Int) -> Float {
    shape.transposeB ? b[column * shape.k + p] : b[p * shape.n + column]
  }

  /// `op(A) = Aᵀ`: strips of 16 rows of C, one register per column, over the whole depth. The B
  /// value of each multiply-add is read where it lies, at a fixed offset from the depth's row
  /// (`column·columnStep`: 1 when B is k×n, k when it is n×k).
  private func rowsInLanes(spread: (Int, (Int) -> Void) -> Void) throws {
    // A last strip of fewer than 16 rows is copied with zero rows: its space, sized by the depth,
    // is taken before the strips run (a refused allocation is an error, not a trap).
    let padded = shape.m % 16 == 0 ? nil : try allocate(16 * shape.k)
    defer { padded.map { free($0) } }
    if shape.transposeB {
      rowsInLanes(spread: spread, depthStep: 1, columnStep: shape.k, padded: padded)
    } else {
      rowsInLanes(spread: spread, depthStep: shape.n, columnStep: 1, padded: padded)
    }
  }

  @inline(__always)
  private func rowsInLanes(
    spread: (Int, (Int) -> Void) -> Void, depthStep: Int, columnStep: Int, padded: UnsafeMutablePointer<Float>?
  ) {
    let (m, n, k) = (shape.m, shape.n, shape.k)
    spread((m + 15) / 16) { strip in
      let first = strip * 16, rows = min(16, m - first)
      // A full strip is read in place (A is k×m); the last, shorter one is copied with zero rows
      // into `padded` (only that strip uses it).
      var source = a + first, stride = m
      if rows < 16, let padded {
        for p in 0..<k {
          for r in 0..<16 { padded[p * 16 + r] = r < rows ? a[p * m + first + r] : 0 }
        }
        (source, stride) = (UnsafePointer(padded), 16)
      }
      var c0 = V(), c1 = V(), c2 = V(), c3 = V(), c4 = V(), c5 = V(), c6 = V(), c7 = V()
      var c8 = V(), c9 = V(), c10 = V(), c11 = V(), c12 = V(), c13 = V(), c14 = V(), c15 = V()
      for p in 0..<k {
        let x = UnsafeRawPointer(source + p &* stride).loadUnaligned(as: V.self)
        let row = b + p &* depthStep
        @inline(__always) func add(_ column: Int, _ sum: inout V) {
          if column < n { sum.addProduct(x, V(repeating: row[column &* columnStep])) }
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

  /// `op(A) = A`: blocks of 8 rows of C, each row in one register (lanes past n unused), over the
  /// whole depth: per depth one row of op(B) and 8 broadcast values of A. Dot products along the
  /// depth would fill every lane but need a 16-lane sum per element of C, which cost more than the
  /// idle lanes (46 against 58 GFLOP/s at 128×10×128).
  ///
  /// A k×n B is read in place, 16 floats from the start of each row: lanes past n hold the next
  /// rows' values and only ever reach the unstored lanes. The last rows, where 16 floats would
  /// run past B's end, and an n×k B (whose rows of op(B) are strided) are copied first as rows of
  /// 16 floats with zeros past n.
  private func rowsInRegisters(spread: (Int, (Int) -> Void) -> Void) throws {
    let (m, n, k) = (shape.m, shape.n, shape.k)
    let inPlace = shape.transposeB ? 0 : max(0, k - (16 + n - 1) / n)  // rows p with p·n + 16 ≤ k·n
    let copied = try allocate((k - inPlace) * 16)
    defer { free(copied) }
    for p in inPlace..<k {
      let row = copied + (p - inPlace) * 16
      for column in 0..<16 { row[column] = column < n ? elementOfB(p, column) : 0 }
    }
    let blocks = (m + 7) / 8
    spread(blocks) { block in
      let first = block * 8, rows = min(8, m - first)
      // A last block's missing rows read the last row again (and are not stored).
      @inline(__always) func rowOfA(_ r: Int) -> UnsafePointer<Float> { a + min(first + r, m - 1) * k }
      let (a0, a1, a2, a3, a4, a5, a6, a7) = (
        rowOfA(0), rowOfA(1), rowOfA(2), rowOfA(3), rowOfA(4), rowOfA(5),
        rowOfA(6), rowOfA(7)
      )
      var c0 = V(), c1 = V(), c2 = V(), c3 = V(), c4 = V(), c5 = V(), c6 = V(), c7 = V()
      @inline(__always) func accumulate(_ depths: Range<Int>, rows: UnsafePointer<Float>, step: Int) {
        let source = UnsafeRawPointer(rows)
        for p in depths {
          let y = source.loadUnaligned(fromByteOffset: (p &- depths.lowerBound) &* step &* 4, as: V.self)
          c0.addProduct(V(repeating: a0[p]), y)
          c1.addProduct(V(repeating: a1[p]), y)
          c2.addProduct(V(repeating: a2[p]), y)
          c3.addProduct(V(repeating: a3[p]), y)
          c4.addProduct(V(repeating: a4[p]), y)
          c5.addProduct(V(repeating: a5[p]), y)
          c6.addProduct(V(repeating: a6[p]), y)
          c7.addProduct(V(repeating: a7[p]), y)
        }
      }
      accumulate(0..<inPlace, rows: b, step: n)
      accumulate(inPlace..<k, rows: copied, step: 16)
      @inline(__always) func emit(_ r: Int, _ sums: V) {
        guard r < rows else { return }
        let out = c + (first + r) * n
        var result = shape.alpha * sums
        if shape.beta != 0 {
          for column in 0..<n { result[column] += shape.beta * out[column] }
        }
        withUnsafeBytes(of: &result) { out.update(from: $0.assumingMemoryBound(to: Float.self).baseAddress!, count: n) }
      }
      emit(0, c0); emit(1, c1); emit(2, c2); emit(3, c3); emit(4, c4); emit(5, c5); emit(6, c6); emit(7, c7)
    }
  }
}
#endif
