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
line, compressed with zstd at level 12 (the level bundles use) and at level 19.

The overhead is itemised by measurement: each section of the bundle (opened with B's keys) is
compressed again as the bundle does it, taking one part out at a time (signatures, record
keys, personal-data ciphertext, typed-text notes, per-event framing, the split into
sections); what the outer layers add is counted exactly; the rest is the encoding of the
content itself (msgpack event bodies vs JSON records).

    .venv/bin/python benchmarks/sync_wire.py [--base 100] [--households 750] [--seed 1]
"""

from __future__ import annotations

import argparse
import itertools
import json
import os
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

import msgspec
import zstandard
from _common import header, new_workspace, timed, verdict

from fieldledger import demo
from fieldledger.crypto import SEAL_OVERHEAD
from fieldledger.ledger import store as log
from fieldledger.ledger.event import OP_PUT
from fieldledger.records import REGISTRY
from fieldledger.records.text import TEXT_NOTES
from fieldledger.sync import bundle, exchange, wire
from fieldledger.vault import recordkeys
from fieldledger.vault.kdf import TEST_PARAMS
from fieldledger.workspace import Workspace

BUDGET = 1.25
GOAL = 1.10
LINK_BPS = 64_000
LEVEL = 12  # what bundle.seal_section uses
STRONG = 19


class SectionIn(msgspec.Struct, array_like=True):
    """A section's plaintext, as `exchange` writes it (`bundle.SectionBody`)."""

    segments: list[wire.Segment]
    record_keys: dict[str, bytes]


# compartment -> (segments, record keys): a bundle's sections, opened
Sections = dict[str, tuple[list[wire.Segment], dict[str, bytes]]]


def zsize(data: bytes, level: int = LEVEL) -> int:
    return len(zstandard.ZstdCompressor(level=level).compress(data))


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
        body = msgspec.msgpack.decode(bundle.open_section(key, parsed.header, s), type=SectionIn)
        opened[s.compartment] = (body.segments, body.record_keys)
    return payload, opened


# -- the floor -------------------------------------------------------------------------------


def new_records(sections: Sections) -> list[tuple[str, str]]:
    """(type, id) of every record the bundle writes, a companion folded into its parent."""
    seen: dict[tuple[str, str], None] = {}
    for segs, _ in sections.values():
        for seg in segs:
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


def each_event(sections: Sections, fn) -> Sections:
    """The sections with `fn(compartment, event)` applied to every event."""
    return {
        c: ([msgspec.structs.replace(g, events=[fn(c, w) for w in g.events]) for g in segs],
            keys)
        for c, (segs, keys) in sections.items()
    }


def each_segment(sections: Sections, **changes: object) -> Sections:
    return {
        c: ([msgspec.structs.replace(g, **changes) for g in segs], keys)
        for c, (segs, keys) in sections.items()
    }


def compressed(sections: Sections, level: int = LEVEL, dict_data=None) -> int:
    """What the bundle carries for these sections: each one's msgpack, zstd, as sent."""
    z = zstandard.ZstdCompressor(level=level, dict_data=dict_data)
    return sum(len(z.compress(pack(SectionIn(segs, keys)))) for segs, keys in sections.values())


class Personal:
    """Opens personal data with the author's record keys (A holds every one) and counts it."""

    def __init__(self, ws: Workspace) -> None:
        self.ws = ws
        self.values = self.sealed = self.plain = 0

    def __call__(self, _: str, w: wire.WireEvent) -> wire.WireEvent:
        pii = REGISTRY[w.rtype].pii if w.rtype in REGISTRY else frozenset()
        if not pii or w.form != wire.PLAIN or w.op != OP_PUT:
            return w
        fields = msgspec.msgpack.decode(w.body)
        key = recordkeys.get(self.ws.conn, self.ws.keyring, w.rid)
        notes = fields.get(TEXT_NOTES) or {}
        for name in pii:
            if isinstance(fields.get(name), bytes):
                fields[name] = self._open(key, w.rid, name, fields[name])
            if name in notes:
                notes[name] = [self._open(key, w.rid, f"{name}#typed", notes[name][0]),
                               *notes[name][1:]]
        return msgspec.structs.replace(w, body=pack(fields))

    def _open(self, key: bytes, rid: str, name: str, blob: bytes) -> object:
        value = recordkeys.open_value(key, rid, name, blob)
        self.values += 1
        self.sealed += len(blob)
        self.plain += len(pack(value))
        return value


def without_notes(_: str, w: wire.WireEvent) -> wire.WireEvent:
    if w.form != wire.PLAIN or w.op != OP_PUT:
        return w
    fields = msgspec.msgpack.decode(w.body)
    if fields.pop(TEXT_NOTES, None) is None:
        return w
    return msgspec.structs.replace(w, body=pack(fields))


def ladder(a: Workspace, carried: Sections) -> tuple[list[tuple[str, int]], Personal]:
    """Compressed size of all sections as each part is taken out, in this order; the
    difference between two steps is what that part costs on the wire."""
    steps = [("as carried", compressed(carried))]

    def step(name: str, sections: Sections) -> Sections:
        steps.append((name, compressed(sections)))
        return sections

    s = step("signatures (one per segment)", each_segment(carried, signature=b""))
    s = step("record keys carried", {c: (segs, {}) for c, (segs, _) in s.items()})
    personal = Personal(a)
    s = step("personal data sealed per value (nonce + tag, ciphertext)", each_event(s, personal))
    s = step("typed-text notes (`_text`: what was typed, score)", each_event(s, without_notes))
    s = step("hybrid logical clock per event",
             each_event(s, lambda _, w: msgspec.structs.replace(w, hlc=0)))
    s = step("heads per event (versions seen)",
             each_event(s, lambda _, w: msgspec.structs.replace(w, heads=())))
    s = step("epoch, op, form per event",
             each_event(s, lambda _, w: msgspec.structs.replace(w, epoch=0, op="", form=0)))
    s = step("segment headers (author, first sequence, previous hash)",
             each_segment(s, author=b"", first=0, prev=b""))
    # What a record needs: its type, its id and its fields.
    bare = {c: [[w.rtype, w.rid, w.body] for g in segs for w in g.events]
            for c, (segs, _) in s.items()}
    steps.append(("event and segment structure (array headers of the above)",
                  sum(zsize(pack(x)) for x in bare.values())))
    steps.append(("split into sections (vs one zstd stream)",
                  zsize(pack([x for c in sorted(bare) for x in bare[c]]))))
    return steps, personal


def what_if(a: Workspace, carried: Sections, history: Sections) -> list[tuple[str, int]]:
    """Section bytes (zstd frames, before their seals) under changes to the format,
    simulated on the same events. A: the wire format alone changes; B: how personal data
    is sealed changes too. Each numbered line adds to the one before it."""
    out = [("as carried (zstd 12)", compressed(carried)),
           ("zstd 19 instead of 12, nothing else", compressed(carried, STRONG))]
    s = {c: ([deltas(g) for g in segs], keys) for c, (segs, keys) in carried.items()}
    out.append(("each clock as a delta from the event before, nothing else", compressed(s)))
    out.append(("A1. sealed values and record keys (no ids) in one block at the end",
                moved_out(carried)))
    out.append(("A2. and each clock as a delta from the event before", moved_out(s)))
    out.append(("A3. and zstd 19", moved_out(s, STRONG)))
    s = each_event(carried, Personal(a))
    out.append(("B1. personal data carried in plaintext, re-sealed by the receiver",
                compressed(s)))
    authors = {c: {g.author for g in segs} for c, (segs, _) in s.items()}
    s = {c: (segs, {who.hex(): os.urandom(32) for who in authors[c]} if keys else {})
         for c, (segs, keys) in s.items()}
    out.append(("B2. and record keys from one seed per author (32 B each)", compressed(s)))
    s = {c: ([deltas(g) for g in segs], keys) for c, (segs, keys) in s.items()}
    out.append(("B3. and each clock as a delta from the event before", compressed(s)))
    out.append(("B4. and zstd 19", compressed(s, STRONG)))
    samples = [pack(w) for segs, _ in history.values() for g in segs for w in g.events]
    shared = zstandard.train_dictionary(32 * 1024, samples, level=STRONG)
    out.append(("B4 with a zstd dictionary trained on the log both devices hold",
                compressed(s, STRONG, shared)))
    return out


def moved_out(sections: Sections, level: int = LEVEL) -> int:
    """Sealed personal values stay sealed but leave the bodies (a marker stays in their
    place) for one block at the section's end, after the record keys, which go without
    their ids (the receiver matches them to the records in order)."""
    total = 0
    for segs, keys in sections.values():
        block: list[bytes] = []

        def take(w: wire.WireEvent, block: list[bytes] = block) -> wire.WireEvent:
            pii = REGISTRY[w.rtype].pii if w.rtype in REGISTRY else frozenset()
            if not pii or w.form != wire.PLAIN or w.op != OP_PUT:
                return w
            fields = msgspec.msgpack.decode(w.body)
            notes = fields.get(TEXT_NOTES) or {}
            for name in sorted(pii):
                if isinstance(fields.get(name), bytes):
                    block.append(fields[name])
                    fields[name] = True
                if name in notes:
                    block.append(notes[name][0])
                    notes[name] = [True, *notes[name][1:]]
            return msgspec.structs.replace(w, body=pack(fields))

        moved = [msgspec.structs.replace(g, events=[take(w) for w in g.events]) for g in segs]
        body = pack([SectionIn(moved, {}), b"".join(keys.values()), block])
        total += zsize(body, level)
    return total


def deltas(segment: wire.Segment) -> wire.Segment:
    """The segment with each event's clock as the difference from the one before."""
    events, before = [], 0
    for w in segment.events:
        events.append(msgspec.structs.replace(w, hlc=w.hlc - before))
        before = w.hlc
    return msgspec.structs.replace(segment, events=events)


def outer_items(data: bytes, payload: bundle.Payload) -> list[tuple[str, int]]:
    """Exact bytes of everything around the compressed section plaintexts."""
    sections = payload.sections
    payload_bytes = pack(payload)
    inner = pack([payload_bytes, b"\0" * 64])
    body = len(data) - bundle.HEADER.size - bundle.STANZA_BYTES - SEAL_OVERHEAD
    framing = len(pack(sections)) - sum(len(s.sealed) for s in sections)
    frontier = len(pack(payload.frontier))
    return [
        ("header (version, routing token, epoch)", bundle.HEADER.size),
        ("recovery stanza", bundle.STANZA_BYTES),
        ("bundle seal (nonce + tag)", SEAL_OVERHEAD),
        ("Padme padding", body - 4 - len(inner)),
        ("length, bundle signature (64) and its framing", 4 + len(inner) - len(payload_bytes)),
        ("payload fields (sender, counter, time, recipient)",
         len(payload_bytes) - len(pack(sections)) - frontier),
        (f"frontier ({len(payload.frontier)} chains)", frontier),
        (f"section seals ({len(sections)} x nonce + tag)", SEAL_OVERHEAD * len(sections)),
        ("section framing (compartment, epoch, length)", framing),
    ]


def wire_size(data: bytes, payload: bundle.Payload, sections_bytes: int) -> int:
    """The bundle's size had its section frames taken `sections_bytes` in all."""
    now = sum(len(s.sealed) - SEAL_OVERHEAD for s in payload.sections)
    inner = 4 + len(pack([pack(payload), b"\0" * 64])) + sections_bytes - now
    return bundle.HEADER.size + bundle.STANZA_BYTES + SEAL_OVERHEAD + bundle.padme(inner)


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
            w.rtype for segs, _ in back_sections.values() for g in segs for w in g.events
        )

        records = new_records(sections)
        floor_json = floor_lines(a, records)
        steps, personal = ladder(a, sections)
        changes = what_if(a, sections, history)
        t12 = timed(lambda: compressed(sections))
        t19 = timed(lambda: compressed(sections, STRONG))
        a.close()
        b.close()

    wire_bytes = len(ab.data)
    carried = sum(len(s.sealed) - SEAL_OVERHEAD for s in payload.sections)
    segments = sum(len(segs) for segs, _ in sections.values())
    keys = sum(len(k) for _, k in sections.values())
    floor12, floor19 = zsize(floor_json), zsize(floor_json, STRONG)
    ratio, ratio19 = wire_bytes / floor12, wire_bytes / floor19
    kinds = Counter(t for t, _ in records)
    print()
    print(f"new records: {len(records):,} "
          f"({', '.join(f'{k} {n}' for k, n in kinds.most_common())})")
    print(f"bundle A -> B: {wire_bytes:,} bytes, {ab.events:,} events, {segments} segments, "
          f"{keys:,} record keys; made in {made:.2f} s, taken in by B in {taken:.2f} s")
    print(f"floor: {len(floor_json):,} bytes of JSON lines; zstd {LEVEL}: {floor12:,}; "
          f"zstd {STRONG}: {floor19:,}")
    print(f"ratio wire / floor: {ratio:.3f} (floor at zstd {LEVEL})   "
          f"{ratio19:.3f} (floor at zstd {STRONG})")
    print(f"on a 64 kbit/s link: bundle {wire_bytes * 8 / LINK_BPS:.1f} s, "
          f"floor {floor12 * 8 / LINK_BPS:.1f} s, reply {len(ba.data) * 8 / LINK_BPS:.1f} s")
    print(f"reply B -> A: {len(ba.data):,} bytes, {ba.events} events "
          f"({', '.join(f'{k} {n}' for k, n in back_types.items()) or 'none'}), "
          f"{back.events} new on A")

    print()
    print("where the bytes go: outer layers counted exactly; inside the sections, each step")
    print("takes one more part out and compresses again as the bundle does (zstd 12)")
    if steps[0][1] != carried:
        print(f"  (recompressed sections {steps[0][1]:,} != carried {carried:,})")
    rows = outer_items(ab.data, payload)
    rows += [(name, prev - size) for (_, prev), (name, size) in itertools.pairwise(steps)]
    rows.append(("content: msgpack event bodies vs JSON records (the rest)",
                 steps[-1][1] - floor12))
    rows.append((f"floor: the records as JSON lines, zstd {LEVEL}", floor12))
    print(f"  {'part':<62} {'bytes':>9} {'of wire':>8} {'x floor':>8}")
    for name, size in rows:
        print(f"  {name:<62} {size:>9,} {size / wire_bytes:>8.1%} {size / floor12:>8.3f}")
    print(f"  {'total = the bundle':<62} {sum(s for _, s in rows):>9,}")
    print(f"  raw: {segments} signatures x 64 = {64 * segments:,} B; {personal.values:,} "
          f"personal values sealed: {personal.sealed:,} B for {personal.plain:,} B of "
          f"plaintext; {keys:,} record keys x 32 = {32 * keys:,} B")

    print()
    print("what if (simulated on the same events): section bytes, the bundle, x floor at 12 / 19")
    for name, size in changes:
        total = wire_size(ab.data, payload, size)
        print(f"  {name:<66} {size:>9,} {total:>9,} {total / floor12:>6.3f} "
              f"{total / floor19:>6.3f}")

    print(f"  (compressing the sections takes {t12:.2f} s at zstd {LEVEL}, {t19:.2f} s at "
          f"zstd {STRONG})")

    ok = verdict(f"wire <= {BUDGET} x floor", ratio <= BUDGET,
                 f"{ratio:.3f} x (goal {GOAL} x {'met' if ratio <= GOAL else 'not met'})")
    ok &= verdict(
        "one bundle each way",
        converged and took.events == ab.events and not set(back_types) - {"access"},
        f"after one bundle B holds all A had: {converged}; the reply carries "
        f"{ba.events} access-log notes and no record",
    )
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
