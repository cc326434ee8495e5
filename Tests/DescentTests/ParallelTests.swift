@testable import Descent
import Dispatch
import Foundation
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

  /// The usable cores: an affinity mask's bits (hexadecimal words, commas between) and a cgroup
  /// quota rounded up; what cannot be read is no limit.
  @Test func usableCoresReadTheMaskAndTheQuota() {
    #expect(UsableCores.maskCores("3") == 2 && UsableCores.maskCores("ff") == 8)
    #expect(UsableCores.maskCores("00000000,00000105\n") == 3 && UsableCores.maskCores("F0,0") == 4)
    #expect(UsableCores.maskCores("0") == nil && UsableCores.maskCores("xyz") == nil)
    #expect(UsableCores.quotaCores("max 100000\n") == nil && UsableCores.quotaCores("100000 100000\n") == 1)
    #expect(UsableCores.quotaCores("150000 100000") == 2 && UsableCores.quotaCores("50000 100000") == 1)
    #expect(UsableCores.quotaCores("") == nil && UsableCores.quotaCores("0 100000") == nil)
    #expect(UsableCores.affinity().map { $0 >= Parallel.cores } ?? true)
    #expect(Parallel.cores >= 1 && Parallel.cores <= ProcessInfo.processInfo.activeProcessorCount)
  }

  /// A backend limited to fewer threads computes the same products and loops on no more cores;
  /// its pool goes back for the next backend to reuse.
  @Test func aLimitedBackendComputesTheSameAndReusesPools() throws {
    let shape = GemmShape(m: 67, n: 129, k: 300)
    let a = (0..<shape.m * shape.k).map { Float($0 % 13) - 6 }, b = (0..<shape.k * shape.n).map { Float($0 % 7) - 3 }
    func product(_ backend: CPUBackend) throws -> [Float] {
      let (x, y, z) = (try backend.buffer(a), try backend.buffer(b), try backend.allocate(shape.m * shape.n))
      try backend.gemm(shape, x, y, into: z)
      return try backend.download(z)
    }
    let full = try product(CPUBackend())
    let one = CPUBackend(threads: 1)
    #expect(one.threads == 1 && (Parallel.cores == 1 || one.name == "cpu (1 thread)"))
    #expect(try product(one) == full)  // small integers: every order of summation is exact
    #expect(CPUBackend(threads: 1000).threads == Parallel.cores)
    let seen = Mutex(Set<ObjectIdentifier>())
    for _ in 0..<3 {
      let limited = Parallel.limited(to: 2)
      let hits = Mutex(0)
      limited.forEach(50) { _ in hits.withLock { $0 += 1 } }
      #expect(hits.withLock { $0 } == 50)
      if let pool = limited.pool, Parallel.cores > 2 {
        seen.withLock { _ = $0.insert(ObjectIdentifier(pool)) }
        WorkerPool.giveBack(pool)
      }
    }
    #expect(seen.withLock { $0.count } <= 1, "a given-back pool was not reused")
  }

  /// One model shared by 8 threads, each predicting its own rows (two batch sizes, raw and
  /// preprocessed): every result equals the serial one bit for bit. Run under
  /// `scripts/sanitize.sh` (ThreadSanitizer) this also proves no pass races another.
  @Test func eightThreadsPredictOnOneModel() throws {
    let model = try Sequential(inputFeatures: 5, backend: CPUBackend(), seed: 9) {
      try Dense(33, activation: .gelu)
      try Dropout(0.3)
      try Dense(7)
      Softmax()
    }
    model.preprocessing = Preprocessing(
      scale: 0.5, standardization: Standardization(means: [1, 0, -1, 2, 0], deviations: [1, 2, 3, 4, 5]))
    let inputs = (0..<8).map { thread in (0..<(40 + 13 * thread) * 5).map { Float(($0 * 7 + thread * 3) % 23) / 11 - 1 }
    }
    let serial = try inputs.map { rows in
      (try model.predict(rows, rows: rows.count / 5, batchSize: 16), try model.predict(raw: rows, rows: rows.count / 5))
    }
    let results = Mutex([[Float]?](repeating: nil, count: 16))
    DispatchQueue.concurrentPerform(iterations: 8) { thread in
      let rows = inputs[thread]
      for _ in 0..<5 {
        let plain = try? model.predict(rows, rows: rows.count / 5, batchSize: 16)
        let raw = try? model.predict(raw: rows, rows: rows.count / 5)
        results.withLock { results in
          if plain != serial[thread].0 { results[2 * thread] = plain ?? [] }
          if raw != serial[thread].1 { results[2 * thread + 1] = raw ?? [] }
        }
      }
    }
    #expect(results.withLock { $0.allSatisfy { $0 == nil } }, "a thread's predictions differ from the serial ones")
  }

}
