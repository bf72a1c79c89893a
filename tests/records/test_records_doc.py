"""docs/records.md keeps up with the families: every field, its Burmese label, its choices,
its compartment, which fields are personal data."""

from __future__ import annotations

import re
from pathlib import Path

import msgspec
import pytest

from fieldledger.records import REGISTRY
from fieldledger.records.incident import Affected
from fieldledger.records.participants import Participants
from fieldledger.records.vulnerability import ATTRIBUTES, DEFAULT_WEIGHTS

DOC = (Path(__file__).parents[2] / "docs" / "records.md").read_text(encoding="utf-8")
MYANMAR = re.compile("[\u1000-\u109f]")


def section(title: str) -> str:
    match = re.search(rf"^## {re.escape(title)}\n(.*?)(?=^## |\Z)", DOC, re.M | re.S)
    assert match, f"no section {title!r} in docs/records.md"
    return match.group(1)


def rows(text: str) -> dict[str, list[str]]:
    """First-column field name -> the row's cells."""
    found = {}
    for line in text.splitlines():
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if cells and re.fullmatch(r"`[a-z0-9_-]+`", cells[0]):
            found[cells[0].strip("`")] = cells
    return found


def literals(t) -> set[str]:
    info = msgspec.inspect.type_info(t) if not isinstance(t, msgspec.inspect.Type) else t
    if isinstance(info, msgspec.inspect.LiteralType):
        return {str(v) for v in info.values}
    if isinstance(info, msgspec.inspect.UnionType):
        return set().union(*(literals(s) for s in info.types))
    return set()


@pytest.mark.parametrize("rtype", REGISTRY.values(), ids=lambda t: t.name)
def test_every_field_is_documented_with_a_burmese_label(rtype):
    text = section(f"`{rtype.name}`")
    assert f"Compartment `{rtype.compartment}`" in text.strip().split("\n\n")[0]
    table = rows(text)
    for f in msgspec.structs.fields(rtype.struct):
        assert f.name in table, f"{rtype.name}.{f.name} missing"
        cells = table[f.name]
        assert MYANMAR.search(cells[1]), f"{rtype.name}.{f.name}: no Burmese label"
        marked = "personal data" in cells[-1]
        assert marked == (f.name in rtype.pii), f"{rtype.name}.{f.name}: personal data mark"
        for value in literals(f.type):
            assert f"`{value}`" in text, f"{rtype.name}.{f.name}: choice {value} undocumented"


def test_overview_table_lists_every_family_and_compartment():
    overview = rows(DOC.split("\n## ")[0])
    assert set(overview) == set(REGISTRY)
    for name, cells in overview.items():
        assert f"`{REGISTRY[name].compartment}`" in cells[1]


def test_counts_and_vulnerability_are_documented():
    counts = rows(section("Participants and people affected"))
    assert set(Participants.__struct_fields__) <= set(counts)
    assert all(MYANMAR.search(cells[1]) for cells in counts.values())
    incident = section("`incident`")
    assert all(f"`{k}`" in incident for k in Affected.__struct_fields__)
    score = section("Vulnerability score")
    table = rows(score)
    for attribute in ATTRIBUTES:
        assert f"{DEFAULT_WEIGHTS.bonuses[attribute]:g}" == table[attribute][1]
    for sector, weight in DEFAULT_WEIGHTS.sectors.items():
        assert f"| {sector} (`{sector}_need`) | {weight} |" in score
    assert DEFAULT_WEIGHTS.version in score
