"""Who belongs to a workspace: member devices, their roles, invitations, key epochs.

Membership lives in the ledger like everything else, in the `members` compartment, as
events of type `member` whose body says what changed (`kind`):

- `found`: the first device declares itself admin (only when no member exists yet);
- `invite`: an admin allows one device to join with a role, naming the public key of the
  invitation's secret (the secret itself travels by hand or through a PAKE);
- `join`: the new device claims the invitation, proving it holds the secret by a signature
  over the workspace, invitation and its own keys;
- `add`: an admin adds a device directly (after a PAKE on a spoken code, or a restore);
- `revoke`: an admin removes a device, pins its chains at what the admin had accepted, and
  starts a new key epoch whose keys are sealed to each remaining member's X25519 key, for
  the compartments of its role;
- `recovery`: an admin registers a recovery kit's public keys (`fieldledger.sync.recovery`).

Every change but `join` and `found` must be signed by a device that is an active admin at
that point; an `add`/`revoke` names the member set and epoch it was made against, and sealed
keys are taken only from such events. Whatever breaks these rules is refused, and the whole
bundle with it.
"""

from __future__ import annotations

from dataclasses import dataclass

import msgspec
from nacl.public import PrivateKey, PublicKey, SealedBox

from fieldledger.crypto import digest, new_key, sign, sign_key_pair, verify
from fieldledger.errors import LedgerError, VerificationError
from fieldledger.ledger.event import Event
from fieldledger.sync.roles import MEMBERS, ROLES, compartments_of
from fieldledger.vault.keyring import Keyring
from fieldledger.vault.store import Connection, run_script

RTYPE = "member"

SCHEMA = """
CREATE TABLE IF NOT EXISTS members (
    device BLOB PRIMARY KEY, box BLOB NOT NULL, role TEXT NOT NULL, label TEXT NOT NULL,
    status TEXT NOT NULL, since INTEGER NOT NULL, pins BLOB
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS invites (
    id TEXT PRIMARY KEY, role TEXT NOT NULL, label TEXT NOT NULL, key BLOB NOT NULL,
    epoch INTEGER NOT NULL, used_by BLOB, made INTEGER NOT NULL
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS recovery_kits (
    kit TEXT PRIMARY KEY, device BLOB NOT NULL, box BLOB NOT NULL, made INTEGER NOT NULL
) WITHOUT ROWID;
"""

TABLES = ("members", "invites", "recovery_kits")
_PROOF_CONTEXT = b"fieldledger join v1\0"
CANCELLED = b"\0"


class MembershipError(LedgerError):
    """A membership change that breaks the rules: refused with everything that came with it."""

    exit_code = 4


@dataclass(frozen=True)
class Member:
    device: bytes
    box: bytes
    role: str
    label: str
    status: str
    since: int
    pins: dict[str, tuple[int, bytes]]

    @property
    def name(self) -> str:
        """How people name a device: its label and the start of its key."""
        return f"{self.label} ({self.device[:4].hex()})"

    @property
    def active(self) -> bool:
        return self.status == "active"


def create_schema(conn: Connection) -> None:
    run_script(conn, SCHEMA)


def drop(conn: Connection) -> None:
    for name in TABLES:
        conn.execute(f"DROP TABLE IF EXISTS {name}")


def _member(row: tuple) -> Member:
    pins = msgspec.msgpack.decode(row[6]) if row[6] else {}
    return Member(
        row[0], row[1], row[2], row[3], row[4], row[5], {c: (s, h) for c, (s, h) in pins.items()}
    )


def all_members(conn: Connection) -> list[Member]:
    rows = conn.execute(
        "SELECT device, box, role, label, status, since, pins FROM members ORDER BY since, device"
    ).fetchall()
    return [_member(r) for r in rows]


def member(conn: Connection, device: bytes) -> Member | None:
    row = conn.execute(
        "SELECT device, box, role, label, status, since, pins FROM members WHERE device = ?",
        (device,),
    ).fetchone()
    return _member(row) if row else None


def find(conn: Connection, name: str) -> Member:
    """A member by the start of its key (hex, as `member list` shows it) or by its label."""
    text = name.strip().lower()
    found = [
        m
        for m in all_members(conn)
        if (len(text) >= 4 and m.device.hex().startswith(text)) or m.label.lower() == text
    ]
    if not found:
        raise MembershipError(f"no member {name!r}: see `fieldledger member list`")
    if len(found) > 1:
        raise MembershipError(f"{name!r} names {len(found)} members: give more of the key")
    return found[0]


def member_set_hash(conn: Connection) -> bytes:
    """What an admin's change is bound to: every member with its role and status."""
    rows = conn.execute("SELECT device, role, status FROM members ORDER BY device").fetchall()
    return digest(msgspec.msgpack.encode([list(r) for r in rows]))


def current_epoch(conn: Connection, keyring: Keyring) -> int:
    return max(keyring.epochs[MEMBERS])


# -- keys sealed to a device ----------------------------------------------------------


def seal_to(box_public: bytes, data: bytes) -> bytes:
    """Sealed to one device's X25519 key (libsodium sealed box): only it opens this."""
    return SealedBox(PublicKey(box_public)).encrypt(data)


def open_sealed(box_secret: bytes, sealed: bytes) -> bytes:
    try:
        return SealedBox(PrivateKey(box_secret)).decrypt(sealed)
    except Exception as exc:  # nacl.exceptions.CryptoError
        raise MembershipError("keys sealed to this device do not open") from exc


def seal_keys_to(box_public: bytes, keys: dict[str, bytes]) -> bytes:
    return seal_to(box_public, msgspec.msgpack.encode(keys))


def open_sealed_keys(box_secret: bytes, sealed: bytes) -> dict[str, bytes]:
    return msgspec.msgpack.decode(open_sealed(box_secret, sealed), type=dict[str, bytes])


def new_epoch_keys(role_of: dict[bytes, tuple[str, bytes]]) -> tuple[dict[str, bytes], dict]:
    """Fresh keys for every compartment, and each member's share sealed to its box key.

    `role_of` maps device -> (role, box public key). Returns (all new keys, sealed shares
    keyed by device).
    """
    keys = {c: new_key() for c in compartments_of("admin")}
    sealed = {
        device: seal_keys_to(box, {c: keys[c] for c in compartments_of(role)})
        for device, (role, box) in role_of.items()
    }
    return keys, sealed


# -- invitations ----------------------------------------------------------------------


def invite_signing_key(secret: bytes) -> tuple[bytes, bytes]:
    """The (public, secret) Ed25519 pair an invitation's secret stands for."""
    return sign_key_pair(digest(b"fieldledger invite signing key\0" + secret))


def join_proof(
    invite_secret_key: bytes, workspace: bytes, invite: str, device: bytes, box: bytes
) -> bytes:
    return sign(invite_secret_key, _proof_message(workspace, invite, device, box))


def _proof_message(workspace: bytes, invite: str, device: bytes, box: bytes) -> bytes:
    return _PROOF_CONTEXT + msgspec.msgpack.encode([workspace, invite, device, box])


# -- applying membership events -------------------------------------------------------


class Membership:
    """Checks and folds `members` events, in the order they are applied.

    `keyring` receives the epoch keys sealed to this device; `changed` tells the workspace
    to save the keyring once the transaction has committed.
    """

    def __init__(self, conn: Connection, keyring: Keyring) -> None:
        self.conn = conn
        self.keyring = keyring
        self.changed = False
        self._authors: dict[bytes, Member | None] = {}  # check_author's, until a change

    def rolled_back(self) -> None:
        """The transaction was undone: forget what it changed."""
        self.changed = False
        self._authors.clear()

    def _refuse(self, ev: Event, reason: str) -> MembershipError:
        return MembershipError(f"membership change {ev.label}: {reason}", ev.label)

    def _admin(self, ev: Event) -> Member:
        author = member(self.conn, ev.author)
        if author is None or not author.active or author.role != "admin":
            raise self._refuse(ev, "not signed by an admin of this workspace")
        return author

    def apply(self, ev: Event, body: dict, *, check: bool = True) -> None:
        self._authors.clear()
        kind = body.get("kind")
        handler = getattr(self, f"_on_{kind}", None)
        if handler is None:
            if check:
                raise self._refuse(ev, f"unknown kind {kind!r} (a newer version wrote it?)")
            return
        handler(ev, body, check)

    def _add_member(self, device: bytes, box: bytes, role: str, label: str, since: int) -> None:
        self.conn.execute(
            "INSERT OR REPLACE INTO members VALUES (?, ?, ?, ?, 'active', ?, NULL)",
            (device, box, role, label, since),
        )

    def _on_found(self, ev: Event, body: dict, check: bool) -> None:
        if check:
            if self.conn.execute("SELECT 1 FROM members").fetchone():
                raise self._refuse(ev, "a second founding of a workspace that has members")
            if body["device"] != ev.author or body["role"] != "admin":
                raise self._refuse(ev, "a founding names its own device as admin")
        self._add_member(ev.author, body["box"], "admin", body["label"], ev.hlc)

    def _on_invite(self, ev: Event, body: dict, check: bool) -> None:
        if check:
            self._admin(ev)
            if body["role"] not in ROLES:
                raise self._refuse(ev, f"unknown role {body['role']!r}")
        self.conn.execute(
            "INSERT OR IGNORE INTO invites VALUES (?, ?, ?, ?, ?, NULL, ?)",
            (body["invite"], body["role"], body["label"], body["key"], ev.epoch, ev.hlc),
        )

    def _on_join(self, ev: Event, body: dict, check: bool) -> None:
        row = self.conn.execute(
            "SELECT role, label, key, used_by FROM invites WHERE id = ?", (body["invite"],)
        ).fetchone()
        if check:
            if row is None:
                raise self._refuse(ev, "it claims an invitation this workspace never made")
            if row[3] == CANCELLED:
                raise self._refuse(ev, "the invitation was cancelled by a revocation")
            if row[3] is not None and row[3] != ev.author:
                raise self._refuse(ev, "the invitation was already used by another device")
            message = _proof_message(ev.workspace, body["invite"], ev.author, body["box"])
            if not verify(row[2], message, body["proof"]):
                raise self._refuse(ev, "the device does not hold the invitation's secret")
            if member(self.conn, ev.author) is not None:
                raise self._refuse(ev, "the device is already a member")
        if row is None:
            return
        self.conn.execute(
            "UPDATE invites SET used_by = ? WHERE id = ?", (ev.author, body["invite"])
        )
        self._add_member(ev.author, body["box"], row[0], row[1], ev.hlc)

    def _on_add(self, ev: Event, body: dict, check: bool) -> None:
        if check:
            self._admin(ev)
            if body["set"] != member_set_hash(self.conn):
                raise self._refuse(ev, "it was made against another list of members")
            if body["role"] not in ROLES:
                raise self._refuse(ev, f"unknown role {body['role']!r}")
            if member(self.conn, body["device"]) is not None:
                raise self._refuse(ev, "the device is already a member")
        self._add_member(body["device"], body["box"], body["role"], body["label"], ev.hlc)
        self._take_keys(body.get("keys", {}), int(body.get("epoch", 0)))

    def _on_revoke(self, ev: Event, body: dict, check: bool) -> None:
        target = member(self.conn, body["device"])
        if check:
            self._admin(ev)
            if target is None or not target.active:
                raise self._refuse(ev, "it revokes a device that is not an active member")
            if body["set"] != member_set_hash(self.conn):
                raise self._refuse(ev, "it was made against another list of members")
            if (
                body["epoch"] != max(self.keyring.epochs[MEMBERS]) + 1
                and body["epoch"] not in self.keyring.epochs[MEMBERS]
            ):
                raise self._refuse(ev, f"it starts epoch {body['epoch']} out of turn")
            remaining = {m.device for m in all_members(self.conn) if m.active}
            remaining.discard(body["device"])
            if set(body["keys"]) != remaining:
                raise self._refuse(ev, "its new keys are not sealed to exactly the members left")
        pins = msgspec.msgpack.encode({c: [s, h] for c, s, h in body["pins"]})
        self.conn.execute(
            "UPDATE members SET status = 'revoked', pins = ? WHERE device = ?",
            (pins, body["device"]),
        )
        # Unused invitations hand out the old epoch's keys: a revocation cancels them.
        self.conn.execute("UPDATE invites SET used_by = ? WHERE used_by IS NULL", (CANCELLED,))
        self._take_keys(body["keys"], body["epoch"])

    def _on_rekey(self, ev: Event, body: dict, check: bool) -> None:
        """Keys of the current epoch for a device that joined on an older invitation."""
        if check:
            self._admin(ev)
        self._take_keys(body["keys"], body["epoch"])

    def _on_recovery(self, ev: Event, body: dict, check: bool) -> None:
        if check:
            self._admin(ev)
        # The kit stands for an admin (it restores one); an older kit's identity is retired,
        # so it can no longer act for the workspace once a new kit exists.
        self.conn.execute(
            "UPDATE members SET status = 'retired' WHERE status = 'active'"
            " AND device IN (SELECT device FROM recovery_kits)"
        )
        self._add_member(body["device"], body["box"], "admin", "recovery kit", ev.hlc)
        self.conn.execute(
            "INSERT OR REPLACE INTO recovery_kits VALUES (?, ?, ?, ?)",
            (body["kit"], body["device"], body["box"], ev.hlc),
        )

    def _take_keys(self, sealed_by_device: dict, epoch: int) -> None:
        mine = sealed_by_device.get(self.keyring.device_public)
        if mine is None or epoch <= 0:
            return
        for compartment, key in open_sealed_keys(self.keyring.box_secret, mine).items():
            held = self.keyring.epochs.setdefault(compartment, {})
            if held.get(epoch) != key:
                held[epoch] = key
                self.changed = True

    # -- events written elsewhere --------------------------------------------------

    def check_author(self, ev: Event, h: bytes) -> bool:
        """Whether an event (not of `members`) may be taken in; raises on a fork at a pin.

        False: written by a revoked device after its pin (the caller refuses the bundle if
        that device sent it, else skips the event).
        """
        if ev.author not in self._authors:
            self._authors[ev.author] = member(self.conn, ev.author)
        author = self._authors[ev.author]
        if author is None:
            raise VerificationError(
                f"event {ev.label}: written by a device that is not a member of this workspace",
                ev.label,
            )
        if author.active:
            return True
        seq, pinned = author.pins.get(ev.compartment, (0, b""))
        if ev.seq < seq:
            return True
        if ev.seq == seq:
            if h != pinned:
                raise VerificationError(
                    f"event {ev.label}: differs from the event its revocation pinned "
                    "(a forked chain: the device was tampered with)",
                    ev.label,
                )
            return True
        return False
