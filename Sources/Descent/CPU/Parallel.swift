import Dispatch
import Foundation

/// Splits loops across up to `threads` cores: the caller plus a ``WorkerPool``'s threads.
package struct Parallel: Sendable {
  /// The number of cores the process may use (``UsableCores``).
  package static let cores = UsableCores.count()
  /// Every core, with the process's shared pool (what `CPUBackend()` uses).
  package static let all = Parallel(threads: cores, pool: WorkerPool.shared)

  /// The most threads a loop runs on, the caller's included.
  package let threads: Int
  /// The threads besides the caller; nil when `threads` is 1.
  let pool: WorkerPool?

  private init(threads: Int, pool: WorkerPool?) {
    self.threads = threads
    self.pool = pool
  }

  /// Loops on at most `threads` cores (clamped to 1...``cores``): all of them share the process's
  /// pool; fewer get a pool of their own, taken from those earlier backends left idle.
  package static func limited(to threads: Int) -> Parallel {
    let threads = min(max(1, threads), cores)
    if threads == cores { return all }
    return Parallel(threads: threads, pool: threads > 1 ? WorkerPool.lease(workers: threads - 1) : nil)
  }

  /// Runs `body` over consecutive sub-ranges of `0..<count`, in parallel when each of at least two
  /// parts would get `minimumChunk` elements or more; otherwise on the calling thread.
  package func chunks(
    _ count: Int, minimumChunk: Int = 1 << 15,
    _ body: (Range<Int>) -> Void
  ) {
    let parts = min(threads, count / max(1, minimumChunk))
    guard parts > 1 else {
      if count > 0 { body(0..<count) }
      return
    }
    forEach(parts) { part in body(part * count / parts..<(part + 1) * count / parts) }
  }

  /// Runs `body` over consecutive row ranges of a `rows × width` matrix, in parallel when each of
  /// at least two parts would get `minimumElements` elements or more (see ``chunks(_:minimumChunk:_:)``).
  package func rowChunks(
    _ rows: Int, width: Int, minimumElements: Int = 1 << 13,
    _ body: (Range<Int>) -> Void
  ) {
    chunks(rows, minimumChunk: max(1, minimumElements / max(1, width)), body)
  }

  /// Runs `body(i)` for every `i` in `0..<count`, spread over the cores (each call should be
  /// substantial: a row, a tile). Returns when all calls have.
  package func forEach(_ count: Int, _ body: (Int) -> Void) {
    guard count > 1, threads > 1 else {
      for index in 0..<count { body(index) }
      return
    }
    if let pool, pool.run(count, body) { return }
    // A pool of its own is busy only with a nested loop: run it here rather than on every core.
    guard threads == Self.cores else {
      for index in 0..<count { body(index) }
      return
    }
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
