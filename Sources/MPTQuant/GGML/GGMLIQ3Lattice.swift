/// The IQ3 quantization lattice as ggml's `iq3xs_init_impl` builds it: points of four levels
/// `2l + 1` (l in 0…7), a map from every 12-bit level code to its grid index, and, for codes off
/// the grid, the list of nearest grid points that `iq3_find_best_neighbour` searches.
///
/// Built deterministically from the point codes: for an off-grid code the grid points are sorted
/// by (squared distance, index), as `qsort` with `iq3_compare_func` sorts them, and every point
/// within the `nearestDistances` smallest distinct distances is kept, in that order.
struct GGMLIQ3Lattice: Sendable {
    /// Grid points as 4 signed levels `2l + 1` each (`kgrid_q3xs` viewed as int8).
    let levels: [Int8]
    /// For each 12-bit code: its grid index (≥ 0), or `-(offset + 1)` of its neighbour list.
    let map: [Int32]
    /// Neighbour lists: a count, then that many grid indices.
    let neighbours: [UInt16]

    /// `iq3xs_init_impl(grid_size)`: `points` are the level codes of `kgrid_256`/`kgrid_512`,
    /// `nearestDistances` is `nwant` (2 for the 256-point grid, 3 for the 512-point one).
    init(points: [UInt16], nearestDistances: Int) {
        var levels = [Int8](repeating: 0, count: 4 * points.count)
        for (k, point) in points.enumerated() {
            for i in 0..<4 { levels[4 * k + i] = Int8(2 * ((Int(point) >> (3 * i)) & 7) + 1) }
        }
        var map = [Int32](repeating: -1, count: 4096)
        for (k, point) in points.enumerated() { map[Int(point)] = Int32(k) }
        var neighbours: [UInt16] = []
        var distances = [(distance: Int, index: Int)](repeating: (0, 0), count: points.count)
        for code in 0..<4096 where map[code] < 0 {
            for j in 0..<points.count {
                var d2 = 0
                for k in 0..<4 {
                    let difference = Int(levels[4 * j + k]) - (2 * ((code >> (3 * k)) & 7) + 1)
                    d2 += difference * difference
                }
                distances[j] = (d2, j)
            }
            distances.sort { $0.distance != $1.distance ? $0.distance < $1.distance : $0.index < $1.index }
            map[code] = -Int32(neighbours.count + 1)
            let start = neighbours.count
            neighbours.append(0)
            var current = distances[0].distance, have = 1
            for entry in distances {
                if entry.distance > current {
                    if have == nearestDistances { break }
                    current = entry.distance
                    have += 1
                }
                neighbours.append(UInt16(entry.index))
            }
            neighbours[start] = UInt16(neighbours.count - start - 1)
        }
        self.levels = levels
        self.map = map
        self.neighbours = neighbours
    }

    /// `iq3_find_best_neighbour`: of the neighbours of the off-grid `code`, the one with the
    /// smallest `Σ w·(scale·q − x)²` (the first on ties, strict `<` from `FLT_MAX`), written to
    /// `levelsOut` as 0…7. ggml aborts when no distance is below `FLT_MAX` (an overflowed or NaN
    /// block); here the first neighbour is taken instead.
    func bestNeighbour(
        code: Int, values: UnsafePointer<Float>, weights: UnsafePointer<Float>, scale: Float,
        into levelsOut: UnsafeMutablePointer<Int8>
    ) -> Int {
        let start = Int(-map[code] - 1)
        let count = Int(neighbours[start])
        var best = Float.greatestFiniteMagnitude
        var index = Int(neighbours[start + 1])
        for j in 1...count {
            let candidate = Int(neighbours[start + j])
            var d2: Float = 0
            for i in 0..<4 {
                let difference = scale * Float(levels[4 * candidate + i]) - values[i]
                d2 += weights[i] * difference * difference
            }
            if d2 < best { best = d2; index = candidate }
        }
        for i in 0..<4 { levelsOut[i] = (levels[4 * index + i] - 1) / 2 }
        return index
    }

    /// The 12-bit code of four levels 0…7.
    @inline(__always)
    static func code(_ levels: UnsafePointer<Int8>) -> Int {
        var code = 0
        for i in 0..<4 { code |= Int(levels[i]) << (3 * i) }
        return code
    }

    /// The 256-point lattice of IQ3_XXS.
    static let xxs = GGMLIQ3Lattice(points: GGMLIQGridTables.iq3xxsPoints, nearestDistances: 2)

    /// The 512-point lattice of IQ3_S.
    static let s = GGMLIQ3Lattice(points: GGMLIQGridTables.iq3sPoints, nearestDistances: 3)
}
