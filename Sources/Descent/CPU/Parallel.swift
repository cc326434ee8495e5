import Dispatch
import Foundation

/// Splits loops across the machine's cores with Dispatch.
package enum Parallel {
  /// The number of cores the process may use.
  package static let threads = max(1, ProcessInfo.processInfo.activeProcessorCount)

  /// Runs `body` over consecutive sub-ranges of `0..<count`, in parallel when each of at least two
  /// parts would get `minimumChunk` elements or more; otherwise on the calling thread.
  package static func chunks(_ count: Int, minimumChunk: Int = 1 << 15,
                             _ body: (Range<Int>) -> Void) {
    let parts = min(threads, count / max(1, minimumChunk))
    guard parts > 1 else {
      if count > 0 { body(0..<count) }
      return
    }
    forEach(parts) { part in body(part * count / parts ..< (part + 1) * count / parts) }
  }

  /// Runs `body` over consecutive row ranges of a `rows × width` matrix, in parallel when each of
  /// at least two parts would get `minimumElements` elements or more (see ``chunks(_:minimumChunk:_:)``).
  package static func rowChunks(_ rows: Int, width: Int, minimumElements: Int = 1 << 13,
                                _ body: (Range<Int>) -> Void) {
    chunks(rows, minimumChunk: max(1, minimumElements / max(1, width)), body)
  }

  /// Runs `body(i)` for every `i` in `0..<count`, spread over the cores (each call should be
  /// substantial: a row, a tile). Returns when all calls have.
  package static func forEach(_ count: Int, _ body: (Int) -> Void) {
    guard count > 1, threads > 1 else {
      for index in 0..<count { body(index) }
      return
    }
    if WorkerPool.shared.run(count, body) { return }
    // The pool is busy (a nested or concurrent call): Dispatch's threads take this loop.
    // The calls write disjoint parts of the caller's buffers, which Swift cannot see; `body` does
    // not outlive this function, since concurrentPerform returns after the last call.
    withoutActuallyEscaping(body) { body in
      let shared = UncheckedSendable(body)
      DispatchQueue.concurrentPerform(iterations: count) { shared.value($0) }
    }
  }
}

/// A value handed to other threads whose safety the compiler cannot check (see its uses).
struct UncheckedSendable<Value>: @unchecked Sendable {
  let value: Value
  init(_ value: Value) { self.value = value }
}
