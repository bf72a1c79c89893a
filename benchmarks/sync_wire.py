"""Sync on the wire: bytes of one bundle carrying ~10,000 new records, against the zstd floor.

Budget (DESIGN.md section 4): the bundle A -> B that carries a demo-like mix of new records is
<= 1.25 x the zstd size of the same records as plain JSON lines (goal 1.10 x), with the
overhead itemised; a file round trip is one bundle each way.

How: A (admin) is filled with `demo.fill(households=--base)` and B (coordinator) joins and
takes in everything; B answers once, so A knows B's frontier. Then A is filled again with
`demo.fill(households=--households)` (the same seed: `fill` derives a new one from the
households already there, so no id repeats): a second programme's projects, grants,
households, people, assessments, distributions, trainings, incidents... about 10,000 new
records. The bundle A -> B made for B carries them, and B's reply goes back.

The floor: each new record as `A.get(type, id, reveal=True)` shows it (personal data in
plaintext, companion fields such as a distribution's transfer channel merged in, the view's
`conflict` flag dropped), with its type, one compact JSON object (UTF-8, not \\u escapes) a
line, compressed with zstd at level 12 and at level 19. The verdict compares the bundle with
the floor compressed at the level the bundle used for its sections
(`bundle.compression_level`), so the ratio measures the format, not the compressor setting.

The overhead is itemised by measurement: each section of the bundle (opened with B's keys) is
compressed again at the level the bundle used for it, taking one part out at a time
(signatures, key batches (a seed per batch name), single record keys, bodies still sealed,
the wrapper of personal values carried open, personal values still sealed, the batch name in
personal records, typed-text notes, clocks, heads, per-event and per-segment framing, the
split into sections); what the outer layers add is counted exactly; the rest is the
encoding of the content itself (msgpack event bodies vs JSON records).

    .venv/bin/python benchmarks/sync_wire.py [--base 100] [--households 750] [--seed 1]
"""

from __future__ import annotations

import argparse
import itertools
import json
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Callable
from pathlib import Path

import msgspec
import zstandard
from _common import header, new_workspace, timed, verdict

from fieldledger import demo
from fieldledger.crypto import SEAL_OVERHEAD, unseal
from fieldledger.ledger import store as log
from fieldledger.ledger.event import OP_PUT, body_ad
from fieldledger.records import REGISTRY
from fieldledger.records.text import TEXT_NOTES
from fieldledger.sync import bundle, exchange, wire
from fieldledger.vault import recordkeys
from fieldledger.vault.kdf import TEST_PARAMS
from fieldledger.workspace import Workspace

BUDGET = 1.25
GOAL = 1.10
LINK_BPS = 64_000
LEVELS = (12, 19)  # what `bundle.compression_level` chooses from
OPEN_EXT = 1  # msgpack ext code of a personal value carried open (`wire._OPEN`)
FORMS = {wire.PERSONAL: "PERSONAL", wire.PLAIN: "PLAIN", wire.SEALED: "SEALED"}
PERSONAL_FIELDS = {t.name: t.pii for t in REGISTRY.values() if t.pii}


class SectionIn(msgspec.Struct, array_like=True):
    """A section's plaintext, as `exchange` writes it (`bundle.SectionBody`)."""

    segments: list[wire.Segment]
    record_keys: dict[str, bytes]
    key_batches: dict[str, bytes]  # batch -> seed; the bodies (`_key`) name their batch


Sections = dict[str, SectionIn]  # compartment -> its section, opened
Levels = dict[str, int]  # compartment -> the zstd level the bundle used for its section


def zsize(data: bytes, level: int, dict_data: zstandard.ZstdCompressionDict | None = None) -> int:
    return len(zstandard.ZstdCompressor(level=level, dict_data=dict_data).compress(data))


def pack(obj: object) -> bytes:
    return msgspec.msgpack.encode(obj)


def name_of(ws: Workspace) -> str:
    return ws.device.hex()[:16]


# -- the exchange --------------------------------------------------------------------------


def two_devices(tmp: str, base: int, seed: int) -> tuple[Workspace, Workspace, bytes]:
    a = new_workspace(Path(tmp, "a"))
    demo.fill(a, households=base, seed=seed)
    b = a.add_device(
        Path(tmp, "b"), "pw", role="coordinator", label="b", params=TEST_PARAMS,
        check_strength=False,
    )
    first = exchange.export_bundle(a, role="coordinator")
    exchange.import_bundle(b, first.data)
    reply = exchange.export_bundle(b, name_of(a))
    exchange.import_bundle(a, reply.data)
    print(
        f"first sync: A ({base} households) -> B {len(first.data):,} bytes, "
        f"{first.events:,} events; B -> A {len(reply.data):,} bytes, {reply.events} events"
    )
    return a, b, first.data


def open_sections(ws: Workspace, data: bytes) -> tuple[bundle.Payload, Sections]:
    """The bundle's payload and its sections' plaintexts, opened with `ws`'s keys."""
    payload, _, parsed = exchange.read_bundle(ws, data)
    opened = {}
    for s in payload.sections:
        key = ws.keyring.epochs[s.compartment][s.epoch]
        plain = bundle.open_section(key, parsed.header, s)
        opened[s.compartment] = msgspec.msgpack.decode(plain, type=SectionIn)
    return payload, opened


def levels_of(sections: Sections) -> Levels:
    """The level the bundle compressed each section at (it chose by the section's size)."""
    return {c: bundle.compression_level(len(pack(body))) for c, body in sections.items()}


# -- the floor -------------------------------------------------------------------------------


def new_records(sections: Sections) -> list[tuple[str, str]]:
    """(type, id) of every record the bundle writes, a companion folded into its parent."""
    seen: dict[tuple[str, str], None] = {}
    for body in sections.values():
        for seg in body.segments:
            for w in seg.events:
                if w.op == OP_PUT:
                    seen[(w.rtype.split(".")[0], w.rid)] = None
    return list(seen)


def floor_lines(ws: Workspace, records: list[tuple[str, str]]) -> bytes:
    out = []
    with ws.transaction():  # reveal writes an access note per person: one commit for all
        for rtype, rid in records:
            rec = ws.get(rtype, rid, reveal=True)
            rec.pop("conflict", None)
            line = json.dumps({"type": rtype, **rec}, ensure_ascii=False, separators=(",", ":"))
            out.append(line)
    return ("\n".join(out) + "\n").encode()


# -- itemising ------------------------------------------------------------------------------

EventFn = Callable[[str, wire.Segment, int, wire.WireEvent], wire.WireEvent]


def each_event(sections: Sections, fn: EventFn) -> Sections:
    """The sections with `fn(compartment, segment, index, event)` applied to every event."""
    return {
        c: msgspec.structs.replace(body, segments=[
            msgspec.structs.replace(g, events=[fn(c, g, i, w) for i, w in enumerate(g.events)])
            for g in body.segments
        ])
        for c, body in sections.items()
    }


def each_segment(sections: Sections, **changes: object) -> Sections:
    return {
        c: msgspec.structs.replace(
            body, segments=[msgspec.structs.replace(g, **changes) for g in body.segments]
        )
        for c, body in sections.items()
    }


def each_body(sections: Sections, **changes: object) -> Sections:
    return {c: msgspec.structs.replace(body, **changes) for c, body in sections.items()}


def compressed(
    sections: Sections, levels: Levels, dict_data: zstandard.ZstdCompressionDict | None = None
) -> int:
    """What the bundle carries for these sections: each one's msgpack, zstd at the level the
    bundle used for it."""
    return sum(zsize(pack(body), levels[c], dict_data) for c, body in sections.items())


def fields_of(w: wire.WireEvent, fn: Callable[[dict], bool]) -> wire.WireEvent:
    """The event with `fn` applied to its decoded body (a PLAIN or PERSONAL put); re-encoded
    only when `fn` says it changed something."""
    if w.form == wire.SEALED or w.op != OP_PUT:
        return w
    fields = msgspec.msgpack.decode(w.body)
    if not isinstance(fields, dict) or not fn(fields):
        return w
    return msgspec.structs.replace(w, body=pack(fields))


class Stripper:
    """The steps that take parts out of event bodies, counting what they find. A holds every
    compartment key and record key, so it can open whatever still travels sealed."""

    def __init__(self, a: Workspace) -> None:
        self.a = a
        self.sealed_bodies = self.sealed_body_bytes = 0
        self.open_values = self.open_value_bytes = 0
        self.sealed_values = self.sealed_value_bytes = self.sealed_value_plain = 0
        self.batch_names = 0
        self.notes = 0

    def open_bodies(self, c: str, g: wire.Segment, i: int, w: wire.WireEvent) -> wire.WireEvent:
        """A SEALED body (its epoch is not the section's) as the plaintext it seals."""
        if w.form != wire.SEALED:
            return w
        key = self.a.keyring.epochs[c][w.epoch]
        ad = body_ad(self.a.keyring.workspace_id, g.author, c, w.epoch, g.first + i,
                     w.rtype, w.rid, w.op)
        plain = unseal(key, w.body, ad)
        self.sealed_bodies += 1
        self.sealed_body_bytes += len(w.body)
        return msgspec.structs.replace(w, body=plain, form=wire.PLAIN)

    def unwrap_open(self, _c: str, _g: wire.Segment, _i: int, w: wire.WireEvent) -> wire.WireEvent:
        """Personal values carried open (msgpack ext 1 around the value's msgpack) as the
        bare values."""
        if w.form != wire.PERSONAL:
            return w

        def walk(obj: object) -> object:
            if isinstance(obj, msgspec.msgpack.Ext) and obj.code == OPEN_EXT:
                self.open_values += 1
                self.open_value_bytes += len(obj.data)
                return msgspec.msgpack.decode(obj.data)
            if isinstance(obj, dict):
                return {k: walk(v) for k, v in obj.items()}
            if isinstance(obj, list):
                return [walk(v) for v in obj]
            return obj

        def fn(fields: dict) -> bool:
            fields.update(walk(fields))
            return True

        return fields_of(w, fn)

    def open_sealed(self, _c: str, _g: wire.Segment, _i: int, w: wire.WireEvent) -> wire.WireEvent:
        """Personal values still sealed in a PLAIN body (the sender lacked the record's key,
        or the value was sealed before sealing was deterministic) as their plaintext."""
        pii = PERSONAL_FIELDS.get(w.rtype)
        if not pii or w.form != wire.PLAIN:
            return w

        def fn(fields: dict) -> bool:
            key = recordkeys.get(self.a.conn, self.a.keyring, w.rid)
            if key is None:
                return False
            notes = fields.get(TEXT_NOTES) or {}
            changed = False
            for name in pii:
                if isinstance(fields.get(name), bytes):
                    fields[name] = self._open(key, w.rid, name, fields[name])
                    changed = True
                note = notes.get(name)
                if isinstance(note, list) and note and isinstance(note[0], bytes):
                    note[0] = self._open(key, w.rid, f"{name}#typed", note[0])
                    changed = True
            return changed

        return fields_of(w, fn)

    def _open(self, key: bytes, rid: str, name: str, blob: bytes) -> object:
        value = recordkeys.open_value(key, rid, name, blob)
        self.sealed_values += 1
        self.sealed_value_bytes += len(blob)
        self.sealed_value_plain += len(pack(value))
        return value

    def drop_batch_name(self, _c: str, _g: wire.Segment, _i: int, w: wire.WireEvent
                        ) -> wire.WireEvent:
        def fn(fields: dict) -> bool:
            if fields.pop(recordkeys.BODY_FIELD, None) is None:
                return False
            self.batch_names += 1
            return True

        return fields_of(w, fn)

    def drop_notes(self, _c: str, _g: wire.Segment, _i: int, w: wire.WireEvent) -> wire.WireEvent:
        def fn(fields: dict) -> bool:
            if fields.pop(TEXT_NOTES, None) is None:
                return False
            self.notes += 1
            return True

        return fields_of(w, fn)


def ladder(a: Workspace, carried: Sections, levels: Levels, level: int
           ) -> tuple[list[tuple[str, int]], Stripper]:
    """Compressed size of all sections as each part is taken out, in this order; the
    difference between two steps is what that part costs on the wire."""
    steps = [("as carried", compressed(carried, levels))]

    def step(name: str, sections: Sections) -> Sections:
        steps.append((name, compressed(sections, levels)))
        return sections

    def replace(**changes: object) -> EventFn:
        return lambda _c, _g, _i, w: msgspec.structs.replace(w, **changes)

    strip = Stripper(a)
    s = step("signatures (one per segment)", each_segment(carried, signature=b""))
    s = step("key batches: seeds and batch names", each_body(s, key_batches={}))
    s = step("single record keys (of records of a shredded batch)", each_body(s, record_keys={}))
    s = step("bodies carried sealed (SEALED: epoch other than the section's)",
             each_event(s, strip.open_bodies))
    s = step("personal values carried open: ext 1 wrapper", each_event(s, strip.unwrap_open))
    s = step("personal values carried sealed (in PLAIN bodies)", each_event(s, strip.open_sealed))
    s = step("batch name in each personal record's body (`_key`: picks the seed)",
             each_event(s, strip.drop_batch_name))
    s = step("typed-text notes (`_text`: what was typed, score)", each_event(s, strip.drop_notes))
    s = step("clocks (ms since the event before << 16 | counter)",
             each_event(s, replace(hlc=0)))
    s = step("heads per event (versions seen)", each_event(s, replace(heads=())))
    s = step("epoch, op, form per event", each_event(s, replace(epoch=0, op="", form=0)))
    s = step("segment headers (author, first sequence, previous hash)",
             each_segment(s, author=b"", first=0, prev=b""))
    # What a record needs: its type, its id and its fields.
    bare = {c: [[w.rtype, w.rid, w.body] for g in body.segments for w in g.events]
            for c, body in s.items()}
    steps.append(("event and segment structure (array headers of the above)",
                  sum(zsize(pack(x), levels[c]) for c, x in bare.items())))
    steps.append((f"split into {len(bare)} sections (vs one zstd stream)",
                  zsize(pack([x for c in sorted(bare) for x in bare[c]]), level)))
    return steps, strip


def what_if(carried: Sections, history: Sections, levels: Levels, level: int
            ) -> list[tuple[str, int, int]]:
    """(change, section bytes as zstd frames, sections) under changes to how sections are
    compressed, simulated on the same events."""
    out = [("as carried", compressed(carried, levels), len(carried))]
    one = pack([carried[c] for c in sorted(carried)])
    out.append((f"all sections in one zstd stream (zstd {level}, one seal)",
                zsize(one, level), 1))
    samples = [pack(w) for body in history.values() for g in body.segments for w in g.events]
    shared = zstandard.train_dictionary(32 * 1024, samples, level=level)
    out.append(("a 32 KiB zstd dictionary trained on the log both devices hold",
                compressed(carried, levels, shared), len(carried)))
    return out


def outer_items(data: bytes, payload: bundle.Payload) -> list[tuple[str, int]]:
    """Exact bytes of everything around the compressed section plaintexts."""
    sections = payload.sections
    payload_bytes = pack(payload)
    inner = pack([payload_bytes, b"\0" * 64])
    body = len(data) - bundle.HEADER.size - bundle.STANZA_BYTES - SEAL_OVERHEAD
    framing = len(pack(sections)) - sum(len(s.sealed) for s in sections)
    frontier = len(pack(payload.frontier))
    # keys of protected records (sensitive feedback), sealed to each member who may open them
    boxes = getattr(payload, "protected", None)
    protected = len(pack(boxes)) if boxes is not None else 0
    return [
        ("header (version, routing token, epoch)", bundle.HEADER.size),
        ("recovery stanza", bundle.STANZA_BYTES),
        ("bundle seal (nonce + tag)", SEAL_OVERHEAD),
        ("Padme padding", body - 4 - len(inner)),
        ("length, bundle signature (64) and its framing", 4 + len(inner) - len(payload_bytes)),
        ("payload fields (sender, counter, time, recipient)",
         len(payload_bytes) - len(pack(sections)) - frontier - protected),
        (f"frontier ({len(payload.frontier)} chains)", frontier),
        (f"keys of protected records (sealed to {len(boxes or {})} members)", protected),
        (f"section seals ({len(sections)} x nonce + tag)", SEAL_OVERHEAD * len(sections)),
        ("section framing (compartment, epoch, length)", framing),
    ]


def wire_size(data: bytes, payload: bundle.Payload, sections_bytes: int, count: int) -> int:
    """The bundle's size had its `count` section frames taken `sections_bytes` in all (the
    framing of a section left out is not counted off: a few bytes)."""
    now = sum(len(s.sealed) - SEAL_OVERHEAD for s in payload.sections)
    seals = SEAL_OVERHEAD * (count - len(payload.sections))
    inner = 4 + len(pack([pack(payload), b"\0" * 64])) + sections_bytes - now + seals
    return bundle.HEADER.size + bundle.STANZA_BYTES + SEAL_OVERHEAD + bundle.padme(inner)


def bundle_level(sections: Sections, levels: Levels) -> int:
    """The level the bundle used: the one of its sections, or where they differ (a section
    over `bundle.LEVEL_19_UP_TO`), the one of the section with most bytes."""
    biggest = max(sections, key=lambda c: len(pack(sections[c])))
    if len(set(levels.values())) > 1:
        print(f"  (sections compressed at different levels {sorted(set(levels.values()))}; "
              f"the verdict uses {levels[biggest]}, the level of the largest)")
    return levels[biggest]


# -- main -----------------------------------------------------------------------------------


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--base", type=int, default=100, help="households before the first sync")
    parser.add_argument("--households", type=int, default=750, help="households added after it")
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    header("sync_wire")

    with tempfile.TemporaryDirectory() as tmp:
        a, b, first = two_devices(tmp, args.base, args.seed)
        before = log.count(a.conn)
        fill = timed(lambda: demo.fill(a, households=args.households, seed=args.seed))
        print(f"A adds {args.households} households and what goes with them: "
              f"{log.count(a.conn) - before:,} events in {fill:.1f} s")

        start = time.perf_counter()
        ab = exchange.export_bundle(a, name_of(b))
        made = time.perf_counter() - start
        payload, sections = open_sections(b, ab.data)
        _, history = open_sections(b, first)
        start = time.perf_counter()
        took = exchange.import_bundle(b, ab.data)
        taken = time.perf_counter() - start
        theirs = exchange.frontier(b.conn)
        converged = all(
            theirs.get((who, c), (0, b""))[0] >= seq for who, c, seq, _ in payload.frontier
        )
        ba = exchange.export_bundle(b, name_of(a))
        back = exchange.import_bundle(a, ba.data)
        _, back_sections = open_sections(a, ba.data)
        back_types = Counter(
            w.rtype for body in back_sections.values() for g in body.segments for w in g.events
        )

        levels = levels_of(sections)
        level = bundle_level(sections, levels)
        other = next(x for x in LEVELS if x != level) if level in LEVELS else LEVELS[0]
        records = new_records(sections)
        floor_json = floor_lines(a, records)
        steps, strip = ladder(a, sections, levels, level)
        changes = what_if(sections, history, levels, level)
        sizes = {}

        def at(x: int) -> None:
            sizes[x] = compressed(sections, dict.fromkeys(sections, x))

        times = {x: timed(lambda x=x: at(x)) for x in LEVELS}
        a.close()
        b.close()

    wire_bytes = len(ab.data)
    carried = sum(len(s.sealed) - SEAL_OVERHEAD for s in payload.sections)
    events = [w for body in sections.values() for g in body.segments for w in g.events]
    segments = sum(len(body.segments) for body in sections.values())
    batches = [kb for body in sections.values() for kb in body.key_batches.values()]
    singles = sum(len(body.record_keys) for body in sections.values())
    forms = Counter(FORMS.get(w.form, str(w.form)) for w in events)
    personal_plain = sum(1 for w in events
                         if w.form == wire.PLAIN and w.op == OP_PUT and w.rtype in PERSONAL_FIELDS)
    floors = {x: zsize(floor_json, x) for x in LEVELS}
    floor = floors.get(level) or zsize(floor_json, level)
    ratio, ratio_other = wire_bytes / floor, wire_bytes / floors[other]
    kinds = Counter(t for t, _ in records)
    print()
    print(f"new records: {len(records):,} "
          f"({', '.join(f'{k} {n}' for k, n in kinds.most_common())})")
    print(f"bundle A -> B: {wire_bytes:,} bytes, {ab.events:,} events, {segments} segments, "
          f"{len(batches)} key batches (seeds only), {singles} single record keys; "
          f"made in {made:.2f} s, taken in by B in {taken:.2f} s")
    print(f"events by form: {', '.join(f'{k} {forms[k]:,}' for k in FORMS.values())} "
          f"({personal_plain} PLAIN puts of personal records)")
    print(f"sections compressed at zstd {', '.join(f'{c} {x}' for c, x in sorted(levels.items()))}")
    print(f"floor: {len(floor_json):,} bytes of JSON lines; "
          + "; ".join(f"zstd {x}: {floors[x]:,}" for x in LEVELS))
    print(f"ratio wire / floor: {ratio:.3f} (floor at zstd {level}, the bundle's level)   "
          f"{ratio_other:.3f} (floor at zstd {other})")
    print(f"on a 64 kbit/s link: bundle {wire_bytes * 8 / LINK_BPS:.1f} s, "
          f"floor {floor * 8 / LINK_BPS:.1f} s, reply {len(ba.data) * 8 / LINK_BPS:.1f} s")
    print(f"reply B -> A: {len(ba.data):,} bytes, {ba.events} events "
          f"({', '.join(f'{k} {n}' for k, n in back_types.items()) or 'none'}), "
          f"{back.events} new on A")

    print()
    print("where the bytes go: outer layers counted exactly; inside the sections, each step")
    print(f"takes one more part out and compresses again as the bundle does (zstd {level})")
    if steps[0][1] != carried:
        print(f"  WARNING: recompressed sections {steps[0][1]:,} != carried {carried:,}; "
              "the rows below do not add up to the bundle")
    rows = outer_items(ab.data, payload)
    rows += [(name, prev - size) for (_, prev), (name, size) in itertools.pairwise(steps)]
    rows.append(("content: msgpack event bodies vs JSON records (the rest)", steps[-1][1] - floor))
    rows.append((f"floor: the records as JSON lines, zstd {level}", floor))
    print(f"  {'part':<66} {'bytes':>9} {'of wire':>8} {'x floor':>8}")
    for name, size in rows:
        print(f"  {name:<66} {size:>9,} {size / wire_bytes:>8.1%} {size / floor:>8.3f}")
    total = sum(s for _, s in rows)
    print(f"  {'total = the bundle':<66} {total:>9,}")
    if any(size < 0 for _, size in rows):
        print("  (a negative row: the rest compressed worse without that part; zstd's parser "
              "choices move\n   a step by some hundred bytes either way)")
    if total != wire_bytes:
        print(f"  WARNING: the rows add up to {total:,}, the bundle is {wire_bytes:,}")
    print(f"  raw: {segments} signatures x 64 = {64 * segments:,} B; {len(batches)} key batches "
          f"x 32 B seed; {singles} single record keys x 32 B; "
          f"{strip.open_values:,} personal values carried open ({strip.open_value_bytes:,} B); "
          f"{strip.sealed_values} carried sealed ({strip.sealed_value_bytes:,} B for "
          f"{strip.sealed_value_plain:,} B of plaintext); {strip.sealed_bodies} bodies "
          f"carried sealed ({strip.sealed_body_bytes:,} B); {strip.batch_names:,} batch names; "
          f"{strip.notes:,} bodies with typed-text notes")

    print()
    print(f"what if (simulated on the same events): section bytes, the bundle, "
          f"x floor at {level} / {other}")
    for name, size, count in changes:
        whole = wire_size(ab.data, payload, size, count)
        print(f"  {name:<66} {size:>9,} {whole:>9,} {whole / floor:>6.3f} "
              f"{whole / floors[other]:>6.3f}")
    for x in LEVELS:
        whole = wire_size(ab.data, payload, sizes[x], len(sections))
        print(f"  all sections at zstd {x}: compressed in {times[x]:.2f} s, {sizes[x]:,} B, "
              f"bundle {whole:,} B = {whole / floors[x]:.3f} x the floor at zstd {x}")

    ok = verdict(f"wire <= {BUDGET} x floor (zstd {level})", ratio <= BUDGET,
                 f"{ratio:.3f} x (goal {GOAL} x {'met' if ratio <= GOAL else 'not met'}); "
                 f"{ratio_other:.3f} x the floor at zstd {other}")
    ok &= verdict(
        "one bundle each way",
        converged and took.events == ab.events and not set(back_types) - {"access"},
        f"after one bundle B holds all A had: {converged}; the reply carries "
        f"{ba.events} access-log notes and no record",
    )
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
