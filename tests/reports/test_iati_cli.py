"""`fieldledger policy set iati_org_ref|iati_org_type` and `fieldledger report iati` end to
end, on the demo workspace: a malformed identifier refused in one line, the placeholder
warned about on the screen (never in the file), the registered identifier and Burmese
narratives in a file valid against the IATI 2.03 schema."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest
from lxml import etree

SCHEMA = Path(__file__).parents[1] / "data" / "iati-2.03" / "iati-activities-schema.xsd"
REF = "XI-IATI-EXAMPLE1"  # of the right form; not an identifier IATI gave anyone
XML_LANG = "{http://www.w3.org/XML/1998/namespace}lang"


@pytest.fixture
def demo(cli, demo_workspace):
    shutil.copytree(demo_workspace, cli.workspace)
    assert cli("policy", "set", "iati", "true").code == 0
    return cli


@pytest.fixture(scope="module")
def schema() -> etree.XMLSchema:
    return etree.XMLSchema(etree.parse(str(SCHEMA)))


def shown(demo) -> dict[str, str]:
    done = demo("policy", "show")
    assert done.code == 0, done.err
    return dict(line.split(" = ", 1) for line in done.out.splitlines())


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("iati_org_ref", "MM 12345"),
        ("iati_org_ref", "XX-MOUNTAIN-RELIEF"),
        ("iati_org_ref", "MM-12345"),
        ("iati_org_ref", "XI-IATI-A/B"),
        ("iati_org_type", "99"),
    ],
)
def test_a_malformed_value_is_refused_in_one_line(demo, field, value):
    done = demo("policy", "set", field, value)
    assert done.code == 2
    assert done.err.startswith(f"error: report policy field {field}:")
    assert done.err.count("\n") == 1, done.err
    policy = shown(demo)  # unchanged
    assert (policy["iati_org_ref"], policy["iati_org_type"]) == ("none", "24")


def test_the_placeholder_is_warned_about_on_the_screen_only(demo, tmp_path, schema):
    out = tmp_path / "activities.xml"
    done = demo("report", "iati", "--out", str(out))
    assert done.code == 0, done.err
    assert "placeholder organisation identifier XX-" in done.err
    assert "do not publish it on the IATI Registry as is" in done.err
    doc = etree.parse(str(out))
    schema.assertValid(doc)
    text = out.read_text(encoding="utf-8")
    assert "placeholder" not in text and "<!--" not in text
    refs = {e.get("ref") for e in doc.iterfind("iati-activity/reporting-org")}
    assert len(refs) == 1 and refs.pop().startswith("XX-")


def test_the_registered_identifier_and_burmese_narratives(demo, tmp_path, schema):
    assert demo("policy", "set", "iati_org_ref", REF).code == 0
    assert demo("policy", "set", "iati_org_type", "22").code == 0
    policy = shown(demo)
    assert (policy["iati_org_ref"], policy["iati_org_type"]) == (REF, "22")
    # a change of the policy is a signed event in the ledger, like any record
    assert demo("verify").code == 0

    out = tmp_path / "activities.xml"
    done = demo("report", "iati", "--lang", "my", "--out", str(out))
    assert done.code == 0, done.err
    assert "placeholder" not in done.err
    doc = etree.parse(str(out))
    schema.assertValid(doc)
    assert "XX-" not in out.read_text(encoding="utf-8")
    for act in doc.iterfind("iati-activity"):
        assert act.findtext("iati-identifier").startswith(f"{REF}-")
        assert act.find("reporting-org").attrib == {"ref": REF, "type": "22"}
        title = act.findall("title/narrative")
        assert [n.get(XML_LANG) for n in title] == [None, "my"]
        assert re.search("[\u1000-\u109f]", title[1].text)
    assert doc.find(".//result/indicator/period/actual/dimension[@name='age']") is not None

    assert demo("policy", "set", "iati_org_ref", "none").code == 0
    assert shown(demo)["iati_org_ref"] == "none"
