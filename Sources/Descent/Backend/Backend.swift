/// The primitives a device provides. Layers, losses, optimizers and `fit` are written once above it.
///
/// Buffers live on the device and hold `Float` values in row-major order. Ops are queued: a backend
/// may return before an op has run, and only ``download(_:)`` and ``synchronize()`` wait for the
/// queue. Every op checks its buffers' sizes first and throws ``BackendError`` naming the op and the
/// shapes, so a wrong call never reads or writes out of bounds.
///
/// Each op has one OpenCL kernel in `kernels/` and one Swift twin in `Sources/Descent/CPU`, both
/// named after the op (`gemm`, `softmax_cross_entropy`/`softmaxCrossEntropy`, `adam`, …).
public protocol Backend: AnyObject, Sendable {
  /// A short identifier printed by tests and benchmarks: `"cpu"`, `"opencl:Portable Computing Language:pthread-…"`.
  var name: String { get }

  // MARK: Memory

  /// A new buffer of `count` floats. Its contents are undefined until written.
  func allocate(_ count: Int) throws -> DeviceBuffer
  /// Buffers of `counts` floats that are consecutive, non-overlapping ranges of one buffer,
  /// `whole`: an op on `whole` reaches every part in one launch (an optimizer step over all of a
  /// model's parameters). Each part starts at the alignment the device requires of a sub-buffer
  /// (64 bytes on the CPU backend, `CL_DEVICE_MEM_BASE_ADDR_ALIGN` on OpenCL), so `whole` may hold
  /// gaps between parts; every element of it, gaps included, starts at zero. The parts keep
  /// `whole` alive.
  func allocateParts(_ counts: [Int]) throws -> (whole: DeviceBuffer, parts: [DeviceBuffer])
  /// Copies `values` (exactly `buffer.count` of them) to the device.
  func upload(_ values: [Float], to buffer: DeviceBuffer) throws
  /// Copies rows `rows`, in that order, of the row-major host matrix `values` (`width` floats a
  /// row) to the device: a shuffled batch. The default gathers them on the host and calls
  /// ``upload(_:to:)``; the CPU backend gathers straight into the buffer, in parallel.
  func uploadRows(_ rows: [Int], of values: [Float], width: Int, to buffer: DeviceBuffer) throws
  /// Waits for every queued op, then copies the buffer back.
  func download(_ buffer: DeviceBuffer) throws -> [Float]
  /// Waits until every queued op has finished.
  func synchronize() throws
  /// Sets every element to `value`.
  func fill(_ buffer: DeviceBuffer, with value: Float) throws

  // MARK: Linear algebra

  /// `C = alpha·op(A)·op(B) + beta·C`, where `op` transposes when the shape says so, with what
  /// `fusion` adds in the same pass (a bias, an activation, the column sums of `op(B)`).
  /// With `beta == 0`, `C` is not read (NaN in `C` does not survive), as in BLAS.
  func gemm(
    _ shape: GemmShape, _ a: DeviceBuffer, _ b: DeviceBuffer, into c: DeviceBuffer,
    fusing fusion: GemmFusion) throws
  /// `z = alpha·x + beta·y`, elementwise; `y` is not read when `beta == 0`. `z` may be `x` or `y`.
  func axpby(alpha: Float, _ x: DeviceBuffer, beta: Float, _ y: DeviceBuffer, into z: DeviceBuffer) throws
  /// `z = x ⊙ y`, elementwise. `z` may be `x` or `y`.
  func multiply(_ x: DeviceBuffer, _ y: DeviceBuffer, into z: DeviceBuffer) throws
  /// `y = min(max(x, low), high)`, elementwise (kernel `clip`): clipping by value. `y` may be `x`.
  func clip(_ x: DeviceBuffer, low: Float, high: Float, into y: DeviceBuffer) throws

  // MARK: Training helpers

  /// `g += l1·sign(p) + 2·l2·p`: adds the gradient of the penalty `l1·Σ|p| + l2·Σp²` (`sign(0) = 0`).
  func penaltyGradient(l1: Float, l2: Float, parameter p: DeviceBuffer, gradient g: DeviceBuffer) throws
  /// `x *= min(1, maxNorm / (√squaredNorm[0] + 10⁻⁶))`, with the squared global norm read from a
  /// one-element device buffer (as `torch.nn.utils.clip_grad_norm_`), so clipping never waits on the host.
  func clipToNorm(_ x: DeviceBuffer, maxNorm: Float, squaredNorm: DeviceBuffer) throws

  // MARK: Activations

  /// `y = f(x)`, elementwise. `y` may be `x`.
  func activate(_ f: Activation, _ x: DeviceBuffer, into y: DeviceBuffer) throws
  /// `dx = f′(x) ⊙ dy`, from the activation's input `x`. `dx` may be `dy`.
  func activationBackward(
    _ f: Activation, input x: DeviceBuffer, outputGradient dy: DeviceBuffer,
    into dx: DeviceBuffer) throws
  /// Row-wise softmax of a `rows × columns` matrix, computed with the row maximum subtracted.
  func softmax(_ x: DeviceBuffer, rows: Int, columns: Int, into y: DeviceBuffer) throws
  /// The softmax's backward pass from its output `y`: `dx = y ⊙ (dy − Σ_c dy·y)` row by row.
  /// `dx` may be `dy`.
  func softmaxBackward(
    output y: DeviceBuffer, outputGradient dy: DeviceBuffer, rows: Int, columns: Int,
    into dx: DeviceBuffer) throws

  // MARK: Losses

  /// Softmax fused with cross-entropy over integer class labels (stored as floats, `0..<classes`).
  ///
  ///     loss[r] = log Σ_c exp(x[r,c]) − x[r, label[r]]
  ///     gradient[r, c] = scale · (softmax(x)[r,c] − [c == label[r]])
  ///
  /// A label that is not an integer in `0..<classes` makes that row's loss NaN, never a silent value.
  func softmaxCrossEntropy(
    logits: DeviceBuffer, labels: DeviceBuffer, rows: Int, classes: Int,
    gradientScale scale: Float, losses: DeviceBuffer,
    gradient: DeviceBuffer) throws
  /// An elementwise loss and its gradient scaled by `scale` (for a mean, `1 / count`).
  func pointwiseLoss(
    _ loss: PointwiseLoss, predictions: DeviceBuffer, targets: DeviceBuffer,
    gradientScale scale: Float, losses: DeviceBuffer, gradient: DeviceBuffer) throws

  /// `count[0] = alpha·H + beta·count[0]`, `H` being the number of rows whose label is among their
  /// `k` largest logits (fewer than `k` classes score strictly higher); an invalid label, or a NaN
  /// anywhere in the row (its ranking is undefined), is never a hit. `beta` 0 does not read
  /// `count`. With `alpha` and `beta` 1 it adds a batch's hits to a running count: top-k accuracy
  /// in one launch.
  func topKHits(
    logits: DeviceBuffer, labels: DeviceBuffer, rows: Int, classes: Int, k: Int, alpha: Float, beta: Float,
    into count: DeviceBuffer) throws

  // MARK: Reductions

  /// `y[0] = alpha·Σ + beta·y[0]`, Σ being `Σ x`, `Σ x²` or `Σ |x|` of the whole buffer; `beta` 0
  /// does not read `y` (a NaN there does not survive), as ``gemm(_:_:_:into:)``'s `beta`. With
  /// `runningTotal`, then `total[0] += scale·y[0]` in the same launch (a batch's mean loss and the
  /// epoch's running sum of losses). The results stay on the device: scaling the sum and adding it
  /// to a running total take no launches of their own.
  func reduce(
    _ op: ReduceOp, _ x: DeviceBuffer, alpha: Float, beta: Float, into y: DeviceBuffer,
    addingTo runningTotal: (total: DeviceBuffer, scale: Float)?) throws
  /// `y[r]` = the column index of the largest value of row `r` (the first one on ties), as a float.
  func rowArgmax(_ x: DeviceBuffer, rows: Int, columns: Int, into y: DeviceBuffer) throws

  // MARK: Randomness (Philox4x32-10, bit-identical on every backend)

  /// Fills the buffer from ``Philox`` streams: element `i` uses counter `(i, key.stream)`.
  func fillRandom(_ buffer: DeviceBuffer, _ distribution: Distribution, key: RandomKey) throws
  /// Inverted dropout: `mask[i] = u[i] < rate ? 0 : 1/(1−rate)` with `u[i] = (w >> 8)·2⁻²⁴` for
  /// `w` word `i mod 4` of the ``Philox`` block at counter `(⌊i/4⌋, key.stream)`, and
  /// `y = x ⊙ mask`. The backward pass is ``multiply(_:_:into:)`` of the gradient by `mask`.
  func dropout(
    _ x: DeviceBuffer, rate: Float, key: RandomKey, into y: DeviceBuffer,
    mask: DeviceBuffer) throws

  // MARK: Optimizers

  /// One in-place optimizer step over a parameter, its gradient and the step's kept state
  /// buffers (``OptimizerUpdate/stateCount`` of them, in slot order, zeroed before the first step),
  /// as the kernel `update.kernel` computes it.
  func update(
    _ update: OptimizerUpdate, parameter: DeviceBuffer, gradient: DeviceBuffer,
    state: [DeviceBuffer]) throws
}

extension Backend {
  /// `C = alpha·op(A)·op(B) + beta·C`: ``gemm(_:_:_:into:fusing:)`` with nothing fused.
  public func gemm(_ shape: GemmShape, _ a: DeviceBuffer, _ b: DeviceBuffer, into c: DeviceBuffer) throws {
    try gemm(shape, a, b, into: c, fusing: .none)
  }

  public func uploadRows(_ rows: [Int], of values: [Float], width: Int, to buffer: DeviceBuffer) throws {
    try Check.rows(rows, of: values, width: width, into: buffer)
    var gathered = [Float]()
    gathered.reserveCapacity(rows.count * width)
    gathered.appendRows(rows, of: values, width: width)
    try upload(gathered, to: buffer)
  }

  /// Writes `Σ x`, `Σ x²` or `Σ |x|` of the whole buffer into `y[0]`.
  public func reduce(_ op: ReduceOp, _ x: DeviceBuffer, into y: DeviceBuffer) throws {
    try reduce(op, x, alpha: 1, beta: 0, into: y, addingTo: nil)
  }

  /// `y[0] = alpha·Σ + beta·y[0]`: ``reduce(_:_:alpha:beta:into:addingTo:)`` without a running total.
  public func reduce(_ op: ReduceOp, _ x: DeviceBuffer, alpha: Float, beta: Float, into y: DeviceBuffer) throws {
    try reduce(op, x, alpha: alpha, beta: beta, into: y, addingTo: nil)
  }

  /// A new buffer holding `values`.
  public func buffer(_ values: [Float]) throws -> DeviceBuffer {
    let buffer = try allocate(values.count)
    try upload(values, to: buffer)
    return buffer
  }

  /// `z = x + y`.
  public func add(_ x: DeviceBuffer, _ y: DeviceBuffer, into z: DeviceBuffer) throws {
    try axpby(alpha: 1, x, beta: 1, y, into: z)
  }

  /// `x = factor·x`, in place.
  public func scale(_ x: DeviceBuffer, by factor: Float) throws {
    try axpby(alpha: factor, x, beta: 0, x, into: x)
  }

  /// `y = alpha·x + y`, in place (BLAS `saxpy`).
  public func axpy(alpha: Float, _ x: DeviceBuffer, _ y: DeviceBuffer) throws {
    try axpby(alpha: alpha, x, beta: 1, y, into: y)
  }
}

extension Array where Element == Float {
  /// Appends rows `rows`, in that order, of the row-major matrix `values` (`width` floats a row).
  package mutating func appendRows(_ rows: [Int], of values: [Float], width: Int) {
    for row in rows { self += values[row * width..<(row + 1) * width] }
  }
}
