"""Differential privacy for counts: OpenDP noise, paid from a workspace budget.

Off unless the policy gives the workspace a budget (`Policy.epsilon_budget` > 0) and a report
asks for some of it (`prepare(..., epsilon=E)`). Then:

- **What is noised.** After places and dates are generalised and rows merged, and before
  suppression, every `count` cell that no `total_of` column computes gets noise from OpenDP's
  discrete Laplace mechanism (`make_laplace` on integers), is clamped at 0, and total
  columns are added up again from the noised cells; the row totals, column totals and the
  suppression that follow see only noised figures (post-processing costs no privacy).
- **How much.** The report's epsilon is split evenly over its aggregate tables that have
  counts. In a table, one person (the unit of privacy) is taken to change each count column
  by at most 1, in one row: the table's sensitivity is its number of noised count columns,
  and the Laplace scale is sensitivity / epsilon of the table. OpenDP's own privacy map checks
  that the mechanism costs no more than that epsilon. `amount` and `event_count` cells are not
  noised.
- **The budget.** Each report that used noise writes a `put` event of type `dp-budget` (a new
  record id each time) in the `programme` compartment, holding its epsilon and report kind:
  spending syncs like any record. A report is refused (`ExportRefused`, rule `dp-budget`)
  when its epsilon is more than what the policy's budget leaves. Two devices spending at the
  same time offline can together exceed it by what they spent: sync before spending.
- **What it does not cover.** Which places are raised and which cells suppressed is decided on
  noised counts, but the table's shape (which rows exist) is not noised: the guarantee is for
  the values published in it.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING

from fieldledger.privacy.export import Export, Note, Table

if TYPE_CHECKING:
    from fieldledger.privacy.policy import Policy
    from fieldledger.workspace import Workspace

RTYPE = "dp-budget"
COMPARTMENT = "programme"
_SLACK = 1e-9  # floating-point sums of epsilons


def spent(ws: Workspace) -> float:
    """The epsilon every report of the workspace has spent so far (as this device knows)."""
    from fieldledger.ledger.event import OP_PUT, PRUNED, decode
    from fieldledger.privacy.linter import ExportRefused

    total = 0.0
    for (raw,) in ws.conn.execute(
        "SELECT raw FROM events WHERE rtype = ? AND compartment = ? AND op = ? ORDER BY rowid",
        (RTYPE, COMPARTMENT, OP_PUT),
    ):
        ev = decode(raw)
        body = ws._fold.body(ev) if ev.body != PRUNED else None
        if body is None:
            raise ExportRefused(
                "this device cannot read every privacy-budget event (it shed them): "
                "make reports with noise on a coordinator's device",
                rule="dp-budget",
            )
        total += float(body["epsilon"])
    return total


def remaining(ws: Workspace, policy: Policy) -> float:
    return max(0.0, policy.epsilon_budget - spent(ws))


def check_budget(ws: Workspace, policy: Policy, epsilon: float) -> None:
    """Refuse (ExportRefused) a report asking for more epsilon than the budget leaves."""
    from fieldledger.privacy.linter import ExportRefused

    if isinstance(epsilon, bool) or not isinstance(epsilon, int | float):
        raise ExportRefused(f"epsilon {epsilon!r} is not a number", rule="dp-budget")
    if not math.isfinite(epsilon) or epsilon <= 0:
        raise ExportRefused(f"epsilon must be more than 0, not {epsilon}", rule="dp-budget")
    if policy.epsilon_budget <= 0:
        raise ExportRefused(
            "differential privacy is off: the report policy has no epsilon_budget",
            rule="dp-budget",
        )
    left = remaining(ws, policy)
    if epsilon > left + _SLACK:
        raise ExportRefused(
            f"the report asks for epsilon {epsilon:g} but the privacy budget has {left:g} "
            f"left of {policy.epsilon_budget:g}",
            rule="dp-budget",
        )


def spend(ws: Workspace, epsilon: float, report: str) -> None:
    """Record that a report used `epsilon` (after `check_budget`)."""
    from fieldledger.ledger.event import OP_PUT
    from fieldledger.workspace import new_id

    ws.append(
        COMPARTMENT, RTYPE, new_id("DP"), OP_PUT, {"epsilon": float(epsilon), "report": report}
    )


def noised_tables(export: Export) -> list[Table]:
    """The tables noise goes to: aggregates with count cells that no column computes."""
    return [t for t in export.tables if not t.microdata and _leaves(t)]


def _leaves(table: Table) -> list[int]:
    return [i for i, c in enumerate(table.columns) if c.kind == "count" and not c.total_of]


def add_noise(export: Export, epsilon: float) -> dict[int, Note]:
    """Noise the count cells of `export`'s aggregate tables, spending `epsilon` in all.
    Returns a note for each noised table, by `id` of the table."""
    tables = noised_tables(export)
    if not tables:
        return {}
    return {id(t): noise_table(t, epsilon / len(tables)) for t in tables}


def noise_table(table: Table, epsilon: float) -> Note:
    """Noise one table's count cells at `epsilon` and add its total columns up again."""
    try:
        import opendp.prelude as dp
    except ImportError:  # an optional extra: about 265 MB a field laptop may not carry
        from fieldledger.errors import FieldledgerError

        raise FieldledgerError(
            "differential privacy needs OpenDP: install it with pip install 'fieldledger[dp]', "
            "or set the policy's epsilon_budget to 0"
        ) from None

    dp.enable_features("contrib")
    leaves = _leaves(table)
    sensitivity = len(leaves)
    scale = sensitivity / epsilon
    space = dp.vector_domain(dp.atom_domain(T=int)), dp.l1_distance(T=int)
    mechanism = dp.m.make_laplace(*space, scale=scale)
    if mechanism.map(sensitivity) > epsilon * (1 + 1e-9):
        raise RuntimeError("the noise mechanism would spend more than its share")
    cells = [(row, i) for row in table.rows for i in leaves if row[i] is not None]
    noised = mechanism([int(row[i]) for row, i in cells]) if cells else []
    for (row, i), value in zip(cells, noised, strict=True):
        row[i] = max(0, int(value))
    totals = {i: c.total_of for i, c in enumerate(table.columns) if c.total_of}
    index = {c.name: i for i, c in enumerate(table.columns)}

    def total(row: list, i: int) -> int:
        if i not in totals:
            return row[i] or 0
        row[i] = sum(total(row, index[p]) for p in totals[i])
        return row[i]

    for row in table.rows:
        for i in totals:
            total(row, i)
    return Note(
        table.name,
        "noise",
        f"discrete Laplace noise (scale {scale:.3g}) on {len(cells)} count cells: "
        f"epsilon {epsilon:g}",
    )
