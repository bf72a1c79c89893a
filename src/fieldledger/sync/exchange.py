"""Making and taking in bundles: what a device sends, and what it accepts.

Each bundle carries its sender's frontier (per author and compartment, the highest
sequence held). The receiver keeps the last frontier seen from each member, so its next
bundle to that member holds exactly what the member lacks; the first bundle to a member
whose frontier is unknown holds everything its role may hold. A bundle's counter rises with
every bundle its sender makes, which is how an old bundle replayed later is recognised.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import msgspec

from fieldledger.errors import VerificationError
from fieldledger.ledger import store as log
from fieldledger.ledger.event import OP_PUT, PRUNED, decode
from fieldledger.ledger.incoming import MAX_CLOCK_SKEW_MS
from fieldledger.records import REGISTRY
from fieldledger.sync import bundle, members, wire
from fieldledger.sync.bundle import BundleError, Payload, Section, SectionBody
from fieldledger.sync.roles import MEMBERS, PROTECTED_ROLES, compartments_of
from fieldledger.vault import recordkeys
from fieldledger.vault.store import Connection, run_script

if TYPE_CHECKING:
    from fieldledger.workspace import Workspace

SCHEMA = """
CREATE TABLE IF NOT EXISTS peers (
    device BLOB PRIMARY KEY, counter INTEGER NOT NULL, bundle BLOB NOT NULL,
    frontier BLOB NOT NULL, seen INTEGER NOT NULL
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS alarms (
    at INTEGER NOT NULL, kind TEXT NOT NULL, detail TEXT NOT NULL
);
"""

Frontier = dict[tuple[bytes, str], tuple[int, bytes]]
# Record families whose personal data is sealed under a key of the record's own: their keys
# travel with them (people, incidents, security incidents, feedback).
_PERSONAL = {t.name for t in REGISTRY.values() if t.pii}


@dataclass(frozen=True)
class Exported:
    data: bytes
    events: int
    recipient: str | None


@dataclass(frozen=True)
class Imported:
    events: int
    skipped: int
    sender: str  # how people name the sending device
    device: bytes  # its key
    already: bool = False


def create_schema(conn: Connection) -> None:
    run_script(conn, SCHEMA)


def frontier(conn: Connection) -> Frontier:
    rows = conn.execute(
        "SELECT e.author, e.compartment, e.seq, e.hash FROM events e JOIN ("
        " SELECT author, compartment, MAX(seq) AS seq FROM events GROUP BY author, compartment"
        ") t USING (author, compartment, seq)"
    )
    return {(a, c): (s, h) for a, c, s, h in rows}


def peer_frontier(conn: Connection, device: bytes) -> Frontier | None:
    row = conn.execute("SELECT frontier FROM peers WHERE device = ?", (device,)).fetchone()
    if row is None:
        return None
    return {(a, c): (s, h) for a, c, s, h in msgspec.msgpack.decode(row[0])}


def alarms(conn: Connection) -> list[tuple[int, str, str]]:
    return conn.execute("SELECT at, kind, detail FROM alarms ORDER BY at").fetchall()


def _raise_alarm(ws: Workspace, kind: str, detail: str) -> None:
    with ws.transaction():
        ws.conn.execute(
            "INSERT INTO alarms VALUES (?, ?, ?)", (int(time.time() * 1000), kind, detail)
        )


# -- making a bundle --------------------------------------------------------------------


def _start_points(
    ws: Workspace, recipient: members.Member | None, role: str | None, full: bool
) -> tuple[dict, set[str]]:
    """Per chain, the sequence after which to send; and the compartments to carry."""
    held = set(ws.keyring.epochs)
    if full:  # a backup, or what a restore starts from: everything held here
        return {}, held
    if role is not None:  # a device about to join: everything its role holds
        return {}, held & set(compartments_of(role))
    if recipient is not None:
        known = peer_frontier(ws.conn, recipient.device) or {}
        return {k: s for k, (s, _) in known.items()}, held & set(compartments_of(recipient.role))
    # For anyone: what the member furthest behind lacks, per compartment it holds. A
    # recovery kit never sends a frontier: it does not hold things back (`full` does).
    kits = {d for (d,) in ws.conn.execute("SELECT device FROM recovery_kits")}
    others = [
        m
        for m in members.all_members(ws.conn)
        if m.active and m.device != ws.device and m.device not in kits
    ]
    starts: dict[tuple[bytes, str], int] = {}
    chains = frontier(ws.conn)
    for chain in chains:
        seen = []
        for m in others:
            if chain[1] not in compartments_of(m.role):
                continue
            known = peer_frontier(ws.conn, m.device)
            seen.append(known.get(chain, (0, b""))[0] if known else 0)
        starts[chain] = min(seen) if seen else 0
    return starts, held


def export_bundle(
    ws: Workspace,
    for_member: str | None = None,
    *,
    role: str | None = None,
    full: bool = False,
) -> Exported:
    """A bundle for one member (what it lacks, in its role's compartments), for a device
    of `role` that is joining (all its role holds), for anyone (what the member furthest
    behind lacks), or `full`: everything this device holds, as a backup to restore from."""
    recipient = members.find(ws.conn, for_member) if for_member else None
    starts, carried = _start_points(ws, recipient, role, full)
    parts = []
    total = 0
    keys = _Keys(ws)
    for compartment in sorted(carried):
        segments, n, epoch = _segments(ws, compartment, starts, keys)
        if segments:
            total += n
            singles, batches = keys.take()
            # The receiver learns which records a seed serves from their bodies (`_key`).
            seeds = {batch: seed for batch, (seed, _) in batches.items()}
            parts.append((compartment, epoch, SectionBody(segments, singles, seeds)))
    protected = _seal_protected(ws, recipient, *keys.take(protected=True))
    # The outer seal uses the members epoch of the membership changes carried: a device
    # that has not yet seen a revocation opens it with the key it holds, and takes the new
    # epoch's keys from the revocation inside.
    epoch = next((e for c, e, _ in parts if c == MEMBERS), max(ws.keyring.epochs[MEMBERS]))
    members_key = ws.keyring.epochs[MEMBERS][epoch]
    header = bundle.make_header(members_key, epoch)
    sections = [
        Section(c, e, bundle.seal_section(ws.keyring.epochs[c][e], header, c, e, _encode(body)))
        for c, e, body in parts
    ]
    with ws.transaction():
        counter = int(log.get_meta(ws.conn, "bundle_counter", 0)) + 1
        log.set_meta(ws.conn, "bundle_counter", counter)
    payload = Payload(
        sender=ws.device,
        counter=counter,
        made_ms=int(time.time() * 1000),
        recipient=recipient.device if recipient else None,
        frontier=[(a, c, s, h) for (a, c), (s, h) in sorted(frontier(ws.conn).items())],
        sections=sections,
        protected=protected,
    )
    from fieldledger.sync import recovery

    stanza = recovery.stanza_for(ws)
    data = bundle.seal_bundle(members_key, header, stanza, payload, ws.keyring.device_secret)
    ws.note("sync-export", recipient.name if recipient else None)
    return Exported(data, total, recipient.name if recipient else None)


def _pruned(raw: bytes) -> bool:
    return decode(raw).body == PRUNED


def _encode(body: SectionBody) -> bytes:
    return msgspec.msgpack.encode(body)


def _seal_protected(
    ws: Workspace, recipient: members.Member | None, singles: dict, batches: dict
) -> dict[bytes, bytes]:
    """The keys of protected records, sealed to each member whose role may open them."""
    if not singles and not batches:
        return {}
    keys = msgspec.msgpack.encode([singles, batches])
    return {
        m.device: members.seal_to(m.box, keys)
        for m in members.all_members(ws.conn)
        if m.active
        and m.role in PROTECTED_ROLES
        and m.device != ws.device
        and (recipient is None or recipient.device == m.device)
    }


class _Keys:
    """The record keys a bundle carries, gathered as its sections are made: for each section
    the keys of the records with personal data in it (one seed per batch), and apart, the keys
    of protected records (sensitive feedback), which travel sealed to each member whose role
    may open them (`roles.PROTECTED_ROLES`)."""

    def __init__(self, ws: Workspace) -> None:
        self.ws = ws
        self.lookup = recordkeys.Lookup(ws.conn, ws.keyring)
        self.protected = {
            rid for (rid,) in ws.conn.execute("SELECT id FROM feedback WHERE sensitive = 1")
        }
        self._rids: set[str] = set()
        self._protected_rids: set[str] = set()

    def note(self, rid: str) -> None:
        (self._protected_rids if rid in self.protected else self._rids).add(rid)

    def key(self, rid: str, batch: str | None = None) -> bytes | None:
        """For carrying personal values open: never for a protected record, whose values
        must stay sealed for receivers that will not get its key."""
        return None if rid in self.protected else self.lookup.key(rid)

    def take(self, protected: bool = False) -> tuple[dict[str, bytes], dict]:
        rids = self._protected_rids if protected else self._rids
        singles: dict[str, bytes] = {}
        batches: dict[str, tuple[bytes, list[str]]] = {}
        for rid in sorted(rids):
            batch = self.lookup.batch(rid)
            seed = self.lookup.seed(batch) if batch else None
            if batch and seed:
                batches.setdefault(batch, (seed, []))[1].append(rid)
                continue
            key = recordkeys.get(self.ws.conn, self.ws.keyring, rid)
            if key is not None:
                singles[rid] = key
        rids.clear()
        return singles, batches


def _segments(
    ws: Workspace, compartment: str, starts: dict, keys: _Keys
) -> tuple[list[wire.Segment], int, int]:
    """The runs of each chain to send, and the epoch to seal them under: the oldest among
    them. Events of a newer epoch travel still sealed under their own key, so a section a
    revoked device can open never holds what was written after its revocation."""
    runs = []
    authors = [
        a
        for (a,) in ws.conn.execute(
            "SELECT DISTINCT author FROM events WHERE compartment = ? ORDER BY author",
            (compartment,),
        )
    ]
    for author in authors:
        start = starts.get((author, compartment), 0)
        rows = ws.conn.execute(
            "SELECT raw, sig FROM events WHERE author = ? AND compartment = ?"
            " AND seq > ? ORDER BY seq",
            (author, compartment, start),
        ).fetchall()
        # A chain whose end is not signed here, or with bodies shed by `prune`, is left to
        # a device that holds it whole.
        if rows and rows[-1][1] is not None and not any(_pruned(r[0]) for r in rows):
            runs.append((author, rows))
    if not runs:
        return [], 0, 0
    epoch = min(decode(r[0]).epoch for _, rows in runs for r in rows)
    segments: list[wire.Segment] = []
    n = 0
    for author, rows in runs:
        events = []
        first = None
        for ev, w, _sig in wire.to_wire(ws.keyring, rows, epoch, keys.key):
            first = first or ev
            events.append(w)
            if ev.op == OP_PUT and ev.rtype in _PERSONAL:
                keys.note(ev.rid)
        assert first is not None
        segments.append(wire.Segment(author, first.seq, first.prev, rows[-1][1], events))
        n += len(events)
    return segments, n, epoch


# -- taking a bundle in -------------------------------------------------------------------


def _members_key_for(ws: Workspace, parsed: bundle.Parsed) -> bytes:
    keys = ws.keyring.epochs[MEMBERS]
    key = keys.get(parsed.epoch)
    if key is not None:
        this_week = bundle.week()
        for period in range(this_week + 1, this_week - bundle.TOKEN_WEEKS - 1, -1):
            if bundle.routing_token(key, period) == parsed.token:
                return key
    if parsed.epoch > max(keys) and all(
        bundle.routing_token(k, p) != parsed.token
        for k in keys.values()
        for p in range(bundle.week() - 1, bundle.week() + 2)
    ):
        raise BundleError(
            "the bundle is not for this workspace, or was made after a key change this "
            "device has not received (was it removed from the workspace?): nothing applied"
        )
    raise BundleError(
        f"the bundle is not for this workspace (or older than {bundle.TOKEN_WEEKS} weeks): "
        "nothing applied"
    )


def read_bundle(
    ws: Workspace, data: bytes, *, any_age: bool = False
) -> tuple[Payload, bytes, bundle.Parsed]:
    parsed = bundle.parse(data)
    key = ws.keyring.epochs[MEMBERS].get(parsed.epoch) if any_age else None
    payload, bundle_hash = bundle.open_bundle(key or _members_key_for(ws, parsed), parsed)
    return payload, bundle_hash, parsed


def import_bundle(
    ws: Workspace,
    data: bytes,
    progress: Callable[[int, int], None] | None = None,
    *,
    alarm_on_replay: bool = True,
    any_age: bool = False,
) -> Imported:
    """Verify and take in a bundle, all or nothing; `progress(done, total)` is called as
    events are stored. A relay keeps old bundles as a matter of course: its client passes
    `alarm_on_replay=False`. A restore passes `any_age` to take in bundles older than the
    routing-token window."""
    payload, bundle_hash, parsed = read_bundle(ws, data, any_age=any_age)
    sender_name = payload.sender[:4].hex()
    if payload.sender == ws.device:
        raise BundleError("this bundle was made by this device: give it to another one")
    now = int(time.time() * 1000)
    if payload.made_ms > now + MAX_CLOCK_SKEW_MS:
        raise BundleError(
            "the bundle is dated more than 24 hours ahead of this device's clock: check the "
            "clocks of both devices; nothing applied"
        )
    if payload.recipient not in (None, ws.device):
        raise BundleError(
            "the bundle was made for another device: ask for one made for this device "
            "(sync export --for); nothing applied"
        )
    replayed = False
    try:
        # The replay check runs inside the transaction (BEGIN IMMEDIATE), so two imports
        # from the same sender at once (a server and the CLI) cannot roll the counter back.
        with ws.transaction():
            last = ws.conn.execute(
                "SELECT counter, bundle FROM peers WHERE device = ?", (payload.sender,)
            ).fetchone()
            if last is not None and payload.counter == last[0] and bundle_hash == last[1]:
                return Imported(0, 0, _name(ws, payload.sender), payload.sender, already=True)
            if last is not None and payload.counter <= last[0]:
                replayed = True
                raise BundleError(
                    f"an older bundle from device {sender_name} than one already taken in "
                    "(a replay): nothing applied"
                )
            new, skipped = _take_in(ws, payload, parsed, progress)
            sender = members.member(ws.conn, payload.sender)
            if sender is None:
                raise BundleError(
                    f"the bundle's sender {sender_name} is not a member of this workspace: "
                    "nothing applied"
                )
            ws.conn.execute(
                "INSERT OR REPLACE INTO peers VALUES (?, ?, ?, ?, ?)",
                (
                    payload.sender,
                    payload.counter,
                    bundle_hash,
                    msgspec.msgpack.encode(payload.frontier),
                    now,
                ),
            )
            ws.note("sync-import", sender.name)
    except BundleError:
        if replayed and alarm_on_replay:
            _raise_alarm(ws, "replay", f"an older bundle from {sender_name} was offered again")
        raise
    except VerificationError as exc:
        if "forked" in str(exc) or "tampered" in str(exc):
            _raise_alarm(ws, "fork", f"from {sender_name}: {exc}")
        raise
    return Imported(new, skipped, sender.name, payload.sender)


def _name(ws: Workspace, device: bytes) -> str:
    m = members.member(ws.conn, device)
    return m.name if m else device[:4].hex()


def _take_in(
    ws: Workspace,
    payload: Payload,
    parsed: bundle.Parsed,
    progress: Callable[[int, int], None] | None,
) -> tuple[int, int]:
    """Members first (they may bring the keys of a new epoch), then every other part this
    device holds keys for."""
    ordered = sorted(payload.sections, key=lambda s: (s.compartment != MEMBERS, s.compartment))
    rows: list[tuple[bytes, bytes | None]] = []
    record_keys: dict[str, bytes] = {}
    key_batches: dict[str, tuple[bytes, list[str]]] = {}
    seen: dict[str, set[str]] = {}  # batch -> the records whose bodies name it
    held = recordkeys.Lookup(ws.conn, ws.keyring)
    new = 0
    for section in ordered:
        key = ws.keyring.epochs.get(section.compartment, {}).get(section.epoch)
        if key is None:
            if (
                section.compartment in ws.keyring.epochs
                and section.epoch > ws.keyring.current_epoch(section.compartment)
            ):
                raise BundleError(
                    f"the bundle's {section.compartment} part is sealed under a key epoch this "
                    "device never received: nothing applied"
                )
            continue  # a compartment this device's role does not hold
        try:
            body = msgspec.msgpack.decode(
                bundle.open_section(key, parsed.header, section), type=_SectionIn
            )
        except (msgspec.DecodeError, ValueError) as exc:
            raise BundleError(
                f"the bundle's {section.compartment} part does not decode: nothing applied"
            ) from exc

        def record_key(rid: str, batch: str | None, body: _SectionIn = body) -> bytes | None:
            if rid in body.record_keys:
                return body.record_keys[rid]
            seed = body.key_batches.get(batch) if batch else None
            if seed is None and batch:
                seed = held.seed(batch)
            return recordkeys.key_of(seed, rid) if seed else held.key(rid)

        section_rows = wire.from_wire(
            ws.keyring,
            ws.keyring.workspace_id,
            section.compartment,
            body.segments,
            record_key,
            seen,
        )
        if section.compartment == MEMBERS:
            new += ws.ingest(section_rows, sender=payload.sender)
        else:
            rows.extend(section_rows)
        record_keys.update(body.record_keys)
        key_batches.update(
            (batch, (seed, sorted(seen.get(batch, ())))) for batch, seed in body.key_batches.items()
        )
    total = len(rows)
    step = (lambda n: progress(n, total)) if progress else None
    taken = ws.ingest(rows, progress=step, sender=payload.sender)
    if progress:
        progress(total, total)
    sealed = payload.protected.get(ws.device)
    if sealed is not None:
        singles, batches = msgspec.msgpack.decode(
            members.open_sealed(ws.keyring.box_secret, sealed),
            type=tuple[dict[str, bytes], dict[str, tuple[bytes, list[str]]]],
        )
        record_keys.update(singles)
        key_batches.update(batches)
    _store_record_keys(ws, record_keys, key_batches)
    return new + taken, total - taken  # skipped: already held, or a revoked device's


class _SectionIn(msgspec.Struct, array_like=True):
    segments: list[wire.Segment]
    record_keys: dict[str, bytes]
    key_batches: dict[str, bytes]


def _store_record_keys(ws: Workspace, keys: dict[str, bytes], batches: dict) -> None:
    forgotten = {rid for (rid,) in ws.conn.execute("SELECT rid FROM forgotten")}
    for rid, key in keys.items():
        if rid in forgotten or recordkeys.get(ws.conn, ws.keyring, rid) is not None:
            continue
        recordkeys.put(ws.conn, ws.keyring, rid, key)
    for batch, (seed, rids) in batches.items():
        recordkeys.put_batch(ws.conn, ws.keyring, batch, seed, rids)


def export_to_file(ws: Workspace, out: Path, for_member: str | None = None) -> Exported:
    from fieldledger.files import write_atomic

    exported = export_bundle(ws, for_member)
    write_atomic(out, exported.data)
    return exported
