"""The command line. Thin: parse, call the library, render.

Imports of the library happen inside commands so that `fieldledger --help` starts fast.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from fieldledger.errors import FieldledgerError, ValidationError, WorkspaceError

if TYPE_CHECKING:
    from fieldledger.workspace import Workspace

app = typer.Typer(
    name="fieldledger",
    help="Secure, offline-first records for aid, community programmes and documentation.",
    no_args_is_help=True,
    pretty_exceptions_show_locals=False,
    pretty_exceptions_short=True,
    add_completion=False,
    # Plain help text: it starts without importing rich, and reads the same in any terminal.
    rich_markup_mode=None,
)


def _group(help_text: str, **options: bool) -> typer.Typer:
    """A command group with the same conventions as the app: no locals in tracebacks,
    plain help."""
    return typer.Typer(
        help=help_text, pretty_exceptions_show_locals=False, rich_markup_mode=None, **options
    )


# Tests only: a weak key derivation that unlocks in milliseconds (never in real use).
FastKdf = Annotated[
    bool,
    typer.Option(
        "--insecure-fast-kdf",
        hidden=True,
        help="Tests only: a weak key derivation that unlocks in milliseconds.",
    ),
]

passwd_app = _group("Manage the passphrases that open this workspace.", no_args_is_help=True)
app.add_typer(passwd_app, name="passwd")
review_app = _group(
    "Text kept as typed because its encoding is doubtful, for a coordinator to check.",
    invoke_without_command=True,
)
app.add_typer(review_app, name="review")


def _register_subcommands() -> None:
    # Their modules import only typer at the top, so --help stays fast.
    from fieldledger.cli_evidence import evidence_app
    from fieldledger.cli_import import import_command
    from fieldledger.cli_net import relay_app, sync_http_command, sync_relay_command
    from fieldledger.cli_phone import phone_app
    from fieldledger.cli_recovery import recovery_app
    from fieldledger.cli_report import policy_app, report_command
    from fieldledger.cli_sync import join_command, member_app, sync_app
    from fieldledger.cli_web import serve_command, web_user_app

    app.add_typer(evidence_app, name="evidence")
    app.command("import")(import_command)
    app.add_typer(sync_app, name="sync")
    app.add_typer(member_app, name="member")
    app.command("join")(join_command)
    app.add_typer(recovery_app, name="recovery")
    app.command("report")(report_command)
    app.add_typer(policy_app, name="policy")
    app.add_typer(relay_app, name="relay")
    app.command("serve")(serve_command)
    app.add_typer(web_user_app, name="web-user")
    app.add_typer(phone_app, name="phone")
    sync_app.command("http")(sync_http_command)
    sync_app.command("relay")(sync_relay_command)


class _State:
    workspace: Path | None = None
    passphrase_file: Path | None = None


state = _State()


def _console(stderr: bool = False):
    from rich.console import Console

    # No emoji codes: ":cd:" inside a certificate fingerprint or a record must print as typed.
    return Console(stderr=stderr, highlight=False, emoji=False)


@app.callback()
def _global(
    workspace: Annotated[
        Path | None,
        typer.Option(
            "--workspace",
            "-w",
            envvar="FIELDLEDGER_WORKSPACE",
            help="Workspace folder.",
            show_default=False,
        ),
    ] = None,
    passphrase_file: Annotated[
        Path | None,
        typer.Option(
            "--passphrase-file",
            envvar="FIELDLEDGER_PASSPHRASE_FILE",
            help="Read the passphrase from this file's first line instead of asking (scripts).",
            show_default=False,
        ),
    ] = None,
    lang: Annotated[
        str | None,
        typer.Option(
            "--lang",
            envvar="FIELDLEDGER_LANG",
            metavar="en|my",
            help="Language of error messages about records: en (English) or my (Burmese).",
            show_default=False,
        ),
    ] = None,
) -> None:
    state.workspace = workspace
    state.passphrase_file = passphrase_file
    if lang is not None:
        from fieldledger.i18n import set_language

        try:
            set_language(lang)
        except ValueError as exc:
            typer.echo(f"error: {exc}", err=True)
            raise typer.Exit(2) from None


# -- helpers ---------------------------------------------------------------------------


def _workspace_path() -> Path:
    if state.workspace is None:
        raise WorkspaceError("no workspace given: use --workspace DIR or set FIELDLEDGER_WORKSPACE")
    return state.workspace


def _read_secret_file(path: Path) -> str:
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise WorkspaceError(f"cannot read passphrase file {path}: {exc.strerror}") from None
    line = text.splitlines()[0] if text else ""
    return line


def _passphrase(prompt: str = "Passphrase", confirm: bool = False) -> str:
    if state.passphrase_file is not None:
        return _read_secret_file(state.passphrase_file)
    return typer.prompt(prompt, hide_input=True, confirmation_prompt=confirm)


def _new_passphrase(path: Path | None, prompt: str) -> str:
    if path is not None:
        return _read_secret_file(path)
    return typer.prompt(prompt, hide_input=True, confirmation_prompt=True)


def _open() -> Workspace:
    from fieldledger.workspace import Workspace

    path = _workspace_path()
    ws = Workspace.open(path, _passphrase())
    return ws


def _read_input(source: str) -> tuple[str, str]:
    if source == "-":
        return sys.stdin.read(), "stdin"
    try:
        return Path(source).read_text(encoding="utf-8"), source
    except OSError as exc:
        raise ValidationError(f"cannot read {source}: {exc.strerror}") from None
    except UnicodeDecodeError:
        raise ValidationError(f"{source}: not UTF-8 text") from None


def _parse_objects(text: str, name: str) -> list[tuple[str, Any]]:
    """JSON object, JSON array of objects, or JSON lines; each item with its source."""
    import json

    stripped = text.strip()
    if not stripped:
        raise ValidationError(f"{name}: no input")
    try:
        data = json.loads(stripped)
    except json.JSONDecodeError:
        items = []
        for n, line in enumerate(text.splitlines(), start=1):
            if not line.strip():
                continue
            try:
                items.append((f"{name} line {n}", json.loads(line)))
            except json.JSONDecodeError as exc:
                raise ValidationError(
                    f"{name} line {n} column {exc.colno}: not valid JSON ({exc.msg})"
                ) from None
        return items
    if isinstance(data, list):
        return [(f"{name} item {n}", item) for n, item in enumerate(data, start=1)]
    return [(name, data)]


def _render_records(rows: list[dict], fmt: str, columns: list[str] | None = None) -> None:
    if fmt == "json":
        import json

        typer.echo(json.dumps(rows, ensure_ascii=False, indent=1, default=str))
        return
    from rich.table import Table

    console = _console()
    if not rows:
        console.print("no records")
        return
    cols = columns or list(rows[0])
    table = Table(*cols, show_lines=False)
    for row in rows:
        table.add_row(*("" if row.get(c) is None else str(row.get(c)) for c in cols))
    console.print(table)


FormatOption = Annotated[str, typer.Option("--format", help="table or json")]


# -- commands --------------------------------------------------------------------------


@app.command()
def init(
    label: Annotated[
        str, typer.Option(help="Whose passphrase this is (kept encrypted).")
    ] = "owner",
    insecure_fast_kdf: FastKdf = False,
) -> None:
    """Create a new, empty workspace."""
    from fieldledger.vault.kdf import TEST_PARAMS
    from fieldledger.workspace import Workspace

    path = _workspace_path()
    passphrase = _passphrase("New passphrase", confirm=True)
    params = TEST_PARAMS if insecure_fast_kdf else None
    with Workspace.init(
        path, passphrase, params=params, label=label, check_strength=not insecure_fast_kdf
    ):
        pass
    _console().print(f"created workspace {path}")


@app.command()
def add(
    type_name: Annotated[
        str,
        typer.Argument(
            metavar="TYPE", help="a record type: household, person, ... (docs/records.md)"
        ),
    ],
    json_input: Annotated[str, typer.Option("--json", help="JSON file, or - for stdin")],
) -> None:
    """Add records from JSON (one object, an array, or one object per line). All or none."""
    text, name = _read_input(json_input)
    items = _parse_objects(text, name)
    with _open() as ws, ws.transaction():
        ids = [ws.add(type_name, item, source=source) for source, item in items]
    for rid in ids:
        typer.echo(rid)


@app.command()
def update(
    type_name: Annotated[str, typer.Argument(metavar="TYPE")],
    record_id: Annotated[str, typer.Argument(metavar="ID")],
    json_input: Annotated[str, typer.Option("--json", help="JSON file, or - for stdin")],
) -> None:
    """Change fields of one record."""
    text, name = _read_input(json_input)
    items = _parse_objects(text, name)
    if len(items) != 1:
        raise ValidationError(f"{name}: give exactly one JSON object to update a record")
    with _open() as ws:
        ws.update(type_name, record_id, items[0][1], source=items[0][0])
    typer.echo(record_id)


@app.command("list")
def list_(
    type_name: Annotated[str, typer.Argument(metavar="TYPE")],
    reveal: Annotated[
        bool, typer.Option("--reveal", help="Show personal data (recorded in the access log).")
    ] = False,
    fmt: FormatOption = "table",
) -> None:
    """List records of one type. Personal data stays hidden unless --reveal."""
    from fieldledger.records import record_type

    rtype = record_type(type_name)
    with _open() as ws:
        rows = ws.list(type_name, reveal=reveal)
    columns = ["id", *rtype.listed, "conflict", "forgotten"] if fmt == "table" else None
    _render_records(rows, fmt, columns)


@app.command()
def show(
    type_name: Annotated[str, typer.Argument(metavar="TYPE")],
    record_id: Annotated[str, typer.Argument(metavar="ID")],
    fmt: FormatOption = "table",
) -> None:
    """Show one record, personal data included (recorded in the access log)."""
    with _open() as ws:
        record = ws.get(type_name, record_id)
    if fmt == "json":
        _render_records([record], fmt)
        return
    from rich.table import Table

    table = Table("field", "value", show_header=False)
    for key, value in record.items():
        table.add_row(key, "" if value is None else str(value))
    _console().print(table)


@app.command()
def verify(
    log: Annotated[Path | None, typer.Option("--log", help="Check an exported log file.")] = None,
) -> None:
    """Check every chain and signature; name the first bad event."""
    with _open() as ws:
        report = ws.verify_log(log) if log else ws.verify()
    report.raise_if_bad()
    _console().print(
        f"ok: {report.events} events in {report.chains} chains, "
        f"{report.signatures} signatures checked"
    )


@app.command()
def rebuild() -> None:
    """Drop every table and fold the log again."""
    with _open() as ws:
        n = ws.rebuild()
    _console().print(f"rebuilt views from {n} events")


@app.command()
def conflicts() -> None:
    """List records edited concurrently on different devices, for review."""
    with _open() as ws:
        found = ws.conflicts()
    if not found:
        _console().print("no conflicts")
        return
    _render_records([{"type": c.rtype, "id": c.rid, "versions": c.heads} for c in found], "table")


@app.command()
def forget(
    person_id: Annotated[str, typer.Argument(metavar="PERSON_ID")],
    yes: Annotated[bool, typer.Option("--yes", help="Do not ask for confirmation.")] = False,
) -> None:
    """Destroy a person's personal data for good. Devices that receive this change later
    do the same."""
    if not yes:
        typer.confirm(f"Forget {person_id} for good? This cannot be undone", abort=True)
    with _open() as ws:
        ws.forget(person_id)
    _console().print(f"forgotten: {person_id}")


@app.command()
def panic(
    yes: Annotated[bool, typer.Option("--yes", "-y", help="Do not ask for confirmation.")] = False,
) -> None:
    """Destroy this workspace's keys now. No passphrase is asked. Nothing can be recovered
    except from another device or a recovery kit."""
    from fieldledger.vault.panic import panic as destroy

    path = _workspace_path()
    if not yes:
        typer.confirm("Destroy all keys of this workspace now?", abort=True)
    destroy(path)
    _console().print("done")


@app.command("export-log")
def export_log(
    out: Annotated[Path, typer.Option("--out", help="File to write (sealed, never plaintext).")],
) -> None:
    """Write the whole signed log, sealed under this workspace's keys. Check it with
    verify --log; import-log reads it back. Personal data in it opens only where the
    person's key is held."""
    with _open() as ws:
        n = ws.export_log(out)
    _console().print(f"wrote {n} events to {out}")


@app.command("import-log")
def import_log(
    file: Annotated[Path, typer.Argument(metavar="FILE", help="A file written by export-log.")],
) -> None:
    """Verify and take in the events of an exported log of this workspace. All or nothing;
    importing the same file twice changes nothing."""
    with _open() as ws:
        body_events = len(ws.read_log(file).events)
        bar, task = _progress_bar(body_events)
        with bar:
            n = ws.import_log(file, progress=lambda done: bar.update(task, completed=done))
    _console().print(f"imported {n} new events")


@app.command()
def demo(
    households: Annotated[int, typer.Option(help="How many synthetic households.")] = 40,
    seed: Annotated[int | None, typer.Option(help="Random seed, for repeatable data.")] = None,
    partner_out: Annotated[
        Path | None,
        typer.Option(
            "--partner-out",
            metavar="DIR",
            help="Also make a partner organisation's workspace in DIR (same passphrase) that "
            "registered some of the same people again; the pairs go to DIR-truth.json.",
            show_default=False,
        ),
    ] = None,
    insecure_fast_kdf: FastKdf = False,
) -> None:
    """Fill the workspace with synthetic records (creating it if missing), show a summary."""
    import contextlib

    from fieldledger.demo import fill, write_truth
    from fieldledger.vault import layout
    from fieldledger.vault.kdf import TEST_PARAMS
    from fieldledger.workspace import Workspace

    path = _workspace_path()
    params = TEST_PARAMS if insecure_fast_kdf else None
    if layout.keys_path(path).exists():
        passphrase = _passphrase()
        ws = Workspace.open(path, passphrase)
    else:
        passphrase = _passphrase("New passphrase", confirm=True)
        ws = Workspace.init(path, passphrase, params=params, check_strength=not insecure_fast_kdf)
    with contextlib.ExitStack() as stack:
        stack.enter_context(ws)
        partner = None
        if partner_out is not None:
            partner = stack.enter_context(
                Workspace.init(
                    partner_out, passphrase, params=params, check_strength=not insecure_fast_kdf
                )
            )
        filled = fill(ws, households=households, seed=seed, progress=_progress_bar, partner=partner)
        _print_summary(ws)
        if partner is not None and partner_out is not None:
            truth = partner_out.parent / f"{partner_out.name}-truth.json"
            write_truth(truth, filled)
            made = partner.summary().records
            _console().print(
                f"partner workspace {partner_out}: {made['household']} households, "
                f"{made['person']} people; {len(filled.same_people)} of them are people of "
                f"this workspace registered again (ids in {truth})"
            )


@app.command()
def cards(
    household_ids: Annotated[
        list[str] | None, typer.Argument(metavar="[HOUSEHOLD_ID]...", show_default=False)
    ] = None,
    out: Annotated[
        Path, typer.Option("--out", help="HTML page to print (A4, 3 cards a row).")
    ] = Path("cards.html"),
) -> None:
    """Print household cards: a QR code of the household code and its township, no names."""
    from fieldledger.cards import cards_html
    from fieldledger.files import write_atomic

    with _open() as ws:
        page = cards_html(ws, household_ids)
    write_atomic(out, page.encode())
    _console().print(f"wrote cards to {out}")


@app.command()
def summary() -> None:
    """Show what the workspace holds."""
    with _open() as ws:
        _print_summary(ws)


@review_app.callback()
def review(
    ctx: typer.Context,
    reveal: Annotated[
        bool, typer.Option("--reveal", help="Show personal data (recorded in the access log).")
    ] = False,
) -> None:
    """List the text waiting for review (doubtful Zawgyi or Unicode), with its record."""
    if ctx.invoked_subcommand is not None:
        return
    with _open() as ws:
        rows = []
        for item in ws.review_queue():
            record = ws.get(item["type"], item["id"], reveal=reveal)
            rows.append({**item, "text": record.get(item["field"])})
    if not rows:
        _console().print("nothing to review")
        return
    _render_records(rows, "table", ["type", "id", "field", "score", "text"])


@review_app.command("accept")
def review_accept(
    type_name: Annotated[str, typer.Argument(metavar="TYPE")],
    record_id: Annotated[str, typer.Argument(metavar="ID")],
    field: Annotated[str, typer.Argument(metavar="FIELD")],
) -> None:
    """Keep the text as typed: it is right as it is. To correct it, use update instead."""
    with _open() as ws:
        ws.accept_text(type_name, record_id, field)
    _console().print("kept as typed")


def _print_summary(ws: Workspace) -> None:
    from rich.table import Table

    s = ws.summary()
    table = Table("what", "count", title=f"workspace {ws.path}")
    for name, n in s.records.items():
        table.add_row(name, str(n))
    table.add_row("forgotten people", str(s.forgotten))
    table.add_row("conflicts to review", str(s.conflicts))
    table.add_row("events in the log", str(s.events))
    table.add_row("devices", str(s.devices))
    _console().print(table)


def _progress_bar(total: int):
    from rich.progress import Progress

    progress = Progress(transient=True, console=_console(stderr=True))
    return progress, progress.add_task("working", total=total)


# -- passphrases -----------------------------------------------------------------------

NewPassFile = Annotated[
    Path | None,
    typer.Option("--new-passphrase-file", help="Read the new passphrase from a file (scripts)."),
]


@passwd_app.command("list")
def passwd_list() -> None:
    """Show the passphrase slots in use (labels only)."""
    with _open() as ws:
        # A duress slot is never listed: someone forced to open the workspace with a real
        # passphrase must not be shown that a duress passphrase exists.
        slots = sorted((i, s) for i, s in ws.keyring.slots.items() if s.kind == "normal")
        current = ws.unlocked.slot
    _render_records(
        [
            {"slot": i, "label": s.label, "used now": "yes" if i == current else ""}
            for i, s in slots
        ],
        "table",
    )


@passwd_app.command("add-slot")
def passwd_add_slot(
    label: Annotated[str, typer.Option(help="Whose passphrase this is.")] = "member",
    duress: Annotated[
        bool,
        typer.Option(
            "--duress", help="A duress passphrase: entering it destroys the keys, opens a decoy."
        ),
    ] = False,
    new_passphrase_file: NewPassFile = None,
) -> None:
    """Add a passphrase that opens this workspace (or a duress passphrase)."""
    from fieldledger.vault import vault

    with _open() as ws:
        new = _new_passphrase(new_passphrase_file, "Passphrase for the new slot")
        index = vault.add_slot(ws.unlocked, new, label=label, duress=duress)
    _console().print("duress passphrase set" if duress else f"added slot {index}")


@passwd_app.command("remove-slot")
def passwd_remove_slot(
    index: Annotated[int | None, typer.Argument(metavar="SLOT")] = None,
    duress: Annotated[bool, typer.Option("--duress", help="Remove the duress passphrase.")] = False,
) -> None:
    """Remove a passphrase slot; its bytes are overwritten with random data."""
    from fieldledger.vault import vault

    with _open() as ws:
        if duress:
            # Says the same whether or not one existed: the program must not confirm to
            # someone holding a real passphrase that a duress passphrase was set.
            vault.remove_duress(ws.unlocked)
            _console().print("no duress passphrase is set now")
            return
        if index is None:
            raise ValidationError("give the SLOT number to remove (see passwd list)")
        vault.remove_slot(ws.unlocked, index)
    _console().print("removed the slot")


@passwd_app.command("change")
def passwd_change(new_passphrase_file: NewPassFile = None) -> None:
    """Change the passphrase you unlocked with."""
    from fieldledger.vault import vault

    with _open() as ws:
        new = _new_passphrase(new_passphrase_file, "New passphrase")
        vault.change(ws.unlocked, new)
    _console().print("passphrase changed")


_register_subcommands()


def main() -> None:
    try:
        app()
    except FieldledgerError as exc:
        _fail(exc)
    except Exception as exc:
        from fieldledger.vault.store import DatabaseError, explain

        known = explain(exc) if isinstance(exc, DatabaseError) else None
        if known is None:
            raise
        _fail(known)


def _fail(exc: FieldledgerError) -> None:
    sys.stderr.write(f"error: {exc}\n")
    sys.exit(exc.exit_code)


if __name__ == "__main__":  # pragma: no cover
    main()
