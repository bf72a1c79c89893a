"""Record families. Each registers here; adding one touches its own module and this table."""

from __future__ import annotations

from fieldledger.errors import ValidationError
from fieldledger.records.base import RecordType, convert, to_fields
from fieldledger.records.household import HOUSEHOLD
from fieldledger.records.person import PERSON
from fieldledger.records.project import PROJECT

REGISTRY: dict[str, RecordType] = {t.name: t for t in (HOUSEHOLD, PERSON, PROJECT)}


def record_type(name: str) -> RecordType:
    try:
        return REGISTRY[name]
    except KeyError:
        known = ", ".join(sorted(REGISTRY))
        raise ValidationError(f"unknown record type {name!r}: use one of {known}") from None


__all__ = ["REGISTRY", "RecordType", "convert", "record_type", "to_fields"]
