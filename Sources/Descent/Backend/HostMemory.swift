import Foundation

/// Host arrays sized from input (a download of a whole buffer, a file's tensors): Swift traps when
/// an array's allocation is refused (as under a container's memory limit), so the size is tried
/// with `malloc` first and a refusal is ``BackendError/outOfMemory(bytes:device:reason:)``.
package enum HostMemory {
  /// Throws unless `count` values of `T` can be allocated now.
  package static func check<T>(_ count: Int, of type: T.Type = Float.self) throws {
    let bytes = count.multipliedReportingOverflow(by: MemoryLayout<T>.stride)
    guard !bytes.overflow, let probe = malloc(max(1, bytes.partialValue)) else {
      throw BackendError.outOfMemory(
        bytes: bytes.overflow ? Int.max : bytes.partialValue, device: "host", reason: "the allocator refused")
    }
    free(probe)
  }
}
