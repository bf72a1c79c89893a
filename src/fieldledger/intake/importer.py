"""An import run: an export, a mapping, and the records they make, all or none.

    export = read_export("households.xlsx", "kobo")
    plan = prepare(ws, export, mapping)       # every row read and checked; nothing written
    if not plan.problems:
        apply(ws, plan)                       # one transaction

or `import_file(ws, path, "kobo", mapping)` for both. A record's id comes from the
submission's uuid (and, for a repeat group row, which repeat of which submission it is),
through a key of this workspace: importing the same file again, on this device or another
of the workspace, makes the same ids, and records that exist are counted as already
imported, never added twice. A person forgotten since stays forgotten.
"""

from __future__ import annotations

import base64
import hashlib
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from fieldledger import records
from fieldledger.crypto import derive
from fieldledger.errors import ValidationError
from fieldledger.intake.kobo import Export, read_export, submission_key
from fieldledger.intake.mapping import Mapping, RowReader, guess_mapping
from fieldledger.records import RecordType, record_type

if TYPE_CHECKING:
    from fieldledger.workspace import Workspace

Progress = Callable[[int], None]


@dataclass(frozen=True)
class Problem:
    """One bad row: where it is (sheet, row, column) and what is wrong, never its content."""

    file: str
    sheet: str
    row: int
    column: str | None
    reason: str

    def __str__(self) -> str:
        column = f" column {self.column}" if self.column else ""
        # A CSV file is one sheet, named after the file: no need to say it twice.
        sheet = "" if self.file.lower() == f"{self.sheet}.csv".lower() else f" sheet {self.sheet}"
        return f"{self.file}{sheet} row {self.row}{column}: {self.reason}"


@dataclass(frozen=True)
class Planned:
    type: str
    rid: str
    data: dict[str, Any]
    source: str


@dataclass(frozen=True)
class Plan:
    """What an import would do. `skipped` counts rows left out: bad rows, and rows of a
    repeat group whose submission is bad."""

    records: tuple[Planned, ...]
    already: int
    skipped: int
    problems: tuple[Problem, ...]


@dataclass(frozen=True)
class ImportReport:
    added: int
    already: int
    skipped: int
    problems: tuple[Problem, ...]
    by_type: dict[str, int]


def record_id(key: bytes, rtype: RecordType, submission: str) -> str:
    """The id of the record made from `submission` (a uuid, or uuid/repeat[n]): keyed, so
    ids cannot be linked back to submissions without the workspace's keys."""
    mac = hashlib.blake2b(f"{rtype.name}\0{submission}".encode(), key=key, digest_size=10)
    return f"{rtype.id_prefix}-{base64.b32encode(mac.digest()).decode()}"


def id_key(ws: Workspace) -> bytes:
    return derive(ws.keyring.workspace_secret, "fieldledger intake record ids")


class _Planner:
    def __init__(self, ws: Workspace, export: Export) -> None:
        self.ws = ws
        self.export = export
        self.key = id_key(ws)
        self.records: list[Planned] = []
        self.planned: dict[tuple[str, str], int] = {}  # (type, id) → index in records
        self.already = 0
        self.skipped = 0
        self.problems: list[Problem] = []

    def exists(self, rtype: RecordType, rid: str) -> bool:
        if (rtype.name, rid) in self.planned:
            return True
        return self.ws.exists(rtype.name, rid)

    def problem(self, sheet: str, row: int, column: str | None, reason: str) -> None:
        self.problems.append(Problem(self.export.file, sheet, row, column, reason))

    def row(
        self,
        reader: RowReader,
        number: int,
        values: tuple[Any, ...],
        key: str,
        extra: dict[str, Any],
    ) -> str | None:
        """Plan the record of one row; its id, or None when the row is bad."""
        rtype, sheet = reader.rtype, reader.sheet.name
        source = f"{self.export.file} sheet {sheet} row {number}"
        data, bad = reader.read(values)
        data.update(extra)
        for column, reason in bad:
            self.problem(sheet, number, reader.where(column), reason)
        if bad:
            return None
        try:
            fields = records.to_fields(records.convert(rtype, data, source=source))
        except ValidationError as exc:
            reason = str(exc).removeprefix(f"{source}: ")
            name = getattr(exc, "field", "") or ""  # the field's path, in any language
            column = reader.column_of(name) if name else None
            self.problem(sheet, number, column and reader.where(column), reason)
            return None
        for name, target in rtype.refs:
            value = fields.get(name)
            if value is not None and not self.exists(record_type(target), value):
                column = reader.column_of(name)
                self.problem(
                    sheet, number, column and reader.where(column),
                    f"{rtype.name} field {name}: no {target} with that id",
                )  # fmt: skip
                return None
        rid = record_id(self.key, rtype, key)
        earlier = self.planned.get((rtype.name, rid))
        if earlier is not None:
            first = self.records[earlier]
            if first.data != data:
                self.problem(
                    sheet, number, None,
                    f"the same submission as sheet {first.source.split(' sheet ', 1)[1]}, "
                    "with different answers: remove one of them",
                )  # fmt: skip
                return None
            self.already += 1
            return rid
        if self.exists(rtype, rid):
            self.already += 1
            return rid
        self.planned[(rtype.name, rid)] = len(self.records)
        self.records.append(Planned(rtype.name, rid, data, source))
        return rid


def prepare(ws: Workspace, export: Export, mapping: Mapping) -> Plan:
    """Read and check every row against the mapping. Writes nothing."""
    planner = _Planner(ws, export)
    main = export.main
    reader = RowReader(mapping, main, export.file)
    id_column = mapping.id_from or export.id_column
    if id_column is None:
        raise ValidationError(
            f"{export.file}: no column identifies a row: name one with id_from: in the "
            "mapping (a column whose value never changes, such as the household code)"
        )
    ix = main.index(id_column)
    if ix is None:
        raise ValidationError(f"{export.file} sheet {main.name}: no id_from column {id_column!r}")
    keys: list[str | None] = []
    for number, values in main.numbered():
        key = submission_key(values[ix])
        rid = None
        if key is None:
            planner.problem(main.name, number, reader.where(id_column), "no submission id")
        else:
            rid = planner.row(reader, number, values, key, {})
        keys.append(key if rid is not None else None)
        if rid is None:
            planner.skipped += 1
    parent_ids = [None if k is None else record_id(planner.key, reader.rtype, k) for k in keys]
    for child in mapping.repeats:
        _plan_repeat(planner, export, child, keys, parent_ids)
    return Plan(tuple(planner.records), planner.already, planner.skipped, tuple(planner.problems))


def _plan_repeat(
    planner: _Planner,
    export: Export,
    child: Mapping,
    keys: list[str | None],
    parent_ids: list[str | None],
) -> None:
    repeat = export.repeat(child.repeat or "")
    if repeat.parent is not None:
        raise ValidationError(
            f"{export.file}: repeat group {repeat.name} sits in repeat group {repeat.parent}: "
            "only repeat groups of the submission itself can be imported"
        )
    reader = RowReader(child, repeat.sheet, export.file)
    parent_field = child.parent_field or ""
    for i, (number, values) in enumerate(repeat.sheet.numbered()):
        p = repeat.parent_rows[i]
        if p is None:
            planner.problem(
                repeat.name, number, reader.where(repeat.link_column),
                "no submission with this parent in the main sheet",
            )  # fmt: skip
            planner.skipped += 1
            continue
        if keys[p] is None:  # its submission is bad: reported there
            planner.skipped += 1
            continue
        key = f"{keys[p]}/{repeat.name}[{repeat.ordinals[i]}]"
        extra = {parent_field: parent_ids[p]}
        if planner.row(reader, number, values, key, extra) is None:
            planner.skipped += 1


def apply(ws: Workspace, plan: Plan, progress: Progress | None = None) -> dict[str, int]:
    """Add every planned record in one transaction: all of them, or none if anything fails.
    Returns how many of each type were added."""
    added: dict[str, int] = {}
    with ws.transaction():
        for n, p in enumerate(plan.records, start=1):
            ws.add(p.type, {"id": p.rid, **p.data}, source=p.source)
            added[p.type] = added.get(p.type, 0) + 1
            if progress and n % 200 == 0:
                progress(n)
        if plan.records:
            ws.note("import", ",".join(sorted(added)))
    if progress:
        progress(len(plan.records))
    return added


def resolve_mapping(export: Export, type_name: str | None, mapping: Mapping | None) -> Mapping:
    """The mapping given, or the guess for `type_name` when it fills every required field."""
    if mapping is not None:
        if type_name is not None and record_type(type_name).name != mapping.type:
            raise ValidationError(
                f"the mapping is for {mapping.type} records, not {type_name}: "
                "leave --type out or use another mapping"
            )
        return mapping
    if type_name is None:
        raise ValidationError("give --type TYPE, or --mapping MAP.yaml")
    guess = guess_mapping(export, type_name)
    if not guess.complete:
        raise ValidationError(
            f"{export.file}: no column found for {', '.join(guess.missing)}: write a mapping "
            "(start from the output of --guess-mapping) and pass it with --mapping"
        )
    return guess.mapping


def import_file(
    ws: Workspace,
    path: Path | str,
    fmt: str,
    mapping: Mapping | None = None,
    *,
    type_name: str | None = None,
    skip_bad: bool = False,
    progress: Progress | None = None,
) -> ImportReport:
    """Import one export file. With bad rows and not `skip_bad`, nothing is written and the
    report lists every problem; with `skip_bad`, the good rows are imported."""
    export = read_export(path, fmt)
    plan = prepare(ws, export, resolve_mapping(export, type_name, mapping))
    if plan.problems and not skip_bad:
        return ImportReport(0, plan.already, plan.skipped, plan.problems, {})
    by_type = apply(ws, plan, progress)
    return ImportReport(len(plan.records), plan.already, plan.skipped, plan.problems, by_type)


__all__ = [
    "ImportReport",
    "Plan",
    "Problem",
    "apply",
    "import_file",
    "prepare",
    "record_id",
    "resolve_mapping",
]
