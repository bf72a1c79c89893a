"""The figures on the web UI's home page, from the views, for one role's compartments."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from fieldledger.workspace import Workspace


@dataclass(frozen=True)
class LateGrant:
    grant_id: str
    donor_alias: str
    late_tranches: int
    oldest_expected: str


@dataclass(frozen=True)
class Overview:
    month: str  # YYYY-MM
    households_reached: int | None = None  # distinct households served this month
    distributions: int | None = None
    by_modality: list[tuple[str, int]] = field(default_factory=list)
    open_reviews: int | None = None  # coordinators only: conflicts + doubtful text
    late_grants: list[LateGrant] = field(default_factory=list)
    incidents_this_month: int | None = None
    last_sync: int | None = None  # unix seconds of the last bundle from another device


def _one(ws: Workspace, sql: str, *args: object) -> int:
    return int(ws.conn.execute(sql, args).fetchone()[0] or 0)


def overview(
    ws: Workspace, compartments: tuple[str, ...], *, reviews: bool, today: dt.date | None = None
) -> Overview:
    """What a role may see of this month: each figure only from compartments it holds."""
    today = today or dt.date.today()
    month = today.strftime("%Y-%m")
    start, end = f"{month}-01", f"{month}-31"
    values: dict[str, object] = {}
    if "programme" in compartments:
        values["households_reached"] = _one(
            ws,
            "SELECT count(DISTINCT household_id) FROM distributions "
            "WHERE date BETWEEN ? AND ? AND household_id IS NOT NULL",
            start,
            end,
        )
        rows = ws.conn.execute(
            "SELECT modality, count(*) FROM distributions WHERE date BETWEEN ? AND ? "
            "GROUP BY modality ORDER BY count(*) DESC, modality",
            (start, end),
        ).fetchall()
        values["by_modality"] = [(str(m), int(n)) for m, n in rows]
        values["distributions"] = sum(n for _, n in values["by_modality"])  # type: ignore[misc]
    if "incidents" in compartments:
        values["incidents_this_month"] = _one(
            ws, "SELECT count(*) FROM incidents WHERE date BETWEEN ? AND ?", start, end
        )
    if "finance" in compartments:
        rows = ws.conn.execute(
            "SELECT g.id, g.donor_alias, count(*), min(t.expected_date) FROM tranches t "
            "JOIN grants g ON g.id = t.grant_id WHERE t.received_date IS NULL "
            "AND NOT coalesce(t.cancelled, 0) AND t.expected_date < ? "
            "GROUP BY g.id ORDER BY min(t.expected_date), g.id",
            (today.isoformat(),),
        ).fetchall()
        values["late_grants"] = [
            LateGrant(str(a), str(b or ""), int(c), str(d)) for a, b, c, d in rows
        ]
    if reviews:
        values["open_reviews"] = len(ws.conflicts()) + _one(ws, "SELECT count(*) FROM review_queue")
    has_peers = ws.conn.execute(
        "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'peers'"
    ).fetchone()
    if has_peers:  # made when the first bundle came in
        values["last_sync"] = ws.conn.execute("SELECT max(seen) FROM peers").fetchone()[0]
    return Overview(month=month, **values)  # type: ignore[arg-type]
