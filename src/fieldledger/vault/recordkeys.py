"""Per-record keys for personal data, and their destruction.

Each record with personal data (a person) has its own random key. The key is stored in the
database wrapped under a key-encryption key (KEK) that lives only in the keyring. Forgetting
deletes the wrapped key (secure_delete overwrites the row) and then rotates the KEK: every
other record key is rewrapped under a new KEK and the old KEK is overwritten in the key file.
A copy of the deleted row that survives in a WAL frame or a freed disk block is then sealed
under a KEK that no longer exists anywhere, even for someone who later learns a passphrase.

Rotation is crash-safe: the fold marks a rotation as due (`meta.rotate`) in the transaction
that deletes the key, the keyring holds both KEKs until every row is rewrapped, and
`finish_rotation` (run at every open) completes whatever a crash interrupted.
"""

from __future__ import annotations

from collections.abc import Callable

import msgspec

from fieldledger.crypto import SealBroken, new_key, seal, seal_deterministic, unseal
from fieldledger.errors import ForgottenRecord
from fieldledger.vault.keyring import Keyring
from fieldledger.vault.store import Connection

SCHEMA = """
CREATE TABLE IF NOT EXISTS record_keys (
    rid TEXT PRIMARY KEY, kek_id INTEGER NOT NULL, wrapped BLOB NOT NULL
) WITHOUT ROWID;
"""

SaveKeyring = Callable[[bool], None]  # save(scrub)


def _ad(rid: str) -> bytes:
    return b"record-key\0" + rid.encode()


def create(conn: Connection, keyring: Keyring, rid: str) -> bytes:
    key = new_key()
    kek_id = keyring.person_kek_id
    conn.execute(
        "INSERT INTO record_keys (rid, kek_id, wrapped) VALUES (?, ?, ?)",
        (rid, kek_id, seal(keyring.person_keks[kek_id], key, _ad(rid))),
    )
    return key


def put(conn: Connection, keyring: Keyring, rid: str, key: bytes) -> None:
    """Keep a record key that arrived from another device (in a bundle)."""
    kek_id = keyring.person_kek_id
    conn.execute(
        "INSERT OR IGNORE INTO record_keys (rid, kek_id, wrapped) VALUES (?, ?, ?)",
        (rid, kek_id, seal(keyring.person_keks[kek_id], key, _ad(rid))),
    )


def get(conn: Connection, keyring: Keyring, rid: str) -> bytes | None:
    row = conn.execute("SELECT kek_id, wrapped FROM record_keys WHERE rid = ?", (rid,)).fetchone()
    if row is None:
        return None
    return unseal(keyring.person_keks[row[0]], row[1], _ad(rid))


def destroy(conn: Connection, rid: str) -> None:
    conn.execute("DELETE FROM record_keys WHERE rid = ?", (rid,))


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
