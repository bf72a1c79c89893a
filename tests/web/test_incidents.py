"""Incidents: sealed narrative and GPS, people affected, evidence uploaded encrypted with its
chain of custody, a copy without metadata, hand-over; roles."""

from __future__ import annotations

import hashlib
import io
import tempfile
from pathlib import Path

import pytest
from PIL import Image

from fieldledger.evidence import custody_log
from fieldledger.vault import layout

from .conftest import csrf_of

CANARY = "CANARY-WEB-EV-8C1"
NARRATIVE = "Soldiers burned the rice store at dawn; NARRATIVE-CANARY-41."


def post_form(client, path: str, data: dict[str, str], files=None, form_at: str | None = None):
    token = csrf_of(client.get(form_at or path).text)
    return client.post(path, data={**data, "csrf": token}, files=files, follow_redirects=False)


def jpeg_with_exif() -> bytes:
    """A small photo carrying GPS, camera make and a capture date."""
    im = Image.new("RGB", (48, 32))
    im.putdata([(x * 5, y * 7, 90) for y in range(32) for x in range(48)])
    exif = Image.Exif()
    exif[0x010F] = f"{CANARY}-make"  # Make
    exif[0x0131] = f"{CANARY}-software"  # Software
    exif.get_ifd(0x8825).update({1: "N", 2: (16.0, 50.0, 27.55), 3: "E", 4: (96.0, 10.0, 24.5)})
    exif.get_ifd(0x8769)[0x9003] = "2026:03:02 14:05:00"  # DateTimeOriginal
    out = io.BytesIO()
    im.save(out, "JPEG", exif=exif, quality=95)
    return out.getvalue()


@pytest.fixture(scope="module")
def incident(app, demo_ws) -> str:
    """An incident added through the form by a documenter."""
    from starlette.testclient import TestClient

    from .conftest import log_in

    with TestClient(app, base_url="http://127.0.0.1") as client:
        log_in(client, "documenter1")
        done = post_form(
            client,
            "/incidents/new",
            {
                "kind": "arson",
                "date": "2026-03-02",
                "time": "05:40",
                "location_pcode": "MMR003001",
                "gps": "19.67412,97.20981",
                "perpetrator": "state_armed_forces",
                "source_reliability": "usually_reliable",
                "source_type": "eyewitness",
                "narrative": NARRATIVE,
            },
        )
        assert done.status_code == 303, done.text
        return done.headers["location"].rsplit("/", 1)[1]


def test_a_documenter_adds_an_incident_and_only_its_page_opens_the_narrative(
    client_for, incident: str
) -> None:
    client = client_for("documenter")
    page = client.get(f"/incidents/{incident}")
    assert page.status_code == 200
    assert "NARRATIVE-CANARY-41" in page.text and "19.67412,97.20981" in page.text
    listed = client.get("/incidents")
    assert f"/incidents/{incident}" in listed.text
    assert "NARRATIVE-CANARY-41" not in listed.text and "19.67412" not in listed.text
    assert len(page.content) < 60_000


@pytest.mark.parametrize("role", ["field", "finance", "viewer"])
def test_roles_without_incidents_are_refused_everywhere(client_for, incident: str, role) -> None:
    client = client_for(role)
    csrf = csrf_of(client.get("/").text)
    for path in (
        "/incidents",
        f"/incidents/{incident}",
        "/incidents/new",
        f"/incidents/{incident}/affected",
    ):
        response = client.get(path)
        assert response.status_code == 403, path
        assert "NARRATIVE-CANARY-41" not in response.text
    upload = client.post(
        f"/incidents/{incident}/evidence",
        data={"csrf": csrf},
        files={"file": ("p.jpg", jpeg_with_exif(), "image/jpeg")},
    )
    assert upload.status_code == 403


def test_people_affected_by_sex_and_age(client_for, demo_ws, incident: str) -> None:
    client = client_for("coordinator")
    form = client.get(f"/incidents/{incident}/affected")
    assert form.status_code == 200 and 'name="killed.female_18_59"' in form.text
    done = post_form(
        client,
        f"/incidents/{incident}/affected",
        {
            "killed.female_18_59": "2",
            "killed.male_60_plus": "1",
            "displaced.unknown": "40",
            "injured.male_6_17": "",
        },
    )
    assert done.status_code == 303, done.text
    stored = demo_ws.get("incident", incident, reveal=False)["affected"]
    assert stored == {
        "killed": {"female_18_59": 2, "male_60_plus": 1},
        "displaced": {"unknown": 40},
    }
    page = client.get(f"/incidents/{incident}")
    assert '<th scope="row">Killed</th><td class="n">3</td>' in page.text
    assert '<th scope="row">Displaced</th><td class="n">40</td>' in page.text
    # The narrative, sealed, was kept through the change.
    assert "NARRATIVE-CANARY-41" in page.text
    refused = post_form(client, f"/incidents/{incident}/affected", {"killed.unknown": "many"})
    assert refused.status_code == 400 and 'class="error"' in refused.text


def test_evidence_upload_is_stored_encrypted_with_custody(
    client_for, demo_ws, incident: str
) -> None:
    client = client_for("documenter")
    photo = jpeg_with_exif()
    done = post_form(
        client,
        f"/incidents/{incident}/evidence",
        {"kind": "", "witness_pseudonym": "W-41", "description": "The store after the fire"},
        files={"file": ("Ko_Aung_store.jpg", photo, "image/jpeg")},
        form_at=f"/incidents/{incident}",
    )
    assert done.status_code == 303, done.text
    eid = done.headers["location"].rsplit("#", 1)[1]
    record = demo_ws.get("evidence", eid, reveal=False)
    assert record["incident_id"] == incident
    assert record["sha256"] == hashlib.sha256(photo).hexdigest()
    assert record["size"] == len(photo)
    assert record["media_type"] == "image/jpeg" and record["kind"] == "photo"
    assert record["captured_on"] == "2026-03-02"
    assert record["witness_pseudonym"] == "W-41"
    assert "Ko_Aung" not in str(record)  # the file's name is not kept

    # The blob is encrypted: no file of the workspace holds the photo or its metadata.
    blobs = layout.blobs_path(Path(demo_ws.path))
    files = [p for p in Path(demo_ws.path).rglob("*") if p.is_file()]
    assert any(p.parent == blobs for p in files)
    for path in files:
        data = path.read_bytes()
        assert photo[:512] not in data and CANARY.encode() not in data, path

    entries = custody_log(demo_ws, [eid])
    assert [e["action"] for e in entries] == ["added"]

    page = client.get(f"/incidents/{incident}")
    assert f'id="{eid}"' in page.text and record["sha256"] in page.text
    assert "W-41" in page.text and "Added" in page.text
    assert "Ko_Aung" not in page.text


def test_the_copy_to_share_has_no_metadata_and_is_in_the_custody_log(
    client_for, demo_ws, incident: str
) -> None:
    client = client_for("coordinator")
    photo = jpeg_with_exif()
    done = post_form(
        client,
        f"/incidents/{incident}/evidence",
        {},
        files={"file": ("x.jpg", photo, "image/jpeg")},
        form_at=f"/incidents/{incident}",
    )
    eid = done.headers["location"].rsplit("#", 1)[1]
    copy = post_form(
        client, f"/incidents/{incident}/evidence/{eid}/copy", {}, form_at=f"/incidents/{incident}"
    )
    assert copy.status_code == 200
    assert copy.headers["content-type"] == "image/jpeg"
    assert "attachment" in copy.headers["content-disposition"]
    assert copy.headers["cache-control"] == "no-store"
    assert CANARY.encode() not in copy.content
    clean = Image.open(io.BytesIO(copy.content))
    assert clean.size == (48, 32)
    assert not clean.getexif() and "exif" not in clean.info
    entries = custody_log(demo_ws, [eid])
    assert [e["action"] for e in entries] == ["added", "exported"]
    assert hashlib.sha256(copy.content).hexdigest() in entries[-1]["note"]


def test_hand_over_is_recorded(client_for, demo_ws, incident: str) -> None:
    client = client_for("documenter")
    done = post_form(
        client,
        f"/incidents/{incident}/evidence",
        {"kind": "document"},
        files={"file": ("statement.txt", b"Testimony of W-9.\n" * 30, "text/plain")},
        form_at=f"/incidents/{incident}",
    )
    eid = done.headers["location"].rsplit("#", 1)[1]
    assert demo_ws.get("evidence", eid, reveal=False)["kind"] == "document"
    page = client.get(f"/incidents/{incident}")
    assert f"/evidence/{eid}/copy" not in page.text  # documents have no clean copy
    refused = post_form(
        client, f"/incidents/{incident}/evidence/{eid}/copy", {}, form_at=f"/incidents/{incident}"
    )
    assert refused.status_code == 400
    empty = post_form(
        client,
        f"/incidents/{incident}/evidence/{eid}/hand-over",
        {"recipient": ""},
        form_at=f"/incidents/{incident}",
    )
    assert empty.status_code == 400
    handed = post_form(
        client,
        f"/incidents/{incident}/evidence/{eid}/hand-over",
        {"recipient": "IIMM", "note": "on an encrypted USB stick"},
        form_at=f"/incidents/{incident}",
    )
    assert handed.status_code == 303, handed.text
    entries = custody_log(demo_ws, [eid])
    assert [(e["action"], e["recipient"]) for e in entries] == [
        ("added", None),
        ("handed_over", "IIMM"),
    ]
    assert "IIMM" in client.get(f"/incidents/{incident}").text


def test_evidence_of_another_incident_or_no_file_is_refused(
    client_for, demo_ws, incident: str
) -> None:
    client = client_for("documenter")
    before = len(demo_ws.list("evidence"))
    nothing = post_form(
        client, f"/incidents/{incident}/evidence", {}, form_at=f"/incidents/{incident}"
    )
    assert nothing.status_code == 400 and "Choose a file" in nothing.text
    unknown = post_form(
        client,
        "/incidents/IN-NOSUCH/evidence",
        {},
        files={"file": ("p.jpg", jpeg_with_exif(), "image/jpeg")},
        form_at="/incidents",
    )
    assert unknown.status_code == 404
    assert len(demo_ws.list("evidence")) == before
    other = next(r for r in demo_ws.list("evidence") if r["incident_id"] != incident)
    wrong = post_form(
        client,
        f"/incidents/{incident}/evidence/{other['id']}/hand-over",
        {"recipient": "x"},
        form_at="/incidents",
    )
    assert wrong.status_code == 404


def test_a_large_upload_never_touches_disk(client_for, incident: str, monkeypatch) -> None:
    rolled: list[int] = []
    real = tempfile.SpooledTemporaryFile.rollover

    def rollover(self):
        rolled.append(1)
        return real(self)

    monkeypatch.setattr(tempfile.SpooledTemporaryFile, "rollover", rollover)
    client = client_for("documenter")
    big = b"\x00\x00\x00\x18ftypmp42" + bytes(3 << 20)  # 3 MiB "video"
    done = post_form(
        client,
        f"/incidents/{incident}/evidence",
        {},
        files={"file": ("v.mp4", big, "video/mp4")},
        form_at=f"/incidents/{incident}",
    )
    assert done.status_code == 303
    assert not rolled
