import Foundation

/// `C = alpha·op(A)·op(B) + beta·C` (twin of `gemm` in `kernels/gemm.cl`), as ``Kernels/gemm``
/// runs it.
///
/// The plain loop it equals:
///
///     for i in 0..<m, j in 0..<n: C[i,j] = alpha·Σ_p op(A)[i,p]·op(B)[p,j] + beta·C[i,j]
///
/// Blocked as in Goto & van de Geijn, "Anatomy of high-performance matrix multiplication" (2008):
/// for each `kc`-deep slice of `k`, a `mr × nr` register-tile micro-kernel runs over pairs of a
/// row panel of `op(A)` and a column panel of `op(B)`, tiles spread across cores. Unlike a BLAS,
/// most panels are read where they lie, which at the MLP's shapes saved more than the copies'
/// contiguity gave: the micro-kernel broadcasts A from its rows (whatever the transpose, unless A
/// is a wide k×m, see ``GemmKernel/readsAInPlace``; a last panel of fewer than `mr` rows is
/// packed, with zero rows), and a k×n B narrower than 512 columns is read row by row (see
/// ``GemmKernel/readsBInPlace``). Other panels are packed before each depth slice's products, A's
/// as `mr` rows per depth, B's as `nr`-column panels (transposes absorbed by the packing, edges
/// padded with zeros).
/// One GEMM call's blocking; see the comment above.
struct GemmKernel {
  #if DESCENT_AVX512
  /// One register: with AVX-512 (`DESCENT_AVX512`, Package.swift), 16 floats in a zmm register.
  typealias Vector = SIMD16<Float>
  static let mr = 8  // 8×32 accumulators = 16 of the 32 zmm registers, plus 2 of B and 1 of A
  #else
  /// One register: 8 floats in a ymm register (AVX; two xmm on baseline x86-64).
  typealias Vector = SIMD8<Float>
  static let mr = 6  // 6×16 accumulators = 12 of the 16 ymm registers, plus 2 of B and 1 of A
  #endif
  static let nr = 2 * Vector.scalarCount  // a micro-tile row is two registers
  static let kcMax = 384  // a 16-wide B panel slice (≤ 24 KiB) stays in a 32 KiB L1 (32-wide: in L2)
  static let mc = 96  // an A block of mc×kc (96 KiB) stays in L2

  let shape: Shape
  let a: UnsafePointer<Float>
  let b: UnsafePointer<Float>
  let c: UnsafeMutablePointer<Float>
  /// The cores a product may spread over, and the loop that spreads it (the core's `Parallel`).
  let threads: Int
  let forEach: (Int, (Int) -> Void) -> Void
  /// Room for `count` floats, 64-byte aligned, to `free` after use; throws when refused.
  let allocate: (Int) throws -> UnsafeMutablePointer<Float>

  /// A product's sizes and scalars (the core's `GemmShape`).
  struct Shape {
    let m: Int, n: Int, k: Int
    let transposeA: Bool, transposeB: Bool
    let alpha: Float, beta: Float
    var flops: Double { 2 * Double(m) * Double(n) * Double(k) }
  }

  func run() throws {
    let (m, n, k) = (shape.m, shape.n, shape.k)
    // Below ~1 MFLOP a second core saves less than the dispatches cost (the MLP's 128×10×128
    // products: 39 GFLOP/s on one core, 34 on two).
    let spread = spreading(shape.flops >= 1e6)
    guard m > 0, n > 0 else { return }
    guard k > 0, shape.alpha != 0 else { return scaleC(spread) }
    if isFewRows { return rowRun() }  // one or two rows: GemmKernel+Rows.swift
    #if DESCENT_AVX512
    if isNarrow { return try narrowRun(spread: spread) }  // at most 16 columns: GemmKernel+Narrow.swift
    #endif
    let mr = Self.mr, nr = Self.nr
    let rowPanels = (m + mr - 1) / mr, columnPanels = (n + nr - 1) / nr
    // Depth slices of equal size (784 = 2 × 392, not 3 × 256 + 16), each at most kcMax deep.
    let kc = (k + (k + Self.kcMax - 1) / Self.kcMax - 1) / ((k + Self.kcMax - 1) / Self.kcMax)
    // Full row panels are read in place unless A is a wide k×m (see readsAInPlace); the rest
    // (always a last, shorter one) are packed before each slice's products, shared by all tasks.
    let inPlaceA = readsAInPlace ? m / mr : 0
    // Full-width panels of a k×n B are read in place (their rows are nr adjacent floats), unless
    // the matrix is large (see readsBInPlace); the rest are packed.
    let inPlaceB = readsBInPlace ? n / nr : 0
    // Sized from the shape: a refused allocation is BackendError.outOfMemory, not a trap.
    let packedA = try allocate((rowPanels - inPlaceA) * mr * kc)
    defer { free(packedA) }
    let packedB = try allocate((columnPanels - inPlaceB) * nr * kc)
    defer { free(packedB) }
    // Tasks are blocks of up to mc rows × a group of column panels, at least two per core when
    // the rows allow (so the 128×10 output layer's 16 row panels split four ways, not 12 + 4),
    // and as many blocks as a multiple of the cores: the 98 row panels of a 784-row weight
    // gradient make 10 blocks on two cores (nine of 10, one of 8), where 9 blocks (eight of 12,
    // one of 2) kept one core waiting for a ninth of the product.
    let fewestBlocks = max(2 * threads, (rowPanels + Self.mc / mr - 1) / (Self.mc / mr))
    let wantedBlocks = min(rowPanels, (fewestBlocks + threads - 1) / threads * threads)
    let rowPanelsPerBlock = (rowPanels + wantedBlocks - 1) / wantedBlocks
    let rowBlocks = (rowPanels + rowPanelsPerBlock - 1) / rowPanelsPerBlock
    let columnGroups = max(1, min(columnPanels, (4 * threads + rowBlocks - 1) / rowBlocks))
    for depth in stride(from: 0, to: k, by: kc) {
      let depthCount = min(kc, k - depth)
      spread(columnPanels - inPlaceB) { index in
        packB(panel: inPlaceB + index, depth: depth, count: depthCount, into: packedB + index * nr * depthCount)
      }
      // One row block's panels per task (a k×m A is then read a run of rows at a time).
      spread((rowPanels - inPlaceA + rowPanelsPerBlock - 1) / rowPanelsPerBlock) { index in
        let first = inPlaceA + index * rowPanelsPerBlock
        packA(
          panels: first..<min(rowPanels, first + rowPanelsPerBlock), depth: depth, count: depthCount,
          into: packedA + (first - inPlaceA) * mr * depthCount)
      }
      spread(rowBlocks * columnGroups) { task in
        let rowBlock = task / columnGroups, group = task % columnGroups
        let firstPanel = group * columnPanels / columnGroups
        let lastPanel = (group + 1) * columnPanels / columnGroups
        let firstRowPanel = rowBlock * rowPanelsPerBlock
        let lastRowPanel = min(rowPanels, firstRowPanel + rowPanelsPerBlock)
        for columnPanel in firstPanel..<lastPanel {
          for rowPanel in firstRowPanel..<lastRowPanel {
            let panelA =
              rowPanel < inPlaceA
              ? inPlace(rowPanel: rowPanel, depth: depth)
              : (
                pointer: UnsafePointer(packedA + (rowPanel - inPlaceA) * mr * depthCount), rowStride: 1,
                depthStride: mr
              )
            let column = columnPanel * nr
            let (panelB, depthStrideB) =
              columnPanel < inPlaceB
              ? (b + depth * n + column, n)
              : (UnsafePointer(packedB + (columnPanel - inPlaceB) * nr * depthCount), nr)
            @inline(__always) func multiply(wide: Bool) {
              microKernel(
                depth: depthCount, a: panelA.pointer, rowStride: panelA.rowStride,
                depthStride: panelA.depthStride, b: panelB, depthStrideB: depthStrideB,
                row: rowPanel * mr, column: column, firstSlice: depth == 0, wide: wide)
            }
            // A panel of at most one register's width (the 10-wide output layer) skips the other;
            // each branch passes a constant, so each compiles to its own loop.
            if n - column > Vector.scalarCount { multiply(wide: true) } else { multiply(wide: false) }
          }
        }
      }
    }
  }

  /// Whether full-width panels of B are read where they lie rather than packed: when B is k×n
  /// (a panel's row is nr adjacent floats) with rows under 2 KiB apart. Rows 4 or 8 KiB apart
  /// (1024³, 2048³) fall into the same few cache sets and pages, and there each packed panel is
  /// reused by many row panels: 2048³ 194 → 163 GFLOP/s in place. The MLP's products (n ≤ 256)
  /// gained from skipping the copy: 128×256×784 180 → 195, a training step −8%.
  var readsBInPlace: Bool { !shape.transposeB && shape.n < 512 }

  /// Whether full row panels of `op(A)` are read where they lie rather than packed: unless A is
  /// k×m with m ≥ 512 and B has 512 columns or more. There a panel's depth steps are 2 KiB or
  /// more apart, a page or half a page each, and its mr floats use a fraction of each line the
  /// micro-kernel touches; packed once per depth slice, the panels are contiguous and shared by
  /// every column panel. AᵀB at 1024³ (Haswell build, Zen 4): 85–89 → 99–104 GFLOP/s on one
  /// core, 164 → 179–189 on two. Narrower A stays in place: packing cost the 256×128×128 dW
  /// 106 → 85, a copy its few column panels do not repay; and so does A under a narrow B (at
  /// most 16 column panels share it): the 784×256×128 dW 215 → 240 on one core (AVX-512, Zen 5).
  var readsAInPlace: Bool { !shape.transposeA || shape.m < 512 || shape.n < 512 }

  /// `C = beta·C` when there is no product to add (`k == 0` or `alpha == 0`), writing zeros when
  /// `beta == 0` so NaN in `C` does not survive (BLAS semantics).
  private func scaleC(_ spread: (Int, (Int) -> Void) -> Void) {
    let count = shape.m * shape.n, beta = shape.beta, c = c
    guard beta != 1, count > 0 else { return }
    let parts = min(threads, max(1, count >> 15))
    spread(parts) { part in
      let range = part * count / parts..<(part + 1) * count / parts
      if beta == 0 {
        (c + range.lowerBound).update(repeating: 0, count: range.count)
      } else {
        for index in range { c[index] *= beta }
      }
    }
  }

  /// Where `op(A)[panel·mr, depth]` lies and the steps to the next row and the next depth.
  @inline(__always)
  private func inPlace(rowPanel: Int, depth: Int) -> (pointer: UnsafePointer<Float>, rowStride: Int, depthStride: Int) {
    let first = rowPanel * Self.mr
    return shape.transposeA  // A is k×m
      ? (a + depth * shape.m + first, 1, shape.m)
      : (a + first * shape.k + depth, shape.k, 1)
  }

  /// Packs row panels `panels` of `op(A)` (rows `panel·mr ..< +mr` each), columns
  /// `depth ..< +count`, into `out`, each panel as `count` runs of `mr` (rows past `m` are 0).
  /// Kept out of line: inlined into the task closure, it cost the micro-kernel's loop its
  /// registers (1024³ at 48 GFLOP/s instead of 105, Haswell build).
  @inline(never)
  private func packA(panels: Range<Int>, depth: Int, count: Int, into out: UnsafeMutablePointer<Float>) {
    let mr = Self.mr, (m, k) = (shape.m, shape.k)
    if shape.transposeA {  // A is k×m: the panels' values of one depth are adjacent, read in one run
      for p in 0..<count {
        let source = a + (depth + p) * m
        for panel in panels {
          let first = panel * mr, to = out + ((panel - panels.lowerBound) * count + p) * mr
          if first + mr <= m {  // a constant count: one vector copy
            for row in 0..<Self.mr { to[row] = source[first + row] }
          } else {
            for row in 0..<m - first { to[row] = source[first + row] }
            for row in m - first..<mr { to[row] = 0 }
          }
        }
      }
    } else {
      for panel in panels {
        let first = panel * mr, rows = min(mr, m - first), run = out + (panel - panels.lowerBound) * count * mr
        for p in 0..<count {
          let to = run + p * mr
          for row in 0..<rows { to[row] = a[(first + row) * k + depth + p] }
          for row in rows..<mr { to[row] = 0 }
        }
      }
    }
  }

  /// Packs columns `panel·nr ..< +nr` of `op(B)`, rows `depth ..< +count`, into `out` as `count`
  /// runs of `nr` (columns past `n` are 0). A transposed B's full panels go through register
  /// transposes, 16×16 blocks on AVX-512 and 8×8 on AVX2 (a value at a time, the copy was a sixth
  /// of an input gradient's time: `dX 128×1024×512` 190 → 222 GFLOP/s on one core, Zen 5).
  private func packB(panel: Int, depth: Int, count: Int, into out: UnsafeMutablePointer<Float>) {
    let nr = Self.nr, (n, k) = (shape.n, shape.k)
    let first = panel * nr, width = min(nr, n - first)
    if shape.transposeB {  // B is n×k: column j of op(B) is a row of B, read along its length
      var done = 0
      #if DESCENT_FMA
      if width == nr {  // blocks of one register's lanes square, transposed in registers
        let lanes = Vector.scalarCount
        while done + lanes <= count {
          for half in 0..<2 {
            Self.transposeBlock(
              b + (first + half * lanes) * k + depth + done, rowStride: k,
              into: out + done * nr + half * lanes, rowStrideOut: nr)
          }
          done += lanes
        }
      }
      #endif
      for j in 0..<width {
        let source = b + (first + j) * k + depth
        for p in done..<count { out[p &* nr &+ j] = source[p] }
      }
      if width < nr {
        for p in 0..<count { (out + p * nr + width).update(repeating: 0, count: nr - width) }
      }
      return
    }
    for p in 0..<count {
      let row = out + p * nr
      if width == nr {
        let source = UnsafeRawPointer(b + (depth + p) * n + first), target = UnsafeMutableRawPointer(row)
        let half = MemoryLayout<Vector>.size
        target.storeBytes(of: source.loadUnaligned(as: Vector.self), as: Vector.self)
        target.storeBytes(
          of: source.loadUnaligned(fromByteOffset: half, as: Vector.self), toByteOffset: half,
          as: Vector.self)
      } else {
        row.update(from: b + (depth + p) * n + first, count: width)
        (row + width).update(repeating: 0, count: nr - width)
      }
    }
  }

  #if DESCENT_AVX512
  /// Writes the transpose of the 16×16 block at `source` (rows `rowStride` apart) to `target`
  /// (rows `rowStrideOut` apart): four rounds of pairing rows' even and odd lanes. (The AVX2
  /// level's twin below does 8×8 in three rounds: a tuple of registers has one arity.)
  @inline(__always)
  private static func transposeBlock(
    _ source: UnsafePointer<Float>, rowStride: Int, into target: UnsafeMutablePointer<Float>, rowStrideOut: Int
  ) {
    typealias V = SIMD16<Float>
    let raw = UnsafeRawPointer(source)
    @inline(__always) func row(_ i: Int) -> V { raw.loadUnaligned(fromByteOffset: i &* rowStride &* 4, as: V.self) }
    @inline(__always) func unzip(_ a: V, _ b: V) -> (V, V) {
      let both = SIMD32<Float>(lowHalf: a, highHalf: b)
      return (both.evenHalf, both.oddHalf)
    }
    var r = (
      row(0), row(1), row(2), row(3), row(4), row(5), row(6), row(7), row(8), row(9), row(10), row(11), row(12),
      row(13), row(14), row(15)
    )
    for _ in 0..<4 {
      let (e0, o0) = unzip(r.0, r.1), (e1, o1) = unzip(r.2, r.3), (e2, o2) = unzip(r.4, r.5)
      let (e3, o3) = unzip(r.6, r.7), (e4, o4) = unzip(r.8, r.9), (e5, o5) = unzip(r.10, r.11)
      let (e6, o6) = unzip(r.12, r.13), (e7, o7) = unzip(r.14, r.15)
      r = (e0, e1, e2, e3, e4, e5, e6, e7, o0, o1, o2, o3, o4, o5, o6, o7)
    }
    let out = UnsafeMutableRawPointer(target), step = rowStrideOut &* 4
    out.storeBytes(of: r.0, as: V.self)
    out.storeBytes(of: r.1, toByteOffset: step, as: V.self)
    out.storeBytes(of: r.2, toByteOffset: 2 &* step, as: V.self)
    out.storeBytes(of: r.3, toByteOffset: 3 &* step, as: V.self)
    out.storeBytes(of: r.4, toByteOffset: 4 &* step, as: V.self)
    out.storeBytes(of: r.5, toByteOffset: 5 &* step, as: V.self)
    out.storeBytes(of: r.6, toByteOffset: 6 &* step, as: V.self)
    out.storeBytes(of: r.7, toByteOffset: 7 &* step, as: V.self)
    out.storeBytes(of: r.8, toByteOffset: 8 &* step, as: V.self)
    out.storeBytes(of: r.9, toByteOffset: 9 &* step, as: V.self)
    out.storeBytes(of: r.10, toByteOffset: 10 &* step, as: V.self)
    out.storeBytes(of: r.11, toByteOffset: 11 &* step, as: V.self)
    out.storeBytes(of: r.12, toByteOffset: 12 &* step, as: V.self)
    out.storeBytes(of: r.13, toByteOffset: 13 &* step, as: V.self)
    out.storeBytes(of: r.14, toByteOffset: 14 &* step, as: V.self)
    out.storeBytes(of: r.15, toByteOffset: 15 &* step, as: V.self)
  }
  #elseif DESCENT_FMA
  /// Writes the transpose of the 8×8 block at `source` (rows `rowStride` apart) to `target`
  /// (rows `rowStrideOut` apart): three rounds of pairing rows' even and odd lanes.
  @inline(__always)
  private static func transposeBlock(
    _ source: UnsafePointer<Float>, rowStride: Int, into target: UnsafeMutablePointer<Float>, rowStrideOut: Int
  ) {
    typealias V = SIMD8<Float>
    let raw = UnsafeRawPointer(source)
    @inline(__always) func row(_ i: Int) -> V { raw.loadUnaligned(fromByteOffset: i &* rowStride &* 4, as: V.self) }
    @inline(__always) func unzip(_ a: V, _ b: V) -> (V, V) {
      let both = SIMD16<Float>(lowHalf: a, highHalf: b)
      return (both.evenHalf, both.oddHalf)
    }
    var r = (row(0), row(1), row(2), row(3), row(4), row(5), row(6), row(7))
    for _ in 0..<3 {
      let (e0, o0) = unzip(r.0, r.1), (e1, o1) = unzip(r.2, r.3), (e2, o2) = unzip(r.4, r.5)
      let (e3, o3) = unzip(r.6, r.7)
      r = (e0, e1, e2, e3, o0, o1, o2, o3)
    }
    let out = UnsafeMutableRawPointer(target), step = rowStrideOut &* 4
    out.storeBytes(of: r.0, as: V.self)
    out.storeBytes(of: r.1, toByteOffset: step, as: V.self)
    out.storeBytes(of: r.2, toByteOffset: 2 &* step, as: V.self)
    out.storeBytes(of: r.3, toByteOffset: 3 &* step, as: V.self)
    out.storeBytes(of: r.4, toByteOffset: 4 &* step, as: V.self)
    out.storeBytes(of: r.5, toByteOffset: 5 &* step, as: V.self)
    out.storeBytes(of: r.6, toByteOffset: 6 &* step, as: V.self)
    out.storeBytes(of: r.7, toByteOffset: 7 &* step, as: V.self)
  }
  #endif

  /// Adds `alpha` times the product of `mr` rows of `op(A)` (row `r`, depth `p` at
  /// `a[r·rowStride + p·depthStride]`) and a `B` panel (depth `p`'s `nr` columns at
  /// `b[p·depthStrideB]`) to `C` at (`row`, `column`); the first depth slice replaces `C` by
  /// `beta·C` plus the product (see ``store``). With `wide` false only the panel's first register
  /// of columns is computed (the caller passes a constant, so each case compiles to its own loop).
  @inline(__always)
  private func microKernel(
    depth: Int, a: UnsafePointer<Float>, rowStride: Int, depthStride: Int,
    b: UnsafePointer<Float>, depthStrideB: Int, row: Int, column: Int, firstSlice: Bool,
    wide: Bool
  ) {
    typealias V = Vector
    let half = MemoryLayout<V>.size
    var c00 = V(), c01 = V(), c10 = V(), c11 = V(), c20 = V(), c21 = V()
    var c30 = V(), c31 = V(), c40 = V(), c41 = V(), c50 = V(), c51 = V()
    #if DESCENT_AVX512
    var c60 = V(), c61 = V(), c70 = V(), c71 = V()
    #endif
    let bRaw = UnsafeRawPointer(b)
    for p in 0..<depth {
      let b0 = bRaw.loadUnaligned(fromByteOffset: p &* depthStrideB &* 4, as: V.self)
      let b1 = wide ? bRaw.loadUnaligned(fromByteOffset: p &* depthStrideB &* 4 &+ half, as: V.self) : V()
      let ap = a + p &* depthStride
      var s = V(repeating: ap[0])
      Self.multiplyAdd(&c00, s, b0)
      if wide { Self.multiplyAdd(&c01, s, b1) }
      s = V(repeating: ap[rowStride])
      Self.multiplyAdd(&c10, s, b0)
      if wide { Self.multiplyAdd(&c11, s, b1) }
      s = V(repeating: ap[2 &* rowStride])
      Self.multiplyAdd(&c20, s, b0)
      if wide { Self.multiplyAdd(&c21, s, b1) }
      s = V(repeating: ap[3 &* rowStride])
      Self.multiplyAdd(&c30, s, b0)
      if wide { Self.multiplyAdd(&c31, s, b1) }
      s = V(repeating: ap[4 &* rowStride])
      Self.multiplyAdd(&c40, s, b0)
      if wide { Self.multiplyAdd(&c41, s, b1) }
      s = V(repeating: ap[5 &* rowStride])
      Self.multiplyAdd(&c50, s, b0)
      if wide { Self.multiplyAdd(&c51, s, b1) }
      #if DESCENT_AVX512
      s = V(repeating: ap[6 &* rowStride])
      Self.multiplyAdd(&c60, s, b0)
      if wide { Self.multiplyAdd(&c61, s, b1) }
      s = V(repeating: ap[7 &* rowStride])
      Self.multiplyAdd(&c70, s, b0)
      if wide { Self.multiplyAdd(&c71, s, b1) }
      #endif
    }
    let rows = min(Self.mr, shape.m - row)
    store(c00, c01, row: row, column: column, firstSlice: firstSlice)
    if rows > 1 { store(c10, c11, row: row + 1, column: column, firstSlice: firstSlice) }
    if rows > 2 { store(c20, c21, row: row + 2, column: column, firstSlice: firstSlice) }
    if rows > 3 { store(c30, c31, row: row + 3, column: column, firstSlice: firstSlice) }
    if rows > 4 { store(c40, c41, row: row + 4, column: column, firstSlice: firstSlice) }
    if rows > 5 { store(c50, c51, row: row + 5, column: column, firstSlice: firstSlice) }
    #if DESCENT_AVX512
    if rows > 6 { store(c60, c61, row: row + 6, column: column, firstSlice: firstSlice) }
    if rows > 7 { store(c70, c71, row: row + 7, column: column, firstSlice: firstSlice) }
    #endif
  }

  /// Runs `body(i)` for `i` in `0..<count`: over the cores when `inParallel`, else in order on the
  /// calling thread (small products, where waking the workers costs more than they give).
  func spreading(_ inParallel: Bool) -> (Int, (Int) -> Void) -> Void {
    inParallel
      ? { count, body in forEach(count, body) }
      : { count, body in for index in 0..<count { body(index) } }
  }

  /// `C[row, column] = alpha·sum + beta·C[row, column]`, not reading C when `beta == 0`: the store
  /// of the kernels that sum one value at a time (narrow and row products).
  @inline(__always)
  func finish(_ sum: Float, row: Int, column: Int) {
    let out = c + row * shape.n + column
    out.pointee = shape.beta == 0 ? shape.alpha * sum : shape.alpha * sum + shape.beta * out.pointee
  }

  /// `c += a·b`: one fused multiply-add per lane when built with `DESCENT_FMA` (Package.swift),
  /// else a product and a sum (baseline x86-64 has no FMA instruction).
  @inline(__always)
  static func multiplyAdd(_ c: inout Vector, _ a: Vector, _ b: Vector) {
    #if DESCENT_FMA
    c.addProduct(a, b)
    #else
    c += a * b
    #endif
  }

  /// `C[row, column ..< +nr] += alpha·(left, right)`, cut at the matrix's last column. On the first
  /// depth slice `C` is first scaled by `beta`, or not read at all when `beta == 0` (so NaN in `C`
  /// does not survive, as in BLAS): no separate pass over `C`.
  @inline(__always)
  private func store(_ left: Vector, _ right: Vector, row: Int, column: Int, firstSlice: Bool) {
    let out = c + row * shape.n + column
    let (alpha, beta) = (shape.alpha, shape.beta)
    @inline(__always) func updated<V: SIMD>(_ old: V, _ product: V) -> V where V.Scalar == Float {
      guard firstSlice else { return old + alpha * product }
      return beta == 0 ? alpha * product : alpha * product + beta * old
    }
    let lanes = Vector.scalarCount
    if shape.n - column >= Self.nr {
      let raw = UnsafeMutableRawPointer(out), half = MemoryLayout<Vector>.size
      raw.storeBytes(of: updated(raw.loadUnaligned(as: Vector.self), left), as: Vector.self)
      raw.storeBytes(
        of: updated(raw.loadUnaligned(fromByteOffset: half, as: Vector.self), right),
        toByteOffset: half, as: Vector.self)
    } else {
      for j in 0..<(shape.n - column) {
        let product = j < lanes ? left[j] : right[j - lanes]
        out[j] = !firstSlice ? out[j] + alpha * product : beta == 0 ? alpha * product : alpha * product + beta * out[j]
      }
    }
  }

}
