"""Pages of a view, and lists of values bound as one parameter."""

from __future__ import annotations

from fieldledger.views.query import JSON_LIST, json_list, page
from tests.conftest import household


def test_a_json_list_matches_any_number_of_values_in_one_statement(ws):
    ids = [ws.add("household", household(code=f"K-{n:03d}")) for n in range(30)]
    wanted = [*ids[::3], "HH-none", "it's \\ «not» there"]
    sql = f"SELECT id FROM households WHERE id IN {JSON_LIST} ORDER BY id"
    assert [r[0] for r in ws.conn.execute(sql, (json_list(wanted),))] == sorted(ids[::3])
    assert ws.conn.execute(sql, (json_list([]),)).fetchall() == []
    many = json_list(ids + [f"HH-{n}" for n in range(5000)])  # beyond any variable limit
    assert len(ws.conn.execute(sql, (many,)).fetchall()) == 30


def test_pages_follow_one_another_without_counting(ws):
    for n in range(7):
        ws.add("household", household(code=f"P-{n}"))
    first = page(ws, "household", order="code", limit=3, count=False)
    assert [r["code"] for r in first.rows] == ["P-0", "P-1", "P-2"]
    assert first.next_offset == 3 and not first.exact
    last = page(ws, "household", order="code", descending=True, offset=6, limit=3)
    assert [r["code"] for r in last.rows] == ["P-0"] and last.total == 7
    assert last.next_offset is None and last.previous_offset == 3
