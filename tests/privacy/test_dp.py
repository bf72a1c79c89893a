"""Differential privacy on counts (OpenDP) and the workspace's privacy budget."""

from __future__ import annotations

import pytest

from fieldledger.places import gazetteer
from fieldledger.privacy import prepare
from fieldledger.privacy.disclosure import protect
from fieldledger.privacy.dp import remaining, spent
from fieldledger.privacy.export import Column, Export, Table
from fieldledger.privacy.linter import ExportRefused
from fieldledger.privacy.policy import Policy, save

pytest.importorskip("opendp")


def reach(rows: int = 40) -> Export:
    table = Table(
        "reach",
        [Column("group", "category"), Column("f", "count"), Column("m", "count"),
         Column("total", "count", total_of=("f", "m")), Column("spent", "amount"),
         Column("airstrikes", "event_count")],
        [[f"g{n}", 50 + n, 60 + n, 110 + 2 * n, 1000, 1] for n in range(rows)],
        totals=False,
    )  # fmt: skip
    return Export("5w", [table])


def test_counts_get_integer_noise_and_totals_add_up_again():
    export = protect(reach(), Policy(), gazetteer(), epsilon=0.5)
    table = export.tables[0]
    changed = 0
    for n, row in enumerate(table.rows):
        f, m, total, amount, events = row[1:]
        assert all(isinstance(v, int) and v >= 0 for v in (f, m))
        assert total == f + m
        assert (amount, events) == (1000, 1)  # amounts and event counts are not noised
        changed += (f, m) != (50 + n, 60 + n)
    assert changed > 20  # scale 4: a cell keeps its value about one time in four
    (note,) = [n for n in export.notes if n.what == "noise"]
    assert note.detail.startswith("discrete Laplace noise (scale 4) on 80 count cells")


def test_noise_comes_before_suppression():
    export = reach(rows=1)
    export.tables[0].rows[0][1:4] = [1, 2, 3]
    protect(export, Policy(), gazetteer(), epsilon=1000.0)  # scale 0.002: no noise
    assert export.tables[0].rows[0][1:4] == [None, None, None]


def test_epsilon_is_shared_between_tables():
    export = reach()
    export.tables.append(reach().tables[0])
    export.tables[1].name = "again"
    protect(export, Policy(), gazetteer(), epsilon=1.0)
    details = [n.detail for n in export.notes if n.what == "noise"]
    assert len(details) == 2 and all(d.endswith("epsilon 0.5") for d in details)


def test_a_negative_epsilon_is_a_caller_error():
    with pytest.raises(ValueError):
        protect(reach(), Policy(), gazetteer(), epsilon=-1.0)


def test_the_budget_is_spent_in_the_ledger_and_refuses_more(ws):
    save(ws, Policy(epsilon_budget=1.0))
    prepare(ws, reach(), epsilon=0.6)
    assert spent(ws) == pytest.approx(0.6)
    with pytest.raises(ExportRefused) as info:
        prepare(ws, reach(), epsilon=0.6)
    assert info.value.rule == "dp-budget" and "0.4 left of 1" in str(info.value)
    prepare(ws, reach(), epsilon=0.4)
    assert remaining(ws, Policy(epsilon_budget=1.0)) == pytest.approx(0.0)
    ws.rebuild()
    assert spent(ws) == pytest.approx(1.0)
    kinds = ws.conn.execute("SELECT count(*) FROM events WHERE rtype = 'dp-budget'").fetchone()
    assert kinds == (2,)


def test_without_a_budget_noise_is_refused(ws):
    with pytest.raises(ExportRefused, match="differential privacy is off"):
        prepare(ws, reach(), epsilon=0.1)


def test_a_refused_export_spends_nothing(ws):
    save(ws, Policy(epsilon_budget=1.0))
    export = reach()
    export.tables[0].columns.append(Column("name", "pii"))
    for row in export.tables[0].rows:
        row.append("x")
    with pytest.raises(ExportRefused):
        prepare(ws, export, epsilon=0.5)
    assert spent(ws) == 0.0


@pytest.mark.parametrize("epsilon", [-1.0, float("inf"), True])
def test_bad_epsilons_are_refused(ws, epsilon):
    save(ws, Policy(epsilon_budget=1.0))
    with pytest.raises(ExportRefused):
        prepare(ws, reach(), epsilon=epsilon)
