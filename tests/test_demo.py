"""The demo generator: repeatable by seed, every record family, two years of aid, finance
with late and cut tranches, real evidence files, and a partner workspace whose overlap is
known."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import random

import pytest

from fieldledger.demo import Filled, fill, household, members, write_truth
from fieldledger.demo.households import new_members
from fieldledger.demo.names import new_name, to_zawgyi, written_again
from fieldledger.evidence import BlobStore
from fieldledger.intake import zawgyi
from fieldledger.records import REGISTRY
from fieldledger.records.finance import tranche_status
from fieldledger.records.household import retention_due
from fieldledger.vault.kdf import TEST_PARAMS
from fieldledger.workspace import Workspace
from tests.conftest import PASSPHRASE

TODAY = dt.date(2026, 6, 15)
SEED = 11
HOUSEHOLDS = 15
# add_evidence draws its own ids and blob names: compared by content instead.
# An evidence record names its blob file, whose name is random by design (never derived
# from content): compared without it below.
OWN_IDS = {"evidence"}


def new(path) -> Workspace:
    return Workspace.init(path, PASSPHRASE, params=TEST_PARAMS, check_strength=False)


@pytest.fixture(scope="module")
def filled(tmp_path_factory):
    """A main workspace filled with a partner, and one filled alone with the same seed."""
    root = tmp_path_factory.mktemp("demo")
    main, partner, alone = new(root / "main"), new(root / "partner"), new(root / "alone")
    result = fill(main, households=HOUSEHOLDS, seed=SEED, partner=partner, today=TODAY)
    fill(alone, households=HOUSEHOLDS, seed=SEED, today=TODAY)
    yield main, partner, alone, result, root
    for ws in (main, partner, alone):
        ws.close()


def rows(ws: Workspace, family: str) -> list[dict]:
    return ws.list(family, reveal=True)


def test_same_seed_same_records_with_or_without_a_partner(filled):
    main, _, alone, _, _ = filled
    for family in REGISTRY:
        if family in OWN_IDS:
            continue
        assert rows(main, family) == rows(alone, family), family
    def without_blob(ws):
        return [{k: v for k, v in r.items() if k != "blob"} for r in rows(ws, "evidence")]

    assert without_blob(main) == without_blob(alone)


def test_a_second_fill_of_the_same_workspace_makes_new_records(filled, tmp_path):
    ws = new(tmp_path / "ws")
    fill(ws, households=2, seed=SEED, today=TODAY)
    fill(ws, households=2, seed=SEED, today=TODAY)  # no "already exists"
    assert ws.summary().records["household"] == 4
    ws.close()


def test_every_family_is_there(filled):
    main, *_ = filled
    counts = main.summary().records
    assert {f for f, n in counts.items() if n == 0} == set()
    assert counts["household"] == HOUSEHOLDS
    assert counts["person"] >= HOUSEHOLDS
    security = {r["kind"] for r in rows(main, "security-incident")}
    assert security == {"checkpoint", "digital_attack"}
    sea = [r for r in rows(main, "feedback") if r["category"] == "sea"]
    assert len(sea) == 1 and sea[0]["sensitive"]


def test_households_carry_consent_and_people_their_names(filled):
    main, *_ = filled
    households = rows(main, "household")
    consented = [h for h in households if h["consent_given"]]
    assert len(consented) >= HOUSEHOLDS * 0.7
    assert all(h["consent_date"] and 24 <= h["retention_months"] <= 60 for h in consented)
    people = rows(main, "person")
    heads = [p for p in people if p["relationship"] == "head"]
    assert len(heads) == HOUSEHOLDS
    assert any(p["phone"] for p in heads)
    assert any(p["disability"] for p in people)
    assert any(p["name"] and any("\u1000" <= c <= "\u109f" for c in p["name"]) for p in people)
    assert any(p["name"] and p["name"].isascii() for p in people)


def test_distributions_run_over_24_months_with_cash_apart(filled):
    main, *_ = filled
    given = rows(main, "distribution")
    months = {d["date"][:7] for d in given}
    assert len(months) == 24
    assert max(months) == TODAY.isoformat()[:7]
    cash = [d for d in given if d["modality"] == "cash"]
    assert cash and all(d["value"] and d["currency"] in ("MMK", "THB") for d in cash)
    assert any(d["transfer_channel"] for d in cash)  # read from the finance companion
    assert all(d["project_id"] for d in given)
    assert any(d["grant_id"] for d in given)
    assert any(d["group"] for d in given) and any(d["household_id"] for d in given)


def test_tranches_some_late_one_cut(filled):
    main, *_ = filled
    tranches = rows(main, "tranche")
    status = [
        tranche_status(t["expected_date"], t["received_date"], bool(t["cancelled"]), TODAY)
        for t in tranches
    ]
    assert status.count("cut") == 1
    assert status.count("late") >= 1
    arrived_late = [
        t for t in tranches if t["received_date"] and t["received_date"] > t["expected_date"]
    ]
    assert arrived_late
    donors = {g["donor_alias"] for g in rows(main, "grant")}
    assert 3 <= len(donors) <= 4
    assert rows(main, "expenditure")


def test_trainings_and_activities_count_people(filled):
    main, *_ = filled
    for family in ("training", "activity"):
        for r in rows(main, family):
            counts = json.loads(r["participants"])
            assert sum(v for k, v in counts.items() if not k.startswith("with_")) > 0


def test_evidence_files_match_their_sha256(filled):
    main, *_ = filled
    store = BlobStore.for_workspace(main)
    found = rows(main, "evidence")
    assert len(found) >= 1
    for r in found:
        data = store.read(r["blob"], 1 << 20)
        assert hashlib.sha256(data).hexdigest() == r["sha256"]
        assert r["media_type"] == "image/jpeg" and r["captured_on"]


def test_partner_overlaps_with_known_pairs(filled):
    main, partner, _, result, root = filled
    assert isinstance(result, Filled) and result.same_people and result.same_households
    for a, b in result.same_households:
        assert main.exists("household", a) and partner.exists("household", b)
    for a, b in result.same_people:
        assert main.exists("person", a) and partner.exists("person", b)
    theirs = partner.summary().records
    assert theirs["household"] > len(result.same_households)  # unrelated ones too
    mine = {r["id"]: r for r in rows(main, "person")}
    others = {r["id"]: r for r in rows(partner, "person")}
    for a, b in result.same_people:
        assert mine[a]["sex"] == others[b]["sex"]
        born = mine[a]["birth_year"] or TODAY.year - mine[a]["age"]
        assert abs(born - others[b]["birth_year"]) <= 1
    codes = {r["code"] for r in rows(main, "household")}
    assert not codes & {r["code"] for r in rows(partner, "household")}

    truth = root / "partner-truth.json"
    write_truth(truth, result)
    body = json.loads(truth.read_text(encoding="utf-8"))
    assert body["synthetic"] is True
    assert [tuple(p) for p in body["people"]] == list(result.same_people)
    text = truth.read_text(encoding="utf-8")
    assert not any(p["name"] and p["name"] in text for p in mine.values())


def test_retention_over_forgets_people_at_the_next_open(tmp_path):
    ws = new(tmp_path / "ws")
    fill(ws, households=HOUSEHOLDS, seed=4)  # two of its households are past retention
    today = dt.date.today()
    due = {h["id"] for h in rows(ws, "household") if retention_due(h, today)}
    theirs = {p["id"] for p in rows(ws, "person") if p["household_id"] in due}
    assert theirs and ws.summary().forgotten == 0
    ws.close()
    ws = Workspace.open(tmp_path / "ws", PASSPHRASE)
    assert ws.summary().forgotten == len(theirs)
    ws.close()


def test_some_households_are_past_retention():
    rng = random.Random(5)
    made = [household(rng, f"HH-{n}", "MMR003001001", TODAY) for n in range(300)]
    assert 0 < sum(retention_due(h, TODAY) for h in made) < 30
    assert any(h.get("consent_given") is False for h in made)


def test_members_are_person_fields():
    rng = random.Random(1)
    people = members(rng, "HH-1", 5, TODAY)
    assert len(people) == 5 and people[0]["relationship"] == "head"
    assert all(set(p) <= set(REGISTRY["person"].fields) for p in people)


def test_zawgyi_names_are_typed_in_zawgyi():
    rng = random.Random(2)
    typed = [m.fields["name"] for m in new_members(rng, "HH-1", 8, TODAY, "bamar", "zawgyi")]
    scores = [zawgyi.detect(name) for name in typed]
    # Most are plainly Zawgyi; a short name can be doubtful, which is what review is for.
    assert sum(s > 0.95 for s in scores) >= len(typed) / 2
    assert all(s > 0.05 for s in scores)


def test_names_written_again_keep_the_person():
    rng = random.Random(4)
    name = new_name(rng, "bamar", "male", 45, "en")
    again = [written_again(rng, name) for _ in range(40)]
    assert {a.tokens for a in again} == {name.tokens}
    assert len({a.text() for a in again}) > 3
    assert to_zawgyi("အောင်") != "အောင်"


def test_cli_demo_writes_a_partner_workspace_and_its_truth(cli, tmp_path):
    out = tmp_path / "partner"
    result = cli("demo", "--households", "6", "--seed", "2", "--insecure-fast-kdf",
                 "--partner-out", str(out))
    assert result.code == 0, result.err
    truth = json.loads((tmp_path / "partner-truth.json").read_text(encoding="utf-8"))
    assert truth["people"] and truth["synthetic"]
    main = Workspace.open(cli.workspace, PASSPHRASE)
    partner = Workspace.open(out, PASSPHRASE)  # the same passphrase opens both
    assert all(main.exists("person", a) and partner.exists("person", b)
               for a, b in truth["people"])
    main.close()
    partner.close()
    result = cli("demo", "--households", "1", "--insecure-fast-kdf", "--partner-out", str(out))
    assert result.code != 0 and "Traceback" not in result.err  # DIR already holds one
