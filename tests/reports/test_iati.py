"""The IATI activity report: valid against the 2.03 schema, aliases instead of names, places
no finer than the policy, money that adds up, the same bytes for the same records, refused
unless the workspace opted in, and small counts gone once disclosure control has run; the
registered organisation identifier and type, or a placeholder the user is warned about;
results by sex and age; Burmese narratives with `--lang my`."""

from __future__ import annotations

import copy
import dataclasses
import datetime as dt
import re
from collections import defaultdict
from decimal import Decimal
from fractions import Fraction
from pathlib import Path

import pytest
from lxml import etree

from fieldledger import privacy
from fieldledger.demo import fill
from fieldledger.errors import FieldledgerError, ValidationError
from fieldledger.privacy import policy
from fieldledger.reports import iati
from fieldledger.reports.period import Period
from fieldledger.vault.kdf import TEST_PARAMS
from fieldledger.workspace import Workspace
from tests.conftest import PASSPHRASE

SCHEMA = Path(__file__).parents[1] / "data" / "iati-2.03" / "iati-activities-schema.xsd"
PEOPLE = "results-by-sex-and-age"
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


def figure(period: etree._Element, **dims: str) -> int | None:
    """The value of the period's `actual` with exactly these dimensions (none: the total),
    or None when the file has none."""
    for actual in period.iterfind("actual"):
        found = {d.get("name"): d.get("value") for d in actual.iterfind("dimension")}
        if found == dims:
            return int(actual.get("value"))
    return None


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
    people = next(t for t in export.tables if t.name == PEOPLE)
    female, male = people.column("female"), people.column("male")
    row = next(r for r in people.rows if r[female] and r[male])
    ident, code, start = row[0], row[1], row[2]
    blank = copy.deepcopy(export)
    table = next(t for t in blank.tables if t.name == PEOPLE)
    found = next(r for r in table.rows if r[:3] == [ident, code, start])
    found[female] = None
    period = period_of(indicator(activity(parse(iati.render(demo_ws, blank)), ident), code), start)
    assert period is not None
    assert figure(period, sex="female") is None
    assert figure(period, sex="male") is not None

    for name in iati.PEOPLE:
        found[table.column(name)] = None
    ind = indicator(activity(parse(iati.render(demo_ws, blank)), ident), code)
    assert period_of(ind, start) is None

    # the total is written only when both of its columns are published
    blank = copy.deepcopy(export)
    table = next(t for t in blank.tables if t.name == PEOPLE)
    found = next(r for r in table.rows if r[:3] == [ident, code, start])
    found[table.column(iati.TOTAL_BY_AGE)] = None
    period = period_of(indicator(activity(parse(iati.render(demo_ws, blank)), ident), code), start)
    assert figure(period) is None
    assert figure(period, sex="male") is not None


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


# --- the reporting organisation's identifier ---------------------------------------------------

REF = "XI-IATI-EXAMPLE1"  # of the right form; not an identifier IATI gave anyone
REGISTERED = dataclasses.replace(ON, iati_org_ref=REF, iati_org_type="22")


def test_the_registered_identifier_and_type_are_used(demo_ws, schema):
    export = iati.build(demo_ws, policy=REGISTERED)
    assert not [n for n in export.notes if n.what == iati.NOT_FOR_PUBLICATION]
    xml = iati.render(demo_ws, disclosure_control(demo_ws, export), policy=REGISTERED)
    doc = parse(xml)
    schema.assertValid(doc)
    assert b"XX-" not in xml
    idents = {e.text for e in doc.iterfind("iati-activity/iati-identifier")}
    ids = {
        r[0] for r in demo_ws.conn.execute("SELECT id FROM projects UNION SELECT id FROM grants")
    }
    assert idents and {i.removeprefix(f"{REF}-") for i in idents} <= ids
    assert {f"{REF}-{pid}" for (pid,) in demo_ws.conn.execute("SELECT id FROM projects")} <= idents
    for act in doc.iterfind("iati-activity"):
        reporting = act.find("reporting-org")
        assert reporting.attrib == {"ref": REF, "type": "22"}
        assert [n.text for n in reporting.iterfind("narrative")] == [ALIAS]  # the alias stays
        implementing = act.findall("participating-org[@role='4']")
        assert [(o.get("ref"), o.get("type")) for o in implementing] == [(REF, "22")]
        assert implementing[0].findtext("narrative") == ALIAS
        for related in act.iterfind("related-activity"):
            assert related.get("ref") in idents
        for provider in act.iterfind("transaction/provider-org[@provider-activity-id]"):
            assert provider.get("provider-activity-id") in idents
            assert provider.get("ref") == REF


def test_without_a_registered_identifier_the_user_is_told_not_to_publish(demo_ws):
    export = disclosure_control(demo_ws, iati.build(demo_ws))
    assert iati.placeholder(ON) and not iati.placeholder(REGISTERED)
    notes = [n.detail for n in export.notes if n.what == iati.NOT_FOR_PUBLICATION]
    assert len(notes) == 1
    assert "placeholder organisation identifier XX-MOUNTAIN-RELIEF" in notes[0]
    assert "do not publish it on the IATI Registry as is" in notes[0]
    assert "policy set iati_org_ref" in notes[0]
    text = iati.render(demo_ws, export).decode()
    assert "placeholder" not in text and "Registry" not in text  # never in the file


def test_the_identifier_and_type_are_kept_in_the_ledger(ws):
    saved = policy.Policy(iati=True, iati_org_ref="GB-COH-06368740", iati_org_type=21)
    assert saved.iati_org_type == "21"
    policy.save(ws, saved)
    assert policy.load(ws) == saved
    assert policy.Policy().iati_org_ref is None and policy.Policy().iati_org_type == "24"


@pytest.mark.parametrize(
    "good",
    [
        "XI-IATI-EBRD",
        "XM-DAC-41114",
        "XM-OCHA-CBPF",
        "GB-COH-06368740",
        "MM-ABC-2019.07",
        "CA-CRA_ACR-89980-1815-RR0001",
        "US-USAGOV-federal_agency",
    ],
)
def test_well_formed_organisation_identifiers_are_accepted(good):
    assert policy.Policy(iati=True, iati_org_ref=good).iati_org_ref == good


@pytest.mark.parametrize(
    "bad",
    [
        "XX-MOUNTAIN-RELIEF",  # the placeholder
        "XX-ABC-1",  # XX is no registration agency
        "QZ-ABC-1",
        "MM-12345",  # an agency is a country and a list
        "mm-abc-1",
        "MM-ABC-",
        "MM--1",
        "-ABC-1",
        "MM-ABC-12 34",
        "MM-ABC-1/2",
        "MM-ABC-1&2",
        "MM-ABC-1?",
        "MM-ABC-1|2",
        "XI-IATI-ÄBC",
        "XI-IATI-" + "1" * 100,
        "",
        42,
    ],
)
def test_a_malformed_organisation_identifier_is_refused_in_one_line(bad):
    with pytest.raises(ValidationError) as refused:
        policy.Policy(iati=True, iati_org_ref=bad)
    message = str(refused.value)
    assert message.startswith("report policy field iati_org_ref:")
    assert "registered IATI organisation identifier" in message
    assert "\n" not in message


@pytest.mark.parametrize("bad", ["25", "NGO", "", None, True, 2.4])
def test_the_organisation_type_is_a_code_of_the_iati_codelist(bad):
    with pytest.raises(ValidationError) as refused:
        policy.Policy(iati_org_type=bad)
    assert str(refused.value).startswith("report policy field iati_org_type:")
    assert "\n" not in str(refused.value)
    for code in ("10", "21", "22", "23", "24", "90"):
        assert policy.Policy(iati_org_type=code).iati_org_type == code


# --- results by sex and age ----------------------------------------------------------------------


def rank_of(rows: list[list[Fraction]]) -> int:
    """The rank of a matrix over the rationals (Gaussian elimination, exact)."""
    rows = [list(r) for r in rows if any(r)]
    rank, width = 0, len(rows[0]) if rows else 0
    for c in range(width):
        pivot = next((i for i in range(rank, len(rows)) if rows[i][c]), None)
        if pivot is None:
            continue
        rows[rank], rows[pivot] = rows[pivot], rows[rank]
        for i in range(len(rows)):
            if i != rank and rows[i][c]:
                f = rows[i][c] / rows[rank][c]
                rows[i] = [x - f * y for x, y in zip(rows[i], rows[rank], strict=True)]
        rank += 1
    return rank


def determined(table, raw_row: list, row: list) -> list[str]:
    """The suppressed non-zero counts of `row` that its published counts give back, by
    solving the table's equations (each `total_of` column is the sum of its parts)."""
    names = [c.name for c in table.columns]
    counts = [i for i, c in enumerate(table.columns) if c.kind == "count"]
    unknown = [i for i in counts if row[i] is None]
    equations = []
    for i, c in enumerate(table.columns):
        if c.total_of:
            coefficients = {i: -1} | {names.index(p): 1 for p in c.total_of}
            equations.append([Fraction(coefficients.get(u, 0)) for u in unknown])
    found = []
    base = rank_of(equations)
    for k, u in enumerate(unknown):
        if raw_row[u]:
            unit = [Fraction(int(j == k)) for j in range(len(unknown))]
            if rank_of([*equations, unit]) == base:
                found.append(names[u])
    return found


def test_results_by_sex_and_age_pass_disclosure_control(demo_ws, schema):
    raw = iati.build(demo_ws)
    threshold = ON.threshold
    table = next(t for t in raw.tables if t.name == PEOPLE)
    dims = dict(iati.WRITTEN)
    by_age = [name for name, d in iati.WRITTEN if "age" in dict(d)]
    small = [
        (row[:3], name)
        for row in table.rows
        for name in by_age
        if 0 < row[table.column(name)] < threshold
    ]
    assert small, "the demo has small counts by age to suppress"
    raw_rows = {tuple(r[:3]): r for r in table.rows}

    protected = disclosure_control(demo_ws, copy.deepcopy(raw))
    doc = parse(iati.render(demo_ws, protected))
    schema.assertValid(doc)
    # nothing written under the threshold, and only the dimensions the Standard's example uses
    kinds = set()
    for ind in doc.iterfind(".//result/indicator"):
        if ind.findtext("title/narrative") in (
            iati.INDICATORS["trainings-held"],
            iati.INDICATORS["households-reached"],
        ):
            assert ind.find("period/actual/dimension") is None
            continue
        for actual in ind.iterfind("period/actual"):
            assert int(actual.get("value")) >= threshold
            found = {d.get("name"): d.get("value") for d in actual.iterfind("dimension")}
            kinds.add(tuple(sorted(found)))
            assert found.get("sex", "female") in iati.SEXES
            assert found.get("age", "0-17") in iati.AGES
            assert not (found.get("sex") == "other" and "age" in found)
    assert kinds == {(), ("sex",), ("age",), ("age", "sex")}
    # every small count by age is gone from the file
    for (ident, code, start), name in small:
        period = period_of(indicator(activity(doc, ident), code), start)
        if period is not None:
            assert figure(period, **dict(dims[name])) is None, (ident, code, start, name)
    # and no published figure gives one back: solve each row's equations
    protected_table = next(t for t in protected.tables if t.name == PEOPLE)
    assert any(None in r for r in protected_table.rows)
    for row in protected_table.rows:
        raw_row = raw_rows[tuple(row[:3])]
        assert determined(protected_table, raw_row, row) == [], row[:3]


def test_age_in_the_period_year_and_unknowns_in_the_total_only(ws, schema):
    """A household of size 8 with six recorded people: a woman of 30, a girl of 10, a man of
    70 (age recorded), a person of undisclosed sex born 1990, a woman of no known age, and a
    baby born after the period's year (not counted); the two people the size counts beyond
    the records are of unknown sex and age."""
    pid = ws.add(
        "project",
        {
            "name": "P",
            "sector": "food_security",
            "location_pcode": "MMR003001",
            "start_date": "2025-01-01",
        },
    )
    hid = ws.add(
        "household",
        {"code": "HH-1", "location_pcode": "MMR003001001", "displacement_status": "idp", "size": 8},
    )
    for person in (
        {"sex": "female", "birth_year": 1995},
        {"sex": "female", "birth_year": 2015},
        {"sex": "male", "age": 70},
        {"sex": "undisclosed", "birth_year": 1990},
        {"sex": "female"},
        {"sex": "male", "birth_year": 2026},  # born after 2025
    ):
        ws.add("person", {"household_id": hid, **person})
    ws.add(
        "distribution",
        {
            "household_id": hid,
            "modality": "cash",
            "value": 50,
            "currency": "USD",
            "date": "2025-05-03",
            "location_pcode": "MMR003001001",
            "project_id": pid,
        },
    )
    pol = policy.Policy(iati=True, org=ORG)
    export = iati.build(ws, policy=pol)
    table = next(t for t in export.tables if t.name == PEOPLE)
    (row,) = table.rows
    got = {c.name: v for c, v in zip(table.columns, row, strict=True) if v}
    assert row[:3][1:] == ["people-in-households-reached", "2025-Q2"]
    assert {
        k: v for k, v in got.items() if k not in ("iati-identifier", "indicator", "period")
    } == {
        "total": 7,  # size 8, six recorded of whom one was not born yet: 5 + 2
        "total by age": 7,
        "female": 3,
        "male": 1,
        "unknown sex": 3,
        "0-17": 1,
        "18-59": 2,
        "60+": 1,
        "unknown age": 3,
        "female, 0-17": 1,
        "female, 18-59": 1,
        "female, unknown age": 1,
        "male, 60+": 1,
        "unknown sex, 18-59": 1,
        "unknown sex, unknown age": 2,
    }
    # the file: people of unknown sex or age in the totals only, "other" never by age
    policy.save(ws, pol)
    doc = parse(iati.render(ws, iati.build(ws)))  # no disclosure control: every figure
    schema.assertValid(doc)
    ind = indicator(activity(doc, f"{iati.org_ref(pol)}-{pid}"), "people-in-households-reached")
    period = period_of(ind, "2025-Q2")
    written = {
        tuple(sorted((d.get("name"), d.get("value")) for d in a.iterfind("dimension"))): int(
            a.get("value")
        )
        for a in period.iterfind("actual")
    }
    assert written == {
        (): 7,
        (("sex", "female"),): 3,
        (("sex", "male"),): 1,
        (("age", "0-17"),): 1,
        (("age", "18-59"),): 2,
        (("age", "60+"),): 1,
        (("age", "0-17"), ("sex", "female")): 1,
        (("age", "18-59"), ("sex", "female")): 1,
        (("age", "60+"), ("sex", "male")): 1,
    }


# --- Burmese -------------------------------------------------------------------------------------

MYANMAR = re.compile("[\u1000-\u109f]")
XML_LANG = "{http://www.w3.org/XML/1998/namespace}lang"


def bare(doc: etree._Element) -> bytes:
    """The document without the whitespace that indents it."""
    for e in doc.iter():
        if e.text is not None and not e.text.strip():
            e.text = None
        e.tail = None
    return etree.tostring(doc)


def test_burmese_narratives_beside_the_english_ones(demo_ws, schema):
    xml = iati.render(demo_ws, disclosure_control(demo_ws, iati.build(demo_ws, lang="my")))
    doc = parse(xml)
    schema.assertValid(doc)
    places = 0
    for act in doc.iterfind("iati-activity"):
        assert act.get(XML_LANG) == "en"
        for path in ("title", "description", "result/title", "result/indicator/title"):
            for holder in act.iterfind(path):
                english, burmese = holder.findall("narrative")
                assert english.get(XML_LANG) is None and not MYANMAR.search(english.text)
                assert burmese.get(XML_LANG) == "my" and MYANMAR.search(burmese.text)
        for name in act.iterfind("location/name"):
            english, *burmese = name.findall("narrative")
            assert english.get(XML_LANG) is None and not MYANMAR.search(english.text)
            if burmese:
                places += 1
                assert burmese[0].get(XML_LANG) == "my" and MYANMAR.search(burmese[0].text)
        # names (the alias, the donors' aliases) are written once, as recorded
        for path in ("reporting-org", "participating-org"):
            for org in act.iterfind(path):
                assert len(org.findall("narrative")) == 1
    assert places, "the gazetteer names the places in Burmese"
    # the same file as in English otherwise, figures included
    english = iati.render(demo_ws, disclosure_control(demo_ws, iati.build(demo_ws)))
    assert b'xml:lang="my"' not in english
    for narrative in doc.xpath("//narrative[@xml:lang='my']"):
        narrative.getparent().remove(narrative)
    assert bare(doc) == bare(parse(english))
    # the same bytes again, and through the writer the command line and web UI use
    from fieldledger.reports.writers import render as write

    again = disclosure_control(demo_ws, iati.build(demo_ws, lang="my"))
    assert write(demo_ws, again, ".xml", "my") == xml


def test_an_unknown_language_is_refused(demo_ws):
    with pytest.raises(ValidationError, match="--lang fr"):
        iati.build(demo_ws, lang="fr")
