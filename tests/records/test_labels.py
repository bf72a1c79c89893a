"""The Burmese labels in code: one for every field, and the same as docs/records.md's."""

from __future__ import annotations

import re

import pytest

from fieldledger.records import REGISTRY
from fieldledger.records.incident import Affected
from fieldledger.records.labels import AFFECTED, COUNTS, LABELS, label
from fieldledger.records.participants import Participants
from tests.records.test_records_doc import rows, section

MYANMAR = re.compile("[\u1000-\u109f]")


@pytest.mark.parametrize("rtype", REGISTRY.values(), ids=lambda t: t.name)
def test_every_field_has_a_burmese_label(rtype):
    assert set(LABELS[rtype.name]) == set(rtype.fields)
    for field in rtype.fields:
        assert MYANMAR.search(LABELS[rtype.name][field]), f"{rtype.name}.{field}"


def test_labels_equal_the_docs():
    assert set(LABELS) == set(REGISTRY)
    for name, labels in LABELS.items():
        documented = rows(section(f"`{name}`"))
        assert {f: documented[f][1] for f in labels} == labels, name
    counts = rows(section("Participants and people affected"))
    assert {k: cells[1] for k, cells in counts.items()} == COUNTS
    assert set(COUNTS) == set(Participants.__struct_fields__)
    affected = rows(section("`incident`"))["affected"][-1]
    assert dict(re.findall(r"`([a-z_]+)` \(([^)]*)\)", affected)) == AFFECTED
    assert set(AFFECTED) == set(Affected.__struct_fields__)


def test_a_field_is_named_by_its_labels_then_its_path():
    assert label("household", "size") == "အိမ်ထောင်စု ဝင်ဦးရေ (size)"
    assert label("training", "participants.with_disability_male") == (
        "ပါဝင်သူများ၊ မသန်စွမ်း အမျိုးသား (participants.with_disability_male)")
    assert label("incident", "affected.detained.unknown") == (
        "ထိခိုက်ခံရသူများ၊ ဖမ်းဆီးထိန်းသိမ်းခံရ၊ ကျား/မ သို့မဟုတ် အသက် မသိ "
        "(affected.detained.unknown)")
    assert label("person", "disability.seeing") == "မသန်စွမ်းမှု (disability.seeing)"
    assert label("household", "nonsense") == "nonsense"
