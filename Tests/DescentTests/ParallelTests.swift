@testable import Descent
import Dispatch
import Synchronization
import Testing

/// The CPU backend's parallel loops: every index once, also when nested or called from many threads.
@Suite struct ParallelTests {
  @Test func everyIndexRunsOnce() {
    for count in [0, 1, 2, 3, 17, 1000] {
      let hits = Mutex([Int](repeating: 0, count: count))
      Parallel.all.forEach(count) { index in hits.withLock { $0[index] += 1 } }
      #expect(hits.withLock { $0.allSatisfy { $0 == 1 } }, "count \(count)")
    }
  }

  @Test func nestedLoopsRunEveryInnerIndex() {
    let total = Atomic<Int>(0)
    Parallel.all.forEach(8) { _ in
      Parallel.all.forEach(10) { _ in total.add(1, ordering: .relaxed) }
    }
    #expect(total.load(ordering: .relaxed) == 80)
  }

  @Test func concurrentCallersEachGetTheirLoop() {
    let total = Atomic<Int>(0)
    DispatchQueue.concurrentPerform(iterations: 16) { _ in
      for _ in 0..<200 {
        Parallel.all.forEach(5) { _ in total.add(1, ordering: .relaxed) }
      }
    }
    #expect(total.load(ordering: .relaxed) == 16 * 200 * 5)
  }
}
