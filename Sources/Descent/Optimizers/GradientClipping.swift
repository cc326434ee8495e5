/// Limits the gradients before each optimizer step, on the device.
public enum GradientClipping: Sendable, Hashable, Codable {
  /// Scales every gradient by `min(1, maxNorm / (‖g‖ + 10⁻⁶))`, `‖g‖` the L2 norm over all
  /// parameters together: `torch.nn.utils.clip_grad_norm_`, Keras `global_clipnorm`, optax
  /// `clip_by_global_norm` (optax has no 10⁻⁶).
  case globalNorm(Float)
  /// Clamps each gradient element to `[−limit, limit]`: `clip_grad_value_`, Keras `clipvalue`,
  /// optax `clip`.
  case value(Float)

  /// Throws ``ConfigurationError`` for a limit that is not positive and finite.
  public func validate() throws {
    switch self {
    case let .globalNorm(limit): try ConfigurationError.require(limit > 0 && limit.isFinite, "maxNorm", limit, "> 0")
    case let .value(limit): try ConfigurationError.require(limit > 0 && limit.isFinite, "clip value", limit, "> 0")
    }
  }
}
