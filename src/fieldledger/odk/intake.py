"""One encrypted submission from a phone into records: all of it, or nothing.

    received = receive(ws, bearer, manifest_bytes, {"submission.xml.enc": ..., ...})

The steps, each refusing with `Refused` (an OpenRosa status and a message a field worker can
act on, never the submission's content):

1. the manifest names a form we serve (404 otherwise), in its current version (404), that
   the token's account may write (403);
2. `odk.crypto` opens it with a form key of the form's compartment and checks its signature
   (400: malformed, tampered, unsigned, or made for another key);
3. the decrypted ``submission.xml`` must be the form's and the manifest's instance (400);
4. it becomes an `intake.kobo.Export` of one row (repeat groups as sheets, the way a Kobo
   export has them), household codes scanned from cards become household ids, and
   `intake.importer.prepare` checks it with the form's mapping: any bad answer refuses the
   whole submission (400);
5. one transaction adds the records (`intake.importer.apply`, so Zawgyi-doubtful text goes
   to the review queue as in any import), the evidence files of an incident, and the note
   that this instance was received. A submission received before answers `already`: record
   ids come from the instanceID, so nothing is added twice even across devices.

Plaintext never touches the disk: submissions are read in memory, media become evidence
through an anonymous in-memory file (`memfd`), and evidence is encrypted on arrival.
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from defusedxml import ElementTree as SafeET

from fieldledger.errors import ValidationError
from fieldledger.intake.importer import apply, id_key, prepare
from fieldledger.intake.kobo import Export
from fieldledger.intake.tabular import Sheet
from fieldledger.odk import keys
from fieldledger.odk.crypto import Decrypted, EncryptedSubmissionError, decrypt_submission
from fieldledger.odk.crypto import parse_manifest as read_manifest
from fieldledger.odk.forms import FORMS, Form
from fieldledger.vault.store import run_script

if TYPE_CHECKING:
    from fieldledger.odk.tokens import Bearer
    from fieldledger.workspace import Workspace

SCHEMA = """
CREATE TABLE IF NOT EXISTS odk_received (
    instance BLOB PRIMARY KEY, form_id TEXT NOT NULL, account TEXT NOT NULL,
    received INTEGER NOT NULL
) WITHOUT ROWID;
"""

INSTANCE_ID = "meta/instanceID"


class Refused(ValidationError):
    """A submission that is not taken: `status` is the HTTP status to answer with."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status


@dataclass(frozen=True)
class Received:
    instance_id: str
    form_id: str
    already: bool
    added: Mapping[str, int] = field(default_factory=dict)


def _instance_key(ws: Workspace, instance_id: str) -> bytes:
    # Keyed like import record ids: the table does not say which instanceIDs came in.
    return hashlib.blake2b(instance_id.encode(), key=id_key(ws), digest_size=20).digest()


def _open(ws: Workspace, form: Form, manifest: bytes, files: Mapping[str, bytes]) -> Decrypted:
    found = keys.keys_of(ws, form.compartment)
    if not found:
        raise Refused(404, "This form has no key on this computer: download the forms again.")
    refusal = ""
    for key in found:  # two devices may each have made a key before they synced
        try:
            return decrypt_submission(manifest, files, key)
        except EncryptedSubmissionError as exc:
            refusal = str(exc)
    raise Refused(400, refusal)


def _local(tag: str) -> str:
    return tag.rsplit("}", 1)[-1]


def _rows(form: Form, xml: bytes, decrypted: Decrypted) -> tuple[dict, dict[str, list[dict]]]:
    """The answers of the main row and of each repeat group's rows, by column path."""
    try:
        root = SafeET.fromstring(xml, forbid_dtd=True)
    except Exception:  # defusedxml's and expat's errors alike: the file is not our XML
        raise Refused(400, "The submission's form data is not readable XML; refused.") from None
    if root.get("id") != form.form_id or root.get("version") != decrypted.version:
        raise Refused(400, "The submission's form data belongs to another form; refused.")
    main: dict[str, Any] = {}
    repeats: dict[str, list[dict]] = {name: [] for name in form.repeats}

    def walk(element: Any, path: str, row: dict, inside: bool) -> None:
        for child in element:
            name = _local(child.tag)
            here = f"{path}/{name}" if path else name
            if name in form.repeats:
                if inside:
                    raise Refused(400, "The submission has a repeat group inside another.")
                own: dict[str, Any] = {}
                walk(child, here, own, True)
                repeats[name].append(own)
            elif len(child):
                walk(child, here, row, inside)
            else:
                row[here] = (child.text or "").strip()

    walk(root, "", main, False)
    if main.get(INSTANCE_ID) != decrypted.instance_id:
        raise Refused(400, "The submission's form data and its manifest name different IDs.")
    return main, repeats


def _sheet(name: str, rows: list[dict], expected: Iterable[str] = ()) -> Sheet:
    """A sheet of `rows`, with a column for each `expected` one too: Collect leaves out the
    questions a form version skipped, and an empty column is an unanswered question."""
    columns: dict[str, None] = dict.fromkeys(expected)
    for row in rows:
        columns.update(dict.fromkeys(row))
    names = tuple(columns)
    values = [tuple(row.get(c) for c in names) for row in rows]
    return Sheet(name, names, values, list(range(2, len(values) + 2)))


def _export(form: Form, main: dict, repeats: dict[str, list[dict]], iid: str) -> Export:
    from fieldledger.intake.kobo import Repeat

    if form.flatten:
        rows = [
            {**main, **row, f"{form.flatten}/_key": f"{iid}/{form.flatten}[{n}]"}
            for n, row in enumerate(repeats[form.flatten], start=1)
        ]
        sheet = _sheet(form.form_id, rows, form.mapping.fields.values())
        return Export(form.form_id, "odk", sheet, {}, f"{form.flatten}/_key")
    children = {child.repeat: child.fields.values() for child in form.mapping.repeats}
    groups = {
        name: Repeat(
            name,
            _sheet(name, rows, children.get(name, ())),
            None,
            [0] * len(rows),
            list(range(1, len(rows) + 1)),
            "PARENT_KEY",
        )
        for name, rows in repeats.items()
    }
    sheet = _sheet(form.form_id, [main], form.mapping.fields.values())
    return Export(form.form_id, "odk", sheet, groups, INSTANCE_ID)


def _household_ids(ws: Workspace, form: Form, export: Export) -> list[str]:
    """Scanned household codes become household ids, in place; problems for unknown ones."""
    problems = []
    sheet = export.main
    for column in form.codes:
        index = sheet.index(column)
        if index is None:
            continue
        for n, row in enumerate(sheet.rows):
            code = row[index]
            if not code:
                continue
            found = ws.conn.execute(
                "SELECT id FROM households WHERE code = ? AND _forgotten = 0", (code,)
            ).fetchone()
            if found is None:
                problems.append(
                    f"row {sheet.numbers[n]}: no household has the scanned code; "
                    "check the card, or register the household first"
                )
                continue
            sheet.rows[n] = (*row[:index], found[0], *row[index + 1 :])
    return problems


def _attach(ws: Workspace, incident_id: str, data: bytes, kind: str) -> None:
    """Store a media file as evidence of the incident without writing its plaintext to a
    disk: an anonymous in-memory file stands in for the path evidence takes."""
    from fieldledger.evidence.service import add_evidence

    if not hasattr(os, "memfd_create"):  # not Linux: refuse rather than spill to disk
        raise Refused(400, "This computer cannot take files from phones safely (no memfd).")
    fd = os.memfd_create("fieldledger-odk", os.MFD_CLOEXEC)
    try:
        view = memoryview(data)
        while view:
            view = view[os.write(fd, view) :]
        add_evidence(ws, incident_id, Path(f"/proc/self/fd/{fd}"), kind=kind)
    finally:
        os.close(fd)


def receive(ws: Workspace, bearer: Bearer, manifest: bytes, files: Mapping[str, bytes]) -> Received:
    """Take one encrypted submission in, or refuse it with nothing applied."""
    try:
        listed = read_manifest(manifest)
    except EncryptedSubmissionError as exc:
        raise Refused(400, str(exc)) from None
    form = FORMS.get(listed.form_id)
    if form is None:
        raise Refused(404, "This form is not one of ours: download the forms again.")
    from fieldledger.web.app import writing

    if bearer.role not in writing(*form.writes):
        raise Refused(403, "Your account may not send this form.")
    if listed.version != form.version:
        raise Refused(404, "This form's version is not served any more: download the forms again.")
    decrypted = _open(ws, form, manifest, files)
    main, repeats = _rows(form, decrypted.xml, decrypted)
    run_script(ws.conn, SCHEMA)
    instance = _instance_key(ws, decrypted.instance_id)
    if ws.conn.execute("SELECT 1 FROM odk_received WHERE instance = ?", (instance,)).fetchone():
        return Received(decrypted.instance_id, form.form_id, True)

    export = _export(form, main, repeats, decrypted.instance_id)
    problems = _household_ids(ws, form, export)
    media = []
    for question, kind in form.media:
        name = main.get(question)
        if name:
            if name not in decrypted.media:
                problems.append(f"the file of question {question} did not come with it")
            else:
                media.append((decrypted.media[name], kind))
    plan = prepare(ws, export, form.mapping)
    problems += [str(p) for p in plan.problems]
    if problems:
        raise Refused(400, "Refused, nothing was saved: " + "; ".join(problems[:5]))
    import time

    with ws.transaction():
        added = apply(ws, plan)
        made = [p.rid for p in plan.records if p.type == form.mapping.type]
        if made and media:
            for data, kind in media:
                _attach(ws, made[0], data, kind)
        ws.conn.execute(
            "INSERT INTO odk_received VALUES (?, ?, ?, ?)",
            (instance, form.form_id, bearer.account, int(time.time())),
        )
        ws.note("phone submission", form.form_id)
    return Received(decrypted.instance_id, form.form_id, not plan.records, added)
