"""`fieldledger report KIND --out FILE`: a report donors or clusters take, in one command.

Thin like every command: parse, build the report (`fieldledger.reports`), pass it through
disclosure control and the export linter (`fieldledger.privacy.prepare`), show the user what
was suppressed or generalised (on stderr, never in the file), write the bytes atomically.
The file's extension chooses the format.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from fieldledger.errors import ValidationError

if TYPE_CHECKING:
    from rich.console import Console

    from fieldledger.privacy.export import Export


def report_command(
    kind: Annotated[
        str, typer.Argument(metavar="KIND", help="5w, incidents, finance, iati or 8+3.")
    ],
    out: Annotated[
        Path,
        typer.Option("--out", help="File to write; its extension is the format (.csv, .xlsx)."),
    ],
    period: Annotated[
        str | None,
        typer.Option(
            "--period",
            metavar="FROM..TO",
            help="Months, quarters or years: 2026-01..2026-06, 2026-Q1, 2026. Default: all.",
            show_default=False,
        ),
    ] = None,
    grant: Annotated[
        str | None,
        typer.Option("--grant", metavar="GRANT_ID", help="Only what this grant paid for."),
    ] = None,
    lang: Annotated[
        str | None,
        typer.Option(
            "--lang",
            metavar="en|my",
            help="Language of the report's headings and place names (default: as messages).",
            show_default=False,
        ),
    ] = None,
    reviewed_by: Annotated[
        str | None,
        typer.Option("--reviewed-by", metavar="NAME", help="Who reviewed the narrative (8+3)."),
    ] = None,
    i_understand: Annotated[
        bool,
        typer.Option(
            "--i-understand",
            help="Write even what the linter warns of (never personal data).",
        ),
    ] = False,
    epsilon: Annotated[
        float,
        typer.Option(
            "--epsilon",
            help="Differential privacy: noise on the counts at this epsilon, spent from the "
            "workspace's budget (policy epsilon_budget). 0: none.",
        ),
    ] = 0.0,
    answers: Annotated[
        Path | None,
        typer.Option(
            "--answers",
            metavar="FILE",
            help="8+3: the narrative answers (YAML, or Markdown with '## core.1' headings).",
        ),
    ] = None,
    questions: Annotated[
        str | None,
        typer.Option(
            "--questions",
            metavar="ID,ID",
            help="8+3: the questions the donor asks (default: the eight core questions).",
        ),
    ] = None,
    template: Annotated[
        Path | None,
        typer.Option(
            "--template", metavar="FILE", help="8+3: your own edited copy of the template."
        ),
    ] = None,
) -> None:
    """Write a report from the records, through disclosure control: small counts are
    suppressed, places and dates generalised as the workspace policy says, and the export
    linter refuses personal data. What was suppressed is shown here, never in the file."""
    import importlib

    from fieldledger.cli import _console, _open
    from fieldledger.files import write_atomic
    from fieldledger.i18n import current_language
    from fieldledger.privacy import prepare
    from fieldledger.reports.period import parse
    from fieldledger.reports.writers import LANGS, render

    module_name, formats = _kind(kind)
    fmt = out.suffix.lower()
    if fmt not in formats:
        shown = fmt or "no extension"
        raise ValidationError(
            f"report {kind} is written as {' or '.join(formats)}, not {shown}: "
            f"name the file e.g. {out.stem or 'report'}{formats[-1]}"
        )
    if module_name is None:
        raise ValidationError(f"report {kind} is not available in this version yet")
    if grant is not None and kind == "incidents":
        raise ValidationError("--grant does not apply to incidents: leave it out")
    lang = lang or current_language()
    if lang not in LANGS:
        raise ValidationError(f"--lang {lang}: use en (English) or my (Burmese)")
    chosen = parse(period)
    build = importlib.import_module(module_name).build
    options: dict = {"people_table": False} if kind == "incidents" and fmt == ".csv" else {}
    if kind == "8+3":
        from fieldledger.reports import narrative

        tpl = narrative.load_template(template)
        options = {
            "answers": narrative.load_answers(answers) if answers else None,
            "questions": questions,
            "template": tpl,
        }
    elif answers or questions or template:
        raise ValidationError("--answers, --questions and --template are for report 8+3 only")

    with _open() as ws:
        export = build(ws, chosen, grant, lang=lang, **options)
        export.reviewed_by = reviewed_by
        ready = prepare(ws, export, i_understand=i_understand, epsilon=epsilon)
        data = render(ws, ready, fmt, lang, options.get("template"))
        err = _console(stderr=True)
        if options:
            err.print(
                "the CSV holds the incidents table; people affected by sex and age are in the "
                ".xlsx",
                markup=False,
                soft_wrap=True,
            )
        _show_notes(err, ready)
        write_atomic(out, data)
        ws.note("report", kind)
    rows = sum(len(t.rows) for t in ready.tables)
    tables = f"{len(ready.tables)} table{'s' if len(ready.tables) != 1 else ''}"
    _console().print(f"wrote {out}: report {kind}, {tables}, {rows} rows", markup=False)


def _kind(kind: str) -> tuple[str | None, tuple[str, ...]]:
    from fieldledger.reports.writers import KINDS

    try:
        return KINDS[kind]
    except KeyError:
        known = ", ".join(KINDS)
        raise ValidationError(f"no report {kind!r}: use one of {known}") from None


NOTES_SHOWN = 5  # notes listed per table and kind of action; the rest are counted


def _show_notes(err: Console, export: Export) -> None:
    """What disclosure control did, for the person at the keyboard only: per table and kind
    of action, how many cells or places, and the first few of them."""
    if not export.notes:
        err.print("disclosure control: nothing suppressed or generalised", markup=False)
        return
    err.print("disclosure control (shown here, never written in the file):", markup=False)
    groups: dict[tuple[str, str], list[str]] = {}
    for note in export.notes:
        groups.setdefault((note.table, note.what), []).append(note.detail)
    for (table, what), details in groups.items():
        err.print(f"  {table}: {what}: {len(details)}", markup=False)
        for detail in details[:NOTES_SHOWN]:
            err.print(f"    {detail}", markup=False, soft_wrap=True)
        if len(details) > NOTES_SHOWN:
            err.print(f"    ... and {len(details) - NOTES_SHOWN} more", markup=False)


policy_app = typer.Typer(
    help="The report policy: threshold, place level, date grain, IATI, the organisation's name.",
    no_args_is_help=True,
    pretty_exceptions_show_locals=False,
    rich_markup_mode=None,
)


@policy_app.command("show")
def policy_show() -> None:
    """Show the workspace's report policy."""
    from dataclasses import asdict

    from fieldledger.cli import _console, _open
    from fieldledger.privacy import policy

    with _open() as ws:
        current = policy.load(ws)
    for name, value in asdict(current).items():
        _console().print(f"{name} = {'none' if value is None else value}", markup=False)


@policy_app.command("set")
def policy_set(
    field: Annotated[str, typer.Argument(metavar="FIELD", help="A field `policy show` lists.")],
    value: Annotated[str, typer.Argument(metavar="VALUE", help="Its new value ('none' clears).")],
) -> None:
    """Change one field of the report policy (a signed change that syncs to every device)."""
    import dataclasses

    from fieldledger.cli import _console, _open
    from fieldledger.privacy import policy

    with _open() as ws:
        current = policy.load(ws)
        changed = dataclasses.replace(current, **{field: _policy_value(current, field, value)})
        policy.save(ws, changed)
    _console().print(f"report policy: {field} = {value}", markup=False)


def _policy_value(current, field: str, text: str):
    import dataclasses

    known = {f.name: f for f in dataclasses.fields(current)}
    if field not in known:
        raise ValidationError(f"no report policy field {field!r}: use one of {', '.join(known)}")
    kind = type(getattr(current, field))
    if text.strip().lower() == "none":
        return None
    if kind is bool or field == "iati":
        if text.lower() not in ("true", "false", "yes", "no", "on", "off"):
            raise ValidationError(f"report policy field {field}: {text!r}: use true or false")
        return text.lower() in ("true", "yes", "on")
    if kind is int:
        try:
            return int(text)
        except ValueError:
            raise ValidationError(
                f"report policy field {field}: {text!r} is not a whole number"
            ) from None
    if kind is float:
        try:
            return float(text)
        except ValueError:
            raise ValidationError(
                f"report policy field {field}: {text!r} is not a number"
            ) from None
    return text
