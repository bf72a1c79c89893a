"""The event log inside the encrypted database."""

from __future__ import annotations

from collections.abc import Iterator

from fieldledger.vault.store import Connection, run_script

SCHEMA = """
CREATE TABLE IF NOT EXISTS events (
    author BLOB NOT NULL,
    compartment TEXT NOT NULL,
    seq INTEGER NOT NULL,
    hash BLOB NOT NULL UNIQUE,
    prev BLOB NOT NULL,
    hlc INTEGER NOT NULL,
    rtype TEXT NOT NULL,
    rid TEXT NOT NULL,
    op TEXT NOT NULL,
    raw BLOB NOT NULL,
    sig BLOB,
    UNIQUE (author, compartment, seq)
);
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value) WITHOUT ROWID;
"""

INSERT = (
    "INSERT INTO events (author, compartment, seq, hash, prev, hlc, rtype, rid, op, raw, sig)"
    " VALUES (?,?,?,?,?,?,?,?,?,?,?)"
)

COLUMNS = "author, compartment, seq, hash, prev, hlc, rtype, rid, op, raw, sig"


def create_schema(conn: Connection) -> None:
    run_script(conn, SCHEMA)


def tip(conn: Connection, author: bytes, compartment: str) -> tuple[int, bytes] | None:
    row = conn.execute(
        "SELECT seq, hash FROM events WHERE author = ? AND compartment = ?"
        " ORDER BY seq DESC LIMIT 1",
        (author, compartment),
    ).fetchone()
    return (row[0], row[1]) if row else None


def event_at(conn: Connection, author: bytes, compartment: str, seq: int) -> tuple | None:
    return conn.execute(
        "SELECT hash, raw FROM events WHERE author = ? AND compartment = ? AND seq = ?",
        (author, compartment, seq),
    ).fetchone()


def rows_in_chain_order(conn: Connection) -> Iterator[tuple]:
    yield from conn.execute(f"SELECT {COLUMNS} FROM events ORDER BY author, compartment, seq")


def raw_and_sig(conn: Connection) -> Iterator[tuple[bytes, bytes | None]]:
    yield from conn.execute("SELECT raw, sig FROM events ORDER BY author, compartment, seq")


def raw_by_hash(conn: Connection, h: bytes) -> bytes | None:
    row = conn.execute("SELECT raw FROM events WHERE hash = ?", (h,)).fetchone()
    return row[0] if row else None


def get_meta(conn: Connection, key: str, default=None):
    row = conn.execute("SELECT value FROM meta WHERE key = ?", (key,)).fetchone()
    return row[0] if row else default


def set_meta(conn: Connection, key: str, value) -> None:
    conn.execute("INSERT OR REPLACE INTO meta (key, value) VALUES (?, ?)", (key, value))


def count(conn: Connection) -> int:
    return conn.execute("SELECT count(*) FROM events").fetchone()[0]
