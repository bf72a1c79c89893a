"""Per-record keys for personal data, and their destruction.

Each record with personal data (a person, an incident's narrative) has its own key. The key
is derived from a **batch** seed: every device draws a random seed per batch (one batch per
device and key epoch, until a `forget` touches it), and a record's key is BLAKE2b(seed,
record id). Seeds are stored in the database wrapped under a key-encryption key (KEK) that
lives only in the keyring, and travel in bundles one per batch, not one per person: what
makes a bundle of many people barely larger than the people themselves.

Forgetting a record of a batch first turns every other record of the batch this device knows
into a key of its own (wrapped under the KEK, like a seed), then deletes the seed, marks the
batch shredded and deletes the record's key (secure_delete overwrites the rows). A seed of a
shredded batch that arrives later in a bundle is never kept: only the keys of the batch's
records that are not forgotten are taken from it. Then the KEK is rotated: every key and seed
is rewrapped under a new KEK and the old KEK is overwritten in the key file. A copy of a
deleted row that survives in a WAL frame or a freed disk block is then sealed under a KEK
that no longer exists anywhere, even for someone who later learns a passphrase.

Rotation is crash-safe: the fold marks a rotation as due (`meta.rotate`) in the transaction
that deletes the key, the keyring holds both KEKs until every row is rewrapped, and
`finish_rotation` (run at every open) completes whatever a crash interrupted.
"""

from __future__ import annotations

import secrets
from collections.abc import Callable, Iterable

import msgspec

from fieldledger.crypto import SealBroken, derive, new_key, seal, seal_deterministic, unseal
from fieldledger.errors import ForgottenRecord
from fieldledger.vault.keyring import Keyring
from fieldledger.vault.store import Connection

SCHEMA = """
CREATE TABLE IF NOT EXISTS record_keys (
    rid TEXT PRIMARY KEY, kek_id INTEGER NOT NULL, wrapped BLOB NOT NULL
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS key_batches (
    batch TEXT PRIMARY KEY, kek_id INTEGER NOT NULL, wrapped BLOB NOT NULL
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS batch_records (rid TEXT PRIMARY KEY, batch TEXT NOT NULL)
    WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS batch_records_by_batch ON batch_records (batch);
CREATE TABLE IF NOT EXISTS shredded_batches (batch TEXT PRIMARY KEY) WITHOUT ROWID;
"""

SaveKeyring = Callable[[bool], None]  # save(scrub)
BODY_FIELD = "_key"  # the batch a record's key comes from, in the record's event bodies


def _ad(rid: str) -> bytes:
    return b"record-key\0" + rid.encode()


def _batch_ad(batch: str) -> bytes:
    return b"record-key batch\0" + batch.encode()


def _wrap(keyring: Keyring, key: bytes, ad: bytes) -> tuple[int, bytes]:
    kek_id = keyring.person_kek_id
    return kek_id, seal(keyring.person_keks[kek_id], key, ad)


def key_of(seed: bytes, rid: str) -> bytes:
    return derive(seed, f"record key {rid}")


def _seed(conn: Connection, keyring: Keyring, batch: str) -> bytes | None:
    row = conn.execute(
        "SELECT kek_id, wrapped FROM key_batches WHERE batch = ?", (batch,)
    ).fetchone()
    return unseal(keyring.person_keks[row[0]], row[1], _batch_ad(batch)) if row else None


def _current_batch(
    conn: Connection, keyring: Keyring, device: bytes, epoch: int, protected: bool
) -> str:
    """This device's batch for new records: a new one per key epoch, and after a forget.
    Protected records (complaints of sexual exploitation and abuse) have batches of their
    own, whose seeds travel only to the roles that may open them."""
    prefix = f"{device.hex()[:16]}.{epoch}{'p' if protected else ''}."
    row = conn.execute(
        "SELECT batch FROM key_batches WHERE batch >= ? AND batch < ? ORDER BY batch DESC",
        (prefix, prefix + "~"),
    ).fetchone()
    if row is not None:
        return row[0]
    batch = prefix + secrets.token_hex(4)
    conn.execute(
        "INSERT INTO key_batches (batch, kek_id, wrapped) VALUES (?, ?, ?)",
        (batch, *_wrap(keyring, new_key(), _batch_ad(batch))),
    )
    return batch


def create(
    conn: Connection,
    keyring: Keyring,
    rid: str,
    device: bytes,
    epoch: int,
    *,
    protected: bool = False,
) -> bytes:
    """A key for a new record written on this device (`device`, in key epoch `epoch`)."""
    batch = _current_batch(conn, keyring, device, epoch, protected)
    conn.execute("INSERT INTO batch_records (rid, batch) VALUES (?, ?)", (rid, batch))
    seed = _seed(conn, keyring, batch)
    assert seed is not None
    return key_of(seed, rid)


def put(conn: Connection, keyring: Keyring, rid: str, key: bytes) -> None:
    """Keep a record key that arrived from another device (in a bundle)."""
    kek_id = keyring.person_kek_id
    conn.execute(
        "INSERT OR IGNORE INTO record_keys (rid, kek_id, wrapped) VALUES (?, ?, ?)",
        (rid, kek_id, seal(keyring.person_keks[kek_id], key, _ad(rid))),
    )


def get(conn: Connection, keyring: Keyring, rid: str) -> bytes | None:
    row = conn.execute("SELECT kek_id, wrapped FROM record_keys WHERE rid = ?", (rid,)).fetchone()
    if row is not None:
        return unseal(keyring.person_keks[row[0]], row[1], _ad(rid))
    batch = conn.execute("SELECT batch FROM batch_records WHERE rid = ?", (rid,)).fetchone()
    seed = _seed(conn, keyring, batch[0]) if batch else None
    return key_of(seed, rid) if seed else None


class Lookup:
    """Record keys for many records at once (a bundle being made): each batch's seed is
    unwrapped once, and the batches of all records are read in one query."""

    def __init__(self, conn: Connection, keyring: Keyring) -> None:
        self.conn = conn
        self.keyring = keyring
        self._batch = dict(conn.execute("SELECT rid, batch FROM batch_records"))
        self._seeds: dict[str, bytes | None] = {}

    def batch(self, rid: str) -> str | None:
        return self._batch.get(rid)

    def seed(self, batch: str) -> bytes | None:
        if batch not in self._seeds:
            self._seeds[batch] = _seed(self.conn, self.keyring, batch)
        return self._seeds[batch]

    def key(self, rid: str) -> bytes | None:
        batch = self._batch.get(rid)
        seed = self.seed(batch) if batch else None
        return key_of(seed, rid) if seed else get(self.conn, self.keyring, rid)


def batch_of(conn: Connection, rid: str) -> str | None:
    row = conn.execute("SELECT batch FROM batch_records WHERE rid = ?", (rid,)).fetchone()
    return row[0] if row else None


def put_batch(
    conn: Connection, keyring: Keyring, batch: str, seed: bytes, rids: Iterable[str]
) -> None:
    """Keep a batch seed that arrived from another device, for `rids` (its records in the
    bundle). A batch shredded here is never kept again: only the keys of its records that are
    not forgotten are taken from it."""
    forgotten = {rid for (rid,) in conn.execute("SELECT rid FROM forgotten")}
    shredded = conn.execute("SELECT 1 FROM shredded_batches WHERE batch = ?", (batch,)).fetchone()
    if shredded:
        for rid in rids:
            if rid not in forgotten:
                put(conn, keyring, rid, key_of(seed, rid))
        return
    if _seed(conn, keyring, batch) is None:
        conn.execute(
            "INSERT INTO key_batches (batch, kek_id, wrapped) VALUES (?, ?, ?)",
            (batch, *_wrap(keyring, seed, _batch_ad(batch))),
        )
    conn.executemany(
        "INSERT OR IGNORE INTO batch_records (rid, batch) VALUES (?, ?)",
        [(rid, batch) for rid in rids if rid not in forgotten],
    )


def note_batch(
    conn: Connection, keyring: Keyring, rid: str, batch: str, forgotten: bool
) -> None:
    """A record names the batch of its key (body field `_key`): every device learns which
    batch to shred when the record is forgotten, even one that never held the seed."""
    conn.execute("INSERT OR IGNORE INTO batch_records (rid, batch) VALUES (?, ?)", (rid, batch))
    if forgotten:  # the forget came before the record itself
        _shred(conn, keyring, batch, rid)


def note_batches(conn: Connection, pairs: Iterable[tuple[str, str]]) -> None:
    """Many (record, batch) at once, for records not forgotten (the fold's `flush`)."""
    conn.executemany("INSERT OR IGNORE INTO batch_records (rid, batch) VALUES (?, ?)", pairs)


def destroy(conn: Connection, keyring: Keyring, rid: str) -> None:
    """Delete a record's key for good; the records sharing its batch get keys of their own
    first, and the batch's seed goes."""
    batch = conn.execute("SELECT batch FROM batch_records WHERE rid = ?", (rid,)).fetchone()
    if batch is not None:
        _shred(conn, keyring, batch[0], rid)
    conn.execute("DELETE FROM record_keys WHERE rid = ?", (rid,))


def _shred(conn: Connection, keyring: Keyring, batch: str, rid: str) -> None:
    seed = _seed(conn, keyring, batch)
    if seed is not None:
        others = conn.execute(
            "SELECT rid FROM batch_records WHERE batch = ? AND rid != ?", (batch, rid)
        ).fetchall()
        for (other,) in others:
            put(conn, keyring, other, key_of(seed, other))
    conn.execute("DELETE FROM key_batches WHERE batch = ?", (batch,))
    conn.execute("DELETE FROM batch_records WHERE batch = ?", (batch,))
    conn.execute("INSERT OR IGNORE INTO shredded_batches VALUES (?)", (batch,))


def rotation_due(conn: Connection) -> bool:
    return conn.execute("SELECT 1 FROM meta WHERE key = 'rotate'").fetchone() is not None


def rotate(conn: Connection, keyring: Keyring, save: SaveKeyring) -> None:
    new_id = max(keyring.person_keks) + 1
    keyring.person_keks[new_id] = new_key()
    keyring.person_kek_id = new_id
    save(False)
    finish_rotation(conn, keyring, save)


def finish_rotation(conn: Connection, keyring: Keyring, save: SaveKeyring) -> None:
    current = keyring.person_kek_id
    old = [k for k in keyring.person_keks if k != current]
    if not old:
        if rotation_due(conn):
            rotate(conn, keyring, save)
        return
    conn.execute("BEGIN IMMEDIATE")
    try:
        rows = conn.execute(
            "SELECT rid, kek_id, wrapped FROM record_keys WHERE kek_id != ?", (current,)
        ).fetchall()
        for rid, kek_id, wrapped in rows:
            key = unseal(keyring.person_keks[kek_id], wrapped, _ad(rid))
            conn.execute(
                "UPDATE record_keys SET kek_id = ?, wrapped = ? WHERE rid = ?",
                (current, seal(keyring.person_keks[current], key, _ad(rid)), rid),
            )
        batches = conn.execute(
            "SELECT batch, kek_id, wrapped FROM key_batches WHERE kek_id != ?", (current,)
        ).fetchall()
        for batch, kek_id, wrapped in batches:
            seed = unseal(keyring.person_keks[kek_id], wrapped, _batch_ad(batch))
            conn.execute(
                "UPDATE key_batches SET kek_id = ?, wrapped = ? WHERE batch = ?",
                (current, seal(keyring.person_keks[current], seed, _batch_ad(batch)), batch),
            )
        conn.execute("DELETE FROM meta WHERE key = 'rotate'")
        conn.execute("COMMIT")
    except BaseException:
        conn.execute("ROLLBACK")
        raise
    for k in old:
        del keyring.person_keks[k]
    save(True)


def seal_value(key: bytes, rid: str, field: str, value: object) -> bytes:
    return seal_encoded(key, rid, field, msgspec.msgpack.encode(value))


def seal_encoded(key: bytes, rid: str, field: str, encoded: bytes) -> bytes:
    """Deterministic (the nonce comes from key, record, field and value), so sync can carry
    the value inside a sealed section and the receiver, holding the record key, rebuild the
    exact bytes. Only an unchanged value of one field of one record seals the same twice."""
    return seal_deterministic(key, encoded, _ad(rid) + b"\0" + field.encode())


def open_encoded(key: bytes, rid: str, field: str, blob: bytes) -> bytes:
    try:
        return unseal(key, blob, _ad(rid) + b"\0" + field.encode())
    except SealBroken as exc:
        raise ForgottenRecord(f"{rid}: personal data does not decrypt") from exc


def open_value(key: bytes, rid: str, field: str, blob: bytes) -> object:
    try:
        return msgspec.msgpack.decode(unseal(key, blob, _ad(rid) + b"\0" + field.encode()))
    except SealBroken as exc:
        raise ForgottenRecord(f"{rid}: personal data does not decrypt") from exc
