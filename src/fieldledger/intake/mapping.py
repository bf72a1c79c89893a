"""Which column fills which record field: mapping files, the automatic guess, and turning
one row into the data for `Workspace.add`.

A mapping file (YAML):

    type: household
    id_from: _uuid                 # the column that identifies a submission
    fields:                        # record field: column
      code: hh/hh_code
      location_pcode: hh/village_pcode
      size: hh/hh_size
    constants:                     # a value for every row (or where the column is empty)
      displacement_status: idp
    values:                        # choice names in the form → values of the record
      shelter_type: {tent: makeshift}
    repeats:                       # repeat groups whose rows become records of their own
      - repeat: members
        type: person
        parent_field: household_id # filled with the id of the record made from the parent
        fields:
          sex: hh/members/sex
          disability.seeing: hh/members/wg_seeing

Cells are brought to the field's type before validation: numbers written as text, Burmese
and Shan digits, Excel dates and ISO text, 0/1 and yes/no; a select_multiple (space-separated
or split into `question/choice` 0/1 columns) becomes a list for a list field.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import msgspec

from fieldledger.errors import ValidationError
from fieldledger.intake import tabular
from fieldledger.intake.kobo import META_COLUMNS, Export
from fieldledger.intake.tabular import Sheet, column_letter
from fieldledger.records import REGISTRY, RecordType, record_type

# Burmese and Shan digits, and the letters typed for them in number fields: wa (ဝ) for zero,
# the symbol ၎ for four. Used on number and date cells only, never on text.
DIGITS = str.maketrans("၀၁၂၃၄၅၆၇၈၉႐႑႒႓႔႕႖႗႘႙ဝ၎", "0123456789012345678904")
_INT = re.compile(r"^[+-]?\d+(\.0*)?$")
_TRUE = frozenset({"1", "true", "yes", "y"})
_FALSE = frozenset({"0", "false", "no", "n"})

_TOP_KEYS = frozenset({"type", "id_from", "fields", "constants", "values", "repeats"})
_REPEAT_KEYS = frozenset({"repeat", "type", "parent_field", "fields", "constants", "values"})


@dataclass(frozen=True)
class Mapping:
    """Columns to fields for one record type; `repeats` map repeat groups to child records."""

    type: str
    fields: dict[str, str]
    constants: dict[str, Any] = field(default_factory=dict)
    values: dict[str, dict[str, Any]] = field(default_factory=dict)
    id_from: str | None = None
    repeat: str | None = None
    parent_field: str | None = None
    repeats: tuple[Mapping, ...] = ()

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {}
        if self.repeat is not None:
            out["repeat"] = self.repeat
        out["type"] = self.type
        if self.parent_field is not None:
            out["parent_field"] = self.parent_field
        if self.repeat is None:
            out["id_from"] = self.id_from
        out["fields"] = dict(self.fields)
        for key in ("constants", "values"):
            if getattr(self, key):
                out[key] = dict(getattr(self, key))
        if self.repeats:
            out["repeats"] = [r.to_dict() for r in self.repeats]
        return out


# -- reading and checking a mapping -------------------------------------------------------


def load_mapping(path: Path | str) -> Mapping:
    import yaml

    path = Path(path)
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise ValidationError(f"cannot read {path}: {exc.strerror}") from None
    except UnicodeDecodeError:
        raise ValidationError(f"{path.name}: not UTF-8 text") from None
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" line {mark.line + 1}" if mark else ""
        raise ValidationError(f"{path.name}{where}: not valid YAML") from None
    return parse_mapping(data, path.name)


def parse_mapping(data: Any, source: str = "mapping") -> Mapping:
    if not isinstance(data, dict):
        raise ValidationError(f"{source}: a mapping is a YAML object with type: and fields:")
    mapping = _parse(data, source, _TOP_KEYS)
    repeats = data.get("repeats") or []
    if not isinstance(repeats, list):
        raise ValidationError(f"{source}: repeats: must be a list of repeat groups")
    children = []
    for n, item in enumerate(repeats, start=1):
        where = f"{source} repeats item {n}"
        if not isinstance(item, dict):
            raise ValidationError(f"{where}: must be an object with repeat:, type:, fields:")
        child = _parse(item, where, _REPEAT_KEYS)
        if not item.get("repeat") or not item.get("parent_field"):
            raise ValidationError(f"{where}: give repeat: (the group) and parent_field:")
        _check_field(record_type(child.type), str(item["parent_field"]), where)
        children.append(
            Mapping(
                child.type,
                child.fields,
                child.constants,
                child.values,
                repeat=str(item["repeat"]),
                parent_field=str(item["parent_field"]),
            )
        )
    return Mapping(
        mapping.type,
        mapping.fields,
        mapping.constants,
        mapping.values,
        id_from=None if data.get("id_from") is None else str(data["id_from"]),
        repeats=tuple(children),
    )


def _parse(data: dict, where: str, allowed: frozenset[str]) -> Mapping:
    unknown = sorted(set(map(str, data)) - allowed)
    if unknown:
        known = ", ".join(sorted(allowed))
        raise ValidationError(f"{where}: unknown key {unknown[0]!r}: use {known}")
    if not data.get("type"):
        raise ValidationError(f"{where}: give type: (one of {', '.join(sorted(REGISTRY))})")
    rtype = record_type(str(data["type"]))
    sections = {}
    for key in ("fields", "constants", "values"):
        section = data.get(key) or {}
        if not isinstance(section, dict):
            raise ValidationError(f"{where}: {key}: must map field names to values")
        for name in section:
            _check_field(rtype, str(name), f"{where} {key}")
        sections[key] = {str(k): v for k, v in section.items()}
    for name, column in sections["fields"].items():
        if not isinstance(column, str) or not column.strip():
            raise ValidationError(f"{where} fields {name}: give the column's name as text")
    for name, table in sections["values"].items():
        if not isinstance(table, dict):
            raise ValidationError(f"{where} values {name}: map each choice to a value")
        sections["values"][name] = {str(k): v for k, v in table.items()}
    return Mapping(rtype.name, sections["fields"], sections["constants"], sections["values"])


def _check_field(rtype: RecordType, name: str, where: str) -> None:
    if name == "id":
        raise ValidationError(f"{where}: id comes from id_from (the submission), not a column")
    if kind_of(rtype, name) is None:
        known = ", ".join(rtype.fields)
        raise ValidationError(f"{where}: {rtype.name} has no field {name!r} (fields: {known})")


# -- field kinds ----------------------------------------------------------------------------


@dataclass(frozen=True)
class Kind:
    """What a field holds, enough to bring a cell to it: 'int', 'float', 'bool', 'date',
    'datetime', 'str', 'list' (of `item`), 'struct' or 'any'."""

    name: str
    item: Kind | None = None
    required: bool = False


def _kind(t: Any, required: bool = False) -> Kind:
    mi = msgspec.inspect
    while isinstance(t, mi.Metadata):
        t = t.type
    if isinstance(t, mi.UnionType):
        inner = [x for x in t.types if not isinstance(x, mi.NoneType)]
        return _kind(inner[0], required) if len(inner) == 1 else Kind("any", required=required)
    simple = {
        mi.IntType: "int", mi.FloatType: "float", mi.BoolType: "bool", mi.DateType: "date",
        mi.DateTimeType: "datetime", mi.StrType: "str", mi.LiteralType: "str",
        mi.StructType: "struct",
    }  # fmt: skip
    for cls, name in simple.items():
        if isinstance(t, cls):
            return Kind(name, required=required)
    if isinstance(t, mi.ListType | mi.SetType | mi.FrozenSetType | mi.VarTupleType):
        return Kind("list", _kind(t.item_type), required)
    return Kind("any", required=required)


def _struct_fields(t: Any) -> tuple[msgspec.inspect.Field, ...]:
    mi = msgspec.inspect
    while isinstance(t, mi.Metadata):
        t = t.type
    if isinstance(t, mi.UnionType):
        t = next((x for x in t.types if isinstance(x, mi.StructType)), None)
    return t.fields if isinstance(t, mi.StructType) else ()


def kind_of(rtype: RecordType, dotted: str) -> Kind | None:
    """The kind of field `a` or nested field `a.b` of the record type; None if it has none."""
    fields = _struct_fields(msgspec.inspect.type_info(rtype.struct))
    kind = None
    for part in dotted.split("."):
        match = next((f for f in fields if f.name == part), None)
        if match is None:
            return None
        kind = _kind(match.type, match.required)
        fields = _struct_fields(match.type)
    return kind


def leaves(rtype: RecordType) -> list[tuple[str, Kind]]:
    """Every field a cell can fill, nested struct fields as `a.b`, in declaration order."""
    out: list[tuple[str, Kind]] = []

    def walk(fields: tuple, prefix: str) -> None:
        for f in fields:
            inner = _struct_fields(f.type)
            if inner:
                walk(inner, f"{prefix}{f.name}.")
            else:
                out.append((f"{prefix}{f.name}", _kind(f.type, f.required and not prefix)))

    walk(_struct_fields(msgspec.inspect.type_info(rtype.struct)), "")
    return out


# -- bringing a cell to a field's kind --------------------------------------------------------


class CellError(ValueError):
    """A cell that cannot become the field's kind; the message never holds the cell's text."""


def _text(value: Any) -> str:
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, dt.datetime):
        return value.isoformat()
    if isinstance(value, dt.date):
        return value.isoformat()
    return str(value).strip()


def coerce(kind: Kind, value: Any) -> Any:
    """`value` as `kind` wants it, None for an empty cell. Raises CellError."""
    if tabular.blank(value):
        return None
    name = kind.name
    if name == "int":
        if isinstance(value, bool):
            raise CellError("not a whole number")
        if isinstance(value, int):
            return value
        if isinstance(value, float):
            if value.is_integer():
                return int(value)
            raise CellError("not a whole number")
        text = str(value).strip().translate(DIGITS)
        if _INT.match(text):
            return int(text.split(".")[0])
        raise CellError("not a whole number")
    if name == "float":
        if isinstance(value, int | float) and not isinstance(value, bool):
            return float(value)
        try:
            return float(str(value).strip().translate(DIGITS))
        except ValueError:
            raise CellError("not a number") from None
    if name == "bool":
        if isinstance(value, bool):
            return value
        text = _text(value).lower()
        if text in _TRUE or text in _FALSE:
            return text in _TRUE
        raise CellError("not yes or no (1/0, true/false)")
    if name == "date":
        return _date(value)
    if name == "datetime":
        if isinstance(value, dt.datetime):
            return value
        try:
            return dt.datetime.fromisoformat(str(value).strip().translate(DIGITS))
        except ValueError:
            raise CellError("not a date and time (YYYY-MM-DDTHH:MM:SS)") from None
    if name == "list":
        items = value if isinstance(value, list) else _text(value).split()
        item = kind.item or Kind("any")
        return [v for v in (coerce(item, x) for x in items) if v is not None]
    if name == "str":
        return _text(value)
    return value.strip() if isinstance(value, str) else value


def _date(value: Any) -> dt.date:
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    if isinstance(value, int | float) and not isinstance(value, bool):
        from openpyxl.utils.datetime import from_excel

        # A date cell stored without its date format: Excel's day number.
        if not 1 <= value < 2958466:  # 1900-01-01 to 9999-12-31; also refuses NaN
            raise CellError("not a date")
        day = from_excel(value)
        if not isinstance(day, dt.datetime):
            raise CellError("not a date")
        return day.date()
    text = str(value).strip().translate(DIGITS)
    try:
        return dt.date.fromisoformat(text[:10])
    except ValueError:
        raise CellError("not a date (YYYY-MM-DD)") from None


# -- one row into record data ----------------------------------------------------------------


@dataclass(frozen=True)
class _Cell:
    field: str
    column: str
    index: int | None  # the column, or None for a select_multiple split into choice columns
    choices: tuple[tuple[str, int], ...]
    kind: Kind
    values: dict[str, Any] | None


_CHOSEN = frozenset({"1", "true", "yes"})


class RowReader:
    """A mapping bound to one sheet: reads a row into (data, [(column, reason)])."""

    def __init__(
        self, mapping: Mapping, sheet: Sheet, file: str, rtype: RecordType | None = None
    ) -> None:
        self.rtype = rtype or record_type(mapping.type)
        self.sheet = sheet
        self.cells: list[_Cell] = []
        for name, column in mapping.fields.items():
            kind = kind_of(self.rtype, name) or Kind("any")
            index = sheet.index(column)
            choices: tuple[tuple[str, int], ...] = ()
            if index is None:
                prefix = f"{column}/"
                choices = tuple(
                    (c[len(prefix) :], i)
                    for i, c in enumerate(sheet.columns)
                    if c.startswith(prefix)
                )
                if not choices:
                    raise ValidationError(
                        f"{file} sheet {sheet.name}: no column {column!r} (mapped to "
                        f"{self.rtype.name} field {name}): check the mapping's fields"
                    )
            self.cells.append(_Cell(name, column, index, choices, kind, mapping.values.get(name)))
        self.constants = {k: v for k, v in mapping.constants.items()}

    def where(self, column: str) -> str:
        index = self.sheet.index(column)
        return column if index is None else f"{column} ({column_letter(index)})"

    def read(self, row: tuple[Any, ...]) -> tuple[dict[str, Any], list[tuple[str, str]]]:
        data: dict[str, Any] = {}
        problems: list[tuple[str, str]] = []
        for cell in self.cells:
            if cell.index is not None:
                raw = row[cell.index]
            else:
                chosen = [c for c, i in cell.choices if _text(row[i]).lower() in _CHOSEN]
                raw = chosen if cell.kind.name == "list" else " ".join(chosen)
            if cell.values is not None:
                raw = _translate(raw, cell.values)
            try:
                value = coerce(cell.kind, raw)
            except CellError as exc:
                problems.append((cell.column, f"{self.rtype.name} field {cell.field}: {exc}"))
                continue
            if value is not None:
                _put(data, cell.field, value)
        for name, value in self.constants.items():
            _put(data, name, value, keep=True)
        return data, problems

    def column_of(self, dotted: str) -> str | None:
        """The column that fills a field (or the struct around it), for naming problems."""
        for cell in self.cells:
            if cell.field == dotted or cell.field.startswith(f"{dotted}."):
                return cell.column
        return None


def _translate(raw: Any, table: dict[str, Any]) -> Any:
    if isinstance(raw, list):
        return [table.get(_text(x), x) for x in raw]
    if tabular.blank(raw):
        return raw
    text = _text(raw)
    if text in table:
        return table[text]
    if " " in text:  # a select_multiple written as one cell
        return " ".join(str(table.get(x, x)) for x in text.split())
    return raw


def _put(data: dict[str, Any], dotted: str, value: Any, keep: bool = False) -> None:
    *parents, last = dotted.split(".")
    for part in parents:
        data = data.setdefault(part, {})
    if keep and last in data:
        return
    data[last] = value


# -- the automatic guess --------------------------------------------------------------------


def normalise(column: str) -> str:
    """The question's own name: group path dropped, lower case, words joined by `_`."""
    last = re.split(r"[/-]", column)[-1] if column else ""
    return re.sub(r"[^0-9a-z]+", "_", last.lower()).strip("_")


def _candidates(sheet: Sheet, skip: set[str]) -> list[tuple[str, str]]:
    columns = set(sheet.columns)
    out = []
    for column in sheet.columns:
        last = re.split(r"[/-]", column)[-1]
        if not column or column in skip or last.startswith("_") or last.lower() in META_COLUMNS:
            continue
        if "/" in column and column.rsplit("/", 1)[0] in columns:
            continue  # one choice of a split select_multiple
        norm = normalise(column)
        if norm:
            out.append((column, norm))
    return out


_RULES: tuple[Callable[[str, str], bool], ...] = (
    lambda f, c: c == f,
    lambda f, c: c.endswith(f"_{f}"),
    lambda f, c: len(c) >= 4 and (f.startswith(f"{c}_") or f.endswith(f"_{c}")),
    lambda f, c: len(t := f.rsplit("_", 1)[-1]) >= 4 and "_" in f and c.rsplit("_", 1)[-1] == t,
)


def _guess_fields(
    rtype: RecordType, sheet: Sheet, skip: set[str]
) -> tuple[dict[str, str], list[str], list[str]]:
    """(field → column, required fields unmatched, optional fields unmatched)."""
    candidates = _candidates(sheet, skip)
    used: set[str] = set()
    fields: dict[str, str] = {}
    targets = [(d, k) for d, k in leaves(rtype) if d.split(".")[0] not in skip]
    for rule in _RULES:
        for dotted, _ in targets:
            if dotted in fields:
                continue
            leaf = dotted.rsplit(".", 1)[-1]
            found = next((c for c, n in candidates if c not in used and rule(leaf, n)), None)
            if found is not None:
                fields[dotted] = found
                used.add(found)
    order = {d: i for i, (d, _) in enumerate(targets)}
    fields = dict(sorted(fields.items(), key=lambda kv: order[kv[0]]))
    missing = [d for d, k in targets if k.required and d not in fields]
    optional = [d for d, k in targets if not k.required and d not in fields]
    return fields, missing, optional


@dataclass(frozen=True)
class Guess:
    """A guessed mapping, with what it could not fill, to be read before it is trusted."""

    mapping: Mapping
    missing: tuple[str, ...]  # required fields with no column, as type.field
    unmatched: tuple[str, ...]  # optional fields with no column
    notes: tuple[str, ...]

    @property
    def complete(self) -> bool:
        return not self.missing

    def yaml(self, source: str) -> str:
        import yaml

        lines = [
            f"# Mapping guessed from {source}: check every line before you import with it.",
            "# fields: record field: column. constants: a value for every row.",
        ]
        if self.missing:
            lines.append("# REQUIRED, no column found (map a column or set a constant): ")
            lines[-1] += ", ".join(self.missing)
        if self.unmatched:
            lines.append(f"# optional, no column found: {', '.join(self.unmatched)}")
        lines += [f"# {note}" for note in self.notes]
        body = yaml.safe_dump(
            self.mapping.to_dict(), sort_keys=False, allow_unicode=True, width=100
        )
        return "\n".join(lines) + "\n" + body


def guess_mapping(export: Export, type_name: str) -> Guess:
    """Match columns to fields by name; repeat groups of the submission go to the record type
    that refers to `type_name` and fits their columns best."""
    rtype = record_type(type_name)
    fields, missing, optional = _guess_fields(rtype, export.main, set())
    missing = [f"{rtype.name}.{f}" for f in missing]
    unmatched = [f"{rtype.name}.{f}" for f in optional]
    notes = []
    if export.id_column is None:
        notes.append("id_from: name the column that identifies each row (it must never change)")
    children = []
    for repeat in export.repeats.values():
        if repeat.parent is not None:
            notes.append(f"repeat group {repeat.name} sits in another repeat group: not mapped")
            continue
        best = None
        for child in REGISTRY.values():
            for ref_field, target in child.refs:
                if target != rtype.name:
                    continue
                got, lacks, _ = _guess_fields(child, repeat.sheet, {ref_field})
                if not lacks and (best is None or len(got) > len(best[2])):
                    best = (child, ref_field, got)
        if best is None:
            notes.append(f"repeat group {repeat.name}: no record type fits its columns")
            continue
        child, ref_field, got = best
        children.append(Mapping(child.name, got, repeat=repeat.name, parent_field=ref_field))
    mapping = Mapping(rtype.name, fields, id_from=export.id_column, repeats=tuple(children))
    return Guess(mapping, tuple(missing), tuple(unmatched), tuple(notes))
