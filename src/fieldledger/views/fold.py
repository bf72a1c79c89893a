"""Folding events into view tables.

A record's versions form a graph: each put names the versions (heads) its author saw. The
current heads are the versions no other version names. One head: the record is settled. More
than one: a conflict; the view shows the head with the highest (clock, hash), the same on
every replica whatever order events arrived in, and flags the row for review. Nothing is
dropped: every version stays in the log.
"""

from __future__ import annotations

from typing import Any

import msgspec

from fieldledger.ledger.event import OP_FORGET, OP_NOTE, OP_PUT, Event, decode, open_body
from fieldledger.ledger.store import raw_by_hash
from fieldledger.records import RecordType
from fieldledger.records.text import REVIEW, TEXT_NOTES
from fieldledger.vault import recordkeys
from fieldledger.vault.keyring import Keyring
from fieldledger.vault.store import Connection
from fieldledger.views.companions import all_types, columns, type_named

ACCESS_LOG = "access-log"


def column_value(value: Any) -> Any:
    if isinstance(value, dict | list):
        return msgspec.json.encode(value).decode()
    return value


# The heads of a record: its versions that no other version names as seen.
HEADS = (
    "SELECT hash, hlc FROM record_versions v WHERE rtype = ? AND rid = ?"
    " AND NOT EXISTS (SELECT 1 FROM superseded s WHERE s.hash = v.hash)"
)


def _row_sql(rtype: RecordType, verb: str, tail: str) -> str:
    cols = "".join(f'"{f}", ' for f in columns(rtype))
    marks = ", ".join("?" * (len(columns(rtype)) + 6))
    return (
        f'{verb} "{rtype.table}" (id, {cols}_head, _hlc, _author, _conflict, _forgotten)'
        f" VALUES ({marks}){tail}"
    )


class Fold:
    """Applies events to the views. `forgot` tells the caller to rotate the record-key KEK
    once the transaction has committed."""

    def __init__(self, conn: Connection, keyring: Keyring) -> None:
        self.conn = conn
        self.keyring = keyring
        self.forgot = False
        self.villages = False  # a village was folded: the caller's gazetteer is out of date
        # Which batch each record's key comes from, noted in one statement at the end
        # (`flush`): one insert per person would cost as much as folding the person.
        self._batches: dict[str, str] = {}
        # Read once: consulted for every folded row, changed only by forget events.
        self._forgotten = set(conn.execute("SELECT rtype, rid FROM forgotten"))
        self._upsert = {t.name: _row_sql(t, "INSERT OR REPLACE INTO", "") for t in all_types()}
        self._insert_new = {
            t.name: _row_sql(t, "INSERT INTO", " ON CONFLICT (id) DO NOTHING") for t in all_types()
        }

    def body(self, ev: Event) -> dict | None:
        key = self.keyring.epochs.get(ev.compartment, {}).get(ev.epoch)
        if key is None:
            return None  # a compartment this device does not hold
        return open_body(key, ev)

    def apply(self, ev: Event, h: bytes, fields: dict | None = None) -> None:
        if ev.op == OP_NOTE and ev.compartment == ACCESS_LOG:
            body = fields if fields is not None else self.body(ev)
            if body is not None:
                action = body.get("action", "")
                if body.get("by"):  # a web account acting on this device
                    action = f"{action} (web account {body['by']})"
                self.conn.execute(
                    "INSERT OR IGNORE INTO access_log VALUES (?, ?, ?, ?, ?)",
                    (h, ev.hlc, ev.author, action, body.get("target")),
                )
            return
        rtype = type_named(ev.rtype)
        if rtype is None:
            return  # a family from a newer version: kept in the log, shown after upgrade
        if rtype.name == "village":
            self.villages = True
        if ev.op == OP_PUT:
            if rtype.pii:
                fields = fields if fields is not None else self.body(ev)
                batch = fields.get(recordkeys.BODY_FIELD) if fields else None
                if batch:
                    if (rtype.name, ev.rid) in self._forgotten:
                        recordkeys.note_batch(self.conn, self.keyring, ev.rid, batch, True)
                    else:
                        self._batches[ev.rid] = batch
            self._put(rtype, ev, h, fields)
        elif ev.op == OP_FORGET:
            self._forget(rtype, ev.rid)

    def _put(self, rtype: RecordType, ev: Event, h: bytes, fields: dict | None) -> None:
        c = self.conn
        if not ev.heads:
            # Usually a new record. While it has no row, no other version of it has been
            # folded, so this one is its only head: one insert settles it, and its version
            # is noted in record_versions only once a second version arrives (heads()).
            body = fields if fields is not None else self.body(ev)
            if body is not None and self._write_row(rtype, ev, h, body, 0, only_new=True):
                return
        for seen in ev.heads:
            c.execute("INSERT OR IGNORE INTO superseded VALUES (?)", (seen,))
        c.execute(
            "INSERT OR IGNORE INTO record_versions VALUES (?, ?, ?, ?)",
            (ev.rtype, ev.rid, h, ev.hlc),
        )
        heads = self.heads(rtype, ev.rid)
        if not heads:
            return
        win_hash, _ = max(heads, key=lambda r: (r[1], r[0]))
        conflict = int(len(heads) > 1)
        if win_hash == h:
            winner, body = ev, fields if fields is not None else self.body(ev)
        else:
            row = c.execute(f'SELECT _head FROM "{rtype.table}" WHERE id = ?', (ev.rid,)).fetchone()
            if row is not None and row[0] == win_hash:
                c.execute(
                    f'UPDATE "{rtype.table}" SET _conflict = ? WHERE id = ?', (conflict, ev.rid)
                )
                return
            winner = decode(raw_by_hash(c, win_hash))
            body = self.body(winner)
        if body is None:
            return
        self._write_row(rtype, winner, win_hash, body, conflict)

    def heads(self, rtype: RecordType, rid: str) -> list[tuple[bytes, int]]:
        """(hash, clock) of the record's current heads."""
        # The row's head may have been folded by the one-insert path: note it first.
        self.conn.execute(
            f'INSERT OR IGNORE INTO record_versions SELECT ?, id, _head, _hlc FROM "{rtype.table}"'
            " WHERE id = ?",
            (rtype.name, rid),
        )
        return self.conn.execute(HEADS, (rtype.name, rid)).fetchall()

    def _write_row(
        self,
        rtype: RecordType,
        ev: Event,
        h: bytes,
        body: dict,
        conflict: int,
        only_new: bool = False,
    ) -> bool:
        """Write the view row; with `only_new`, only if none exists. True if written."""
        forgotten = (rtype.name, ev.rid) in self._forgotten
        values = [ev.rid]
        for name in columns(rtype):
            value = body.get(name)
            if forgotten and name in rtype.pii:
                value = None
            values.append(column_value(value))
        values += [h, ev.hlc, ev.author, conflict, int(forgotten)]
        sql = self._insert_new if only_new else self._upsert
        written = self.conn.execute(sql[rtype.name], values).rowcount == 1
        if written:
            self._queue_review(rtype, ev.rid, body, fresh=only_new)
        return written

    def _queue_review(self, rtype: RecordType, rid: str, body: dict, fresh: bool) -> None:
        """The row's text still waiting for a coordinator (records/text.py)."""
        if not fresh:
            self.conn.execute(
                "DELETE FROM review_queue WHERE rtype = ? AND rid = ?", (rtype.name, rid)
            )
        if (rtype.name, rid) in self._forgotten:
            return
        for field, (_, score, status) in body.get(TEXT_NOTES, {}).items():
            if status == REVIEW:
                self.conn.execute(
                    "INSERT INTO review_queue VALUES (?, ?, ?, ?)", (rtype.name, rid, field, score)
                )

    def flush(self) -> None:
        """Write what the fold keeps to write at once; before a commit, and before a forget
        needs it."""
        if self._batches:
            recordkeys.note_batches(self.conn, self._batches.items())
            self._batches.clear()

    def _forget(self, rtype: RecordType, rid: str) -> None:
        self.flush()
        self.conn.execute("INSERT OR IGNORE INTO forgotten VALUES (?, ?)", (rtype.name, rid))
        self._forgotten.add((rtype.name, rid))
        recordkeys.destroy(self.conn, self.keyring, rid)
        nulls = ", ".join(f'"{f}" = NULL' for f in sorted(rtype.pii))
        sets = f"{nulls}, _forgotten = 1" if nulls else "_forgotten = 1"
        self.conn.execute(f'UPDATE "{rtype.table}" SET {sets} WHERE id = ?', (rid,))
        self.conn.execute("DELETE FROM review_queue WHERE rtype = ? AND rid = ?", (rtype.name, rid))
        # Durable in the same transaction: if the process dies before the KEK rotation,
        # the next open rotates.
        self.conn.execute("INSERT OR REPLACE INTO meta (key, value) VALUES ('rotate', 1)")
        self.forgot = True
