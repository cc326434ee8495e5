import Foundation

/// How a weight tensor starts, drawn on the device from the shared Philox generator, so a seed gives
/// bit-identical weights on every backend. Scales follow `torch.nn.init` (untruncated normals;
/// Keras's `*_normal` initializers truncate at 2σ and rescale, so their samples differ).
public enum Initializer: Sendable, Hashable, Codable {
  case zeros
  case constant(Float)
  /// Uniform on `[low, high)`.
  case uniform(low: Float, high: Float)
  /// Normal with the given mean and standard deviation.
  case normal(mean: Float, standardDeviation: Float)
  /// Glorot/Xavier uniform: `U(−a, a)`, `a = √(6 / (fanIn + fanOut))` (`xavier_uniform_`, gain 1).
  case glorotUniform
  /// Glorot/Xavier normal: `σ = √(2 / (fanIn + fanOut))` (`xavier_normal_`).
  case glorotNormal
  /// He/Kaiming uniform for ReLU: `U(−a, a)`, `a = √(6 / fanIn)` (`kaiming_uniform_`, fan_in, relu).
  case heUniform
  /// He/Kaiming normal for ReLU: `σ = √(2 / fanIn)` (`kaiming_normal_`).
  case heNormal
  /// LeCun normal (for SELU/tanh): `σ = √(1 / fanIn)`.
  case lecunNormal
  /// LeCun uniform: `U(−a, a)`, `a = √(3 / fanIn)`.
  case lecunUniform

  /// The distribution for a weight matrix with `fanIn` inputs and `fanOut` outputs, or `nil` for
  /// a constant fill.
  public func distribution(fanIn: Int, fanOut: Int) -> Distribution? {
    let fanIn = Double(max(1, fanIn)), fanOut = Double(max(1, fanOut))
    func uniform(_ bound: Double) -> Distribution { .uniform(low: -Float(bound), high: Float(bound)) }
    func normal(_ deviation: Double) -> Distribution { .normal(mean: 0, standardDeviation: Float(deviation)) }
    switch self {
    case .zeros, .constant: return nil
    case let .uniform(low, high): return .uniform(low: low, high: high)
    case let .normal(mean, deviation): return .normal(mean: mean, standardDeviation: deviation)
    case .glorotUniform: return uniform((6 / (fanIn + fanOut)).squareRoot())
    case .glorotNormal: return normal((2 / (fanIn + fanOut)).squareRoot())
    case .heUniform: return uniform((6 / fanIn).squareRoot())
    case .heNormal: return normal((2 / fanIn).squareRoot())
    case .lecunNormal: return normal((1 / fanIn).squareRoot())
    case .lecunUniform: return uniform((3 / fanIn).squareRoot())
    }
  }

  /// Fills `buffer` (a `fanIn × fanOut` weight matrix or a bias) on its backend from `key`.
  public func initialize(
    _ buffer: DeviceBuffer, fanIn: Int, fanOut: Int, on backend: any Backend,
    key: RandomKey
  ) throws {
    if let distribution = distribution(fanIn: fanIn, fanOut: fanOut) {
      try backend.fillRandom(buffer, distribution, key: key)
    } else {
      try backend.fill(buffer, with: constantValue)
    }
  }

  /// The value of a constant fill: 0 for ``zeros``.
  private var constantValue: Float {
    if case let .constant(value) = self { value } else { 0 }
  }
}
