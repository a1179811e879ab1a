/// The plain scalar twin of the fast product (one sequential sum per output, no threads).
extension MatrixMultiply {
    /// `C[s, o] = Σᵢ A[s, i] · B[o, i] (+ bias[o])`, summed in `i` order in `Float`.
    public static func multiplyTransposedScalar(
        rows: Int, columns: Int, depth: Int,
        a: UnsafePointer<Float>, lda: Int,
        b: UnsafePointer<Float>, ldb: Int,
        bias: UnsafePointer<Float>?,
        c: UnsafeMutablePointer<Float>, ldc: Int
    ) {
        for row in 0..<rows {
            for column in 0..<columns {
                var sum: Float = 0
                for i in 0..<depth { sum += a[row * lda + i] * b[column * ldb + i] }
                c[row * ldc + column] = sum + (bias?[column] ?? 0)
            }
        }
    }
}
