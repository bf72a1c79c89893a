"""A page of records at a time, for screens that must stay fast on large workspaces."""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from fieldledger import records
from fieldledger.views import companions
from fieldledger.workspace import Workspace

# `column IN JSON_LIST` with `json_list(values)` bound: one statement text whatever the number
# of values, so SQLite prepares it once (a prepare is hundreds of locked allocations under
# SQLCipher's memory security), and no limit on SQL variables.
JSON_LIST = "(SELECT value FROM json_each(?))"


def json_list(values: Iterable[str]) -> str:
    return json.dumps(list(values))


@dataclass(frozen=True)
class Page:
    rows: list[dict[str, Any]]
    total: int  # when not `exact`: offset + rows, plus one if there are more
    offset: int
    limit: int
    exact: bool = True

    @property
    def next_offset(self) -> int | None:
        return self.offset + self.limit if self.offset + self.limit < self.total else None

    @property
    def previous_offset(self) -> int | None:
        return max(0, self.offset - self.limit) if self.offset > 0 else None


def page(
    ws: Workspace,
    type_name: str,
    *,
    where: dict[str, Any] | None = None,
    starts: tuple[str, str] | None = None,
    order: str = "id",
    descending: bool = False,
    offset: int = 0,
    limit: int = 50,
    count: bool = True,
) -> Page:
    """Rows of `type_name`'s own view (no personal data opened), filtered by equality on
    `where`'s columns and by prefix on `starts` = (column, prefix), in `order`. Without
    `count` the total is not counted (a long list's count reads every row): the page only
    knows whether a next one exists."""
    rtype = records.record_type(type_name)
    columns = {"id", *companions.columns(rtype)}
    clauses, args = ["NOT _forgotten"], []
    for column, value in (where or {}).items():
        if column not in columns:
            raise ValueError(f"{type_name} has no column {column}")
        clauses.append(f'"{column}" IS ?')
        args.append(value)
    if starts is not None:
        column, prefix = starts
        if column not in columns:
            raise ValueError(f"{type_name} has no column {column}")
        clauses.append(f"\"{column}\" LIKE ? ESCAPE '\\'")
        escaped = prefix.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
        args.append(f"{escaped}%")
    if order not in columns:
        raise ValueError(f"{type_name} has no column {order}")
    sql_where = " AND ".join(clauses)
    table = rtype.table
    total = (
        ws.conn.execute(f'SELECT count(*) FROM "{table}" WHERE {sql_where}', args).fetchone()[0]
        if count
        else None
    )
    own = ["id", *companions.columns(rtype)]
    direction = "DESC" if descending else "ASC"
    selected = ", ".join(f'"{c}"' for c in own)
    # LIMIT and OFFSET written in, not bound: SQLite plans a sort with a bound LIMIT anew on
    # every run (STAT4), which costs more than the query under SQLCipher's memory security.
    sql = (
        f'SELECT {selected} FROM "{table}" WHERE {sql_where} '
        f'ORDER BY "{order}" {direction}, id '
        f"LIMIT {int(limit) + (total is None)} OFFSET {max(0, int(offset))}"
    )
    rows = [dict(zip(own, row, strict=True)) for row in ws.conn.execute(sql, args)]
    if total is None:  # one row more than a page says whether there is a next page
        more = len(rows) > limit
        rows = rows[:limit]
        total = max(0, offset) + len(rows) + more
    for row in rows:  # sealed values stay sealed here
        for name in rtype.pii:
            if row.get(name) is not None:
                row[name] = "•••"
    return Page(rows, int(total), max(0, offset), limit, exact=count)
