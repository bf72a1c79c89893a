"""`fieldledger import`: records from KoboToolbox / ODK Central exports and XLSX / CSV sheets.

Registered in `cli.py`; thin like every command there: read, call `fieldledger.intake`, render.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from fieldledger.errors import ValidationError


def import_command(
    fmt: Annotated[str, typer.Argument(metavar="FORMAT", help="kobo, odk, xlsx or csv")],
    file: Annotated[
        Path,
        typer.Argument(
            metavar="FILE",
            help="Kobo .xlsx/.csv, ODK Central .csv.zip (or its main .csv), or a sheet.",
        ),
    ],
    type_name: Annotated[
        str | None,
        typer.Option("--type", metavar="TYPE", help="Record type of each row (household, ...)."),
    ] = None,
    mapping: Annotated[
        Path | None,
        typer.Option("--mapping", metavar="MAP.yaml", help="Which column fills which field."),
    ] = None,
    skip_bad: Annotated[
        bool, typer.Option("--skip-bad", help="Import the good rows even if some are bad.")
    ] = False,
    guess_only: Annotated[
        bool,
        typer.Option(
            "--guess-mapping", help="Print the mapping guessed from column names, and stop."
        ),
    ] = False,
) -> None:
    """Import records from a Kobo or ODK export, or an XLSX/CSV sheet. Every row is checked
    first: a bad row is named (sheet, row, column) and nothing is imported unless --skip-bad.
    Importing the same file again adds nothing."""
    from fieldledger.cli import _console, _open, _progress_bar
    from fieldledger.intake.importer import apply, prepare, resolve_mapping
    from fieldledger.intake.kobo import read_export
    from fieldledger.intake.mapping import guess_mapping, load_mapping

    export = read_export(file, fmt)
    if guess_only:
        if type_name is None:
            raise ValidationError("--guess-mapping needs --type TYPE: the type of each row")
        typer.echo(guess_mapping(export, type_name).yaml(file.name), nl=False)
        return
    chosen = resolve_mapping(export, type_name, load_mapping(mapping) if mapping else None)
    with _open() as ws:
        plan = prepare(ws, export, chosen)
        for problem in plan.problems:
            typer.echo(str(problem), err=True)
        if plan.problems and not skip_bad:
            rows = len({(p.sheet, p.row) for p in plan.problems})
            raise ValidationError(
                f"nothing imported: {rows} bad row{'s' if rows != 1 else ''}; fix them, "
                "or import the others with --skip-bad"
            )
        bar, task = _progress_bar(len(plan.records))
        with bar:
            added = apply(ws, plan, progress=lambda n: bar.update(task, completed=n))
    detail = ", ".join(f"{n} {t}" for t, n in sorted(added.items()))
    _console().print(
        f"imported {sum(added.values())} records{f' ({detail})' if detail else ''}; "
        f"{plan.already} already imported; {plan.skipped} rows skipped",
        markup=False,
    )
