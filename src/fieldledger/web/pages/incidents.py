"""Screens: incidents, their evidence and its chain of custody.

`/incidents` are the generic record screens for roles holding `incidents` (documenters,
coordinators, admins). The GPS position and the narrative are sealed personal data: the
list shows them sealed; only the incident's own page opens them (and the access log
records it). The incident's page (this module's handler) adds:

- the people affected, with their own form (`/incidents/{rid}/affected`: killed, injured,
  detained, displaced, each by sex and age group);
- its evidence, each item with its chain of custody;
- an upload form: the file is stored exactly as `fieldledger evidence add` stores it
  (`evidence.add_evidence`: hashed and encrypted as it is read, its capture date read, an
  `evidence` and an `added` custody record in one transaction). The uploaded bytes go from
  the form to the encrypted blob through memory only: they are handed to the library as an
  anonymous in-memory file (`memfd`), never as a file in a folder. (Before the handler
  runs, Starlette's form parser keeps an upload in memory up to its `spool_max_size`
  only, 1 MiB unless web/app.py raises it: `test_a_large_upload_never_touches_disk`);
- per item, a copy without metadata to download (photos only, as `fieldledger evidence
  export` makes it, recorded `exported`) and a hand-over form (recorded `handed_over`).
"""

from __future__ import annotations

import hashlib
import os
import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import IO, Any

from starlette.responses import Response

from fieldledger import i18n
from fieldledger.errors import BlobDamaged, RecordError, UnknownRecord, ValidationError
from fieldledger.evidence import BlobStore, add_evidence, custody_log, exif, for_incident, hand_over
from fieldledger.evidence.service import IMAGE_LIMIT, KINDS
from fieldledger.i18n import N_
from fieldledger.records.participants import AGE_GROUPS, SEXES
from fieldledger.web.app import MAX_UPLOAD, Ctx, PageSet, writing
from fieldledger.web.records import RecordScreens, fields_for, may_reveal, record_pages, visible

pages = PageSet()
WRITERS = writing("incidents")

INCIDENTS = RecordScreens(
    "incident",
    "/incidents",
    N_("Incidents"),
    listed=("date", "kind", "location_pcode", "source_reliability"),
    order="date",
    descending=True,
    # People affected are counted on their own form (below): each count is a grid.
    skip=("affected",),
)
AFFECTED = ("killed", "injured", "detained", "displaced")
CELLS = (*(f"{s}_{a}" for s in SEXES for a in AGE_GROUPS), "unknown")
AGES = tuple(zip(AGE_GROUPS, ("0–5", "6–17", "18–59", "60+"), strict=True))
COPY_CHUNK = 1 << 20


record_pages(pages, INCIDENTS)


# -- the incident's page ----------------------------------------------------------------


def _evidence_of(ctx: Ctx, rid: str, eid: str) -> dict[str, Any]:
    """The evidence record `eid`, which must belong to incident `rid`."""
    record = ctx.ws.get("evidence", eid, reveal=False)
    if record["incident_id"] != rid:
        raise UnknownRecord(f"no evidence {eid} for incident {rid}")
    return record


def _show(
    ctx: Ctx, rid: str, *, status: int = 200, error: str = "", error_for: str = ""
) -> Response:
    record = ctx.ws.get("incident", rid, reveal=may_reveal(ctx, INCIDENTS, rid))
    affected = record.get("affected") or {}
    evidence = for_incident(ctx.ws, rid)
    log = custody_log(ctx.ws, [e["id"] for e in evidence])
    custody: dict[str, list[dict[str, Any]]] = {e["id"]: [] for e in evidence}
    for entry in log:
        custody[entry["evidence_id"]].append(entry)
    return ctx.render(
        "incidents_show.html.j2",
        status=status,
        screens=INCIDENTS,
        record=visible(ctx, INCIDENTS, record),
        fields=fields_for(ctx, INCIDENTS),
        can_write=ctx.role in WRITERS,
        can_forget=False,
        affected=[(k, _total(affected.get(k))) for k in AFFECTED],
        evidence=evidence,
        custody=custody,
        strippable=exif.STRIPPABLE,
        kinds=KINDS,
        error=error,
        error_for=error_for,
    )


def _total(counts: dict[str, int] | None) -> int:
    return sum((counts or {}).values())


def incident_show(ctx: Ctx) -> Response:
    return _show(ctx, ctx.param("rid"))


pages.serve_with("incident_show", incident_show)


# -- people affected ----------------------------------------------------------------------


@pages.route("/incidents/{rid}/affected", roles=WRITERS, methods=["GET", "POST"])
def incident_affected(ctx: Ctx) -> Response:
    rid = ctx.param("rid")
    record = ctx.ws.get("incident", rid, reveal=False)
    if ctx.request.method == "GET":
        current = record.get("affected") or {}
        values = {
            f"{k}.{c}": str((current.get(k) or {}).get(c, "") or "")
            for k in AFFECTED
            for c in CELLS
        }
        return _affected_form(ctx, rid, values)
    affected: dict[str, dict[str, str]] = {}
    for k in AFFECTED:
        cells = {c: ctx.field(f"{k}.{c}") for c in CELLS}
        cells = {c: v for c, v in cells.items() if v}
        if cells:
            affected[k] = cells
    try:
        ctx.ws.update("incident", rid, {"affected": affected}, source=i18n._("form"))
    except ValidationError as exc:
        values = {f"{k}.{c}": ctx.field(f"{k}.{c}") for k in AFFECTED for c in CELLS}
        return _affected_form(ctx, rid, values, str(exc), 400)
    return ctx.redirect(f"/incidents/{rid}", i18n._("Saved."))


def _affected_form(
    ctx: Ctx, rid: str, values: dict[str, str], error: str = "", status: int = 200
) -> Response:
    return ctx.render(
        "incidents_affected.html.j2",
        status=status,
        rid=rid,
        groups=AFFECTED,
        sexes=SEXES,
        ages=AGES,
        values=values,
        opened={g for g in AFFECTED if any(values.get(f"{g}.{c}") for c in CELLS)},
        error=error,
    )


# -- evidence -------------------------------------------------------------------------------


@contextmanager
def in_memory(source: IO[bytes]) -> Iterator[Path]:
    """`source`'s bytes as an anonymous file in memory (Linux `memfd`), named by a path
    that `open()` accepts: the evidence library reads a file by its path, and an upload
    must not be written to a folder in plaintext. Closed (and gone) after the block."""
    if not hasattr(os, "memfd_create"):
        raise RecordError(
            i18n._(
                "This computer cannot take evidence from a web form: add it with the command line."
            )
        )
    fd = os.memfd_create("evidence", os.MFD_CLOEXEC)
    try:
        with open(fd, "wb", closefd=False) as out:
            source.seek(0)
            shutil.copyfileobj(source, out, COPY_CHUNK)
        yield Path(f"/proc/self/fd/{fd}")
    finally:
        os.close(fd)


@pages.route("/incidents/{rid}/evidence", roles=WRITERS, methods=["POST"])
def evidence_add(ctx: Ctx) -> Response:
    rid = ctx.param("rid")
    ctx.ws.get("incident", rid, reveal=False)  # a clear 404 before any work
    upload = ctx.upload("file")
    if upload is None:
        return _show(
            ctx, rid, status=400, error=i18n._("Choose a file to add."), error_for="upload"
        )
    if upload.size is not None and upload.size > MAX_UPLOAD:
        return _show(
            ctx,
            rid,
            status=413,
            error=i18n._("The file is larger than %(n)s MiB: add it with the command line.")
            % {"n": MAX_UPLOAD >> 20},
            error_for="upload",
        )
    kind = ctx.field("kind") or None
    try:
        with in_memory(upload.file) as path:
            eid = add_evidence(
                ctx.ws,
                rid,
                path,
                kind=kind if kind in KINDS else None,
                witness_pseudonym=ctx.field("witness_pseudonym") or None,
                description=ctx.field("description") or None,
            )
    except ValidationError as exc:
        return _show(ctx, rid, status=400, error=str(exc), error_for="upload")
    return ctx.redirect(
        f"/incidents/{rid}#{eid}",
        i18n._("The file is stored encrypted. Delete it from the phone or camera now."),
    )


@pages.route("/incidents/{rid}/evidence/{eid}/hand-over", roles=WRITERS, methods=["POST"])
def evidence_hand_over(ctx: Ctx) -> Response:
    rid, eid = ctx.param("rid"), ctx.param("eid")
    _evidence_of(ctx, rid, eid)
    recipient = ctx.field("recipient")
    if not recipient:
        return _show(ctx, rid, status=400, error=i18n._("Say who received it."), error_for=eid)
    try:
        hand_over(ctx.ws, eid, recipient, ctx.field("note") or None)
    except ValidationError as exc:
        return _show(ctx, rid, status=400, error=str(exc), error_for=eid)
    return ctx.redirect(f"/incidents/{rid}#{eid}", i18n._("The hand-over is recorded."))


@pages.route("/incidents/{rid}/evidence/{eid}/copy", roles=WRITERS, methods=["POST"])
def evidence_copy(ctx: Ctx) -> Response:
    """A copy of a photo rebuilt from its pixels alone, as `fieldledger evidence export`
    makes it, recorded `exported` in the custody log; sent, never written here."""
    rid, eid = ctx.param("rid"), ctx.param("eid")
    record = _evidence_of(ctx, rid, eid)
    media_type = record["media_type"]
    if media_type not in exif.STRIPPABLE:
        return _show(
            ctx,
            rid,
            status=400,
            error=i18n._("Only photos can be given out without their hidden details."),
            error_for=eid,
        )
    original = BlobStore.for_workspace(ctx.ws).read(record["blob"], IMAGE_LIMIT)
    if hashlib.sha256(original).hexdigest() != record["sha256"]:
        raise BlobDamaged(f"evidence {eid}: its stored file does not match its recorded SHA-256")
    clean = exif.strip(original, media_type)
    del original
    digest = hashlib.sha256(clean).hexdigest()
    with ctx.ws.transaction():
        ctx.ws.add(
            "custody",
            {
                "evidence_id": eid,
                "action": "exported",
                "note": f"copy without metadata, sha256 {digest}",
            },
            source="custody",
        )
    name = f"{eid}{exif.extension(media_type)}"
    return Response(
        clean,
        media_type=media_type,
        headers={"content-disposition": f'attachment; filename="{name}"'},
    )
