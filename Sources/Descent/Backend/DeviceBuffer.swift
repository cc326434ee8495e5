/// Floats that live on one backend's device. The memory is released when the last reference goes,
/// so a loop that allocates and drops buffers does not grow.
public protocol DeviceBuffer: AnyObject, Sendable {
  /// The number of `Float` elements.
  var count: Int { get }
}
