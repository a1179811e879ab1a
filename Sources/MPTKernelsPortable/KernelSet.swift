import MPTKernelInterface

/// This module's copy of the kernels (`VectorKernels`): the same source is compiled once per CPU
/// level (see `Vector.swift` and Package.swift), so the three copies differ only in the
/// instructions and vector width they are compiled for.
public enum KernelSet: VectorKernels {
    public static var vectorWidth: Int { Vector.scalarCount }
    public static var tileRows: Int { 6 }
    public static var panelWidth: Int { 2 * Vector.scalarCount }
    public static var columnGroup: Int { 96 }
    public static var rowGroup: Int { 128 }
}
