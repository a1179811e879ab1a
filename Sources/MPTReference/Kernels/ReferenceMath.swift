#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The C library's transcendental functions, in one place.
@usableFromInline
enum ReferenceMath {
    @inlinable static func exp(_ x: Float) -> Float { libmExpFloat(x) }
    @inlinable static func exp(_ x: Double) -> Double { libmExp(x) }
    @inlinable static func erf(_ x: Float) -> Float { libmErfFloat(x) }
    @inlinable static func erf(_ x: Double) -> Double { libmErf(x) }
    @inlinable static func tanh(_ x: Float) -> Float { libmTanhFloat(x) }
    @inlinable static func tanh(_ x: Double) -> Double { libmTanh(x) }
    @inlinable static func exp2(_ x: Double) -> Double { libmExp2(x) }
    @inlinable static func log(_ x: Double) -> Double { libmLog(x) }
}

@usableFromInline func libmExpFloat(_ x: Float) -> Float { expf(x) }
@usableFromInline func libmExp(_ x: Double) -> Double { exp(x) }
@usableFromInline func libmErfFloat(_ x: Float) -> Float { erff(x) }
@usableFromInline func libmErf(_ x: Double) -> Double { erf(x) }
@usableFromInline func libmTanhFloat(_ x: Float) -> Float { tanhf(x) }
@usableFromInline func libmTanh(_ x: Double) -> Double { tanh(x) }
@usableFromInline func libmExp2(_ x: Double) -> Double { exp2(x) }
@usableFromInline func libmLog(_ x: Double) -> Double { log(x) }
