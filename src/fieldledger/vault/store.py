"""The encrypted database: SQLCipher, opened with a raw key, padded to size buckets."""

from __future__ import annotations

import os
from pathlib import Path

import sqlcipher3

from fieldledger.errors import (
    FieldledgerError,
    StoreBusy,
    StoreDamaged,
    VaultError,
    WorkspaceError,
)

MIN_BUCKET = 1 << 20  # 1 MiB
PAD_CHUNK = 256 * 1024
RELEASE_BUDGET = 8 << 20  # filler freed at open, room for a session's new records

Connection = sqlcipher3.Connection
DatabaseError = sqlcipher3.DatabaseError
IntegrityError = sqlcipher3.IntegrityError


def open_store(path: Path, key: bytes) -> Connection:
    """Open (or create) the store. Journals and the WAL are encrypted by SQLCipher like the
    database; temporary tables stay in memory so nothing decrypted reaches a temp file."""
    if not path.exists():
        # Created owner-only; SQLite gives the WAL and shared-memory files the same mode.
        os.close(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600))
    # Preparing a statement costs hundreds of allocations, each locked and unlocked in
    # memory (cipher_memory_security). sqlcipher3 keeps 100 prepared statements; the web
    # pages run about that many texts in turn, so its cache missed on nearly every one
    # (580 mlock calls per household page against 140 with room for 256).
    conn = sqlcipher3.connect(
        str(path), isolation_level=None, check_same_thread=False, cached_statements=256
    )
    # SQLCipher would otherwise write its own lines to stderr beside our one error line.
    conn.execute("PRAGMA cipher_log_level = NONE")
    # The key is 256 random bits, so SQLCipher's own PBKDF2 would only cost time.
    conn.execute(f"PRAGMA key = \"x'{key.hex()}'\"")
    conn.execute("PRAGMA cipher_memory_security = ON")
    try:  # reads only the header on page 1: a wrong key or a foreign file fails here
        conn.execute("PRAGMA user_version").fetchone()
    except sqlcipher3.DatabaseError as exc:
        conn.close()
        raise VaultError(
            "the database (data.bin) does not open with this workspace's key: it is damaged "
            "or from another workspace; move it out of the folder and import-log an export"
        ) from exc
    conn.execute("PRAGMA secure_delete = ON")
    conn.execute("PRAGMA temp_store = MEMORY")
    # Every page read from disk is decrypted and authenticated: a larger cache (64 MiB)
    # saves that work on imports and reports, and never spills decrypted pages to disk.
    conn.execute("PRAGMA cache_size = -65536")
    conn.execute("PRAGMA journal_mode = WAL")
    # FULL: an append that returned has reached the disk, even if power is cut next.
    conn.execute("PRAGMA synchronous = FULL")
    conn.execute("PRAGMA foreign_keys = ON")
    # Another command or the web server may hold the write lock for a moment.
    conn.execute("PRAGMA busy_timeout = 10000")
    conn.execute("CREATE TABLE IF NOT EXISTS pad (fill BLOB)")
    return conn


def explain(exc: Exception) -> FieldledgerError | None:
    """Our error for a database failure that reached the surface, by SQLite's primary result
    code; None for anything else (a bug: let it show)."""
    code = "_".join((getattr(exc, "sqlite_errorname", "") or "").split("_")[:2])
    if code in ("SQLITE_BUSY", "SQLITE_LOCKED"):
        return StoreBusy("another fieldledger command is using this workspace: try again")
    if code == "SQLITE_FULL":
        return WorkspaceError("the disk is full: free some space, then try again")
    if code == "SQLITE_READONLY":
        return WorkspaceError("the workspace folder cannot be written to: check the device")
    if code == "SQLITE_IOERR":
        return WorkspaceError("the device reported a read or write error: check it, try again")
    if code in ("SQLITE_CORRUPT", "SQLITE_NOTADB"):
        return StoreDamaged(
            "the workspace's database (data.bin) is damaged: move data.bin out of the folder, "
            "open the workspace again and import-log your latest export"
        )
    return None


def bucket(size: int) -> int:
    """The size class a file of `size` bytes shows on disk: the next power of two, >= 1 MiB."""
    target = MIN_BUCKET
    while target < size:
        target <<= 1
    return target


def _pragma(conn: Connection, name: str) -> int:
    return int(conn.execute(f"PRAGMA {name}").fetchone()[0])


def file_size(conn: Connection) -> int:
    return _pragma(conn, "page_count") * _pragma(conn, "page_size")


def free_size(conn: Connection) -> int:
    return _pragma(conn, "freelist_count") * _pragma(conn, "page_size")


def release_pad(conn: Connection, budget: int = RELEASE_BUDGET) -> None:
    """Keep about `budget` bytes of free pages inside the file, taken from the filler, so
    new records fill them instead of growing the file. Does nothing while enough are free:
    the usual open frees nothing and the usual close pads nothing. Filler is zeros, so its
    pages need no secure overwrite when freed."""
    free = free_size(conn)
    if free >= budget // 2:
        return
    conn.execute("PRAGMA secure_delete = FAST")
    try:
        conn.execute(
            "DELETE FROM pad WHERE rowid IN (SELECT rowid FROM pad ORDER BY rowid DESC LIMIT ?)",
            (max(1, (budget - free) // PAD_CHUNK),),
        )
    finally:
        conn.execute("PRAGMA secure_delete = ON")


def pad_to_bucket(conn: Connection, minimum: int = 0) -> int:
    """Grow the file with encrypted filler until it nearly fills its size bucket, so its
    size tells only the bucket. Returns the file size.

    Free pages count as part of the file: filler is only written once records have used
    them up and grown the file past a bucket. The filler is zeroblob() rows, which SQLCipher
    encrypts like any page: no Python-side randomness, and on disk they look like records.
    """
    page_size = _pragma(conn, "page_size")
    target = bucket(max(file_size(conn), minimum))
    slack = 8 * page_size
    if target - slack - file_size(conn) <= slack:
        return file_size(conn)
    conn.execute("BEGIN IMMEDIATE")
    try:
        # New rows take free pages first, then grow the file: write until the file is full.
        while (deficit := target - slack - file_size(conn)) > slack:
            # An overflow page carries a little less than a page of payload.
            size = min(PAD_CHUNK, int((deficit + free_size(conn)) * 0.97))
            conn.execute("INSERT INTO pad VALUES (zeroblob(?))", (size,))
        conn.execute("COMMIT")
    except BaseException:
        conn.execute("ROLLBACK")
        raise
    checkpoint(conn)
    return file_size(conn)


def run_script(conn: Connection, script: str) -> None:
    """Run DDL statements one by one: sqlite's executescript() would commit an open
    transaction first, breaking atomicity."""
    for statement in script.split(";"):
        if statement.strip():
            conn.execute(statement)


def checkpoint(conn: Connection) -> None:
    conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
