import Foundation
import PackagePlugin

/// Embeds every `kernels/*.cl` file of the package into one generated `KernelSources.swift`, so the
/// OpenCL backend never looks a kernel file up at run time and editing a `.cl` file rebuilds it.
///
/// The set of files is fixed when the build is planned: after adding a kernel file, touch
/// `Package.swift` so the plan (and this list) is made again.
@main
struct EmbedKernels: BuildToolPlugin {
  func createBuildCommands(context: PluginContext, target: Target) throws -> [Command] {
    let kernels = context.package.directoryURL.appending(path: "kernels")
    let files = try FileManager.default
      .contentsOfDirectory(at: kernels, includingPropertiesForKeys: nil)
      .filter { $0.pathExtension == "cl" }
      .sorted { $0.lastPathComponent < $1.lastPathComponent }
    let output = context.pluginWorkDirectoryURL.appending(path: "KernelSources.swift")
    return [
      .buildCommand(
        displayName: "Embedding \(files.count) OpenCL kernel files",
        executable: try context.tool(named: "KernelEmbedder").url,
        arguments: [output.path] + files.map(\.path),
        inputFiles: files,
        outputFiles: [output]
      )
    ]
  }
}
