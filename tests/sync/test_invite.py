"""Joining: by hand, with the secret shown apart, and by a PAKE on a spoken code."""

from __future__ import annotations

import tempfile
from pathlib import Path

import msgspec
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from fieldledger.errors import LedgerError
from fieldledger.sync import exchange, invite, members
from fieldledger.sync.revoke import revoke
from fieldledger.vault.kdf import TEST_PARAMS
from fieldledger.workspace import Workspace
from tests.conftest import household
from tests.sync.conftest import send

OPTIONS = {"params": TEST_PARAMS, "check_strength": False}


def _member(ws, device):
    return members.member(ws.conn, device)


def test_a_device_joins_by_hand_and_the_admin_accepts_it(admin, tmp_path):
    hid = admin.add("household", household())
    made = invite.invite(admin, "field", "Ko Aung phone")
    new = invite.join(tmp_path / "new", made.data, "pw", **OPTIONS)
    assert new.keyring.role == "field" and set(new.keyring.epochs) == {
        "people",
        "programme",
        "members",
        "access-log",
    }
    assert new.exists("household", hid)
    new.add("household", household("HH-0900"))
    send(new, admin, for_member=False)
    joined = _member(admin, new.device)
    assert joined.role == "field" and joined.label == "Ko Aung phone" and joined.active
    assert "HH-0900" in {h["code"] for h in admin.list("household")}
    new.close()


def test_an_invitation_is_used_once(admin, tmp_path):
    made = invite.invite(admin, "viewer", "tablet")
    first = invite.join(tmp_path / "one", made.data, "pw", **OPTIONS)
    second = invite.join(tmp_path / "two", made.data, "pw", **OPTIONS)
    send(first, admin, for_member=False)
    with pytest.raises(LedgerError, match="already used"):
        send(second, admin, for_member=False)
    first.close()
    second.close()


def test_the_secret_can_travel_apart_from_the_file(admin, tmp_path):
    made = invite.invite(admin, "documenter", "doc laptop", mode="qr")
    assert made.secret_text and made.secret_text.encode() not in made.data
    with pytest.raises(invite.InvitationError, match="give the invitation secret"):
        invite.join(tmp_path / "x", made.data, "pw", **OPTIONS)
    wrong = invite.secret_text(b"\1" * 32)
    with pytest.raises(invite.InvitationError, match="does not open"):
        invite.join(tmp_path / "y", made.data, "pw", secret=wrong, **OPTIONS)
    typed = made.secret_text.lower().replace("-", " ")  # as a person types it
    new = invite.join(tmp_path / "z", made.data, "pw", secret=typed, **OPTIONS)
    assert new.keyring.role == "documenter"
    new.close()


def test_a_network_invitation_needs_the_spoken_code(admin, tmp_path):
    made = invite.invite(admin, "field", "phone", mode="network")
    assert made.code and made.code.encode() not in made.data
    reply = invite.join(tmp_path / "new", made.data, "pw", code=made.code, **OPTIONS)
    assert isinstance(reply, bytes)
    with pytest.raises(Exception, match="not finished joining"):
        Workspace.open(tmp_path / "new", "pw")
    welcome = invite.admit(admin, reply)
    new = invite.finish_join(tmp_path / "new", welcome, "pw")
    assert _member(admin, new.device).role == "field"  # added by the admin's signed `add`
    assert _member(new, new.device).active
    new.add("household", household("HH-0901"))
    send(new, admin)
    assert "HH-0901" in {h["code"] for h in admin.list("household")}
    new.close()


def test_a_wrong_code_burns_the_invitation(admin, tmp_path):
    made = invite.invite(admin, "field", "phone", mode="network")
    reply = invite.join(tmp_path / "new", made.data, "pw", code="11-wrong-guess", **OPTIONS)
    with pytest.raises(invite.InvitationError, match="did not match"):
        invite.admit(admin, reply)
    with pytest.raises(invite.InvitationError, match="no open invitation"):
        invite.admit(admin, reply)


def test_only_an_admin_invites(admin, field, tmp_path):
    with pytest.raises(members.MembershipError, match="only an admin"):
        invite.invite(field, "admin", "me too")


def test_keys_not_signed_by_an_admin_are_refused(admin, field, tmp_path):
    made = invite.invite(admin, "field", "phone")
    env = invite.read_envelope(made.data)
    from fieldledger.crypto import derive, seal, unseal

    key = derive(env.secret, "invitation payload")
    signed = msgspec.msgpack.decode(unseal(key, env.sealed), type=invite.Signed)
    payload = msgspec.msgpack.decode(signed.payload, type=invite.Payload)
    # A field device re-signs the payload as if it were the admin.
    forged_payload = msgspec.msgpack.encode(msgspec.structs.replace(payload, admin=field.device))
    from fieldledger.crypto import digest, sign

    forged = invite.Signed(
        forged_payload,
        sign(field.keyring.device_secret, invite._SIGN_CONTEXT + digest(forged_payload)),
    )
    sealed = seal(key, msgspec.msgpack.encode(forged))
    data = msgspec.msgpack.encode(msgspec.structs.replace(env, sealed=sealed))
    with pytest.raises(invite.InvitationError, match="not made by an admin"):
        invite.join(tmp_path / "new", data, "pw", **OPTIONS)


def test_a_revocation_cancels_unused_invitations(admin, field, tmp_path):
    made = invite.invite(admin, "viewer", "tablet")
    revoke(admin, "field phone")
    new = invite.join(tmp_path / "new", made.data, "pw", **OPTIONS)
    with pytest.raises(LedgerError, match="cancelled"):
        exchange.import_bundle(admin, exchange.export_bundle(new).data)
    new.close()


@settings(max_examples=100, deadline=None)
@given(st.binary(max_size=2000))
def test_arbitrary_bytes_are_not_an_invitation(data):
    from fieldledger.errors import FieldledgerError

    try:
        env = invite.read_envelope(data)
    except invite.InvitationError:
        return
    # A well-formed envelope with nothing real inside.
    with pytest.raises(FieldledgerError), tempfile.TemporaryDirectory() as tmp:
        invite.join(
            Path(tmp) / "x",
            msgspec.msgpack.encode(env),
            "pw",
            secret="AAAA",
            code="1-a-b",
            **OPTIONS,
        )
