/// Where ``Backend/allocateParts(_:)`` puts its parts within the whole buffer: part `i` at
/// `offsets[i]`, each offset the end of the part before rounded up to a multiple of `alignment`
/// floats (what the device requires of a sub-buffer's start).
package struct PartsLayout: Sendable, Equatable {
  package let offsets: [Int]
  /// The whole buffer's length in floats: the end of the last part.
  package let total: Int

  /// - Throws: ``BackendError/invalidArgument(op:parameter:value:allowed:)`` for a negative count,
  ///   ``BackendError/outOfMemory(bytes:device:reason:)`` when the whole would pass `Int`'s range.
  package init(_ counts: [Int], alignment: Int, device: String) throws {
    precondition(alignment >= 1, "alignment \(alignment)")
    var offsets: [Int] = []
    var end = 0
    for count in counts {
      try Check.nonNegative("allocateParts", "count", count)
      let start = end.addingReportingOverflow(alignment - 1)
      guard !start.overflow else { throw Self.tooLarge(counts, device) }
      let offset = start.partialValue / alignment * alignment
      let next = offset.addingReportingOverflow(count)
      guard !next.overflow, next.partialValue <= Int.max / MemoryLayout<Float>.stride else {
        throw Self.tooLarge(counts, device)
      }
      offsets.append(offset)
      end = next.partialValue
    }
    self.offsets = offsets
    total = end
  }

  private static func tooLarge(_ counts: [Int], _ device: String) -> BackendError {
    .outOfMemory(
      bytes: Int.max, device: device, reason: "parts of \(counts) floats together pass what memory can address")
  }
}
