"""Fields a record family keeps in another compartment.

A distribution's cash transfer channel belongs in `finance`: a field device that records the
distribution must not hold it. Such fields (declared in `RecordType.split`) are written as a
companion record with the same id, its own type name (`distribution.finance`), its own
chain in that compartment and its own view table; reading a record joins them again where
the device holds the compartment. Everything else about companions (heads, conflicts,
rebuild) is the ordinary machinery, because a companion is an ordinary record type.
"""

from __future__ import annotations

import functools

import msgspec

from fieldledger.records import REGISTRY, RecordType


@functools.cache
def companions() -> dict[str, tuple[RecordType, RecordType]]:
    """companion type name -> (parent type, companion type)."""
    found = {}
    for parent in REGISTRY.values():
        for compartment in dict.fromkeys(c for _, c in parent.split):
            names = [f for f, c in parent.split if c == compartment]
            types = {f.name: f.type for f in msgspec.structs.fields(parent.struct)}
            struct = msgspec.defstruct(
                f"{parent.struct.__name__}_{compartment.replace('-', '_')}",
                [(n, types[n] | None, None) for n in names],
                kw_only=True,
                forbid_unknown_fields=True,
                frozen=True,
            )
            companion = RecordType(
                name=f"{parent.name}.{compartment}",
                table=f"{parent.table}_{compartment.replace('-', '_')}",
                compartment=compartment,
                struct=struct,
                id_prefix=parent.id_prefix,
                description=f"{parent.name} fields kept in {compartment}",
            )
            found[companion.name] = (parent, companion)
    return found


def of(parent: RecordType) -> list[RecordType]:
    return [c for p, c in companions().values() if p.name == parent.name]


def all_types() -> list[RecordType]:
    """Every type that has a view table: the families and their companions."""
    return [*REGISTRY.values(), *(c for _, c in companions().values())]


def type_named(name: str) -> RecordType | None:
    found = REGISTRY.get(name)
    if found is None and name in companions():
        found = companions()[name][1]
    return found


def columns(rtype: RecordType) -> tuple[str, ...]:
    """The view columns of a type: its fields less those kept in a companion."""
    kept_apart = {f for f, _ in rtype.split}
    return tuple(f for f in rtype.fields if f not in kept_apart)


def split(rtype: RecordType, fields: dict) -> dict[str, dict]:
    """Take the companion fields out of `fields`: companion name -> its fields."""
    parts: dict[str, dict] = {}
    for name, compartment in rtype.split:
        parts.setdefault(f"{rtype.name}.{compartment}", {})[name] = fields.pop(name, None)
    return parts
