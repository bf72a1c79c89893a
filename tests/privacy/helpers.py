"""Tables for the disclosure-control tests, and an attacker's view of a protected table.

`Attack` rebuilds, independently of `privacy.disclosure`, every equation a reader of a
protected table has: each total column adds up its columns, each row total its count
columns, each column total its column, over the true values; published cells are known, the
suppressed ones unknown. It then asks whether any suppressed non-zero cell is determined:
exactly, by ranks over the rationals, and with non-negativity, by `scipy.optimize.linprog`.
"""

from __future__ import annotations

import copy
from fractions import Fraction

from fieldledger.privacy.export import Column, Table


def count_table(
    values: list[list[int]],
    *,
    totals: bool = True,
    total_of: list[int] | None = None,
    name: str = "t",
) -> Table:
    """A table with one category column and a count column per value, plus (with
    `total_of`) a total column adding up those count columns."""
    width = len(values[0]) if values else 0
    columns = [Column("group", "category")] + [Column(f"c{j}", "count") for j in range(width)]
    rows = [[f"g{i}", *row] for i, row in enumerate(values)]
    if total_of is not None:
        columns.append(Column("total", "count", total_of=tuple(f"c{j}" for j in total_of)))
        for row, raw in zip(rows, values, strict=True):
            row.append(sum(raw[j] for j in total_of))
    return Table(name, columns, rows, totals=totals)


class Attack:
    def __init__(self, before: Table, after: Table) -> None:
        counts = [i for i, c in enumerate(before.columns) if c.kind == "count"]
        names = {before.columns[i].name: n for n, i in enumerate(counts)}
        sums = {
            names[before.columns[i].name]: [names[p] for p in before.columns[i].total_of]
            for i in counts
            if before.columns[i].total_of
        }
        leaves = [n for n in range(len(counts)) if n not in sums]
        implicit = before.totals and len(leaves) >= 2 and not sums
        true = [[row[i] for i in counts] for row in before.rows]
        shown = [[row[i] for i in counts] for row in after.rows]
        if implicit:
            for n, row in enumerate(true):
                row.append(sum(row[j] for j in leaves))
                shown[n].append(after.row_totals[n])
        width = len(counts) + implicit
        self.data_rows = len(true)
        if before.totals and true:
            true.append([sum(col) for col in zip(*true, strict=True)])
            last = [after.total_row[i] for i in counts]
            if implicit:
                last.append(after.grand_total)
            shown.append(last)
        self.true, self.shown = true, shown
        equations: list[dict[tuple[int, int], int]] = []
        for r in range(len(true)):
            for total, parts in sums.items():
                equations.append({**{(r, p): 1 for p in parts}, (r, total): -1})
            if implicit:
                equations.append({**{(r, p): 1 for p in leaves}, (r, width - 1): -1})
        if before.totals and len(true) > self.data_rows:
            for k in range(width):
                eq = {(r, k): 1 for r in range(self.data_rows)}
                eq[(self.data_rows, k)] = -1
                equations.append(eq)
        for eq in equations:  # the system holds for the true values
            assert sum(c * true[r][k] for (r, k), c in eq.items()) == 0
        for r, row in enumerate(shown):
            for k, value in enumerate(row):
                assert value is None or value == true[r][k], "a published cell was changed"
        self.unknowns = [
            (r, k)
            for r in range(len(true))
            for k in range(width)
            if shown[r][k] is None and true[r][k] != 0
        ]
        position = {cell: n for n, cell in enumerate(self.unknowns)}
        self.matrix: list[list[int]] = []
        self.rhs: list[int] = []
        for eq in equations:
            row = [0] * len(self.unknowns)
            known = 0
            for cell, c in eq.items():
                if cell in position:
                    row[position[cell]] = c
                else:
                    known += c * true[cell[0]][cell[1]]
            if any(row):
                self.matrix.append(row)
                self.rhs.append(-known)

    def determined_exactly(self) -> list[tuple[int, int]]:
        """Unknown cells that the equations alone fix: column j of the matrix is not in the
        span of the others."""
        whole = _rank(self.matrix)
        found = []
        for j, cell in enumerate(self.unknowns):
            rest = [row[:j] + row[j + 1 :] for row in self.matrix]
            if _rank(rest) < whole:
                found.append(cell)
        return found

    def ranges(self) -> list[tuple[tuple[int, int], float, float]]:
        """Each unknown cell's least and greatest value under the equations, x >= 0."""
        from scipy.optimize import linprog

        n = len(self.unknowns)
        found = []
        if not n:
            return found
        a_eq = self.matrix or None
        b_eq = self.rhs or None
        for j, cell in enumerate(self.unknowns):
            c = [0.0] * n
            c[j] = 1.0
            low = linprog(c, A_eq=a_eq, b_eq=b_eq, bounds=(0, None), method="highs")
            c[j] = -1.0
            high = linprog(c, A_eq=a_eq, b_eq=b_eq, bounds=(0, None), method="highs")
            assert low.status == 0, low.message
            top = float("inf") if high.status == 3 else -high.fun
            found.append((cell, low.fun, top))
        return found


def _rank(matrix: list[list[int]]) -> int:
    rows = [[Fraction(x) for x in row] for row in matrix if any(row)]
    rank = 0
    width = len(rows[0]) if rows else 0
    for c in range(width):
        p = next((i for i in range(rank, len(rows)) if rows[i][c]), None)
        if p is None:
            continue
        rows[rank], rows[p] = rows[p], rows[rank]
        for i in range(len(rows)):
            if i != rank and rows[i][c]:
                f = rows[i][c] / rows[rank][c]
                rows[i] = [x - f * y for x, y in zip(rows[i], rows[rank], strict=True)]
        rank += 1
    return rank


def protected(table: Table, threshold: int = 5) -> tuple[Table, Table]:
    """(the table as built, the same table after disclosure control)."""
    from fieldledger.places import gazetteer
    from fieldledger.privacy.disclosure import protect
    from fieldledger.privacy.export import Export
    from fieldledger.privacy.policy import Policy

    before = copy.deepcopy(table)
    protect(Export("test", [table]), Policy(threshold=threshold), gazetteer())
    return before, table
