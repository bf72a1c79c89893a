"""The IATI activity report: valid against the 2.03 schema, aliases instead of names, places
no finer than the policy, money that adds up, the same bytes for the same records, refused
unless the workspace opted in, and small counts gone once disclosure control has run."""

from __future__ import annotations

import copy
import dataclasses
import datetime as dt
import re
from collections import defaultdict
from decimal import Decimal
from pathlib import Path

import pytest
from lxml import etree

from fieldledger import privacy
from fieldledger.demo import fill
from fieldledger.errors import FieldledgerError
from fieldledger.privacy import policy
from fieldledger.reports import iati
from fieldledger.reports.period import Period
from fieldledger.vault.kdf import TEST_PARAMS
from fieldledger.workspace import Workspace
from tests.conftest import PASSPHRASE

SCHEMA = Path(__file__).parents[1] / "data" / "iati-2.03" / "iati-activities-schema.xsd"
TODAY = dt.date(2026, 6, 15)
SEED = 5
ORG = "Evergreen Women's Relief Network"
ALIAS = "Mountain Relief"
REAL_DONORS = (
    "Nordic Civil Society Fund",
    "Alpine Humanitarian Foundation",
    "Mekong Neighbours Network",
    "Lotus Rights Trust",
)
ON = policy.Policy(iati=True, iati_alias=ALIAS, org=ORG)


@pytest.fixture(scope="module")
def schema() -> etree.XMLSchema:
    return etree.XMLSchema(etree.parse(str(SCHEMA)))


def demo(path: Path) -> Workspace:
    ws = Workspace.init(path, PASSPHRASE, params=TEST_PARAMS, check_strength=False)
    fill(ws, households=30, seed=SEED, today=TODAY)
    policy.save(ws, ON)
    return ws


@pytest.fixture(scope="module")
def demo_ws(tmp_path_factory):
    ws = demo(tmp_path_factory.mktemp("iati") / "ws")
    yield ws
    ws.close()


def report(ws: Workspace, **kwargs) -> bytes:
    return iati.render(ws, iati.build(ws, **kwargs))


def parse(xml: bytes) -> etree._Element:
    return etree.fromstring(xml)


def activity(doc: etree._Element, ident: str) -> etree._Element:
    found = doc.find(f"iati-activity[iati-identifier='{ident}']")
    assert found is not None, ident
    return found


def indicator(act: etree._Element, code: str) -> etree._Element | None:
    found = act.xpath("result/indicator[title/narrative=$t]", t=iati.INDICATORS[code])
    return found[0] if found else None


def period_of(ind: etree._Element | None, quarter: str) -> etree._Element | None:
    """The period of a result for a quarter as the export writes it ("2025-Q3")."""
    if ind is None:
        return None
    year, q = quarter.split("-Q")
    start = dt.date(int(year), 3 * int(q) - 2, 1).isoformat()
    found = ind.xpath("period[period-start/@iso-date=$d]", d=start)
    return found[0] if found else None


def test_validates_against_the_2_03_activity_schema(demo_ws, schema):
    for kwargs in (
        {},
        {"period": (dt.date(2025, 1, 1), dt.date(2025, 6, 30))},
        {"grant": demo_ws.conn.execute("SELECT min(id) FROM grants").fetchone()[0]},
    ):
        xml = report(demo_ws, **kwargs)
        assert xml.startswith(b"<?xml version='1.0' encoding='UTF-8'?>")
        doc = parse(xml)
        schema.assertValid(doc)
        assert doc.get("version") == "2.03"
        assert doc.findall("iati-activity"), kwargs


def test_every_project_is_an_activity_with_a_mapped_sector(demo_ws):
    doc = parse(report(demo_ws))
    ref = iati.org_ref(ON)
    for pid, sector in demo_ws.conn.execute("SELECT id, sector FROM projects"):
        act = activity(doc, f"{ref}-{pid}")
        codes = {(s.get("vocabulary"), s.get("code")) for s in act.findall("sector")}
        _, dac, cluster = iati.SECTORS[sector]
        assert ("1", dac) in codes
        assert (cluster is None) == (("10", cluster) not in codes)
        assert act.get("hierarchy") == "2"


def test_the_alias_stands_for_the_organisation_and_the_donors(demo_ws):
    xml = report(demo_ws)
    text = xml.decode("utf-8")
    for real in (ORG, *REAL_DONORS):
        assert real not in text
        assert real.split()[0] not in text  # nor a part of it
    doc = parse(xml)
    assert {e.text for e in doc.iterfind("iati-activity/reporting-org/narrative")} == {ALIAS}
    refs = {e.get("ref") for e in doc.iterfind("iati-activity/reporting-org")}
    assert refs == {"XX-MOUNTAIN-RELIEF"}  # the placeholder, until a real IATI id is set
    for ident in doc.iterfind("iati-activity/iati-identifier"):
        assert ident.text.startswith("XX-MOUNTAIN-RELIEF-")
    funders = {e.text for e in doc.iterfind("iati-activity/participating-org[@role='1']/narrative")}
    assert funders == {"Donor N", "Donor A", "Donor M", "Donor L"}


def test_a_donor_is_named_only_when_no_grant_gives_it_an_alias(ws, schema):
    policy.save(ws, policy.Policy(iati=True, org=ORG))  # no alias: the organisation's name
    grant = {
        "amount": 12000,
        "currency": "USD",
        "restriction": "flexible",
        "period_start": "2026-01-01",
        "period_end": "2026-12-31",
    }
    ws.add("grant", {**grant, "donor": "Open Hands Fund"})
    ws.add("grant", {**grant, "donor": "Quiet Trust", "donor_alias": "Donor Q"})
    ws.add("grant", {**grant, "donor": "Quiet Trust"})  # the same donor: still its alias
    xml = report(ws)
    schema.assertValid(parse(xml))
    text = xml.decode("utf-8")
    assert "Quiet Trust" not in text
    doc = parse(xml)
    funders = [e.text for e in doc.iterfind("iati-activity/participating-org[@role='1']/narrative")]
    assert sorted(funders) == ["Donor Q", "Donor Q", "Open Hands Fund"]
    assert ORG in text


def levels(doc: etree._Element, ws: Workspace) -> set[str]:
    places = ws.places()
    return {places.get(e.get("ref")).level for e in doc.iterfind("iati-activity/location")}


def test_locations_only_at_the_policy_level(demo_ws):
    doc = parse(report(demo_ws))
    assert levels(doc, demo_ws) == {"township"}
    text = etree.tostring(doc).decode()
    assert not re.search(r"MMR\d{9}", text)  # no village tract, no village
    for loc in doc.iterfind("iati-activity/location"):
        assert loc.find("administrative").attrib == {"vocabulary": "A4", "level": "0", "code": "MM"}
        assert loc.find("feature-designation").get("code") == "ADM3"
        assert loc.find("point") is None

    policy.save(
        demo_ws, policy.Policy(iati=True, iati_alias=ALIAS, org=ORG, place_level="district")
    )
    try:
        doc = parse(iati.render(demo_ws, disclosure_control(demo_ws, iati.build(demo_ws))))
    finally:
        policy.save(demo_ws, ON)
    assert levels(doc, demo_ws) == {"district"}
    assert not re.search(r"MMR\d{6}", etree.tostring(doc).decode())


def test_render_generalises_whatever_the_export_holds(demo_ws):
    """A place finer than the policy in the export (disclosure control not run) is still
    written at the policy level."""
    export = iati.build(demo_ws)
    tract = demo_ws.conn.execute(
        "SELECT location_pcode FROM distributions WHERE length(location_pcode) = 12"
    ).fetchone()[0]
    for table in export.tables:
        if table.name == "locations":
            table.rows.append([table.rows[0][0], tract])
    doc = parse(iati.render(demo_ws, export))
    assert levels(doc, demo_ws) == {"township"}
    assert tract not in etree.tostring(doc).decode()


def sums(doc: etree._Element, kind: str) -> dict[str, Decimal]:
    found: dict[str, Decimal] = defaultdict(Decimal)
    for txn in doc.iterfind("iati-activity/transaction"):
        if txn.find("transaction-type").get("code") == kind:
            value = txn.find("value")
            found[value.get("currency")] += Decimal(value.text)
    return dict(found)


def recorded(ws: Workspace, sql: str, *args) -> dict[str, Decimal]:
    found: dict[str, Decimal] = defaultdict(Decimal)
    for currency, amount in ws.conn.execute(sql, args):
        found[currency] += Decimal(str(amount))
    return {c: v.quantize(Decimal("0.01")) for c, v in found.items()}


RECEIVED = (
    "SELECT g.currency, t.received_amount FROM tranches t JOIN grants g ON g.id = t.grant_id "
    "WHERE t.received_date BETWEEN ? AND ? AND (? IS NULL OR g.id = ?)"
)
SPENT = (
    "SELECT currency, amount FROM expenditures WHERE date BETWEEN ? AND ? "
    "AND (? IS NULL OR grant_id = ?)"
)


@pytest.mark.parametrize(
    ("first", "last", "one_grant"),
    [
        (None, None, False),
        (dt.date(2025, 1, 1), dt.date(2025, 6, 30), False),
        (None, None, True),
    ],
)
def test_transactions_add_up_to_received_tranches_and_spending(demo_ws, first, last, one_grant):
    gid = demo_ws.conn.execute("SELECT min(id) FROM grants").fetchone()[0] if one_grant else None
    period = Period(first, last) if first else None
    doc = parse(report(demo_ws, period=period, grant=gid))
    bounds = (str(first or "0000-01-01"), str(last or "9999-12-31"), gid, gid)
    incoming, spent = recorded(demo_ws, RECEIVED, *bounds), recorded(demo_ws, SPENT, *bounds)
    assert incoming and spent
    assert sums(doc, iati.INCOMING_FUNDS) == incoming
    assert sums(doc, iati.EXPENDITURE) == spent
    if first:  # every date at the policy grain (month): the first day of a month
        for e in doc.iterfind("iati-activity/transaction/transaction-date"):
            day = dt.date.fromisoformat(e.get("iso-date"))
            assert day.day == 1 and first.replace(day=1) <= day <= last


@pytest.mark.parametrize("grain", ["week", "quarter", "year"])
def test_no_date_finer_than_the_policy_grain(demo_ws, schema, grain):
    policy.save(demo_ws, dataclasses.replace(ON, date_grain=grain))
    try:
        doc = parse(iati.render(demo_ws, disclosure_control(demo_ws, iati.build(demo_ws))))
    finally:
        policy.save(demo_ws, ON)
    schema.assertValid(doc)

    def starts(path: str) -> list[dt.date]:
        found = [dt.date.fromisoformat(e.get("iso-date")) for e in doc.iterfind(path)]
        assert found
        return found

    def at(day: dt.date, grain: str) -> bool:
        if grain == "week":
            return day.weekday() == 0
        return day.day == 1 and (day.month - 1) % (3 if grain == "quarter" else 12) == 0

    for day in starts(".//transaction/transaction-date"):
        assert at(day, grain)
    for day in starts(".//result/indicator/period/period-start"):  # quarters at the finest
        assert at(day, "year" if grain == "year" else "quarter")
    assert sums(doc, iati.EXPENDITURE) == recorded(demo_ws, SPENT, "0", "9", None, None)


def test_budgets_are_the_grants_over_grant_years(demo_ws):
    doc = parse(report(demo_ws))
    ref = iati.org_ref(ON)
    for gid, amount, first, last in demo_ws.conn.execute(
        "SELECT id, amount, period_start, period_end FROM grants"
    ):
        budgets = activity(doc, f"{ref}-{gid}").findall("budget")
        assert sum(Decimal(b.find("value").text) for b in budgets) == Decimal(str(amount))
        assert budgets[0].find("period-start").get("iso-date") == first
        assert budgets[-1].find("period-end").get("iso-date") == last
        for b in budgets:
            start = dt.date.fromisoformat(b.find("period-start").get("iso-date"))
            end = dt.date.fromisoformat(b.find("period-end").get("iso-date"))
            assert (end - start).days < 366


def test_the_same_records_give_the_same_bytes(demo_ws, tmp_path):
    first = report(demo_ws)
    assert report(demo_ws) == first
    again = demo(tmp_path / "again")
    try:
        assert report(again) == first
    finally:
        again.close()


def test_refused_unless_the_workspace_opted_in(ws, demo_ws):
    with pytest.raises(iati.IatiOff) as refused:
        iati.build(ws)
    assert isinstance(refused.value, FieldledgerError)
    assert refused.value.exit_code == 2
    message = str(refused.value)
    assert message.startswith("IATI publishing is off for this workspace: an admin turns it on")
    assert "\n" not in message
    export = iati.build(demo_ws)
    with pytest.raises(iati.IatiOff):
        iati.render(ws, export)  # nor written for a workspace that did not opt in


def test_no_personal_data_and_no_free_text_from_records(demo_ws):
    text = report(demo_ws).decode("utf-8")
    c = demo_ws.conn
    words = [r[0] for r in c.execute("SELECT name FROM projects")]
    words += [r[0] for r in c.execute("SELECT title FROM trainings WHERE title IS NOT NULL")]
    words += [r[0] for r in c.execute("SELECT facilitator_pseudonym FROM trainings")]
    words += [r[0] for r in c.execute("SELECT code FROM households")]
    words += [r[0] for r in c.execute("SELECT id FROM households")]
    words += [r[0] for r in c.execute("SELECT purpose FROM grants WHERE purpose IS NOT NULL")]
    words += [r[0] for r in c.execute("SELECT reference FROM grants WHERE reference IS NOT NULL")]
    words += [r[0] for r in c.execute("SELECT item FROM distributions WHERE item IS NOT NULL")]
    words += [r[0] for r in c.execute("SELECT note FROM tranches WHERE note IS NOT NULL")]
    assert words
    for word in set(words):
        assert word not in text, word
    assert "<point" not in text  # no coordinates


def test_a_suppressed_count_is_not_written(demo_ws):
    """What disclosure control leaves as None never reaches the file: a cell alone, and a
    period whose cells are all gone."""
    export = iati.build(demo_ws)
    by_sex = next(t for t in export.tables if t.name == "results-by-sex")
    row = next(r for r in by_sex.rows if r[by_sex.column("female")])
    ident, code, start = row[0], row[1], row[2]
    blank = copy.deepcopy(export)
    table = next(t for t in blank.tables if t.name == "results-by-sex")
    found = next(r for r in table.rows if r[:3] == [ident, code, start])
    found[table.column("female")] = None
    period = period_of(indicator(activity(parse(iati.render(demo_ws, blank)), ident), code), start)
    assert period is not None
    assert period.find("actual/dimension[@value='female']") is None
    assert period.find("actual/dimension[@value='male']") is not None

    for name in iati.BY_SEX:
        found[table.column(name)] = None
    ind = indicator(activity(parse(iati.render(demo_ws, blank)), ident), code)
    assert period_of(ind, start) is None


def disclosure_control(ws: Workspace, export):
    """`privacy.prepare` (disclosure control, then the linter); until it exists, disclosure
    control alone (`privacy.disclosure.protect`)."""
    prepare = getattr(privacy, "prepare", None)
    if prepare is not None:
        return prepare(ws, export)
    from fieldledger.privacy.disclosure import protect

    return protect(export, policy.load(ws), ws.places())


def test_a_small_result_count_is_gone_after_disclosure_control(demo_ws, schema):
    export = iati.build(demo_ws)
    threshold = ON.threshold
    results = next(t for t in export.tables if t.name == "results")
    small = [r for r in results.rows if 0 < r[-1] < threshold]
    assert small, "the demo has a small count to suppress"
    events = next(t for t in export.tables if t.name == "events")
    few = [r for r in events.rows if r[-1] < threshold]
    assert few, "the demo has few trainings somewhere"
    protected = disclosure_control(demo_ws, export)
    assert any(n.what == "suppressed" for n in protected.notes)
    doc = parse(iati.render(demo_ws, protected))
    schema.assertValid(doc)
    for ident, code, start, _ in small:
        assert period_of(indicator(activity(doc, ident), code), start) is None
    held = iati.INDICATORS["trainings-held"]
    for ind in doc.iterfind(".//result/indicator"):
        if ind.findtext("title/narrative") != held:
            for actual in ind.iterfind("period/actual"):
                assert not 0 < int(actual.get("value")) < threshold
    # trainings are events, not people: a single one is still counted
    for ident, code, start, n in few:
        found = period_of(indicator(activity(doc, ident), code), start)
        assert found is not None
        assert found.find("actual").get("value") == str(n)
