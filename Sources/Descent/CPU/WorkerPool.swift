import Foundation
import Synchronization

/// Threads that stay awake between the CPU backend's parallel loops. A training step is dozens of
/// short loops (a 128-row GEMM takes ~0.1 ms); waking Dispatch's threads for each cost a large part
/// of that. Workers spin for a while after a loop, then sleep on a semaphore; the caller works on
/// the loop too and returns when every worker has finished. Every spin yields the core now and
/// then, so that a thread it waits for can run where threads outnumber cores (other processes
/// beside it): without, two 2-thread trainings at once on 2 cores took 1.5× as long as one after
/// the other.
final class WorkerPool: @unchecked Sendable {
  // @unchecked: `count` and `body` are written only by the caller holding `busy`, before it bumps
  // `generation`; workers read them only after seeing the new generation (acquiring), and the
  // caller waits for `unfinished` to reach zero before the next write.
  static let shared = WorkerPool(workers: Parallel.cores - 1)

  /// Pools of fewer threads that backends gave back, by worker count, for the next to take.
  private static let idle = Mutex<[Int: [WorkerPool]]>([:])

  /// A pool of `workers` threads that no one else uses until ``giveBack(_:)``: an idle one if
  /// there is one (threads live as long as the process, so pools are reused, not dropped).
  static func lease(workers: Int) -> WorkerPool {
    idle.withLock { $0[workers]?.popLast() } ?? WorkerPool(workers: workers)
  }

  /// Returns a pool from ``lease(workers:)`` for reuse.
  static func giveBack(_ pool: WorkerPool) {
    idle.withLock { $0[pool.workers.count, default: []].append(pool) }
  }

  private final class Worker: Sendable {
    let sleeping = Atomic<Bool>(false)
    let wake = DispatchSemaphore(value: 0)
  }

  private let workers: [Worker]
  private let busy = Mutex<Bool>(false)
  private let generation = Atomic<Int>(0)
  private let nextIndex = Atomic<Int>(0)
  private let unfinished = Atomic<Int>(0)
  /// The current loop; written before `generation` changes and read by workers after they see it.
  private var count = 0
  private var body: ((Int) -> Void)?
  /// How long a waiting worker spins before it sleeps: longer than the serial stretches between a
  /// training step's parallel loops (the loss, the 10-column products: tens of µs), so a loop
  /// rarely waits for a semaphore's wake-up (tens of µs on a VM). Spinning 20 000 times (~20 µs)
  /// let workers fall asleep within steps: an MLP epoch took 0.40 s, against 0.38–0.39 s now.
  private let spinNanoseconds: UInt64 = 1_000_000

  private init(workers count: Int) {
    workers = (0..<max(0, count)).map { _ in Worker() }
    for worker in workers {
      let thread = Thread { [unowned self] in self.serve(worker) }
      thread.name = "descent-cpu-worker"
      thread.start()
    }
  }

  /// Runs `body(i)` for `i` in `0..<count` on the caller and the workers. Returns `false`, having
  /// run nothing, when the pool is already running a loop (a nested or concurrent call).
  func run(_ count: Int, _ body: (Int) -> Void) -> Bool {
    guard !workers.isEmpty,
      busy.withLock({ taken in
        defer { taken = true }
        return !taken
      })
    else { return false }
    defer { busy.withLock { $0 = false } }
    withoutActuallyEscaping(body) { body in
      self.count = count
      self.body = body
      nextIndex.store(0, ordering: .sequentiallyConsistent)
      unfinished.store(workers.count, ordering: .sequentiallyConsistent)
      generation.add(1, ordering: .sequentiallyConsistent)
      for worker in workers where worker.sleeping.exchange(false, ordering: .sequentiallyConsistent) {
        worker.wake.signal()
      }
      work()
      var spins = 0
      while unfinished.load(ordering: .sequentiallyConsistent) > 0 {
        spins += 1
        if spins & 255 == 0 { sched_yield() }
      }
      self.body = nil
    }
    return true
  }

  /// Takes indices of the current loop until none are left.
  private func work() {
    guard let body else { return }
    while true {
      let index = nextIndex.add(1, ordering: .sequentiallyConsistent).oldValue
      guard index < count else { return }
      body(index)
    }
  }

  private func serve(_ worker: Worker) {
    var seen = 0
    while true {
      var spins = 0, spinStart = DispatchTime.now().uptimeNanoseconds
      while generation.load(ordering: .sequentiallyConsistent) == seen {
        spins += 1
        guard spins & 1023 == 0 else { continue }
        sched_yield()
        guard DispatchTime.now().uptimeNanoseconds - spinStart > spinNanoseconds else { continue }
        worker.sleeping.store(true, ordering: .sequentiallyConsistent)
        if generation.load(ordering: .sequentiallyConsistent) != seen {
          worker.sleeping.store(false, ordering: .sequentiallyConsistent)
          break
        }
        worker.wake.wait()  // may return for a signal meant for an earlier round: the loop re-checks
        spinStart = DispatchTime.now().uptimeNanoseconds
      }
      seen = generation.load(ordering: .sequentiallyConsistent)
      work()
      unfinished.subtract(1, ordering: .sequentiallyConsistent)
    }
  }
}
