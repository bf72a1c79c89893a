"""Record forms made from the record families' own definitions.

`form_fields(rtype, compartments)` reads a family's msgspec struct and gives one `Field`
per input: its kind (text, number, date, yes/no, a choice of the allowed values), whether
it is required, and its label in the reader's language. Nested counts (a training's
participants, an incident's people affected) become one number input each, named with a
dot (`participants.female`). A field kept in a compartment the account's role does not
hold (a distribution's transfer channel, in `finance`) is left out.

A reference to another record (`RecordType.refs`) is never asked as the record's internal
id. A household is typed by its code, as on its card (kind `code`; `web.records` resolves
it to the id on save); any other record is chosen from a list of those that exist (kind
`ref`, its `options` filled per request by `web.records.reference_inputs`), labelled as
`NAMING` says: a project by its name, a grant by its donor alias and period. A reference
to a record of a compartment the role does not hold (a distribution's grant, for a field
worker) is left out like the fields kept there: never asked, never shown.

`record_data(rtype, fields, posted)` turns the posted form back into the dict that
`Workspace.add` / `update` validate: empty inputs are left out, counts are nested again.
The record family's validation stays the only judge of what is valid; its one-line error
is shown above the form.
"""

from __future__ import annotations

import datetime as dt
import functools
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, cast

import msgspec.inspect as mi

from fieldledger import i18n
from fieldledger.records import RecordType, record_type
from fieldledger.records.labels import AFFECTED, COUNTS, LABELS

# English labels where the field's name does not read well by itself.
ENGLISH: dict[str, str] = {
    "location_pcode": "Place (P-code or name)",
    "village_tract_pcode": "Village tract (P-code or name)",
    "household_id": "Household",
    "project_id": "Project",
    "grant_id": "Grant",
    "incident_id": "Incident",
    "evidence_id": "Evidence",
    "gps": "GPS (latitude,longitude)",
    "id_number": "ID card number",
    "donor_alias": "Donor (as shown in reports)",
    "displaced_on": "Displaced on",
    "size": "People in the household",
    "consent_given": "Consent given",
    "name_en": "Name (English)",
    "name_mm": "Name (Burmese)",
}
# Allowed values whose English is not the value with spaces.
ENGLISH_VALUES: dict[str, str] = {
    "idp": "IDP (displaced)",
    "nfi": "Non-food items",
    "sea": "Sexual exploitation or abuse",
    "wash": "WASH",
    "psea": "PSEA",
    "cbo": "CBO",
    "ngo": "NGO",
    "ingo": "INGO",
}
LONG_TEXT = {"narrative", "description", "text", "note", "purpose"}
# Records named by a column people type rather than chosen from a list (there can be
# hundreds of thousands of households): {record type: the column typed}.
TYPED: dict[str, str] = {"household": "code"}
_TO_ASCII = str.maketrans("၀၁၂၃၄၅၆၇၈၉", "0123456789")


@dataclass(frozen=True)
class Naming:
    """How a record named by a reference is shown: the columns of its view read (after its
    id), how its label is made of them, the page it links to, and the order of a list of
    them to choose from (newest first). Labels keep digits 0-9: templates show them in the
    reader's numerals."""

    columns: tuple[str, ...]
    label: Callable[[tuple[Any, ...]], str]
    order: str
    href: Callable[[str, tuple[Any, ...]], str]


def _joined(*parts: Any) -> str:
    return " · ".join(str(p) for p in parts if p not in (None, ""))


def _period(start: Any, end: Any) -> str:
    return f"{start or ''} – {end or ''}" if end else str(start or "")


NAMING: dict[str, Naming] = {
    "household": Naming(
        ("code",), lambda r: str(r[0] or ""), "code", lambda i, r: f"/households/{i}"
    ),
    "project": Naming(
        ("name",), lambda r: str(r[0] or ""), "start_date", lambda i, r: f"/projects/{i}"
    ),
    "grant": Naming(
        ("donor_alias", "period_start", "period_end"),
        lambda r: _joined(r[0], _period(r[1], r[2])),
        "period_start",
        lambda i, r: f"/grants/{i}",
    ),
    "incident": Naming(
        ("date", "kind"),
        lambda r: _joined(r[0], value_label(r[1]) if r[1] else ""),
        "date",
        lambda i, r: f"/incidents/{i}",
    ),
    "evidence": Naming(
        ("captured_on", "kind", "incident_id"),
        lambda r: _joined(r[0], value_label(r[1]) if r[1] else ""),
        "captured_on",
        lambda i, r: f"/incidents/{r[2]}#{i}",
    ),
}


@dataclass(frozen=True)
class Field:
    name: str  # the input's name: the record field, or "participants.female"
    kind: str  # text | textarea | int | float | date | bool | choice | code | ref
    required: bool
    choices: tuple[str, ...] = ()
    max_length: int | None = None
    personal: bool = False  # sealed personal data: shown only to roles that may read it
    record: str = ""
    ref: str = ""  # code, ref: the record type the field names
    # ref: the records to choose from, (id, label), set per request (None: typed as an id)
    options: tuple[tuple[str, str], ...] | None = None

    @property
    def label(self) -> str:
        """The label in the reader's language (Burmese labels from records/labels.py)."""
        parts = self.name.split(".")
        if i18n.current_language() == "my":
            words = [LABELS.get(self.record, {}).get(parts[0])]
            words += [COUNTS.get(p) or AFFECTED.get(p) for p in parts[1:]]
            said = "၊ ".join(w for w in words if w)
            if said:
                return said
        english = [ENGLISH.get(p) or p.replace("_", " ").capitalize() for p in parts]
        return " · ".join(i18n._(w) for w in english)


def value_label(value: Any) -> str:
    """An allowed value ("in_kind_food") as a reader reads it, in their language."""
    if isinstance(value, bool):
        return i18n._("yes") if value else i18n._("no")
    text = str(value)
    english = ENGLISH_VALUES.get(text) or text.replace("_", " ")
    english = english[:1].upper() + english[1:]
    said = i18n.pgettext("value", text)
    return english if said == text else said


def _unwrap(ty: mi.Type) -> tuple[mi.Type, bool]:
    """The type inside `X | None`, and whether None was allowed."""
    if isinstance(ty, mi.UnionType):
        rest = [t for t in ty.types if not isinstance(t, mi.NoneType)]
        if len(rest) == 1:
            return rest[0], True
    return ty, False


def _constraints(ty: mi.Type) -> mi.Type:
    return ty.type if isinstance(ty, mi.Metadata) else ty


def _kind(ty: mi.Type, name: str) -> tuple[str, tuple[str, ...], int | None]:
    ty = _constraints(ty)
    if isinstance(ty, mi.LiteralType):
        return "choice", tuple(str(v) for v in ty.values), None
    if isinstance(ty, mi.BoolType):
        return "bool", (), None
    if isinstance(ty, mi.IntType):
        return "int", (), None
    if isinstance(ty, mi.FloatType):
        return "float", (), None
    if isinstance(ty, mi.DateType):
        return "date", (), None
    if isinstance(ty, mi.StrType):
        kind = "textarea" if name in LONG_TEXT else "text"
        return kind, (), ty.max_length
    return "text", (), None


@functools.cache
def _struct_info(struct: type) -> mi.StructType:
    # msgspec.inspect rebuilds its description on every call (about 1.5 ms): once per family.
    # A record family is always a msgspec Struct, so its description is a StructType.
    return cast(mi.StructType, mi.type_info(struct))


def form_fields(
    rtype: RecordType, compartments: tuple[str, ...], *, skip: tuple[str, ...] = ()
) -> list[Field]:
    """The inputs of a form for `rtype`, for a role holding `compartments`."""
    elsewhere = {f for f, c in rtype.split if c not in compartments}
    refs = dict(rtype.refs)
    elsewhere |= {f for f, t in refs.items() if record_type(t).compartment not in compartments}
    out: list[Field] = []
    info = _struct_info(rtype.struct)
    for f in info.fields:
        if f.name in elsewhere or f.name in skip:
            continue
        ty, optional = _unwrap(f.type)
        if isinstance(ty, mi.StructType):
            for sub in ty.fields:
                inner, _ = _unwrap(sub.type)
                if isinstance(_constraints(inner), mi.StructType):
                    continue  # counts within counts have a form of their own
                kind, choices, _ = _kind(inner, sub.name)
                out.append(Field(f"{f.name}.{sub.name}", kind, False, choices, record=rtype.name))
            continue
        kind, choices, max_length = _kind(ty, f.name)
        target = refs.get(f.name, "")
        if target:
            kind = "code" if target in TYPED else "ref"
        out.append(
            Field(
                f.name,
                kind,
                f.required and not optional,
                choices,
                max_length,
                personal=f.name in rtype.pii,
                record=rtype.name,
                ref=target,
            )
        )
    return out


def record_data(
    fields: list[Field], posted: Callable[[str], str], *, keep_empty: bool = False
) -> dict[str, Any]:
    """The posted values as a record dict. `posted(name)` gives a field's text ("" when
    absent). Empty inputs are left out, so the record's defaults apply; a checkbox left
    unticked is False."""
    data: dict[str, Any] = {}
    for f in fields:
        raw = posted(f.name)
        if f.kind == "bool":
            value: Any = raw in ("on", "true", "1", "yes")
        elif raw == "":
            if not keep_empty:
                continue
            value = None
        elif f.kind in ("int", "float"):
            value = raw  # the record family converts, accepting Burmese digits
        else:
            value = raw
        head, _, sub = f.name.partition(".")
        if sub:
            data.setdefault(head, {})[sub] = value
        else:
            data[f.name] = value
    return data


def shown(value: Any) -> str:
    """A stored value as text for a page."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return value_label(value)
    if isinstance(value, dict):
        return ", ".join(f"{k.replace('_', ' ')}: {v}" for k, v in value.items() if v)
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, float):
        return f"{value:,.0f}" if value.is_integer() else f"{value:,.2f}"
    return str(value)


def current_values(fields: list[Field], record: Mapping[str, Any]) -> dict[str, str]:
    """A stored record as the text its form's inputs start with."""
    values: dict[str, str] = {}
    for f in fields:
        head, _, sub = f.name.partition(".")
        value = record.get(head)
        if sub:
            value = value.get(sub) if isinstance(value, dict) else None
        if isinstance(value, bool):
            values[f.name] = "on" if value else ""
        elif value is None:
            values[f.name] = ""
        elif isinstance(value, float) and value.is_integer():
            values[f.name] = str(int(value))
        else:
            values[f.name] = str(value)
    return values


def typed(text: str) -> str:
    """A code as typed ("hh-၀၀၀၉၀၇ "): spaces trimmed and single, digits 0-9."""
    return " ".join(text.translate(_TO_ASCII).split())


def posted_from(form: Mapping[str, Any]) -> Callable[[str], str]:
    def get(name: str) -> str:
        value = form.get(name)
        return value.strip() if isinstance(value, str) else ""

    return get


__all__ = [
    "NAMING",
    "TYPED",
    "Field",
    "Naming",
    "current_values",
    "form_fields",
    "posted_from",
    "record_data",
    "shown",
    "typed",
    "value_label",
]
