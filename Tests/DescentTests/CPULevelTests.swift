import CPUFeatures
import CPUKernelsAVX2
import CPUKernelsAVX512
import CPUKernelsBaseline
import Descent
import Foundation
import TestSupport
import Testing

/// The CPU backend's kernels run at the best instruction-set level the CPU has, chosen at run time
/// (``CPULevel``); the core is compiled for any x86-64 CPU unless DESCENT_TARGET_CPU names one
/// (Package.swift), and a CPU without a build's instructions must be named.
@Suite struct CPULevelTests {
  @Test func thisBuildRunsOnThisCPU() {
    #expect(CPUFeatures.missing == [])
  }

  /// The levels this CPU has end with the one scripts/target-cpu.sh names (the rule's other
  /// implementation, checked against literal flag lines in `theScriptNamesEachLevel`), and a
  /// backend runs the best of them unless DESCENT_CPU_LEVEL asks for another.
  @Test func theKernelsRunTheCPUsBestLevel() throws {
    let expected: [String: CPULevel] = ["skylake-avx512": .avx512, "haswell": .avx2, "": .baseline]
    let script = try Self.targetCPU()
    #expect(CPULevel.supported.last == expected[script], "script: '\(script)'; \(CPULevel.supported)")
    #expect(CPULevel.supported.first == .baseline && CPULevel.supported == CPULevel.supported.sorted())
    let asked = ProcessInfo.processInfo.environment["DESCENT_CPU_LEVEL"].flatMap(CPULevel.init(rawValue:))
    #expect(CPULevel.chosen == asked ?? CPULevel.supported.last)
    #expect(CPUBackend().level == CPULevel.chosen && CPUBackend(threads: 1).level == CPULevel.chosen)
  }

  /// Each level's backend runs that level's GEMM: its bits are those of the level's module called
  /// directly, and no two levels give the same bits on both products (so a dispatch to the wrong
  /// module fails here): the FMA levels round the 37×70×300 product differently from the
  /// baseline's multiply + add, and the AVX-512 level sums the 2-row `ABᵀ`'s dot products in 16
  /// lanes where AVX2 uses 8.
  @Test func eachLevelsBackendRunsItsOwnKernels() throws {
    var results: [CPULevel: [[UInt32]]] = [:]
    for (m, n, k, transposeB) in [(37, 70, 300, false), (2, 37, 300, true)] {
      var generator = Mutator(seed: 5)
      let a = (0..<m * k).map { _ in Float.random(in: -1..<1, using: &generator) }
      let b = (0..<k * n).map { _ in Float.random(in: -1..<1, using: &generator) }
      let shape = GemmShape(m: m, n: n, k: k, transposeB: transposeB, alpha: 1.5, beta: 0)
      for level in CPULevel.supported {
        let backend = CPUBackend(threads: 1, level: level)
        let (bufferA, bufferB, bufferC) = (
          try backend.allocate(m * k), try backend.allocate(k * n), try backend.allocate(m * n)
        )
        try backend.upload(a, to: bufferA)
        try backend.upload(b, to: bufferB)
        try backend.gemm(shape, bufferA, bufferB, into: bufferC)
        let viaBackend = try backend.download(bufferC).map(\.bitPattern)
        var direct = [Float](repeating: .nan, count: m * n)
        try a.withUnsafeBufferPointer { a in
          try b.withUnsafeBufferPointer { b in
            try direct.withUnsafeMutableBufferPointer { c in
              try Self.directGemm(level, shape, a.baseAddress!, b.baseAddress!, c.baseAddress!)
            }
          }
        }
        let differing = zip(viaBackend, direct.map(\.bitPattern)).filter { $0 != $1 }.count
        #expect(differing == 0, "\(level) \(shape): \(differing) of \(m * n) values differ from its module's")
        results[level, default: []].append(viaBackend)
      }
    }
    for (x, y) in zip(CPULevel.supported, CPULevel.supported.dropFirst()) {
      let same = results[x] == results[y]
      #expect(!same, "\(x) and \(y) give the same bits")
    }
  }

  /// `level`'s module's GEMM, called directly on one thread.
  static func directGemm(
    _ level: CPULevel, _ s: GemmShape, _ a: UnsafePointer<Float>, _ b: UnsafePointer<Float>,
    _ c: UnsafeMutablePointer<Float>
  ) throws {
    let forEach = { (count: Int, body: (Int) -> Void) in for index in 0..<count { body(index) } }
    switch level {
    case .baseline:
      try CPUKernelsBaseline.Kernels.gemm(
        m: s.m, n: s.n, k: s.k, transposeA: s.transposeA, transposeB: s.transposeB, alpha: s.alpha, beta: s.beta,
        a: a, b: b, c: c, threads: 1, forEach: forEach, allocate: allocate)
    case .avx2:
      try CPUKernelsAVX2.Kernels.gemm(
        m: s.m, n: s.n, k: s.k, transposeA: s.transposeA, transposeB: s.transposeB, alpha: s.alpha, beta: s.beta,
        a: a, b: b, c: c, threads: 1, forEach: forEach, allocate: allocate)
    case .avx512:
      try CPUKernelsAVX512.Kernels.gemm(
        m: s.m, n: s.n, k: s.k, transposeA: s.transposeA, transposeB: s.transposeB, alpha: s.alpha, beta: s.beta,
        a: a, b: b, c: c, threads: 1, forEach: forEach, allocate: allocate)
    }
  }

  static func allocate(_ count: Int) throws -> UnsafeMutablePointer<Float> {
    var memory: UnsafeMutableRawPointer?
    guard posix_memalign(&memory, 64, max(1, count) * 4) == 0, let memory else {
      throw CocoaError(.fileWriteOutOfSpace)
    }
    return memory.bindMemory(to: Float.self, capacity: max(1, count))
  }

  /// Each level maps to its own module.
  @Test func eachLevelNamesItsModule() {
    #expect(CPULevel.baseline.gemmDescription == CPUKernelsBaseline.Kernels.gemmDescription)
    #expect(CPULevel.avx2.gemmDescription == CPUKernelsAVX2.Kernels.gemmDescription)
    #expect(CPULevel.avx512.gemmDescription == CPUKernelsAVX512.Kernels.gemmDescription)
    #if arch(x86_64)
    #expect(Set(CPULevel.allCases.map(\.gemmDescription)).count == 3)
    #endif
  }

  /// DESCENT_CPU_LEVEL's values: a level this CPU has, or nothing, is fine; anything else is named.
  @Test func aWrongLevelIsNamed() {
    #expect(CPULevel.problem(nil) == nil && CPULevel.problem("") == nil)
    for level in CPULevel.supported { #expect(CPULevel.problem(level.rawValue) == nil) }
    #expect(CPULevel.problem("avx3")?.contains("DESCENT_CPU_LEVEL=avx3 is not a CPU level") == true)
    for level in CPULevel.allCases where !CPULevel.supported.contains(level) {
      #expect(CPULevel.problem(level.rawValue)?.contains("which this CPU lacks") == true)
    }
  }

  /// scripts/target-cpu.sh on flag lines of real CPUs (`CPUINFO` names the file it reads).
  @Test func theScriptNamesEachLevel() throws {
    let haswell = "fpu sse2 sse4_2 avx avx2 fma bmi1 bmi2 f16c movbe"
    let cases = [
      (haswell, "haswell"),  // Zen 2 and Zen 3: AVX2 only
      (haswell + " avx512f avx512dq avx512cd avx512bw avx512vl avx512_bf16", "skylake-avx512"),  // Zen 4
      (haswell.replacingOccurrences(of: " movbe", with: ""), ""),  // a flag short of the level
      ("fpu sse2 sse4_2 avx", ""),  // Sandy Bridge: AVX without AVX2
      (haswell + " avx512f avx512cd", "haswell"),  // Knights Landing: AVX-512 without BW/DQ/VL
    ]
    for (flags, level) in cases {
      let file = NSTemporaryDirectory() + "descent-cpuinfo-\(UUID().uuidString)"
      defer { try? FileManager.default.removeItem(atPath: file) }
      try Data("processor\t: 0\nflags\t\t: \(flags)\nbugs\t\t:\n".utf8).write(to: URL(fileURLWithPath: file))
      #expect(try Self.targetCPU(cpuinfo: file) == level, "\(flags)")
    }
  }

  /// What scripts/target-cpu.sh prints, for this machine or the /proc/cpuinfo-like `cpuinfo`.
  static func targetCPU(cpuinfo: String? = nil) throws -> String {
    let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
      .deletingLastPathComponent()
    let process = Process()
    process.executableURL = root.appendingPathComponent("scripts/target-cpu.sh")
    if let cpuinfo { process.environment = ["CPUINFO": cpuinfo, "PATH": "/usr/bin:/bin"] }
    let output = Pipe()
    process.standardOutput = output
    try process.run()
    process.waitUntilExit()
    return String(decoding: output.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
      .trimmingCharacters(in: .whitespacesAndNewlines)
  }

  /// A CPU without the build's instructions is named, whatever the build: checked against a fixed
  /// list, and against ``CPUFeatures/required`` (empty on a baseline build, which lacks nothing).
  @Test func missingInstructionsAreNamed() {
    for required in [["avx2", "fma", "avx512f"], CPUFeatures.required] {
      let complete = "processor\t: 0\nflags\t\t: fpu sse2 \(required.joined(separator: " ")) avx512_bf16\nbugs\t\t:\n"
      #expect(CPUFeatures.missing(cpuinfo: complete, required: required) == [])
      #expect(CPUFeatures.missing(cpuinfo: "flags\t\t: fpu sse2 sse4_2\n", required: required) == required)
      // A flag that only starts like a required one is not it.
      let lookalikes = "flags\t\t: " + required.map { $0 + "x" }.joined(separator: " ")
      #expect(CPUFeatures.missing(cpuinfo: lookalikes, required: required) == required)
      #expect(CPUFeatures.missing(cpuinfo: "no such line\n", required: required) == [])
    }
    #expect(CPUFeatures.missing(cpuinfo: "flags\t\t: avx2 fma\n", required: ["avx2", "fma", "avx512f"]) == ["avx512f"])
  }
}
