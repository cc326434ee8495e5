import Foundation

// descent-benchmarks: every case on the CPU backend and on every OpenCL device, with the peers
// (NumPy/OpenBLAS, CLBlast, PyTorch, JAX + optax) in the same run, as a table and a JSON file
// (`BenchmarkRun`; the flags are `BenchmarkOptions`'s).
//
//   swift run -c release descent-benchmarks [--quick] [--tune] [--epochs N] [--backend cpu|opencl]
//     [--rounds N] [--tune-clblast] [--no-peers] [--no-training] [--hidden W1,W2]... [--only TEXT] [--json PATH]
// --tune-clblast runs CLBlast's own tuner on each OpenCL device first (~5 min each) and keeps its
// result beside ours (~/.cache/descent/clblast-<device>.json); CLBlast uses it in every later run.
// --rounds N (default 3): the training contenders take turns N times, and so do the first backend's
// GEMMs and NumPy's, shape by shape; each row pools its rounds.
// --hidden 1024,512 (repeatable) trains MLPs of those hidden widths instead of 784-256-128-10.
// --only runs just the GEMM and memory cases whose name contains TEXT (e.g. "adam", "mlp fwd").
// --tune times every GEMM parameter set on each OpenCL device first and caches the fastest
// (~/.cache/descent/gemm-tuning.json), which every later OpenCLBackend on that device uses.
//   (benchmarks/run.sh builds for the host CPU first; see benchmarks/README.md)
// Other cases run as subcommands: `study-worker` (benchmarks/storage.sh), `inference`
// (benchmarks/inference.sh) and `small-batches` (benchmarks/small-batches.sh).

let arguments = Array(CommandLine.arguments.dropFirst())
switch arguments.first {
case "study-worker": try StudyWorker.run(Array(arguments.dropFirst()))
case "inference": try InferenceCase.run(Array(arguments.dropFirst()))
case "small-batches": try SmallBatchesCase.run(Array(arguments.dropFirst()))
default:
  let options: BenchmarkOptions
  do {
    options = try BenchmarkOptions(arguments)
  } catch let error as BenchmarkOptions.UsageError {
    FileHandle.standardError.write(Data("descent-benchmarks: \(error.message)\n\(BenchmarkOptions.usage)\n".utf8))
    exit(64)
  }
  if let which = options.trainOnly {
    try BenchmarkRun.trainAlone(on: which, hidden: options.widths[0], epochs: options.epochs)
  } else {
    try BenchmarkRun(options).run()
  }
}
