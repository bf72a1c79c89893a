"""Phone tokens: what ODK Collect carries in its server address to reach our forms.

Like ODK Central's app users, a phone is given an address with a secret in its path,
``http://HOST:PORT/odk/TOKEN``, and nothing else: no password prompt on the phone. A token
belongs to one web account and acts with that account's role *as it is now*: change the
role and the forms offered change; remove the account (`web-user remove`) and its tokens
stop working at once, because every use checks that the account is still active.

Only the SHA-256 of a token is stored, in this device's encrypted store, in a table that
never syncs (like the web accounts it belongs to). A token is shown once, by
`phone setup`, inside the QR code; `phone revoke` ends it.

A token allows only listing and downloading the forms and sending submissions, which are
end-to-end encrypted: whoever copies it from a phone can send forged submissions under that
account's name, and cannot read anything.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
import time
from dataclasses import dataclass
from typing import TYPE_CHECKING

from fieldledger.errors import AccountError
from fieldledger.vault.store import run_script

if TYPE_CHECKING:
    from fieldledger.workspace import Workspace

SCHEMA = """
CREATE TABLE IF NOT EXISTS odk_tokens (
    hash BLOB PRIMARY KEY, account TEXT NOT NULL, label TEXT NOT NULL,
    created INTEGER NOT NULL, revoked INTEGER NOT NULL DEFAULT 0
) WITHOUT ROWID;
"""

# 48 URL-safe characters, 288 bits: as long as Central's, and safe in a path.
TOKEN_BYTES = 36


@dataclass(frozen=True)
class Bearer:
    """Who a token speaks for, checked now."""

    account: str
    role: str
    token_id: str


@dataclass(frozen=True)
class PhoneToken:
    token_id: str  # the first 8 hex digits of its hash: to name it, never to use it
    account: str
    label: str
    created: int
    revoked: bool


def _ensure(ws: Workspace) -> None:
    run_script(ws.conn, SCHEMA)


def digest(token: str) -> bytes:
    return hashlib.sha256(token.encode("utf-8")).digest()


def issue(ws: Workspace, account: str, label: str = "") -> str:
    """A new token for an active web account; returned once, stored only as its hash."""
    from fieldledger.web.accounts import check_name, find_user

    name = check_name(account)
    user = find_user(ws, name)
    if user is None:
        raise AccountError(f"there is no active web account named {name}")
    _ensure(ws)
    token = secrets.token_urlsafe(TOKEN_BYTES)
    with ws.transaction():
        ws.conn.execute(
            "INSERT INTO odk_tokens VALUES (?, ?, ?, ?, 0)",
            (digest(token), name, label.strip()[:60], int(time.time())),
        )
        ws.note("phone token add", name)
    return token


def resolve(ws: Workspace, token: str) -> Bearer | None:
    """The account a token speaks for, or None: unknown, revoked, or its account removed."""
    from fieldledger.web.accounts import find_user

    if not token or len(token) > 200:
        return None
    _ensure(ws)
    wanted = digest(token)
    row = ws.conn.execute(
        "SELECT hash, account, revoked FROM odk_tokens WHERE hash = ?", (wanted,)
    ).fetchone()
    if row is None or row[2] or not hmac.compare_digest(row[0], wanted):
        return None
    user = find_user(ws, row[1])
    if user is None:  # removed: its tokens die with it
        return None
    return Bearer(user.name, user.role, row[0].hex()[:8])


def list_tokens(ws: Workspace) -> list[PhoneToken]:
    _ensure(ws)
    rows = ws.conn.execute(
        "SELECT hash, account, label, created, revoked FROM odk_tokens ORDER BY account, created"
    )
    return [PhoneToken(h.hex()[:8], a, lab, c, bool(r)) for h, a, lab, c, r in rows]


def revoke(ws: Workspace, which: str, *, account: str | None = None) -> int:
    """Revoke every token of account `which`, or the one token whose id is `which`; with
    `account`, only among that account's tokens. Returns how many were revoked."""
    _ensure(ws)
    which = which.strip().lower()
    rows = ws.conn.execute("SELECT hash, account FROM odk_tokens WHERE revoked = 0").fetchall()
    chosen = [
        h
        for h, owner in rows
        if (owner == which or h.hex()[:8] == which) and account in (None, owner)
    ]
    if not chosen:
        raise AccountError(f"no active phone token of account or with id {which!r}")
    with ws.transaction():
        ws.conn.executemany(
            "UPDATE odk_tokens SET revoked = 1 WHERE hash = ?", [(h,) for h in chosen]
        )
        ws.note("phone token revoke", which)
    return len(chosen)
