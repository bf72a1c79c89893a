"""Phones through the OpenRosa endpoints: a client that behaves as ODK Collect (tests/odk/
collect.py) lists, downloads and submits encrypted forms to the web server, and the records
appear; every refusal applies nothing; tokens of revoked or removed accounts are refused; a
submission sent twice is taken once; no plaintext of a submission lands on the disk."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

import pytest
from starlette.testclient import TestClient

from fieldledger.ledger import store as log
from fieldledger.odk import forms, keys, tokens
from fieldledger.odk.crypto import FormKey
from fieldledger.odk.openrosa import ACCEPT_LENGTH
from fieldledger.web import accounts
from fieldledger.web.app import web_app
from tests.conftest import household
from tests.odk.collect import Collect

PASSWORD = "correct horse battery staple"
BASE = "http://192.168.43.1:8766"

HOUSEHOLD = (
    "<hh_code>HH-0100</hh_code><location_pcode>MMR003001</location_pcode>"
    "<displacement_status>idp</displacement_status><displaced_on/><shelter_type>camp"
    "</shelter_type><size>3</size><consent_given>yes</consent_given>"
    "<consent_date>2025-03-01</consent_date><retention_months>24</retention_months>"
    "<members><sex>female</sex><birth_year/><age>30</age><relationship>head</relationship>"
    "<wg_seeing>1</wg_seeing><wg_hearing/><wg_walking>3</wg_walking><wg_remembering/>"
    "<wg_self_care/><wg_communicating/></members>"
    "<members><sex>male</sex><birth_year>2015</birth_year><age/><relationship>child"
    "</relationship><wg_seeing/><wg_hearing/><wg_walking/><wg_remembering/><wg_self_care/>"
    "<wg_communicating/></members>"
)
INCIDENT = (
    "<kind>arson</kind><date>2025-02-20</date><location_pcode>MMR003001</location_pcode>"
    "<perpetrator>unidentified</perpetrator><source_reliability>usually_reliable"
    "</source_reliability><source_type>eyewitness</source_type><killed/><injured>2</injured>"
    "<detained/><displaced>40</displaced><narrative>{narrative}</narrative>"
    "<photo>1740000000.jpg</photo><audio/>"
)
FEEDBACK = (
    "<channel>in_person</channel><date>2025-03-03</date><category>complaint_access</category>"
    "<sensitive>no</sensitive><text>{text}</text><location_pcode/>"
)


def distribution(*codes: str) -> str:
    scanned = "".join(f"<households><hh_code>{c}</hh_code></households>" for c in codes)
    return (
        "<date>2025-03-02</date><location_pcode>MMR003001</location_pcode>"
        "<modality>cash</modality><item/><quantity/><unit/><value>50000</value>"
        f"<currency>MMK</currency>{scanned}"
    )


@pytest.fixture
def server(ws):
    for name, role in (("field1", "field"), ("doc1", "documenter"), ("view1", "viewer")):
        accounts.add_user(ws, name, role, PASSWORD)
    client = TestClient(web_app(lambda: ws), base_url=BASE)
    yield client
    client.close()


def collect_for(ws, client: TestClient, account: str) -> Collect:
    phone = Collect(client, f"{BASE}/odk/{tokens.issue(ws, account)}")
    phone.download_all()
    return phone


@pytest.fixture
def field(ws, server) -> Collect:
    return collect_for(ws, server, "field1")


@pytest.fixture
def documenter(ws, server) -> Collect:
    return collect_for(ws, server, "doc1")


def events(ws) -> int:
    return log.count(ws.conn)


# -- forms ----------------------------------------------------------------------------


def test_forms_offered_by_role_and_served_as_collect_expects(ws, server, field, documenter):
    assert set(field.forms) == {"fl_household", "fl_assessment", "fl_distribution", "fl_feedback"}
    assert set(documenter.forms) == {"fl_incident"}
    viewer = collect_for(ws, server, "view1")
    assert viewer.forms == {}
    people = keys.form_key(ws, "people").public_key_b64
    incidents = keys.form_key(ws, "incidents").public_key_b64
    assert field.forms["fl_household"].public_key == people
    assert field.forms["fl_feedback"].public_key == people
    assert documenter.forms["fl_incident"].public_key == incidents
    assert field.forms["fl_assessment"].public_key == keys.form_key(ws, "programme").public_key_b64
    for form in field.forms.values():
        assert form.submission_url == f"{field.server_url}/submission"
        assert form.version == forms.get_form(form.form_id).version
    response = field.client.get(field.path(f"{field.server_url}/formList"))
    assert response.headers["content-type"].startswith("text/xml")
    # Another role's form is not there for this token.
    other = field.client.get(field.path(f"{field.server_url}/forms/fl_incident/form.xml"))
    assert other.status_code == 404 and other.headers["X-OpenRosa-Version"] == "1.0"


def test_head_submission_says_how_much_it_takes(field):
    response = field.head()
    assert response.status_code == 204
    assert response.headers["X-OpenRosa-Version"] == "1.0"
    assert int(response.headers["X-OpenRosa-Accept-Content-Length"]) == ACCEPT_LENGTH


def test_every_form_is_a_valid_encrypted_xform():
    from pyxform.xls2xform import convert

    key = FormKey.generate().public_key_b64
    for form in forms.FORMS.values():
        warnings: list[str] = []
        convert(forms.workbook(form, key, f"{BASE}/odk/T/submission"), warnings=warnings)
        assert warnings == [], (form.form_id, warnings)
        xform = forms.build(form.form_id, key, f"{BASE}/odk/T/submission").decode()
        assert f'base64RsaPublicKey="{key}"' in xform
        assert 'lang="Burmese (my)"' in xform
        assert f'id="{form.form_id}" version="{form.version}"' in xform


@pytest.mark.slow
@pytest.mark.skipif(not Path("/usr/bin/java").exists(), reason="ODK Validate needs Java")
def test_every_form_passes_odk_validate():
    from pyxform.xls2xform import convert

    key = FormKey.generate().public_key_b64
    for form in forms.FORMS.values():
        convert(forms.workbook(form, key, f"{BASE}/odk/T/submission"), validate=True)


# -- round trips ------------------------------------------------------------------------


def test_household_registration_becomes_a_household_and_its_people(ws, field):
    response = field.submit("fl_household", HOUSEHOLD)
    assert response.status_code == 201, response.text
    assert response.headers["X-OpenRosa-Version"] == "1.0"
    assert "submit_success" in response.text
    (hh,) = ws.list("household")
    assert (hh["code"], hh["size"], hh["shelter_type"], hh["consent_given"]) == (
        "HH-0100",
        3,
        "camp",
        1,
    )
    people = sorted(ws.list("person"), key=lambda p: p["sex"])
    assert [p["household_id"] for p in people] == [hh["id"], hh["id"]]
    assert [p["sex"] for p in people] == ["female", "male"]
    assert ws.get("person", people[0]["id"])["disability"]["walking"] == 3
    log_actions = [a for (a,) in ws.conn.execute("SELECT action FROM access_log")]
    assert "phone submission (web account field1)" in log_actions


def test_distribution_round_by_scanned_household_cards(ws, field):
    first = ws.add("household", household("HH-0001"))
    second = ws.add("household", household("HH-0002"))
    response = field.submit("fl_distribution", distribution("HH-0001", "HH-0002"))
    assert response.status_code == 201, response.text
    given = ws.list("distribution")
    assert sorted(d["household_id"] for d in given) == sorted([first, second])
    assert {(d["modality"], d["value"], d["currency"]) for d in given} == {("cash", 50000, "MMK")}


def test_needs_assessment_by_scanned_card(ws, field):
    hid = ws.add("household", household("HH-0001"))
    answers = (
        "<hh_code>HH-0001</hh_code><date>2025-03-04</date><assessor_pseudonym>owl"
        "</assessor_pseudonym><food_need>3</food_need><shelter_need>2</shelter_need>"
        "<health_need>1</health_need><protection_need>0</protection_need>"
        "<livelihoods_need>4</livelihoods_need><meals_per_day>2</meals_per_day>"
        "<income_lost>yes</income_lost><chronic_illness/><safe_water>no</safe_water>"
        "<children_out_of_school/><debt/>"
    )
    assert field.submit("fl_assessment", answers).status_code == 201
    (a,) = ws.list("assessment")
    assert (a["household_id"], a["food_need"], a["livelihoods_need"]) == (hid, 3, 4)


def test_incident_with_a_photo_becomes_an_incident_and_its_evidence(ws, documenter):
    photo = b"\xff\xd8\xff\xe0" + os.urandom(3000) + b"\xff\xd9"
    response = documenter.submit(
        "fl_incident", INCIDENT.format(narrative="Houses burned."), [("1740000000.jpg", photo)]
    )
    assert response.status_code == 201, response.text
    (incident,) = ws.list("incident")
    assert incident["kind"] == "arson"
    full = ws.get("incident", incident["id"])
    assert full["narrative"] == "Houses burned."
    assert full["affected"]["displaced"]["unknown"] == 40
    (evidence,) = ws.list("evidence")
    assert evidence["incident_id"] == incident["id"] and evidence["kind"] == "photo"
    import hashlib

    assert evidence["sha256"] == hashlib.sha256(photo).hexdigest()


def test_doubtful_zawgyi_text_goes_to_the_review_queue(ws, field):
    assert field.submit("fl_feedback", FEEDBACK.format(text="စုစု")).status_code == 201
    (fb,) = ws.list("feedback")
    assert {(q["type"], q["id"], q["field"]) for q in ws.review_queue()} == {
        ("feedback", fb["id"], "text")
    }


def test_a_submission_sent_twice_is_taken_once(ws, field):
    _, manifest, files = field.encrypt("fl_household", HOUSEHOLD)
    assert field.post(manifest, files).status_code == 201
    before = events(ws)
    again = field.post(manifest, files)
    assert again.status_code == 202 and "Already received" in again.text
    assert events(ws) == before
    assert len(ws.list("household")) == 1 and len(ws.list("person")) == 2


# -- refusals: each applies nothing -------------------------------------------------------


def refused(ws, response, status: int) -> None:
    assert response.status_code == status, response.text
    assert response.headers["X-OpenRosa-Version"] == "1.0"
    assert "OpenRosaResponse" in response.text and "submit_success" not in response.text


@pytest.fixture
def quiet(ws, field, documenter):
    """Count events after the form keys exist: a refusal must add none."""
    start = events(ws)
    yield lambda: events(ws) == start and not ws.list("household") and not ws.list("incident")


def test_tampered_file_is_refused(ws, field, quiet):
    _, manifest, files = field.encrypt("fl_household", HOUSEHOLD)
    data = bytearray(files["submission.xml.enc"])
    data[20] ^= 1
    refused(ws, field.post(manifest, {**files, "submission.xml.enc": bytes(data)}), 400)
    assert quiet()


def test_unsigned_submission_is_refused(ws, field, quiet):
    import re

    _, manifest, files = field.encrypt("fl_household", HOUSEHOLD)
    unsigned = re.sub(rb"<base64EncryptedElementSignature>[^<]*</base64EncryptedElementSignature>",
                      b"", manifest)  # fmt: skip
    refused(ws, field.post(unsigned, files), 400)
    assert quiet()


def test_malformed_and_unencrypted_submissions_are_refused(ws, field, quiet):
    refused(ws, field.post(b"<not xml", {}), 400)
    plain = b'<data id="fl_household" version="1"><hh_code>HH-1</hh_code></data>'
    refused(ws, field.post(plain, {}), 400)
    _, manifest, _files = field.encrypt("fl_household", HOUSEHOLD)
    refused(ws, field.post(manifest, {}), 400)  # the files left behind
    response = field.client.post(
        field.path(f"{field.server_url}/submission"),
        content=b"x",
        headers={"content-type": "text/plain"},
    )
    refused(ws, response, 400)
    assert quiet()


def test_submission_for_another_key_is_refused(ws, field, quiet):
    other = FormKey.generate().public_key_b64
    _, manifest, files = field.encrypt("fl_household", HOUSEHOLD, public_key=other)
    refused(ws, field.post(manifest, files), 400)
    assert quiet()


def test_unknown_form_or_version_is_refused(ws, field, quiet):
    _, manifest, files = field.encrypt("fl_household", HOUSEHOLD, version="0")
    refused(ws, field.post(manifest, files), 404)
    field.forms["fl_other"] = field.forms["fl_household"]
    _, manifest, files = field.encrypt("fl_other", HOUSEHOLD)
    refused(ws, field.post(manifest, files), 404)
    assert quiet()


def test_form_of_another_role_is_refused(ws, field, documenter, quiet):
    documenter.forms["fl_household"] = field.forms["fl_household"]
    _, manifest, files = documenter.encrypt("fl_household", HOUSEHOLD)
    refused(ws, documenter.post(manifest, files), 403)
    assert quiet()


def test_unknown_household_code_refuses_the_whole_round(ws, field):
    ws.add("household", household("HH-0001"))
    start = events(ws)
    refused(ws, field.submit("fl_distribution", distribution("HH-0001", "HH-9999")), 400)
    assert events(ws) == start and ws.list("distribution") == []


def test_bad_answer_refuses_with_the_question_not_the_content(ws, field, quiet):
    response = field.submit("fl_household", HOUSEHOLD.replace("<size>3</size>", "<size>99</size>"))
    refused(ws, response, 400)
    assert "size" in response.text
    assert quiet()


def test_revoked_token_and_removed_account_are_refused(ws, server, quiet):
    phone = collect_for(ws, server, "field1")
    _, manifest, files = phone.encrypt("fl_household", HOUSEHOLD)
    tokens.revoke(ws, "field1")
    for path in ("formList", "forms/fl_household/form.xml", "forms/fl_household/manifest"):
        refused(ws, server.get(phone.path(f"{phone.server_url}/{path}")), 403)
    refused(ws, phone.post(manifest, files), 403)
    assert phone.head().status_code == 403

    again = collect_for(ws, server, "field1")
    accounts.remove_user(ws, "field1")
    refused(ws, again.post(manifest, files), 403)
    refused(ws, server.get(again.path(f"{again.server_url}/formList")), 403)
    refused(ws, server.get(f"/odk/{'x' * 48}/formList"), 403)
    # Tokens and accounts left notes in the access log; no submission got in.
    assert ws.list("household") == [] and ws.list("person") == []


def test_tokens_are_stored_hashed(ws, server):
    token = tokens.issue(ws, "field1")
    rows = ws.conn.execute("SELECT * FROM odk_tokens").fetchall()
    assert token not in repr(rows) and token.encode() not in b"".join(
        v for row in rows for v in row if isinstance(v, bytes)
    )
    assert tokens.resolve(ws, token).account == "field1"
    assert tokens.resolve(ws, token[:-1] + "A" if token[-1] != "A" else token[:-1] + "B") is None


def test_no_plaintext_of_a_submission_on_disk(ws, ws_path, documenter, monkeypatch, tmp_path):
    spool = tmp_path / "spool"
    spool.mkdir()
    monkeypatch.setenv("TMPDIR", str(spool))
    monkeypatch.setattr(tempfile, "tempdir", str(spool))
    marker = "ZEBRA-LANTERN-7731"
    # Over a megabyte, where Starlette's own form parser would spool to a file.
    photo = b"\xff\xd8\xff\xe0" + (marker.encode() * 80_000) + b"\xff\xd9"
    response = documenter.submit(
        "fl_incident", INCIDENT.format(narrative=f"Seen by {marker}"), [("1740000000.jpg", photo)]
    )
    assert response.status_code == 201, response.text
    ws.conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    seen = []
    for root in (ws_path, spool):
        for path in root.rglob("*"):
            if path.is_file() and marker.encode() in path.read_bytes():
                seen.append(path)
    assert seen == []
    assert ws.list("evidence")[0]["size"] == len(photo)
