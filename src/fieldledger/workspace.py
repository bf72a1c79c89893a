"""A workspace: one vault, one log, its views. The library's front door.

    with Workspace.open(path, passphrase) as ws:
        rid = ws.add("household", {...}, source="stdin")
        ws.list("household")

Every change is an event appended to this device's chain in the record's compartment and
folded into the views in the same transaction: either both happen or neither.
"""

from __future__ import annotations

import base64
import contextlib
import contextvars
import datetime as dt
import os
import time
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import msgspec

from fieldledger import records
from fieldledger.crypto import new_key
from fieldledger.errors import (
    ForgottenRecord,
    RecordError,
    UnknownRecord,
    ValidationError,
    VerificationError,
    WorkspaceError,
)
from fieldledger.files import write_atomic
from fieldledger.ledger import incoming, logfile
from fieldledger.ledger import store as log
from fieldledger.ledger.event import (
    FORMAT,
    GENESIS,
    OP_FORGET,
    OP_NOTE,
    OP_PUT,
    PRUNED,
    Event,
    body_ad,
    decode,
    encode,
    event_hash,
    seal_body,
    sign_hash,
)
from fieldledger.ledger.hlc import Clock, wall_ms
from fieldledger.ledger.verify import VerifyReport, verify_rows
from fieldledger.records import RecordType, record_type, text
from fieldledger.records.household import retention_due
from fieldledger.sync import exchange, members
from fieldledger.sync.roles import MEMBERS
from fieldledger.vault import layout, recordkeys, vault
from fieldledger.vault.kdf import KdfParams, calibrate
from fieldledger.vault.keyring import Keyring
from fieldledger.vault.store import (
    Connection,
    checkpoint,
    open_store,
    pad_to_bucket,
    release_pad,
    run_script,
)
from fieldledger.views import companions
from fieldledger.views.fold import ACCESS_LOG, Fold
from fieldledger.views.schema import create_views, drop_views

# Bump when a view table changes shape; every store then refolds its views on open.
VIEWS_VERSION = 4


_decode_body = msgspec.msgpack.Decoder(dict).decode

# The web account on whose behalf the device acts (the web UI sets it per request), named in
# each access-log note so the log says which person on a phone opened what.
ACTING_AS: contextvars.ContextVar[str | None] = contextvars.ContextVar("acting_as", default=None)


def new_id(prefix: str) -> str:
    return f"{prefix}-{base64.b32encode(os.urandom(5)).decode()}"


@dataclass(frozen=True)
class Conflict:
    rtype: str
    rid: str
    heads: int


@dataclass(frozen=True)
class Version:
    """One competing version of a record (one of its current heads), as `versions` gives it.

    `body` holds the record's own fields as that version stored them (as `get` shows them,
    without `id` and `conflict`); personal data is opened only when asked. Fields kept in a
    companion compartment (a distribution's transfer channel) are a record of their own and
    are not part of it."""

    head: str  # the event's hash, hex
    hlc: int
    time: dt.datetime  # the wall-clock part of `hlc`, UTC
    device: str  # the start of the author device's key, hex, as `member list` shows it
    label: str | None  # the author's member label and role, when membership knows them
    role: str | None
    body: dict[str, Any]

    @property
    def author(self) -> str:
        """How people name the device that wrote it: "label (1a2b3c4d)" or its key's start."""
        return f"{self.label} ({self.device})" if self.label else self.device


@dataclass(frozen=True)
class Summary:
    records: dict[str, int]
    forgotten: int
    conflicts: int
    events: int
    devices: int
    store_bytes: int


class Workspace:
    def __init__(
        self, path: Path, unlocked: vault.Unlocked, conn: Connection, clock: Clock
    ) -> None:
        self.path = path
        self.unlocked = unlocked
        self.keyring: Keyring = unlocked.keyring
        self.conn = conn
        self.clock = clock
        self.device = self.keyring.device_public
        self._secret = self.keyring.device_secret
        self._depth = 0
        self._viewed: dict[str, None] = {}  # records opened in this transaction, in order
        self._fold = Fold(conn, self.keyring)
        self._members = members.Membership(conn, self.keyring)
        self._places = None
        self.was_duress = False

    # -- opening and closing -----------------------------------------------------------

    @classmethod
    def init(
        cls,
        path: Path | str,
        passphrase: str,
        *,
        params: KdfParams | None = None,
        label: str = "owner",
        check_strength: bool = True,
        clock: Clock | None = None,
    ) -> Workspace:
        path = Path(path)
        if layout.keys_path(path).exists():
            raise WorkspaceError(f"{path} already holds a workspace")
        path.mkdir(parents=True, exist_ok=True, mode=0o700)
        if any(path.iterdir()):
            raise WorkspaceError(f"{path} is not empty: choose a new folder for the workspace")
        clock = clock or Clock()
        keyring = Keyring.new(created_ms=wall_ms(clock.tick()))
        unlocked = vault.create(
            layout.keys_path(path),
            passphrase,
            params or calibrate(),
            keyring,
            label=label,
            check=check_strength,
        )
        ws = cls._start(path, unlocked, clock, fresh=True)
        ws._found(label)
        return ws

    def _found(self, label: str) -> None:
        """The first membership event: this device is the workspace's first admin."""
        body = {"kind": "found", "device": self.device, "box": self.keyring.box_public}
        body.update(role="admin", label=label)
        self.append(MEMBERS, members.RTYPE, new_id("MB"), OP_PUT, body)

    @classmethod
    def open(
        cls, path: Path | str, passphrase: str, *, sleep: Callable[[float], None] = time.sleep
    ) -> Workspace:
        path = Path(path)
        if not layout.keys_path(path).exists():
            raise WorkspaceError(
                f"{path} is not a workspace: check --workspace, or create one with init"
            )
        unlocked = vault.unlock(layout.keys_path(path), passphrase, sleep=sleep)
        if unlocked.duress:
            from fieldledger.decoy import build_decoy

            ws = build_decoy(path, passphrase, unlocked.header.params)
            ws.was_duress = True
            return ws
        if "joining" in unlocked.keyring.pending:
            raise WorkspaceError(
                "this device has not finished joining: give it the admin's welcome file "
                "(fieldledger join WELCOME)"
            )
        ws = cls._start(path, unlocked, Clock())
        ws.note("open")
        ws.apply_retention()
        return ws

    @classmethod
    def _start(
        cls, path: Path, unlocked: vault.Unlocked, clock: Clock, fresh: bool = False
    ) -> Workspace:
        store_lost = not fresh and not layout.store_path(path).exists()
        if store_lost:
            # The store is gone but the keys are here (a damaged disk, a restore). Writing
            # with the old identity would fork its chains against copies held elsewhere, so
            # this device continues under a new identity; import-log brings the old events.
            unlocked.keyring.device_seed = new_key()
            unlocked.keyring.box_secret = new_key()
            vault.save_keyring(unlocked)
        layout.blobs_path(path).mkdir(mode=0o700, exist_ok=True)
        conn = open_store(layout.store_path(path), unlocked.keyring.db_key)
        log.create_schema(conn)
        run_script(conn, recordkeys.SCHEMA)
        create_views(conn)
        members.create_schema(conn)
        exchange.create_schema(conn)
        if fresh:
            log.set_meta(conn, "workspace", unlocked.keyring.workspace_id)
        clock.observe(int(log.get_meta(conn, "hlc", 0)))
        release_pad(conn)
        ws = cls(path, unlocked, conn, clock)
        recordkeys.finish_rotation(conn, ws.keyring, ws._save_keyring)
        if log.get_meta(conn, "views") != VIEWS_VERSION:
            # A new release changed the tables: they are a cache, so fold them again.
            ws.rebuild()
        return ws

    def add_device(
        self,
        path: Path | str,
        passphrase: str,
        *,
        role: str = "admin",
        label: str = "device",
        params: KdfParams | None = None,
        check_strength: bool = True,
    ) -> Workspace:
        """A new member device of this workspace in `path`, made here by this admin device:
        the workspace keys and the compartment keys of `role`, its own identity, store and
        record-key KEK, and an empty log that it fills by ingesting events (this device's
        log holds the admin-signed `add` that makes it a member). What joining after a PAKE
        and restoring from a recovery kit build on; tests use it to make replicas."""
        from fieldledger.sync.roles import compartments_of

        path = Path(path)
        if path.exists() and any(path.iterdir()):
            raise WorkspaceError(f"{path} is not empty: choose a new folder for the device")
        held = compartments_of(role)
        path.mkdir(parents=True, exist_ok=True, mode=0o700)
        clock = Clock()
        keyring = msgspec.structs.replace(
            self.keyring,
            db_key=new_key(),
            device_seed=new_key(),
            box_secret=new_key(),
            person_kek_id=1,
            person_keks={1: new_key()},
            slots={},
            epochs={c: dict(e) for c, e in self.keyring.epochs.items() if c in held},
            created_ms=wall_ms(clock.tick()),
            role=role,
            pending={},
        )
        self.register_device(keyring.device_public, keyring.box_public, role, label)
        unlocked = vault.create(
            layout.keys_path(path),
            passphrase,
            params or self.unlocked.header.params,
            keyring,
            check=check_strength,
        )
        return Workspace._start(path, unlocked, clock, fresh=True)

    def register_device(self, device: bytes, box: bytes, role: str, label: str) -> None:
        """Sign the admin's `add` of a device whose keys this device has seen."""
        from fieldledger.sync.roles import check_role

        body = {"kind": "add", "device": device, "box": box, "role": check_role(role)}
        body.update(label=label, set=members.member_set_hash(self.conn), keys={}, epoch=0)
        self.append(MEMBERS, members.RTYPE, new_id("MB"), OP_PUT, body)

    def close(self) -> None:
        if self.conn is None:
            return
        pad_to_bucket(self.conn)
        self.conn.close()
        self.conn = None  # type: ignore[assignment]

    def __enter__(self) -> Workspace:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def _save_keyring(self, scrub: bool) -> None:
        vault.save_keyring(self.unlocked, scrub=scrub)

    # -- transactions and appends -----------------------------------------------------

    @contextlib.contextmanager
    def transaction(self) -> Iterator[None]:
        """One atomic unit: every append inside commits together or not at all."""
        if self._depth:
            self._depth += 1
            try:
                yield
            finally:
                self._depth -= 1
            return
        self.conn.execute("BEGIN IMMEDIATE")
        self._depth = 1
        clock_before = self.clock.last
        try:
            yield
            if self._viewed:
                self._note("view", " ".join(self._viewed))
            self._fold.flush()
            if self.clock.last != clock_before:  # a transaction that only read writes nothing
                log.set_meta(self.conn, "hlc", self.clock.last)
            self.conn.execute("COMMIT")
            if self._fold.villages:  # the gazetteer is rebuilt with the new villages
                self._fold.villages = False
                self._places = None
        except BaseException:
            self.conn.execute("ROLLBACK")
            self._fold = Fold(self.conn, self.keyring)  # drop state of the undone fold
            self._places = None
            self._members.rolled_back()
            raise
        finally:
            self._depth = 0
            self._viewed = {}
        if self._members.changed:
            self._members.changed = False
            self._save_keyring(False)  # epoch keys sealed to this device arrived
        if self._fold.forgot:
            self._fold.forgot = False
            recordkeys.rotate(self.conn, self.keyring, self._save_keyring)
            checkpoint(self.conn)

    def append(
        self,
        compartment: str,
        rtype: str,
        rid: str,
        op: str,
        fields: dict,
        heads: Iterable[bytes] = (),
    ) -> bytes:
        """Sign and store one event of this device, fold it; returns its hash."""
        with self.transaction():
            tip = log.tip(self.conn, self.device, compartment)
            seq, prev = (tip[0] + 1, tip[1]) if tip else (1, GENESIS)
            epoch = self.keyring.current_epoch(compartment)
            key = self.keyring.epochs[compartment][epoch]
            ws = self.keyring.workspace_id
            ad = body_ad(ws, self.device, compartment, epoch, seq, rtype, rid, op)
            ev = Event(
                FORMAT,
                ws,
                self.device,
                compartment,
                epoch,
                seq,
                prev,
                self.clock.tick(),
                rtype,
                rid,
                op,
                tuple(heads),
                seal_body(key, fields, ad),
            )
            raw = encode(ev)
            h = event_hash(raw)
            if compartment == MEMBERS:
                self._members.apply(ev, fields)
            self.conn.execute(
                log.INSERT,
                (
                    ev.author,
                    ev.compartment,
                    ev.seq,
                    h,
                    ev.prev,
                    ev.hlc,
                    ev.rtype,
                    ev.rid,
                    ev.op,
                    raw,
                    sign_hash(self._secret, h),
                ),
            )
            self._fold.apply(ev, h, fields)
        return h

    def note(self, action: str, target: str | None = None) -> None:
        """Record in the access log who opened, exported or forgot what: this device, and
        the web account acting through it (`acting_as`) when there is one.

        Inside a transaction, the records opened ("view") are named in one note when it
        commits: a page that opens twenty records signs and stores one event, not twenty."""
        if action == "view" and target and self._depth:
            self._viewed.update(dict.fromkeys(target.split()))
            return
        self._note(action, target)

    def _note(self, action: str, target: str | None) -> None:
        body: dict[str, Any] = {"action": action, "target": target}
        if (by := ACTING_AS.get()) is not None:
            body["by"] = by
        self.append(ACCESS_LOG, "access", new_id("AC"), OP_NOTE, body)

    # -- records ----------------------------------------------------------------------

    def add(self, type_name: str, data: dict[str, Any], *, source: str = "input") -> str:
        rtype = record_type(type_name)
        data = dict(data)
        rid = data.pop("id", None) or new_id(rtype.id_prefix)
        if not isinstance(rid, str) or not rid.strip():
            raise ValidationError(f"{source}: {rtype.name} field id: must be text")
        if self._head(rtype, rid) is not None:
            raise ValidationError(f"{source}: {rtype.name} {rid} already exists: use update")
        data, notes = text.normalise_fields(data)
        if rtype.name == "village":
            data = self._new_village(data, source)
        fields = self._validate(rtype, data, source)
        self._check_code_free(rtype, rid, fields, source)
        apart = companions.split(rtype, fields)
        if notes:
            fields[text.TEXT_NOTES] = notes
        with self.transaction():
            if rtype.pii:
                epoch = self.keyring.current_epoch(rtype.compartment)
                protected = rtype.name == "feedback" and bool(fields.get("sensitive"))
                key = recordkeys.create(
                    self.conn, self.keyring, rid, self.device, epoch, protected=protected
                )
                self._seal_pii(rtype, rid, key, fields)
                fields[recordkeys.BODY_FIELD] = recordkeys.batch_of(self.conn, rid)
            self.append(rtype.compartment, rtype.name, rid, OP_PUT, fields)
            for name, part in apart.items():
                if any(v is not None for v in part.values()):
                    self._append_companion(name, rid, part, heads=())
        return rid

    def _append_companion(self, name: str, rid: str, part: dict, heads: Iterable[bytes]) -> None:
        companion = companions.type_named(name)
        if companion is None or companion.compartment not in self.keyring.epochs:
            raise RecordError(
                f"this device does not keep {name.split('.')[-1]} details: "
                f"leave {', '.join(part)} empty here"
            )
        self.append(companion.compartment, companion.name, rid, OP_PUT, part, heads)

    def update(
        self,
        type_name: str,
        rid: str,
        data: dict[str, Any],
        *,
        source: str = "input",
        heads: Iterable[bytes] | None = None,
    ) -> bytes:
        """Change some fields of a record. `heads` defaults to the versions this device has;
        passing older ones is how a concurrent edit from another device looks."""
        rtype = record_type(type_name)
        self._check_not_forgotten(rtype, rid)
        current = self._current_body(rtype, rid)
        if current is None:
            raise UnknownRecord(f"no {rtype.name} with id {rid}")
        data, notes = text.normalise_fields({k: v for k, v in data.items() if k != "id"})
        kept_notes = {k: v for k, v in current.pop(text.TEXT_NOTES, {}).items() if k not in data}
        batch = current.pop(recordkeys.BODY_FIELD, None)
        plain = {k: v for k, v in current.items() if k not in rtype.pii}
        held_apart = {c.name: self._current_body(c, rid) for c in companions.of(rtype)}
        for part in held_apart.values():
            plain.update(part or {})
        plain.update(data)
        fields = self._validate(rtype, plain, source)
        if str(fields.get("code", "")).casefold() != str(current.get("code", "")).casefold():
            self._check_code_free(rtype, rid, fields, source)
        apart = companions.split(rtype, fields)
        if notes or kept_notes:
            fields[text.TEXT_NOTES] = {**kept_notes, **notes}
        if batch:
            fields[recordkeys.BODY_FIELD] = batch
        with self.transaction():
            for name, part in apart.items():
                if part != {k: (held_apart[name] or {}).get(k) for k in part}:
                    companion = companions.type_named(name)
                    seen_apart = self._heads(companion, rid) if companion else []
                    self._append_companion(name, rid, part, seen_apart)
            if rtype.pii:
                key = recordkeys.get(self.conn, self.keyring, rid)
                if key is None:
                    raise RecordError(
                        f"{rtype.name} {rid}: this device does not hold the key to their "
                        "personal data, so it cannot change the record"
                    )
                for name in rtype.pii:
                    if name not in data:
                        fields[name] = current.get(name)
                self._seal_pii(rtype, rid, key, fields, only=set(data))
            seen = list(heads) if heads is not None else self._heads(rtype, rid)
            return self.append(rtype.compartment, rtype.name, rid, OP_PUT, fields, seen)

    def forget(self, rid: str, reason: str = "request") -> None:
        """Destroy a person's key here; every device that receives the event does the same."""
        rtype = next(
            (
                t
                for t in records.REGISTRY.values()
                if t.forgettable and self._head(t, rid) is not None
            ),
            None,
        )
        if rtype is None:
            raise UnknownRecord(f"no person (or other record with personal data) with id {rid}")
        with self.transaction():
            self.append(rtype.compartment, rtype.name, rid, OP_FORGET, {"reason": reason})
            self.note("forget", rid)

    def apply_retention(self, today: dt.date | None = None) -> list[str]:
        """Forget the people of every household whose consented retention period is over.

        Runs at every unlock, so a period that ends while the laptop is off is honoured at
        the next start. Returns the ids forgotten now."""
        today = today or dt.date.today()
        due = [
            hid
            for hid, consented, months in self.conn.execute(
                "SELECT id, consent_date, retention_months FROM households"
                " WHERE consent_date IS NOT NULL AND retention_months IS NOT NULL"
            )
            if retention_due({"consent_date": consented, "retention_months": months}, today)
        ]
        forgotten = []
        # One transaction: the record-key KEK is rotated once for all of them, not per person.
        with self.transaction():
            for hid in due:
                for (pid,) in self.conn.execute(
                    "SELECT id FROM persons WHERE household_id = ? AND _forgotten = 0", (hid,)
                ).fetchall():
                    self.forget(pid, reason="retention")
                    forgotten.append(pid)
        return forgotten

    def exists(self, type_name: str, rid: str) -> bool:
        """Whether this device holds a record of that type and id (forgotten ones too)."""
        return self._head(record_type(type_name), rid) is not None

    def _validate(self, rtype: RecordType, data: dict[str, Any], source: str) -> dict:
        """The record's fields as stored, after its own checks and its references."""
        data = self._resolve_places(rtype, data, source)
        fields = records.to_fields(records.convert(rtype, data, source=source))
        for name, target_name in rtype.refs:
            value, target = fields.get(name), record_type(target_name)
            # A reference into a compartment this device does not hold cannot be checked
            # here (a field device naming a grant): the device that holds it sees it.
            if target.compartment not in self.keyring.epochs:
                continue
            if value is not None and self._head(target, value) is None:
                raise ValidationError(
                    f"{source}: {rtype.name} field {name}: no {target_name} with id {value}"
                )
        return fields

    def _check_code_free(self, rtype: RecordType, rid: str, fields: dict, source: str) -> None:
        """A household's code names one household (on its card, in distribution rounds, in
        phone forms), in any case. Checked where a code is typed or changed here; two devices
        may still give one code twice while apart, and both records are kept."""
        code = fields.get("code")
        if rtype.name != "household" or not code:
            return
        if (taken := self.household_with_code(code, but=rid)) is not None:
            raise ValidationError(
                f"{source}: household field code: another household already has the code "
                f"{code} ({taken})"
            )

    def household_with_code(self, code: str, *, but: str | None = None) -> str | None:
        """The id of a household (not forgotten, other than `but`) with this code in any
        case, or None."""
        row = self.conn.execute(
            "SELECT id FROM households WHERE code = ? COLLATE NOCASE AND id IS NOT ? "
            "AND NOT _forgotten",
            (code.strip(), but),
        ).fetchone()
        return row[0] if row else None

    def places(self):
        """The gazetteer with this workspace's own villages (records of type village)."""
        from fieldledger.places import Place, gazetteer

        if self._places is None:
            self._places = gazetteer().with_places(
                Place(code, "village", name_en, name_mm or "", tract)
                for code, name_en, name_mm, tract in self.conn.execute(
                    "SELECT code, name_en, name_mm, village_tract_pcode FROM villages ORDER BY code"
                )
            )
        return self._places

    def _new_village(self, data: dict[str, Any], source: str) -> dict[str, Any]:
        """A village gets the next free code under its village tract when none is given."""
        from fieldledger.places import village_code

        tract = (
            self.places()
            .resolve(str(data.get("village_tract_pcode", "")), level="village_tract")
            .pcode
        )
        taken = {
            c
            for (c,) in self.conn.execute(
                "SELECT code FROM villages WHERE village_tract_pcode = ?", (tract,)
            )
        }
        code = data.get("code") or village_code(tract, len(taken) + 1)
        while code in taken and not data.get("code"):
            code = village_code(tract, int(code[-3:]) + 1)
        if code in taken or code in self.places():
            raise ValidationError(f"{source}: village field code: {code} is already a place")
        return {**data, "village_tract_pcode": tract, "code": code}

    def _resolve_places(self, rtype: RecordType, data: dict[str, Any], source: str) -> dict:
        """Place fields take a P-code or a place name, English or Burmese, and store the
        P-code; an unknown place is refused with the nearest ones."""
        out = dict(data)
        for name in rtype.fields:
            value = out.get(name)
            if name.endswith("pcode") and isinstance(value, str) and value.strip():
                try:
                    out[name] = self.places().resolve(value).pcode
                except ValidationError as exc:
                    raise ValidationError(f"{source}: {rtype.name} field {name}: {exc}") from None
        return out

    def _seal_pii(
        self, rtype: RecordType, rid: str, key: bytes, fields: dict, only: set[str] | None = None
    ) -> None:
        notes = fields.get(text.TEXT_NOTES, {})
        for name in rtype.pii:
            if only is not None and name not in only:
                continue
            if fields.get(name) is not None:
                fields[name] = recordkeys.seal_value(key, rid, name, fields[name])
            if name in notes:  # what was typed is as personal as what is stored
                notes[name][0] = recordkeys.seal_value(key, rid, f"{name}#typed", notes[name][0])

    def _head(self, rtype: RecordType, rid: str) -> bytes | None:
        row = self.conn.execute(
            f'SELECT _head FROM "{rtype.table}" WHERE id = ?', (rid,)
        ).fetchone()
        return row[0] if row else None

    def _heads(self, rtype: RecordType, rid: str) -> list[bytes]:
        return sorted(h for h, _ in self._fold.heads(rtype, rid))

    def _current_body(self, rtype: RecordType, rid: str) -> dict | None:
        head = self._head(rtype, rid)
        if head is None:
            return None
        ev = decode(log.raw_by_hash(self.conn, head))
        return self._fold.body(ev)

    def _check_not_forgotten(self, rtype: RecordType, rid: str) -> None:
        if self.conn.execute(
            "SELECT 1 FROM forgotten WHERE rtype = ? AND rid = ?", (rtype.name, rid)
        ).fetchone():
            raise ForgottenRecord(f"{rtype.name} {rid} was forgotten: nothing of it can be shown")

    def get(self, type_name: str, rid: str, *, reveal: bool = True) -> dict[str, Any]:
        """One record as it stands; personal data decrypted when `reveal` (and logged)."""
        rtype = record_type(type_name)
        self._check_not_forgotten(rtype, rid)
        body = self._current_body(rtype, rid)
        if body is None:
            raise UnknownRecord(f"no {rtype.name} with id {rid}")
        row = self.conn.execute(
            f'SELECT _conflict FROM "{rtype.table}" WHERE id = ?', (rid,)
        ).fetchone()
        body.pop(text.TEXT_NOTES, None)
        body.pop(recordkeys.BODY_FIELD, None)
        result = {"id": rid, **body, "conflict": bool(row[0])}
        for companion in companions.of(rtype):
            result.update(self._current_body(companion, rid) or {})
        if rtype.pii:
            self._reveal(rtype, rid, result, reveal)
            if reveal:
                self.note("view", rid)
        return result

    def versions(self, type_name: str, rid: str, *, reveal: bool = False) -> list[Version]:
        """The record's current versions, newest first: one when it is settled, two or more
        when devices changed it without seeing each other's change (a conflict). The first
        is the one `get` shows. Personal data is decrypted when `reveal` (and logged once).

        To keep one of them, `update` the record with that version's fields: the update
        names every current version as seen, so the conflict ends on every device."""
        rtype = record_type(type_name)
        self._check_not_forgotten(rtype, rid)
        if self._head(rtype, rid) is None:
            raise UnknownRecord(f"no {rtype.name} with id {rid}")
        found = []
        for h, hlc in sorted(
            self._fold.heads(rtype, rid), key=lambda r: (r[1], r[0]), reverse=True
        ):
            ev = decode(log.raw_by_hash(self.conn, h))
            body = None if ev.body == PRUNED else self._fold.body(ev)
            if body is None:
                continue  # shed by `sync prune`, or of a compartment not held here
            body.pop(text.TEXT_NOTES, None)
            body.pop(recordkeys.BODY_FIELD, None)
            if rtype.pii:
                self._reveal(rtype, rid, body, reveal)
            member = members.member(self.conn, ev.author)
            found.append(
                Version(
                    head=h.hex(),
                    hlc=hlc,
                    time=dt.datetime.fromtimestamp(wall_ms(hlc) / 1000, dt.UTC),
                    device=ev.author[:4].hex(),
                    label=member.label if member else None,
                    role=member.role if member else None,
                    body=body,
                )
            )
        if rtype.pii and reveal and found:
            self.note("view", rid)
        return found

    def _reveal(self, rtype: RecordType, rid: str, row: dict, reveal: bool) -> None:
        key = recordkeys.get(self.conn, self.keyring, rid) if reveal else None
        for name in rtype.pii:
            blob = row.get(name)
            if blob is None:
                continue
            row[name] = recordkeys.open_value(key, rid, name, blob) if key else "•••"

    def list(
        self, type_name: str, *, reveal: bool = False, where: tuple[str, Any] | None = None
    ) -> list[dict[str, Any]]:
        """Every record of a family as its view holds it; personal data opened when
        `reveal` (one access-log note for the whole list). `where` = (column, value) keeps
        the rows whose column equals value, and the note names every record opened."""
        rtype = record_type(type_name)
        apart = companions.of(rtype)
        own = ("id", *companions.columns(rtype), "_conflict", "_forgotten")
        cols = [f'm."{c}"' for c in own] + [
            f'c{i}."{f}"' for i, c in enumerate(apart) for f in companions.columns(c)
        ]
        joins = "".join(
            f' LEFT JOIN "{c.table}" c{i} ON c{i}.id = m.id' for i, c in enumerate(apart)
        )
        names = (
            "id",
            *companions.columns(rtype),
            "conflict",
            "forgotten",
            *(f for c in apart for f in companions.columns(c)),
        )
        out = []
        sql = f'SELECT {", ".join(cols)} FROM "{rtype.table}" m{joins}'
        args: tuple[Any, ...] = ()
        if where is not None:
            if where[0] not in companions.columns(rtype):
                raise ValueError(f"{rtype.name} has no column {where[0]}")
            sql, args = f'{sql} WHERE m."{where[0]}" IS ?', (where[1],)
        opened = []
        for row in self.conn.execute(f"{sql} ORDER BY m.id", args):
            item = dict(zip(names, row, strict=True))
            item["conflict"], item["forgotten"] = bool(item["conflict"]), bool(item["forgotten"])
            if rtype.pii and not item["forgotten"]:
                self._reveal(rtype, item["id"], item, reveal)
                opened.append(item["id"])
            out.append(item)
        if reveal and rtype.pii and where is None:
            self.note("list", rtype.name)
        elif reveal and opened:
            self.note("view", " ".join(opened))
        return out

    def review_queue(self) -> list[dict[str, Any]]:
        """Text kept as typed because its encoding (Zawgyi or Unicode) is doubtful."""
        return [
            {"type": t, "id": r, "field": f, "score": sc}
            for t, r, f, sc in self.conn.execute(
                "SELECT rtype, rid, field, score FROM review_queue ORDER BY rtype, rid, field"
            )
        ]

    def accept_text(self, type_name: str, rid: str, field: str) -> None:
        """A coordinator has looked: the text stays as typed and leaves the review queue."""
        rtype = record_type(type_name)
        self._check_not_forgotten(rtype, rid)
        body = self._current_body(rtype, rid)
        notes = (body or {}).get(text.TEXT_NOTES, {})
        if field not in notes or notes[field][2] != text.REVIEW:
            raise ValidationError(f"{rtype.name} {rid} field {field}: nothing to review")
        notes[field][2] = text.ACCEPTED
        with self.transaction():
            self.append(rtype.compartment, rtype.name, rid, OP_PUT, body, self._heads(rtype, rid))

    def conflicts(self) -> list[Conflict]:
        found = []
        for rtype in sorted(records.REGISTRY.values(), key=lambda t: t.name):
            for (rid,) in self.conn.execute(
                f'SELECT id FROM "{rtype.table}" WHERE _conflict = 1 ORDER BY id'
            ):
                found.append(Conflict(rtype.name, rid, len(self._heads(rtype, rid))))
        return found

    def summary(self) -> Summary:
        counts = {
            t.name: self.conn.execute(f'SELECT count(*) FROM "{t.table}"').fetchone()[0]
            for t in records.REGISTRY.values()
        }
        c = self.conn
        return Summary(
            records=counts,
            forgotten=c.execute("SELECT count(*) FROM forgotten").fetchone()[0],
            conflicts=len(self.conflicts()),
            events=log.count(c),
            devices=c.execute("SELECT count(DISTINCT author) FROM events").fetchone()[0],
            store_bytes=layout.store_path(self.path).stat().st_size,
        )

    # -- the log as a whole -----------------------------------------------------------

    def verify(self) -> VerifyReport:
        rows = ((raw, sig, r[:9]) for (*r, raw, sig) in log.rows_in_chain_order(self.conn))
        return verify_rows(rows, self.keyring.workspace_id)

    def rebuild(self) -> int:
        """Drop every view and fold the whole log again. Returns the events folded."""
        n = 0
        with self.transaction():
            drop_views(self.conn)
            create_views(self.conn)
            members.drop(self.conn)
            members.create_schema(self.conn)
            log.set_meta(self.conn, "views", VIEWS_VERSION)
            self._fold = Fold(self.conn, self.keyring)
            for raw, h in self.conn.execute("SELECT raw, hash FROM events ORDER BY rowid"):
                ev = decode(raw)
                n += 1
                if ev.body == PRUNED:
                    continue  # shed by `sync prune`: nothing to fold
                if ev.compartment == MEMBERS:
                    body = self._fold.body(ev)
                    if body is not None:
                        self._members.apply(ev, body, check=False)
                self._fold.apply(ev, h)
        return n

    def export_log(self, out: Path | str) -> int:
        events = list(log.raw_and_sig(self.conn))
        key = logfile.log_key(self.keyring.workspace_secret)
        write_atomic(out, logfile.seal_log(key, self.keyring.workspace_id, events))
        self.note("export-log")
        return len(events)

    def read_log(self, path: Path | str) -> logfile.LogBody:
        try:
            blob = Path(path).read_bytes()
        except OSError as exc:
            raise WorkspaceError(f"cannot read {path}: {exc.strerror}") from None
        body = logfile.open_log(logfile.log_key(self.keyring.workspace_secret), blob)
        if body.workspace != self.keyring.workspace_id:
            raise logfile.LogFileError("the log file belongs to another workspace")
        return body

    def import_log(self, path: Path | str, progress: Callable[[int], None] | None = None) -> int:
        """Verify and take in the events of an exported log file of this workspace: restore
        after the store was lost, or take in another device's log. Returns the events new
        here; events already held are skipped."""
        body = self.read_log(path)
        n = self.ingest(body.events, progress=progress)
        self.note("import-log")
        return n

    def verify_log(self, path: Path | str) -> VerifyReport:
        body = self.read_log(path)
        decoded = []
        for position, (raw, sig) in enumerate(body.events, start=1):
            try:
                ev = decode(raw)
            except VerificationError as exc:
                raise VerificationError(f"event #{position} in the log file: {exc}") from None
            decoded.append(((ev.author, ev.compartment, ev.seq), raw, sig))
        decoded.sort(key=lambda d: d[0])
        return verify_rows(((raw, sig) for _, raw, sig in decoded), self.keyring.workspace_id)

    def ingest(
        self,
        rows: Iterable[tuple],
        progress: Callable[[int], None] | None = None,
        *,
        sender: bytes | None = None,
    ) -> int:
        """Verify and store events written elsewhere (another device, a restored log).

        All or nothing: the first bad event is named and nothing is applied. Events already
        held are skipped, so ingesting the same rows twice changes nothing. Each chain
        segment is verified by its hashes and its last signature (`ledger.incoming`);
        membership changes are checked first (`sync.members`), then every other event's
        author must be a member. Events a revoked device wrote after its pin are dropped,
        and refused outright when that device is the `sender`.
        """
        accepted = incoming.check(
            self.conn, self.keyring.workspace_id, rows, int(time.time() * 1000)
        )
        with self.transaction():
            changes = sorted(
                (a for a in accepted if a.event.compartment == MEMBERS),
                key=lambda a: (a.event.hlc, a.event.author, a.event.seq),
            )
            for a in changes:
                body = _decode_body(a.plain) if a.plain else self._fold.body(a.event)
                if body is None:
                    raise members.MembershipError(
                        f"membership change {a.event.label}: this device cannot read it "
                        "(it was removed from the workspace, or lacks a key epoch)"
                    )
                self._members.apply(a.event, body)
            taken = []
            for a in accepted:
                ev = a.event
                if ev.compartment == MEMBERS or self._members.check_author(ev, a.hash):
                    taken.append(a)
                elif sender == ev.author:
                    raise VerificationError(
                        f"event {ev.label}: written after its device was revoked; "
                        "this bundle comes from that revoked device",
                        ev.label,
                    )
            self.conn.executemany(
                log.INSERT,
                [
                    (
                        ev.author,
                        ev.compartment,
                        ev.seq,
                        a.hash,
                        ev.prev,
                        ev.hlc,
                        ev.rtype,
                        ev.rid,
                        ev.op,
                        a.raw,
                        a.sig,
                    )
                    for a in taken
                    for ev in (a.event,)
                ],
            )
            for n, a in enumerate(taken, start=1):
                self.clock.observe(a.event.hlc)
                self._fold.apply(a.event, a.hash, _decode_body(a.plain) if a.plain else None)
                if progress and n % 1000 == 0:
                    progress(n)
            self._fold.flush()
        return len(taken)
