"""View tables, derived from the record families."""

from __future__ import annotations

from fieldledger.records import RecordType
from fieldledger.vault.store import Connection, run_script
from fieldledger.views.companions import all_types, columns

BOOKKEEPING = """
CREATE TABLE IF NOT EXISTS record_versions (
    rtype TEXT NOT NULL, rid TEXT NOT NULL, hash BLOB NOT NULL, hlc INTEGER NOT NULL,
    PRIMARY KEY (rtype, rid, hash)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS superseded (hash BLOB PRIMARY KEY) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS forgotten (rtype TEXT, rid TEXT, PRIMARY KEY (rtype, rid))
    WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS review_queue (
    rtype TEXT NOT NULL, rid TEXT NOT NULL, field TEXT NOT NULL, score REAL,
    PRIMARY KEY (rtype, rid, field)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS access_log (
    hash BLOB PRIMARY KEY, hlc INTEGER NOT NULL, author BLOB NOT NULL,
    action TEXT NOT NULL, target TEXT
) WITHOUT ROWID;
"""


def view_tables() -> list[str]:
    return [t.table for t in all_types()]


def bookkeeping_tables() -> list[str]:
    return ["record_versions", "superseded", "forgotten", "access_log", "review_queue"]


def table_ddl(rtype: RecordType) -> str:
    cols = "".join(f'"{f}", ' for f in columns(rtype))
    return (
        f'CREATE TABLE IF NOT EXISTS "{rtype.table}" (id TEXT PRIMARY KEY, {cols}'
        "_head BLOB, _hlc INTEGER, _author BLOB, _conflict INTEGER NOT NULL DEFAULT 0, "
        "_forgotten INTEGER NOT NULL DEFAULT 0)"
    )


# Columns screens look records up by, besides references to other records: a household by
# the code on its card, lists newest first by date.
LOOKED_UP_BY = {"household": ("code",), "distribution": ("date",), "incident": ("date",)}


def index_ddl(rtype: RecordType) -> list[str]:
    """Indexes on the columns that name another record, and on LOOKED_UP_BY, so a
    household's page finds its members and distributions without scanning every row; and
    on the rows in conflict."""
    own = set(columns(rtype))
    wanted = [f for f, _ in rtype.refs if f in own] + list(LOOKED_UP_BY.get(rtype.name, ()))
    return [
        *(
            f'CREATE INDEX IF NOT EXISTS "{rtype.table}__{c}" ON "{rtype.table}" ("{c}")'
            for c in wanted
        ),
        # Conflicts are few: a partial index finds them without reading every row.
        f'CREATE INDEX IF NOT EXISTS "{rtype.table}___conflict" ON "{rtype.table}" (id) '
        "WHERE _conflict = 1",
    ]


def create_views(conn: Connection) -> None:
    run_script(conn, BOOKKEEPING)
    for rtype in all_types():
        conn.execute(table_ddl(rtype))
        for ddl in index_ddl(rtype):
            conn.execute(ddl)


def drop_views(conn: Connection) -> None:
    for name in view_tables() + bookkeeping_tables():
        conn.execute(f'DROP TABLE IF EXISTS "{name}"')
