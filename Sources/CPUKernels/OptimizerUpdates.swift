import Foundation

/// Optimizer updates, twins of `kernels/optim.cl`, one per kernel name; the formulas are on each
/// optimizer in the core. The scalars come from its `OptimizerUpdate`, read by name, so both
/// backends use the same floats. Each lane runs the kernel's operations in the kernel's order,
/// with no fused multiply-add, so every level computes the same bits.
extension Kernels {
  /// The names of the updates ``update(_:_:p:g:state:scalar:)`` runs.
  public static let updates: [String] = OptimMath.twins.keys.sorted()

  /// Runs update `kernel` on elements `range` of parameter `p` with gradient `g`, the state
  /// buffers by slot name (nil: not kept) and the scalars by name; false for an unknown kernel.
  public static func update(
    _ kernel: String, _ range: Range<Int>, p: UnsafeMutablePointer<Float>, g: UnsafeMutablePointer<Float>,
    state: (String) -> UnsafeMutablePointer<Float>?, scalar: (String) -> Float
  ) -> Bool {
    guard let twin = OptimMath.twins[kernel] else { return false }
    withoutActuallyEscaping(state) { state in
      withoutActuallyEscaping(scalar) { scalar in
        twin(range, OptimMath.Buffers(p: p, g: g, state: state), OptimMath.Scalars(value: scalar))
      }
    }
    return true
  }
}

/// The update loops, in the kernels' order of operations, by kernel name.
enum OptimMath {
  typealias Pointer = UnsafeMutablePointer<Float>

  /// The parameter, the gradient, and the kept state buffers by slot name.
  struct Buffers {
    let p: Pointer
    let g: Pointer
    let state: (String) -> Pointer?
  }

  /// The update's scalars by name (the core's `OptimizerUpdate`).
  struct Scalars {
    let value: (String) -> Float
    subscript(_ name: String) -> Float { value(name) }
  }

  /// Each kernel's Swift twin, by the kernel's name.
  static let twins: [String: @Sendable (Range<Int>, Buffers, Scalars) -> Void] = [
    "sgd": { sgd($0, $1.p, $1.g, $1.state("b"), $2) },
    "adagrad": { adagrad($0, $1.p, $1.g, $1.state("sum")!, $2) },
    "rmsprop": { rmsprop($0, $1.p, $1.g, $1.state("v")!, $1.state("average"), $1.state("buffer"), $2) },
    "adam": { adam($0, $1.p, $1.g, $1.state("m")!, $1.state("v")!, $1.state("v_max"), $2) },
    "adamax": { adamax($0, $1.p, $1.g, $1.state("m")!, $1.state("u")!, $2) },
    "lion": { lion($0, $1.p, $1.g, $1.state("m")!, $2) },
  ]

  /// ``Lanes/width`` lanes at a time, then the tail: each lane runs the kernel's operations in the
  /// kernel's order, so both loops agree.
  static func sgd(_ range: Range<Int>, _ p: Pointer, _ g: Pointer, _ b: Pointer?, _ k: Scalars) {
    let (lr, momentum, dampening, decay) = (k["lr"], k["momentum"], k["dampening"], k["weight_decay"])
    let (nesterov, first) = (k["nesterov"] != 0, k["first_step"] != 0)
    // Momentum's buffer is read and written inside the step, only when there is momentum: no
    // optional vector is carried out of it (one that was went through the stack, and SGD with
    // momentum at 1M parameters ran at half Adam's rate per element).
    let buffer = momentum != 0 ? b : nil
    @inline(__always) func step<T: SIMD>(_ i: Int, _ load: (Pointer, Int) -> T, _ store: (T, Pointer, Int) -> Void)
    where T.Scalar == Float {
      let param = load(p, i)
      var grad = load(g, i)
      if decay != 0 { grad = grad + decay * param }
      if let buffer {
        let newBuffer = first ? grad : momentum * load(buffer, i) + (1 - dampening) * grad
        store(newBuffer, buffer, i)
        grad = nesterov ? grad + momentum * newBuffer : newBuffer
      }
      store(param - lr * grad, p, i)
    }
    eachLane(range, vector: { step($0, Lanes.load, Lanes.store) }, scalar: { step($0, loadOne, storeOne) })
  }

  static func adagrad(_ range: Range<Int>, _ p: Pointer, _ g: Pointer, _ sum: Pointer, _ k: Scalars) {
    let (lr, decay, epsilon) = (k["lr"], k["weight_decay"], k["epsilon"])
    for i in range {
      var grad = g[i]
      if decay != 0 { grad = grad + decay * p[i] }
      sum[i] = sum[i] + grad * grad
      p[i] = p[i] - lr * (grad / (sum[i].squareRoot() + epsilon))
    }
  }

  static func rmsprop(
    _ range: Range<Int>, _ p: Pointer, _ g: Pointer, _ v: Pointer, _ average: Pointer?,
    _ buffer: Pointer?, _ k: Scalars
  ) {
    let (lr, alpha, epsilon, decay, momentum) = (k["lr"], k["alpha"], k["epsilon"], k["weight_decay"], k["momentum"])
    // ``Lanes/width`` lanes at a time, then the tail (one element at a time it ran 23 GB/s at 1M
    // parameters, in cache, against Adam's 240–300).
    @inline(__always) func step<T: SIMD>(_ i: Int, _ load: (Pointer, Int) -> T, _ store: (T, Pointer, Int) -> Void)
    where T.Scalar == Float {
      var grad = load(g, i)
      if decay != 0 { grad = grad + decay * load(p, i) }
      let square = alpha * load(v, i) + (1 - alpha) * (grad * grad)
      store(square, v, i)
      var denominator = square
      if let average {
        let mean = alpha * load(average, i) + (1 - alpha) * grad
        store(mean, average, i)
        denominator = denominator - mean * mean
      }
      denominator = denominator.squareRoot() + epsilon
      if let buffer {
        let next = momentum * load(buffer, i) + grad / denominator
        store(next, buffer, i)
        store(load(p, i) - lr * next, p, i)
      } else {
        store(load(p, i) - lr * (grad / denominator), p, i)
      }
    }
    eachLane(range, vector: { step($0, Lanes.load, Lanes.store) }, scalar: { step($0, loadOne, storeOne) })
  }

  /// ``Lanes/width`` lanes at a time, then the tail, each lane in the kernel's order of operations.
  static func adam(
    _ range: Range<Int>, _ p: Pointer, _ g: Pointer, _ m: Pointer, _ v: Pointer,
    _ vMax: Pointer?, _ k: Scalars
  ) {
    let (beta1, beta2, stepSize) = (k["beta1"], k["beta2"], k["step_size"])
    let (inverseCorrection2, epsilon, decay, decayFactor) = (
      k["inverse_correction2"], k["epsilon"],
      k["weight_decay"], k["decay_factor"]
    )
    @inline(__always) func step<T: SIMD>(_ i: Int, _ load: (Pointer, Int) -> T, _ store: (T, Pointer, Int) -> Void)
    where T.Scalar == Float {
      var param = load(p, i), grad = load(g, i)
      if decayFactor != 1 { param = param * decayFactor }
      if decay != 0 { grad = grad + decay * param }
      let first = beta1 * load(m, i) + (1 - beta1) * grad
      var second = beta2 * load(v, i) + (1 - beta2) * (grad * grad)
      store(first, m, i)
      store(second, v, i)
      if let vMax {
        second = fmax(load(vMax, i), second)
        store(second, vMax, i)
      }
      store(param - stepSize * (first / (second.squareRoot() * inverseCorrection2 + epsilon)), p, i)
    }
    eachLane(range, vector: { step($0, Lanes.load, Lanes.store) }, scalar: { step($0, loadOne, storeOne) })
  }

  /// Runs `vector` at every ``Lanes/width``-th element of `range` from its start while a whole
  /// vector fits, then `scalar` at each element left: the optimizers' generic steps, given
  /// ``Lanes``' loads and stores, then ``loadOne(_:_:)`` and ``storeOne(_:_:_:)``.
  @inline(__always) static func eachLane(_ range: Range<Int>, vector: (Int) -> Void, scalar: (Int) -> Void) {
    var i = range.lowerBound
    while i + Lanes.width <= range.upperBound {
      vector(i)
      i += Lanes.width
    }
    for i in i..<range.upperBound { scalar(i) }
  }

  /// One element as a one-lane vector, for a generic step's tail.
  @inline(__always) static func loadOne(_ pointer: Pointer, _ i: Int) -> SIMD1<Float> { SIMD1(pointer[i]) }

  @inline(__always) static func storeOne(_ value: SIMD1<Float>, _ pointer: Pointer, _ i: Int) { pointer[i] = value[0] }

  /// The kernel's `fmax` lane by lane: the larger value, a NaN giving way to the other. On
  /// ``Lanes/Vector`` (the cast folds away once the step is specialized) the compares and blends are
  /// the concrete type's, which compile to vector instructions; `pointwiseMax` in the generic step
  /// compared lane by lane with a branch per lane: AMSGrad at 1M parameters (in cache) 77–83 GB/s,
  /// against 257–291 now and plain Adam's 286–304 (Zen 5, two cores).
  @inline(__always) static func fmax<T: SIMD>(_ a: T, _ b: T) -> T where T.Scalar == Float {
    if let a = a as? Lanes.Vector, let b = b as? Lanes.Vector {
      return a.replacing(with: b, where: b .> a).replacing(with: b, where: a .!= a) as! T
    }
    var result = a
    for lane in a.indices where b[lane] > a[lane] || a[lane].isNaN { result[lane] = b[lane] }
    return result
  }
}

extension OptimMath {
  static func adamax(
    _ range: Range<Int>, _ p: Pointer, _ g: Pointer, _ m: Pointer, _ u: Pointer, _ k: Scalars
  ) {
    let (beta1, beta2, stepSize) = (k["beta1"], k["beta2"], k["step_size"])
    let (epsilon, decay) = (k["epsilon"], k["weight_decay"])
    for i in range {
      let param = p[i]
      var grad = g[i]
      if decay != 0 { grad = grad + decay * param }
      let first = beta1 * m[i] + (1 - beta1) * grad
      let norm = max(beta2 * u[i], abs(grad) + epsilon)
      m[i] = first
      u[i] = norm
      p[i] = param - stepSize * (first / norm)
    }
  }

  static func lion(_ range: Range<Int>, _ p: Pointer, _ g: Pointer, _ m: Pointer, _ k: Scalars) {
    let (lr, beta1, beta2, decayFactor) = (k["lr"], k["beta1"], k["beta2"], k["decay_factor"])
    for i in range {
      let grad = g[i], momentum = m[i]
      let c = beta1 * momentum + (1 - beta1) * grad
      let direction: Float = c > 0 ? 1 : c < 0 ? -1 : 0
      p[i] = p[i] * decayFactor - lr * direction
      m[i] = beta2 * momentum + (1 - beta2) * grad
    }
  }
}

/// One float as a one-lane vector, so the tail runs the same generic step as the lanes.
struct SIMD1<Scalar: SIMDScalar>: SIMD {
  typealias MaskStorage = SIMD1<Scalar.SIMDMaskScalar>
  private var value: Scalar
  init() { value = SIMD2<Scalar>()[0] }
  init(_ value: Scalar) { self.value = value }
  var scalarCount: Int { 1 }
  subscript(index: Int) -> Scalar {
    get { value }
    set { value = newValue }
  }
}
