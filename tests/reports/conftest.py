"""A small hand-made workspace whose report figures are known, and a report policy.

Builders take the policy as `policy=`, so these tests check the builders alone, before
disclosure control (`fieldledger.privacy.prepare`).
"""

from __future__ import annotations

import os
import subprocess
from dataclasses import dataclass, replace

import pytest

from fieldledger.privacy.policy import Policy
from tests import conftest

HPA_AN = "MMR003001"  # township of Kayin, district MMR003D001 (Hpa-An)
HLAINGBWE = "MMR003002"  # township of the same district
KAYIN = "MMR003"


@pytest.fixture
def policy():
    """The default policy of an organisation called "Test org", with `changes`."""

    def make(**changes) -> Policy:
        return replace(Policy(org="Test org"), **changes)

    return make


@dataclass
class Small:
    ws: object
    ids: dict[str, str]


@pytest.fixture
def small(ws) -> Small:
    """Two households in Hpa-An township, aid to them, an activity, a training, a grant.

    H1 (size 5): a woman born 2000, a girl born 2015, a man aged 65 (no birth year), a
    person of undisclosed sex born 1990, a man born 1980 with a lot of difficulty walking.
    H2 (size 4): a boy born 2020, a boy born 2026; two members not recorded.
    """
    ids: dict[str, str] = {}
    ids["project"] = ws.add(
        "project",
        {
            "name": "Food for displaced families",
            "sector": "food_security",
            "location_pcode": HPA_AN,
            "start_date": "2025-01-01",
        },
    )
    ids["grant"] = ws.add(
        "grant",
        {
            "donor": "A donor whose name is a risk",
            "donor_alias": "Donor X",
            "reference": "X-1",
            "amount": 12000,
            "currency": "USD",
            "restriction": "flexible",
            "period_start": "2026-01-01",
            "period_end": "2026-12-31",
        },
    )
    h1 = ws.add(
        "household",
        {
            "code": "HH-0001",
            "location_pcode": HPA_AN + "001",
            "displacement_status": "idp",
            "size": 5,
        },
    )
    h2 = ws.add(
        "household",
        {
            "code": "HH-0002",
            "location_pcode": HPA_AN + "002",
            "displacement_status": "idp",
            "size": 4,
        },
    )
    ids["h1"], ids["h2"] = h1, h2
    for person in (
        {"household_id": h1, "sex": "female", "birth_year": 2000, "name": "Daw Canary One"},
        {"household_id": h1, "sex": "female", "birth_year": 2015},
        {"household_id": h1, "sex": "male", "age": 65},
        {"household_id": h1, "sex": "undisclosed", "birth_year": 1990},
        {"household_id": h1, "sex": "male", "birth_year": 1980, "disability": {"walking": 3}},
        {"household_id": h2, "sex": "male", "birth_year": 2020},
        {"household_id": h2, "sex": "male", "birth_year": 2026},
    ):
        ws.add("person", person)
    food = {"modality": "in_kind_food", "item": "rice", "quantity": 25, "unit": "kg"}
    for household, day, place in (
        (h1, "2026-01-05", HPA_AN + "001"),
        (h1, "2026-01-20", HPA_AN + "001"),  # the same people again: counted once
        (h2, "2026-01-10", HPA_AN + "002"),
        (h2, "2025-12-15", HPA_AN + "002"),  # before the boy born 2026
    ):
        ws.add(
            "distribution",
            {
                **food,
                "household_id": household,
                "date": day,
                "location_pcode": place,
                "project_id": ids["project"],
            },
        )
    ws.add(  # no project: the modality says the sector; paid by the grant
        "distribution",
        {
            "household_id": h1,
            "modality": "cash",
            "value": 50,
            "currency": "USD",
            "date": "2026-02-03",
            "location_pcode": HPA_AN + "001",
            "grant_id": ids["grant"],
        },
    )
    ws.add(  # a group: no registered people, adds nothing
        "distribution",
        {
            "group": "camp section 3",
            "modality": "nfi",
            "date": "2026-01-07",
            "location_pcode": HPA_AN,
        },
    )
    ws.add(
        "expenditure",
        {
            "grant_id": ids["grant"],
            "project_id": ids["project"],
            "date": "2026-02-10",
            "amount": 100,
            "currency": "USD",
            "category": "relief_items",
        },
    )
    ws.add(
        "activity",
        {
            "project_id": ids["project"],
            "date": "2026-03-02",
            "kind": "planting",
            "location_pcode": HLAINGBWE,
            "participants": {
                "female_18_59": 3,
                "male_0_5": 2,
                "other_18_59": 1,
                "unknown": 2,
                "with_disability_female": 1,
            },
        },
    )
    ws.add(
        "training",
        {
            "topic": "human_rights",
            "start_date": "2026-04-10",
            "end_date": "2026-04-11",
            "facilitator_pseudonym": "Facilitator K",
            "location_pcode": KAYIN,
            "participants": {"female_18_59": 6, "male_60_plus": 1},
        },
    )
    return Small(ws, ids)


@pytest.fixture(scope="module")
def demo_workspace(tmp_path_factory):
    """One demo workspace per test module (`fieldledger demo`), for tests to copy."""
    base = tmp_path_factory.mktemp("demo")
    secret = base / "passphrase.txt"
    secret.write_text(conftest.PASSPHRASE + "\n", encoding="utf-8")
    env = {
        **os.environ,
        "FIELDLEDGER_WORKSPACE": str(base / "ws"),
        "FIELDLEDGER_PASSPHRASE_FILE": str(secret),
        "TMPDIR": str(base),
    }
    done = subprocess.run(
        [conftest.FIELDLEDGER, "demo", "--insecure-fast-kdf", "--households", "30", "--seed", "7"],
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
        stdin=subprocess.DEVNULL,
    )
    assert done.returncode == 0, done.stderr
    return base / "ws"
