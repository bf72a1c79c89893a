"""What every record family declares, and turning outside input into a valid record."""

from __future__ import annotations

import ast
import re
from dataclasses import dataclass
from typing import Any

import msgspec

from fieldledger.errors import ValidationError
from fieldledger.i18n import DEFAULT, N_, _, current_language, pgettext


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


class RuleError(msgspec.ValidationError):
    """A rule across fields broken (`invalid`): msgspec's error, plus the message's msgid and
    parameters so that `convert` can say it in the reader's language."""

    def __init__(self, fieldname: str, msgid: str, params: dict[str, Any]) -> None:
        what = msgid % params if params else msgid
        super().__init__(f"{what} - at `$.{fieldname}`")
        self.fieldname, self.msgid, self.params = fieldname, msgid, params


def invalid(fieldname: str, what: str, **params: Any) -> msgspec.ValidationError:
    """The error a struct's `__post_init__` raises for a rule across fields.

    Written the way msgspec words its own errors, so `convert` names the field the same way:
    `raise invalid("transfer_channel", "only for cash or voucher")`. `what` is a msgid of the
    catalogue (fieldledger.i18n; gettext tools read it as the keyword `invalid:2`): a literal
    English text, with `%(name)s` for each of `params`, e.g.
    `invalid("value", "required for modality %(modality)s", modality=self.modality)`.
    """
    return RuleError(fieldname, what, params)


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
    the one error line names record, line and field. The line is in the language of
    `fieldledger.i18n.current_language()`; it always starts with `source` and ": ", and the
    error's `field` attribute holds the field's path ("" when the error names none).
    """
    if not isinstance(data, dict):
        raise _error(source, rtype, "", None)
    from fieldledger.records.text import ascii_numbers

    try:
        return msgspec.convert(ascii_numbers(data), type=rtype.struct, strict=False)
    except msgspec.ValidationError as exc:
        fieldname, what = _readable(str(exc))
        raise _error(source, rtype, fieldname, what, exc) from None


def _error(
    source: str,
    rtype: RecordType,
    fieldname: str,
    what: str | None,
    exc: msgspec.ValidationError | None = None,
) -> ValidationError:
    if current_language() == DEFAULT:
        # English: msgspec's own words, exactly as they have always been written.
        if what is None:
            message = f"{source}: a {rtype.name} must be a JSON object"
        else:
            where = f" field {fieldname}:" if fieldname else ""
            message = f"{source}: {rtype.name}{where} {what}"
    else:
        message = _translated(source, rtype, fieldname, what, exc)
    error = ValidationError(message)
    error.field = fieldname  # type: ignore[attr-defined]
    return error


# -- the same errors in the reader's language -------------------------------------------
#
# msgspec's messages are English only: each is matched here and said again with a msgid of
# the catalogue. A message none of these match keeps msgspec's English words, inside a
# translated line. The msgids are marked with N_ so that gettext tools extract them.

_MSGSPEC: tuple[tuple[re.Pattern[str], str], ...] = tuple(
    (re.compile(pattern), msgid)
    for pattern, msgid in (
        (r"^missing required field `(?P<name>[^`]*)`$", N_("missing required field")),
        (r"^unknown field `(?P<name>[^`]*)`$", N_("unknown field `%(name)s`")),
        (
            r"^Expected `(?P<expected>[^`]*)`, got `(?P<got>[^`]*)`$",
            N_("Expected `%(expected)s`, got `%(got)s`"),
        ),
        (r"^Expected `str` of length >= (?P<n>\S+)$", N_("Expected `str` of length >= %(n)s")),
        (r"^Expected `str` of length <= (?P<n>\S+)$", N_("Expected `str` of length <= %(n)s")),
        (r"^Expected `(?:int|float)` >= (?P<n>\S+)$", N_("Expected a number >= %(n)s")),
        (r"^Expected `(?:int|float)` > (?P<n>\S+)$", N_("Expected a number > %(n)s")),
        (r"^Expected `(?:int|float)` <= (?P<n>\S+)$", N_("Expected a number <= %(n)s")),
        (r"^Expected `(?:int|float)` < (?P<n>\S+)$", N_("Expected a number < %(n)s")),
        (
            r"^Expected `(?:int|float)` that's a multiple of (?P<n>\S+)$",
            N_("Expected a number that's a multiple of %(n)s"),
        ),
        (r"^Invalid enum value (?P<value>.+)$", N_("Invalid enum value %(value)s")),
        (r"^Invalid RFC3339 encoded date$", N_("Invalid RFC3339 encoded date")),
        (
            r"^Expected `str` matching regex (?P<regex>'.*'|\".*\")$",
            N_("Expected `str` matching regex %(regex)s"),
        ),
    )
)

# The patterns of the record families' fields, said as what to write. Keyed by the pattern
# itself (tests/test_i18n.py checks that every pattern in the registry has one).
PATTERNS: dict[str, str] = {
    r"^MMR[0-9]{3}([DS][0-9]{3}|([0-9]{3}){0,3})$": N_(
        "must be a MIMU P-code: MMR and 3, 6, 9 or 12 digits 0-9 (e.g. MMR003001)"
    ),
    r"^MMR[0-9]{9}$": N_(
        "must be a village tract P-code: MMR and 9 digits 0-9 (e.g. MMR003001001)"
    ),
    r"^MMR[0-9]{12}$": N_("must be a village code: MMR and 12 digits 0-9 (e.g. MMR003001001001)"),
    r"^-?[0-9]{1,2}(\.[0-9]+)?,-?[0-9]{1,3}(\.[0-9]+)?$": N_(
        "must be latitude,longitude in decimal degrees, digits 0-9 (e.g. 16.8409,96.1735)"
    ),
    r"^([01][0-9]|2[0-3]):[0-5][0-9]$": N_(
        "must be a time HH:MM on the 24-hour clock (e.g. 14:30)"
    ),
    r"^[0-9a-f]{64}$": N_("must be 64 hexadecimal characters (0-9, a-f)"),
    r"^[0-9a-f]{32,64}$": N_("must be 32 to 64 hexadecimal characters (0-9, a-f)"),
}


def _translated(
    source: str,
    rtype: RecordType,
    fieldname: str,
    what: str | None,
    exc: msgspec.ValidationError | None,
) -> str:
    from fieldledger.records.labels import label

    params = {"source": source, "record": rtype.name}
    if what is None:
        return _("%(source)s: a %(record)s must be a JSON object") % params
    if isinstance(exc, RuleError):
        said = _(exc.msgid) % exc.params if exc.params else _(exc.msgid)
    else:
        said = _msgspec(what, rtype, fieldname)
    params["what"] = said
    if not fieldname:
        return _("%(source)s: %(record)s %(what)s") % params
    params["field"] = label(rtype.name, fieldname)
    return _("%(source)s: %(record)s field %(field)s: %(what)s") % params


def _msgspec(what: str, rtype: RecordType, fieldname: str) -> str:
    """One of msgspec's messages (without its path) in the reader's language."""
    for pattern, msgid in _MSGSPEC:
        match = pattern.match(what)
        if match is None:
            continue
        params = match.groupdict()
        if "n" in params:
            params["n"] = _number(params["n"])
        if "expected" in params:
            params["expected"] = _types("expected", params["expected"])
            params["got"] = _types("got", params["got"])
        if "regex" in params:
            regex = ast.literal_eval(params["regex"])
            if regex in PATTERNS:
                return _(PATTERNS[regex])
        if "value" in params:
            choices = _choices(rtype.struct, fieldname)
            if choices:
                params["choices"] = ", ".join(choices)
                return _("Invalid enum value %(value)s: choose one of %(choices)s") % params
        return _(msgid) % params if params else _(msgid)
    return what


# msgspec's type names, each in the catalogue twice: as what a field takes (context
# "expected") and as what was given (context "got").
TYPE_NAMES = ("int", "float", "str", "bool", "null", "date", "object", "array")


def _types(context: str, names: str) -> str:
    """msgspec's `int | null` as words: every type but null (a field left out is not wrong
    for being left out), each in the reader's language."""
    parts = [p for p in names.split(" | ") if p != "null"] or ["null"]
    word = _("or")
    return f" {word} ".join(pgettext(context, p) for p in parts)


def _number(text: str) -> str:
    """A limit msgspec wrote ("60", "0.0", "1000000000.0", "1e+20") in Burmese digits when
    the reader's language is Burmese; whole numbers without ".0", grouped by thousands."""
    from fieldledger.intake.burmese import to_burmese_digits

    try:
        value = float(text)
    except ValueError:
        value = None
    if value is not None and value.is_integer():
        text = f"{int(value):,}" if abs(value) >= 10_000 else str(int(value))
    if current_language() != "my":
        return text
    return re.sub("[0-9]", lambda m: to_burmese_digits(int(m.group())), text)


def _choices(struct: type[msgspec.Struct], path: str) -> list[str]:
    """The values a choice field at `path` takes (msgspec lists them sorted); [] for a
    field that is not a choice."""
    info: Any = msgspec.inspect.type_info(struct)
    for part in path.split(".") if path else []:
        info = _unwrap(info)
        if not isinstance(info, msgspec.inspect.StructType):
            return []
        found = [f.type for f in info.fields if f.name == part]
        if not found:
            return []
        info = found[0]
    info = _unwrap(info)
    if isinstance(info, msgspec.inspect.LiteralType):
        return [str(v) for v in info.values]
    return []


def _unwrap(info: Any) -> Any:
    """Through Annotated metadata and `X | None` to X."""
    if isinstance(info, msgspec.inspect.Metadata):
        info = info.type
    if isinstance(info, msgspec.inspect.UnionType):
        others = [t for t in info.types if not isinstance(t, msgspec.inspect.NoneType)]
        if len(others) == 1:
            return _unwrap(others[0])
    return info


def to_fields(record: msgspec.Struct) -> dict[str, Any]:
    """Builtins only (dates as ISO text), the form bodies and views hold."""
    return msgspec.to_builtins(record)
