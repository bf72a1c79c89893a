"""Joining a workspace: invitations carried by hand, or completed by a PAKE on a spoken code.

An invitation must not be brute-forceable offline, whoever copies the file:

- **By hand** (`hand`): the file holds a full-entropy 256-bit secret. The admin's `invite`
  event names the public key that secret stands for; the joining device proves it holds the
  secret by signing its own keys with it (the `join` event).
- **Secret shown apart** (`qr`): the same, but the file holds no secret: the secret is shown
  as a QR code / text to type, so the file may travel over a network while the secret
  travels by eye.
- **Over a network** (`network`): the file holds the admin's SPAKE2 message; the two people
  tell each other a short code in person. The joining device answers with a reply file (its
  SPAKE2 message, its keys sealed under the PAKE's session key); the admin admits it with an
  `add` event it signs and a welcome file sealed under the session key. Someone who copies
  the files learns nothing they can test a guessed code against offline: each guess needs a
  run of the protocol with the admin, and a wrong code burns the invitation.

Every invitation carries, sealed, the workspace keys of the role and a bundle of everything
the role holds, signed by the admin device; a joining device refuses keys whose signer is
not an active admin in the membership it receives.
"""

from __future__ import annotations

import base64
import secrets
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import msgspec

from fieldledger.crypto import SealBroken, derive, digest, new_key, seal, sign, unseal, verify
from fieldledger.errors import WorkspaceError
from fieldledger.ledger.event import OP_PUT
from fieldledger.ledger.hlc import Clock, wall_ms
from fieldledger.sync import exchange, members
from fieldledger.sync.roles import MEMBERS, check_role, compartments_of
from fieldledger.vault import layout, vault
from fieldledger.vault.kdf import KdfParams, calibrate
from fieldledger.vault.keyring import Keyring

if TYPE_CHECKING:
    from fieldledger.workspace import Workspace

VERSION = 1
HAND, APART, NETWORK, REPLY, WELCOME = 1, 2, 3, 4, 5
MODES = {"hand": HAND, "qr": APART, "network": NETWORK}
_SIGN_CONTEXT = b"fieldledger invitation v1\0"
_JOINING = "joining"  # keyring.pending entry of a device between `join` and `join WELCOME`


class InvitationError(WorkspaceError):
    """An invitation, reply or welcome file that cannot be used."""


class Envelope(msgspec.Struct, array_like=True, frozen=True):
    version: int
    kind: int
    invite: str
    secret: bytes  # HAND only
    pake: bytes  # NETWORK: the admin's SPAKE2 message; REPLY: the joiner's
    sealed: bytes  # APART/HAND/WELCOME: the payload; REPLY: the joiner's keys


class Payload(msgspec.Struct, array_like=True, frozen=True):
    workspace_id: bytes
    workspace_secret: bytes
    invite: str
    role: str
    label: str
    epochs: dict[str, dict[int, bytes]]
    admin: bytes
    bundle: bytes


class Signed(msgspec.Struct, array_like=True, frozen=True):
    payload: bytes
    signature: bytes


class Joiner(msgspec.Struct, array_like=True, frozen=True):
    device: bytes
    box: bytes
    label: str


class Pending(msgspec.Struct, array_like=True, frozen=True):
    kind: int
    role: str
    label: str
    pake: bytes  # serialized SPAKE2 state, NETWORK only


@dataclass(frozen=True)
class Invitation:
    invite: str
    data: bytes  # the file
    secret_text: str | None  # APART: what the QR code shows
    code: str | None  # NETWORK: what the two people tell each other


def _encode(env: Envelope) -> bytes:
    return msgspec.msgpack.encode(env)


def read_envelope(data: bytes) -> Envelope:
    try:
        env = msgspec.msgpack.decode(data, type=Envelope)
    except (msgspec.DecodeError, ValueError):  # ValueError: text that is not UTF-8
        raise InvitationError("the file is not an invitation, reply or welcome") from None
    if env.version != VERSION:
        raise InvitationError(f"invitation format {env.version} is unknown: update fieldledger")
    return env


def secret_text(secret: bytes) -> str:
    """The secret as people copy it: base32 in groups of four."""
    text = base64.b32encode(secret).decode().rstrip("=")
    return "-".join(text[i : i + 4] for i in range(0, len(text), 4))


def secret_from_text(text: str) -> bytes:
    clean = "".join(ch for ch in text.upper() if ch.isalnum())
    try:
        secret = base64.b32decode(clean + "=" * (-len(clean) % 8))
    except ValueError:
        raise InvitationError("the invitation secret is mistyped: check every group") from None
    if len(secret) != 32:
        raise InvitationError("the invitation secret is incomplete: check every group")
    return secret


def _code() -> str:
    from shamir_mnemonic.wordlist import WORDLIST

    words = [secrets.choice(WORDLIST) for _ in range(2)]
    return f"{secrets.randbelow(90) + 10}-{words[0]}-{words[1]}"


def _payload(ws: Workspace, invite: str, role: str, label: str) -> bytes:
    held = compartments_of(role)
    epochs = {c: dict(e) for c, e in ws.keyring.epochs.items() if c in held}
    payload = Payload(
        ws.keyring.workspace_id,
        ws.keyring.workspace_secret,
        invite,
        role,
        label,
        epochs,
        ws.device,
        exchange.export_bundle(ws, role=role).data,
    )
    raw = msgspec.msgpack.encode(payload)
    return msgspec.msgpack.encode(
        Signed(raw, sign(ws.keyring.device_secret, _SIGN_CONTEXT + digest(raw)))
    )


def _require_admin(ws: Workspace) -> None:
    me = members.member(ws.conn, ws.device)
    if me is None or not me.active or me.role != "admin":
        raise members.MembershipError("only an admin device can invite or remove members")


def invite(ws: Workspace, role: str, label: str, mode: str = "hand") -> Invitation:
    """Record the invitation (admin-signed) and make the file for the joining device."""
    check_role(role)
    if mode not in MODES:
        raise InvitationError(f"unknown invitation mode {mode!r}: use {', '.join(MODES)}")
    _require_admin(ws)
    invite_id = secrets.token_hex(8)
    kind = MODES[mode]
    if kind == NETWORK:
        from spake2 import SPAKE2_A

        code = _code()
        pake = SPAKE2_A(code.encode(), idA=b"admin", idB=invite_id.encode())
        message = pake.start()
        secret = b""
        # The invitation's key is bound to the PAKE, which only the admitted device finishes.
        key_public = members.invite_signing_key(new_key())[0]
        pending = Pending(kind, role, label, pake.serialize())
    else:
        code, message, secret = None, b"", new_key()
        key_public = members.invite_signing_key(secret)[0]
    body = {"kind": "invite", "invite": invite_id, "role": role, "label": label}
    body["key"] = key_public
    ws.append(MEMBERS, members.RTYPE, f"IN-{invite_id}", OP_PUT, body)
    if kind == NETWORK:
        ws.keyring.pending[invite_id] = msgspec.msgpack.encode(pending)
        ws._save_keyring(False)
    if kind == NETWORK:
        env = Envelope(VERSION, kind, invite_id, b"", message, b"")
        return Invitation(invite_id, _encode(env), None, code)
    sealed = seal(derive(secret, "invitation payload"), _payload(ws, invite_id, role, label))
    if kind == APART:
        env = Envelope(VERSION, kind, invite_id, b"", b"", sealed)
        return Invitation(invite_id, _encode(env), secret_text(secret), None)
    env = Envelope(VERSION, kind, invite_id, secret, b"", sealed)
    return Invitation(invite_id, _encode(env), None, None)


def _open_payload(key: bytes, sealed: bytes) -> Payload:
    try:
        signed = msgspec.msgpack.decode(unseal(key, sealed), type=Signed)
    except (SealBroken, msgspec.DecodeError, ValueError):
        raise InvitationError(
            "the invitation does not open with this secret (mistyped, or another invitation)"
        ) from None
    payload = msgspec.msgpack.decode(signed.payload, type=Payload)
    if not verify(payload.admin, _SIGN_CONTEXT + digest(signed.payload), signed.signature):
        raise InvitationError("the invitation's keys are not signed by its admin: refused")
    return payload


def _new_keyring(payload: Payload | None, role: str) -> Keyring:
    keyring = Keyring.new(created_ms=wall_ms(Clock().tick()))
    keyring.role = role
    if payload is not None:
        keyring.workspace_id = payload.workspace_id
        keyring.workspace_secret = payload.workspace_secret
        keyring.epochs = {c: dict(e) for c, e in payload.epochs.items()}
    return keyring


def _start_member(
    path: Path, keyring: Keyring, passphrase: str, params: KdfParams | None, check: bool
) -> Workspace:
    from fieldledger.workspace import Workspace

    _fresh_folder(path)
    unlocked = vault.create(
        layout.keys_path(path), passphrase, params or calibrate(), keyring, check=check
    )
    return Workspace._start(path, unlocked, Clock(), fresh=True)


def _fresh_folder(path: Path) -> None:
    if path.exists() and any(path.iterdir()):
        raise WorkspaceError(f"{path} is not empty: choose a new folder for this device")
    path.mkdir(parents=True, exist_ok=True, mode=0o700)


def _take_payload(ws: Workspace, payload: Payload) -> None:
    """Import the invitation's bundle and check its keys were signed by an admin."""
    exchange.import_bundle(ws, payload.bundle)
    admin = members.member(ws.conn, payload.admin)
    if admin is None or not admin.active or admin.role != "admin":
        raise InvitationError("the invitation was not made by an admin of the workspace")


def join(
    path: Path | str,
    data: bytes,
    passphrase: str,
    *,
    secret: str | None = None,
    code: str | None = None,
    label: str = "device",
    params: KdfParams | None = None,
    check_strength: bool = True,
) -> Workspace | bytes:
    """Join with an invitation file. Returns the new device's workspace, or for a network
    invitation the reply file to send back to the admin (then `finish_join` the welcome)."""
    path = Path(path)
    env = read_envelope(data)
    if env.kind in (HAND, APART):
        if env.kind == APART and not secret:
            raise InvitationError("give the invitation secret shown by the admin (--code-file)")
        raw = env.secret if env.kind == HAND else secret_from_text(secret or "")
        payload = _open_payload(derive(raw, "invitation payload"), env.sealed)
        ws = _start_member(
            path, _new_keyring(payload, payload.role), passphrase, params, check_strength
        )
        try:
            _take_payload(ws, payload)
            signing = members.invite_signing_key(raw)[1]
            body = {"kind": "join", "invite": payload.invite, "box": ws.keyring.box_public}
            body["proof"] = members.join_proof(
                signing, ws.keyring.workspace_id, payload.invite, ws.device, ws.keyring.box_public
            )
            ws.append(MEMBERS, members.RTYPE, f"JN-{payload.invite}", OP_PUT, body)
        except BaseException:
            ws.close()
            raise
        return ws
    if env.kind != NETWORK:
        raise InvitationError("this file is not an invitation: give it to `join` only after one")
    if not code:
        raise InvitationError("give the code the admin told you (--code-file)")
    from spake2 import SPAKE2_B

    pake = SPAKE2_B(code.strip().lower().encode(), idA=b"admin", idB=env.invite.encode())
    message = pake.start()
    try:
        session = pake.finish(env.pake)
    except Exception:
        raise InvitationError("the invitation file is damaged") from None
    keyring = _new_keyring(None, "viewer")
    _fresh_folder(path)
    keyring.pending[_JOINING] = msgspec.msgpack.encode([env.invite, session])
    vault.create(
        layout.keys_path(path), passphrase, params or calibrate(), keyring, check=check_strength
    )
    joiner = Joiner(keyring.device_public, keyring.box_public, label)
    sealed = seal(derive(session, "join reply"), msgspec.msgpack.encode(joiner))
    return _encode(Envelope(VERSION, REPLY, env.invite, b"", message, sealed))


def admit(ws: Workspace, data: bytes) -> bytes:
    """The admin's half of a network invitation: check the reply, add the device, and
    return the welcome file."""
    _require_admin(ws)
    env = read_envelope(data)
    if env.kind != REPLY:
        raise InvitationError("this file is not a reply to an invitation")
    raw = ws.keyring.pending.get(env.invite)
    if raw is None:
        raise InvitationError("no open invitation matches this reply (used or cancelled)")
    pending = msgspec.msgpack.decode(raw, type=Pending)
    from spake2 import SPAKE2_A

    pake = SPAKE2_A.from_serialized(pending.pake)
    try:
        session = pake.finish(env.pake)
        joiner = msgspec.msgpack.decode(
            unseal(derive(session, "join reply"), env.sealed), type=Joiner
        )
    except Exception:
        # One guess per invitation: a wrong code burns it.
        del ws.keyring.pending[env.invite]
        ws._save_keyring(False)
        raise InvitationError(
            "the code did not match: the invitation is cancelled; make a new one and tell "
            "the code again, in person"
        ) from None
    label = joiner.label if joiner.label != "device" else pending.label
    ws.register_device(joiner.device, joiner.box, pending.role, label)
    sealed = seal(derive(session, "join welcome"), _payload(ws, env.invite, pending.role, label))
    del ws.keyring.pending[env.invite]
    ws._save_keyring(False)
    return _encode(Envelope(VERSION, WELCOME, env.invite, b"", b"", sealed))


def finish_join(path: Path | str, data: bytes, passphrase: str) -> Workspace:
    """The joining device takes in the admin's welcome file."""
    from fieldledger.workspace import Workspace

    path = Path(path)
    env = read_envelope(data)
    if env.kind != WELCOME:
        raise InvitationError("this file is not a welcome from the admin")
    unlocked = vault.unlock(layout.keys_path(path), passphrase)
    joining = unlocked.keyring.pending.get(_JOINING)
    if joining is None:
        raise InvitationError("this device is not waiting to join a workspace")
    invite_id, session = msgspec.msgpack.decode(joining)
    if invite_id != env.invite:
        raise InvitationError("this welcome answers another invitation")
    payload = _open_payload(derive(session, "join welcome"), env.sealed)
    keyring = unlocked.keyring
    keyring.workspace_id = payload.workspace_id
    keyring.workspace_secret = payload.workspace_secret
    keyring.epochs = {c: dict(e) for c, e in payload.epochs.items()}
    keyring.role = payload.role
    del keyring.pending[_JOINING]
    vault.save_keyring(unlocked)
    ws = Workspace._start(path, unlocked, Clock(), fresh=True)
    try:
        _take_payload(ws, payload)
        if members.member(ws.conn, ws.device) is None:
            raise InvitationError("the welcome does not add this device: ask the admin again")
    except BaseException:
        ws.close()
        raise
    return ws


def joining(keyring: Keyring) -> bool:
    """Whether a device has sent its reply and waits for the admin's welcome."""
    return _JOINING in keyring.pending
