"""Evidence operations on an open workspace: add, view, export a clean copy, package, hand
over. Each one that touches a file writes a `custody` record in the same transaction, so
the chain of custody is signed and hash-chained like every other change.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import typing
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from fieldledger.errors import RecordError, ValidationError
from fieldledger.evidence import exif, package
from fieldledger.evidence.blobs import BlobDamaged, BlobStore
from fieldledger.files import write_atomic
from fieldledger.ledger.hlc import wall_ms
from fieldledger.records.evidence import EvidenceKind

if TYPE_CHECKING:
    from fieldledger.workspace import Workspace

# An image is held in memory to read its date and to strip it; larger ones are kept but
# get no capture date and no clean copy.
IMAGE_LIMIT = 64 << 20
# A package is built in memory (so no plaintext is ever staged on disk) up to this size.
PACKAGE_LIMIT = 1 << 30
KINDS = typing.get_args(EvidenceKind)


@dataclass(frozen=True)
class Exported:
    path: Path
    sha256: str
    size: int


@dataclass(frozen=True)
class Packaged:
    path: Path
    files: int
    size: int
    manifest_sha256: str


class _Tap:
    """Sees the original once as it is encrypted: keeps its first bytes for the media type
    and, for an image small enough, the whole image to read its capture date."""

    def __init__(self) -> None:
        self.head = b""
        self.image: bytearray | None = None
        self._decided = False

    def __call__(self, piece: bytes) -> None:
        if len(self.head) < exif.SNIFF_BYTES:
            self.head += piece[: exif.SNIFF_BYTES - len(self.head)]
        if not self._decided and len(self.head) >= min(exif.SNIFF_BYTES, 12):
            self._decided = True
            if exif.sniff(self.head).startswith("image/"):
                self.image = bytearray()
        if self.image is not None:
            self.image += piece
            if len(self.image) > IMAGE_LIMIT:
                self.image = None


def add_evidence(
    ws: Workspace,
    incident_id: str,
    path: Path | str,
    *,
    kind: str | None = None,
    witness_pseudonym: str | None = None,
    description: str | None = None,
    ids: tuple[str, str] | None = None,
) -> str:
    """Encrypt the file into the workspace and record it; returns the evidence id.

    `ids` gives the (evidence, custody) record ids, for callers that must be repeatable
    (the demo); otherwise they are drawn at random.

    The file is read once: the bytes hashed are the bytes stored. The SHA-256 goes into the
    evidence record, whose event this device signs.
    """
    path = Path(path)
    if kind is not None and kind not in KINDS:
        raise ValidationError(f"--kind {kind}: use one of {', '.join(KINDS)}")
    ws.get("incident", incident_id, reveal=False)  # a clear error before any work
    blobs = BlobStore.for_workspace(ws)
    blobs.remove_leftovers({r["blob"] for r in ws.list("evidence")})
    tap = _Tap()
    stored = blobs.write(path, tap)
    try:
        media_type = exif.sniff(tap.head, path.name)
        taken = exif.captured_on(bytes(tap.image)) if tap.image is not None else None
        tap.image = None
        fields: dict[str, Any] = {
            "incident_id": incident_id,
            "kind": kind or exif.kind_for(media_type),
            "sha256": stored.sha256,
            "size": stored.size,
            "media_type": media_type,
            "blob": stored.blob_id,
            "captured_on": taken.isoformat() if taken else None,
            "witness_pseudonym": witness_pseudonym,
            "description": description,
        }
        with ws.transaction():
            evidence_id, custody_id = ids or (None, None)
            eid = ws.add("evidence", {"id": evidence_id, **fields}, source="evidence")
            custody = {"id": custody_id, "evidence_id": eid, "action": "added"}
            ws.add("custody", custody, source="custody")
    except BaseException:
        blobs.remove(stored.blob_id)  # nothing recorded: no file left without a record
        raise
    return eid


def for_incident(ws: Workspace, incident_id: str) -> list[dict[str, Any]]:
    """The evidence records of one incident, by id."""
    return [r for r in ws.list("evidence") if r["incident_id"] == incident_id]


def _record(ws: Workspace, evidence_id: str) -> dict[str, Any]:
    return ws.get("evidence", evidence_id, reveal=False)


def _original(ws: Workspace, record: dict[str, Any], limit: int) -> bytes:
    """The original bytes, authenticated and checked against the signed SHA-256."""
    rid = record["id"]
    try:
        data = BlobStore.for_workspace(ws).read(record["blob"], limit)
    except BlobDamaged as exc:
        raise BlobDamaged(
            f"evidence {rid}: {exc}: it is damaged or was altered; restore it from a package "
            "or another copy"
        ) from None
    except RecordError as exc:
        raise RecordError(f"evidence {rid}: {exc}") from None
    if hashlib.sha256(data).hexdigest() != record["sha256"]:
        raise BlobDamaged(f"evidence {rid}: its stored file does not match its recorded SHA-256")
    return data


def _custody(ws: Workspace, evidence_id: str, action: str, **extra: str | None) -> str:
    return ws.add(
        "custody", {"evidence_id": evidence_id, "action": action, **extra}, source="custody"
    )


def _outside_workspace(ws: Workspace, out: Path) -> Path:
    out = Path(out)
    if out.resolve().is_relative_to(Path(ws.path).resolve()):
        raise ValidationError(
            f"{out}: write it outside the workspace folder, which holds only encrypted files"
        )
    return out


def open_original(ws: Workspace, evidence_id: str, *, limit: int = IMAGE_LIMIT) -> bytes:
    """The original file in memory, for a viewer; recorded as `viewed` in the custody log.
    Refuses a file larger than `limit` bytes."""
    record = _record(ws, evidence_id)
    data = _original(ws, record, limit)
    with ws.transaction():
        _custody(ws, evidence_id, "viewed")
    return data


def export_copy(ws: Workspace, evidence_id: str, out: Path | str) -> Exported:
    """Write a shareable copy of an image with every piece of metadata removed (GPS, EXIF,
    XMP, ICC, comments); recorded as `exported`. Other kinds are refused."""
    record = _record(ws, evidence_id)
    out = _outside_workspace(ws, Path(out))
    if record["media_type"] not in exif.STRIPPABLE:
        exif.strip(b"", record["media_type"])  # raises the error that names the type
    clean = exif.strip(_original(ws, record, IMAGE_LIMIT), record["media_type"])
    digest = hashlib.sha256(clean).hexdigest()
    with ws.transaction():
        _custody(ws, evidence_id, "exported", note=f"copy without metadata, sha256 {digest}")
        write_atomic(out, clean)
    return Exported(out, digest, len(clean))


def hand_over(ws: Workspace, evidence_id: str, recipient: str, note: str | None = None) -> str:
    """Record that the evidence (or a package holding it) went to `recipient`."""
    _record(ws, evidence_id)
    with ws.transaction():
        return _custody(ws, evidence_id, "handed_over", recipient=recipient, note=note)


def _when(hlc: int) -> str:
    moment = dt.datetime.fromtimestamp(wall_ms(hlc) / 1000, tz=dt.UTC)
    return moment.isoformat(timespec="seconds").replace("+00:00", "Z")


def _versions(ws: Workspace, table: str, column: str, values: list[str]) -> list[tuple]:
    marks = ", ".join("?" * len(values))
    return ws.conn.execute(
        f'SELECT id, _hlc, _author FROM "{table}" WHERE "{column}" IN ({marks})', values
    ).fetchall()


def custody_log(ws: Workspace, evidence_ids: list[str]) -> list[dict[str, Any]]:
    """Every custody record of these pieces of evidence, oldest first, with when and by
    which device."""
    if not evidence_ids:
        return []
    meta = {
        rid: (hlc, author)
        for rid, hlc, author in _versions(ws, "custody", "evidence_id", evidence_ids)
    }
    entries = []
    for row in ws.list("custody"):
        if row["id"] not in meta:
            continue
        hlc, author = meta[row["id"]]
        entries.append(
            {
                "id": row["id"],
                "evidence_id": row["evidence_id"],
                "action": row["action"],
                "recipient": row["recipient"],
                "note": row["note"],
                "at": _when(hlc),
                "by": author.hex(),
                "_hlc": hlc,
            }
        )
    entries.sort(key=lambda e: (e["_hlc"], e["id"]))
    for e in entries:
        del e["_hlc"]
    return entries


def make_package(ws: Workspace, incident_id: str, out: Path | str) -> Packaged:
    """Write the accountability package of one incident (originals, signed manifest,
    instructions); every piece of evidence in it is recorded as `packaged`."""
    ws.get("incident", incident_id, reveal=False)
    out = _outside_workspace(ws, Path(out))
    records = for_incident(ws, incident_id)
    if not records:
        raise RecordError(f"incident {incident_id} has no evidence to package")
    total = sum(r["size"] for r in records)
    if total > PACKAGE_LIMIT:
        raise RecordError(
            f"incident {incident_id}: its evidence ({total >> 20} MiB) is larger than one "
            f"package may be ({PACKAGE_LIMIT >> 20} MiB)"
        )
    ids = [r["id"] for r in records]
    recorded = {rid: (hlc, author) for rid, hlc, author in _versions(ws, "evidence", "id", ids)}
    originals = []
    for r in records:
        hlc, author = recorded[r["id"]]
        entry = {
            "id": r["id"],
            "kind": r["kind"],
            "sha256": r["sha256"],
            "size": r["size"],
            "media_type": r["media_type"],
            "captured_on": r["captured_on"],
            "recorded_at": _when(hlc),
            "recorded_by": author.hex(),
        }
        name = f"originals/{r['id']}{exif.extension(r['media_type'])}"
        originals.append(package.Original(entry, name, _original(ws, r, PACKAGE_LIMIT)))
    data, manifest_sha = package.build(
        incident_id, originals, custody_log(ws, ids), ws.device, ws.keyring.device_secret
    )
    with ws.transaction():
        for rid in ids:
            _custody(ws, rid, "packaged", note=f"package manifest sha256 {manifest_sha}")
        write_atomic(out, data)
    return Packaged(out, len(originals), len(data), manifest_sha)
