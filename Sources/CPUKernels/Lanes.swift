/// Unaligned loads and stores of 16 floats for the vectorised loops (this file is compiled into the
/// core and into each kernel level): one zmm register with
/// AVX-512, two ymm or four xmm otherwise. Adam's loop ran at 125 GB/s on 8 lanes and 189 on 16
/// (1M parameters, Zen 4): twice the independent work per iteration for the square-root and
/// division units' latencies.
enum Lanes {
  typealias Vector = SIMD16<Float>
  static let width = Vector.scalarCount

  @inline(__always) static func load(_ pointer: UnsafeMutablePointer<Float>, _ i: Int) -> Vector {
    load(UnsafePointer(pointer), i)
  }

  @inline(__always) static func load(_ pointer: UnsafePointer<Float>, _ i: Int) -> Vector {
    UnsafeRawPointer(pointer + i).loadUnaligned(as: Vector.self)
  }

  @inline(__always) static func store(_ value: Vector, _ pointer: UnsafeMutablePointer<Float>, _ i: Int) {
    UnsafeMutableRawPointer(pointer + i).storeBytes(of: value, as: Vector.self)
  }
}
