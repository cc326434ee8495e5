/// An enum whose cases a kernel tells apart by an `int` argument. Each case's code is its position
/// in `allCases`, and the kernel's file is built with one `-DNAME=code` per case (`NAME` the raw
/// value in capitals: `-DSUM_OF_SQUARES=1`), so the kernel compares with names and no number is
/// kept in step by hand (the file refuses to build without them).
package protocol KernelCoded: CaseIterable, Equatable, RawRepresentable where RawValue == String {}

extension KernelCoded {
  /// The value the kernel compares with the case's name.
  package var kernelCode: Int32 { Int32(Array(Self.allCases).firstIndex(of: self)!) }

  /// The build options defining every case's name as its code.
  package static var kernelDefines: String {
    allCases.map { "-D\($0.rawValue.uppercased())=\($0.kernelCode)" }.joined(separator: " ")
  }
}
