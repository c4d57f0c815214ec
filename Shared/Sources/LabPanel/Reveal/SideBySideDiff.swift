import Foundation

/// The reveal's view of a change: the learner's starting file on the left, the reference on the right, line by
/// line, with removed and added lines marked. Built on the standard library's `CollectionDifference` (Myers'
/// algorithm), so there is no diff code of our own to trust beyond pairing the lines up.
public enum SideBySideDiff {
    public struct Row: Sendable, Equatable {
        public enum Change: String, Sendable {
            case same, removed, added, changed
            /// Unchanged lines left out; ``right`` says how many.
            case folded
        }
        public var left: String?
        public var right: String?
        public var leftNumber: Int?
        public var rightNumber: Int?
        public var change: Change
    }

    /// Rows for `old` → `new`. Removed and added lines that sit at the same place are paired as "changed";
    /// runs of unchanged lines longer than `context` on each side of a change are folded into one row.
    public static func rows(old: [String], new: [String], context: Int = 4) -> [Row] {
        let difference = new.difference(from: old)
        var removed = Set<Int>()
        var inserted = Set<Int>()
        for change in difference {
            switch change {
            case .remove(let offset, _, _): removed.insert(offset)
            case .insert(let offset, _, _): inserted.insert(offset)
            }
        }
        var rows: [Row] = []
        var (i, j) = (0, 0)
        while i < old.count || j < new.count {
            var lefts: [Int] = []
            var rights: [Int] = []
            while i < old.count && removed.contains(i) {
                lefts.append(i)
                i += 1
            }
            while j < new.count && inserted.contains(j) {
                rights.append(j)
                j += 1
            }
            if lefts.isEmpty && rights.isEmpty {
                rows.append(Row(left: old[i], right: new[j], leftNumber: i + 1, rightNumber: j + 1, change: .same))
                i += 1
                j += 1
                continue
            }
            for k in 0..<max(lefts.count, rights.count) {
                let l = k < lefts.count ? lefts[k] : nil
                let r = k < rights.count ? rights[k] : nil
                rows.append(
                    Row(
                        left: l.map { old[$0] },
                        right: r.map { new[$0] },
                        leftNumber: l.map { $0 + 1 },
                        rightNumber: r.map { $0 + 1 },
                        change: l != nil && r != nil ? .changed : (l != nil ? .removed : .added)
                    )
                )
            }
        }
        return self.fold(rows, context: context)
    }

    /// Keeps `context` unchanged rows around each change; a longer run of unchanged rows becomes one row
    /// saying how many lines it hides (``Row/Change/folded``).
    static func fold(_ rows: [Row], context: Int) -> [Row] {
        let changed = rows.indices.filter { rows[$0].change != .same }
        guard !changed.isEmpty else { return rows }
        var keep = Set<Int>()
        for index in changed {
            for k in max(0, index - context)...min(rows.count - 1, index + context) { keep.insert(k) }
        }
        var output: [Row] = []
        var hidden = 0
        for (index, row) in rows.enumerated() {
            if keep.contains(index) {
                if hidden > 0 { output.append(Self.foldRow(hidden)) }
                hidden = 0
                output.append(row)
            } else {
                hidden += 1
            }
        }
        if hidden > 0 { output.append(Self.foldRow(hidden)) }
        return output
    }

    private static func foldRow(_ count: Int) -> Row {
        Row(left: nil, right: "⋯ \(count) unchanged line\(count == 1 ? "" : "s")", leftNumber: nil, rightNumber: nil, change: .folded)
    }
}
