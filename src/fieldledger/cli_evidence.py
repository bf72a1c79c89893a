"""`fieldledger evidence ...`: photos, recordings and documents about incidents.

Thin like the rest of the CLI: open the workspace, make one library call, print. The
library lives in `fieldledger.evidence`.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

evidence_app = typer.Typer(
    help="Evidence for incidents: kept encrypted, handed out with a chain of custody.",
    no_args_is_help=True,
    pretty_exceptions_show_locals=False,
    rich_markup_mode=None,
)

IncidentId = Annotated[str, typer.Argument(metavar="INCIDENT_ID")]
EvidenceId = Annotated[str, typer.Argument(metavar="EVIDENCE_ID")]


def _size(n: int) -> str:
    for unit in ("bytes", "KiB", "MiB"):
        if n < 1024 or unit == "MiB":
            return f"{n} {unit}" if unit == "bytes" else f"{n:.1f} {unit}"
        n /= 1024
    return str(n)  # pragma: no cover


@evidence_app.command("add")
def add(
    incident_id: IncidentId,
    file: Annotated[Path, typer.Argument(metavar="FILE", help="The original file.")],
    kind: Annotated[
        str | None,
        typer.Option("--kind", help="photo, video, audio or document (default: from the file)."),
    ] = None,
    witness: Annotated[
        str | None,
        typer.Option("--witness", help="The witness's pseudonym. Never a real name."),
    ] = None,
    description: Annotated[
        str | None, typer.Option("--description", help="What the file shows.")
    ] = None,
) -> None:
    """Encrypt a file into the workspace as evidence for an incident. Its SHA-256 is
    recorded and signed. The original FILE stays where it is: delete it yourself."""
    from fieldledger.cli import _console, _open
    from fieldledger.evidence import add_evidence

    with _open() as ws:
        eid = add_evidence(
            ws, incident_id, file, kind=kind, witness_pseudonym=witness, description=description
        )
        record = ws.get("evidence", eid, reveal=False)
    typer.echo(eid)
    _console(stderr=True).print(
        f"stored {record['kind']} ({record['media_type']}, {_size(record['size'])}), "
        f"sha256 {record['sha256']}",
        soft_wrap=True,
    )


@evidence_app.command("export")
def export(
    evidence_id: EvidenceId,
    out: Annotated[Path, typer.Option("--out", help="File to write the clean copy to.")],
) -> None:
    """Write a shareable copy of a photo with GPS, camera and all other metadata removed
    (JPEG, PNG, WebP, TIFF). Refused for video, audio and documents."""
    from fieldledger.cli import _console, _open
    from fieldledger.evidence import export_copy

    with _open() as ws:
        done = export_copy(ws, evidence_id, out)
    console = _console()
    console.print(
        f"wrote a copy without metadata to {done.path} (sha256 {done.sha256})", soft_wrap=True
    )
    console.print("Look at the picture itself before sharing: faces, signs, landmarks.")


@evidence_app.command("package")
def package(
    incident_id: IncidentId,
    out: Annotated[Path, typer.Option("--out", help="ZIP file to write.")],
) -> None:
    """Write an accountability package: the originals, a signed manifest with their
    SHA-256 and the chain of custody, and how to verify them."""
    from fieldledger.cli import _console, _open
    from fieldledger.evidence import make_package

    with _open() as ws:
        done = make_package(ws, incident_id, out)
    console = _console()
    console.print(
        f"wrote {done.files} files to {done.path} ({_size(done.size)}), "
        f"manifest sha256 {done.manifest_sha256}",
        soft_wrap=True,
    )
    console.print(
        "It holds the ORIGINALS with their metadata (GPS, camera): carry it encrypted and "
        "record the hand-over with evidence hand-over."
    )


@evidence_app.command("hand-over")
def hand_over(
    evidence_id: EvidenceId,
    to: Annotated[str, typer.Option("--to", help="Who received it (an organisation, a role).")],
    note: Annotated[str | None, typer.Option("--note", help="How, and what was given.")] = None,
) -> None:
    """Record in the custody log that the evidence was handed to someone."""
    from fieldledger.cli import _console, _open
    from fieldledger.evidence import hand_over as record

    with _open() as ws:
        cid = record(ws, evidence_id, to, note)
    _console().print(f"recorded hand-over {cid}")


@evidence_app.command("list")
def list_(
    incident_id: IncidentId,
    fmt: Annotated[str, typer.Option("--format", help="table or json")] = "table",
) -> None:
    """List the evidence of one incident."""
    from fieldledger.cli import _open, _render_records
    from fieldledger.evidence import for_incident

    with _open() as ws:
        rows = for_incident(ws, incident_id)
    columns = ["id", "kind", "media_type", "size", "captured_on", "witness_pseudonym"]
    _render_records(rows, fmt, columns if fmt == "table" else None)


@evidence_app.command("custody")
def custody(
    evidence_id: EvidenceId,
    fmt: Annotated[str, typer.Option("--format", help="table or json")] = "table",
) -> None:
    """Show the chain of custody of one piece of evidence, oldest first."""
    from fieldledger.cli import _open, _render_records
    from fieldledger.evidence import custody_log

    with _open() as ws:
        ws.get("evidence", evidence_id, reveal=False)
        rows = custody_log(ws, [evidence_id])
    columns = ["at", "action", "recipient", "note", "id"]
    _render_records(rows, fmt, columns if fmt == "table" else None)
