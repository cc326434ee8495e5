import CommandFlags
import Foundation

// descent-benchmarks: every case on the CPU backend and on every OpenCL device, with the peers
// (NumPy/OpenBLAS, CLBlast, PyTorch, JAX + optax) in the same run, as a table and a JSON file
// (`BenchmarkRun`; the flags are `BenchmarkOptions`'s).
//
//   swift run -c release descent-benchmarks [options]   (`--help` lists them: BenchmarkOptions.flags)
// --tune-clblast keeps CLBlast's tuning beside ours (~/.cache/descent/clblast-<device>.json), which
// CLBlast uses in every later run; --tune caches the fastest GEMM parameters per device
// (~/.cache/descent/gemm-tuning.json), which every later OpenCLBackend on that device uses.
//   (benchmarks/run.sh builds for the host CPU first; see benchmarks/README.md)
// Other cases run as subcommands: `study-worker` (benchmarks/storage.sh), `inference`
// (benchmarks/inference.sh) and `small-batches` (benchmarks/small-batches.sh).

let arguments = Array(CommandLine.arguments.dropFirst())
switch arguments.first {
case "study-worker": try StudyWorker.run(Array(arguments.dropFirst()))
case "inference": try InferenceCase.run(Array(arguments.dropFirst()))
case "small-batches": try SmallBatchesCase.run(Array(arguments.dropFirst()))
case "--help", "-h": print(BenchmarkOptions.usage)
default:
  let options: BenchmarkOptions
  do {
    options = try BenchmarkOptions(arguments)
  } catch let error as UsageError {
    FileHandle.standardError.write(Data("descent-benchmarks: \(error.message)\n\(BenchmarkOptions.usage)\n".utf8))
    exit(64)
  }
  if let which = options.trainOnly {
    try BenchmarkRun.trainAlone(on: which, hidden: options.widths[0], epochs: options.epochs)
  } else {
    try BenchmarkRun(options).run()
  }
}
