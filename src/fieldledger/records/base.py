"""What every record family declares, and turning outside input into a valid record."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

import msgspec

from fieldledger.errors import ValidationError


@dataclass(frozen=True)
class RecordType:
    """One record family: how it is stored, where, and which fields are personal data.

    `pii` fields are sealed under the record's own key before they enter the ledger and stay
    sealed in the view; `forget` destroys that key.
    """

    name: str
    table: str
    compartment: str
    struct: type[msgspec.Struct]
    id_prefix: str
    pii: frozenset[str] = frozenset()
    refs: tuple[tuple[str, str], ...] = ()  # (field, record type it names)
    # (field, compartment): fields kept out of the record's own compartment, written as a
    # companion event in that one, so a device without its key never holds them.
    split: tuple[tuple[str, str], ...] = ()
    listed: tuple[str, ...] = ()
    description: str = ""

    @property
    def fields(self) -> tuple[str, ...]:
        # The struct's own field tuple: msgspec.structs.fields() would re-evaluate every
        # annotation on each call, and this is read once per folded row.
        return self.struct.__struct_fields__

    @property
    def forgettable(self) -> bool:
        return bool(self.pii)


_PATH = re.compile(r"at `\$\.?([^`]*)`")
_MISSING = re.compile(r"^Object missing required field `([^`]*)`")


def invalid(fieldname: str, what: str) -> msgspec.ValidationError:
    """The error a struct's `__post_init__` raises for a rule across fields.

    Written the way msgspec words its own errors, so `convert` names the field the same way:
    `raise invalid("transfer_channel", "only for cash or voucher")`.
    """
    return msgspec.ValidationError(f"{what} - at `$.{fieldname}`")


def _readable(message: str) -> tuple[str, str]:
    """Split msgspec's message into (field, what is wrong)."""
    match = _PATH.search(message)
    fieldname = match.group(1) if match else ""
    missing = _MISSING.match(message)
    if missing:
        # "missing required field `size`" names its field too; say it where the others do.
        # Inside a nested object the path names the object: keep both parts.
        fieldname = ".".join(p for p in (fieldname, missing.group(1)) if p)
    text = _PATH.sub("", message).strip(" -")
    text = text.replace("Object missing required field", "missing required field")
    text = text.replace("Object contains unknown field", "unknown field")
    return fieldname, text


def convert(rtype: RecordType, data: Any, *, source: str) -> msgspec.Struct:
    """Validate `data` (decoded JSON, a form row) into the family's struct.

    `source` says where the input came from ("stdin line 3", "households.xlsx row 12") so
    the one error line names record, line and field.
    """
    if not isinstance(data, dict):
        raise ValidationError(f"{source}: a {rtype.name} must be a JSON object")
    from fieldledger.records.text import ascii_numbers

    try:
        return msgspec.convert(ascii_numbers(data), type=rtype.struct, strict=False)
    except msgspec.ValidationError as exc:
        fieldname, what = _readable(str(exc))
        where = f" field {fieldname}:" if fieldname else ""
        raise ValidationError(f"{source}: {rtype.name}{where} {what}") from None


def to_fields(record: msgspec.Struct) -> dict[str, Any]:
    """Builtins only (dates as ISO text), the form bodies and views hold."""
    return msgspec.to_builtins(record)
