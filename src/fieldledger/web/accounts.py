"""Web accounts: the people who log in to `fieldledger serve` from a phone or another laptop.

An account is a name, a role (one of `sync.roles.ROLES`), a language and an Argon2id hash of
its password. Accounts live in this device's encrypted store, in a table of their own that
is never synced: they belong to the laptop that serves, and they never unwrap the vault —
the server, unlocked by its owner, acts for them within their role.

Every change is noted in the access log (`web-user add`, `web-user remove`, ...).
"""

from __future__ import annotations

import re
import time
import unicodedata
from dataclasses import dataclass

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError

from fieldledger.errors import AccountError
from fieldledger.i18n import LANGUAGES
from fieldledger.sync.roles import ROLES, check_role
from fieldledger.vault.passphrase import check_strength
from fieldledger.vault.store import run_script
from fieldledger.workspace import Workspace

SCHEMA = """
CREATE TABLE IF NOT EXISTS web_users (
    name TEXT PRIMARY KEY, role TEXT NOT NULL, lang TEXT NOT NULL, hash TEXT NOT NULL,
    created INTEGER NOT NULL, disabled INTEGER NOT NULL DEFAULT 0
) WITHOUT ROWID;
"""

# OWASP's Argon2id minimum (19 MiB, 2 passes): a login costs the server about 30 ms, and the
# rate limits (web.limits) stop guessing long before the hash's cost matters. The hashes sit
# inside the encrypted store, so an attacker with the disk needs the vault first.
HASHER = PasswordHasher(time_cost=2, memory_cost=19 * 1024, parallelism=1)
NAME = re.compile(r"^[a-z0-9][a-z0-9._-]{1,31}$")
# Verified when a name is unknown, so that a wrong name costs as long as a wrong password.
_DUMMY = HASHER.hash("not a password of anyone")


@dataclass(frozen=True)
class WebUser:
    name: str
    role: str
    lang: str
    created: int
    disabled: bool

    @property
    def compartments(self) -> tuple[str, ...]:
        return ROLES[self.role]


def _ensure(ws: Workspace) -> None:
    run_script(ws.conn, SCHEMA)


def check_name(name: str) -> str:
    name = unicodedata.normalize("NFC", name).strip().lower()
    if not NAME.match(name):
        raise AccountError(
            f"account name {name!r}: use 2 to 32 letters a-z, digits, dots, dashes or "
            "underscores, starting with a letter or digit"
        )
    return name


def check_lang(lang: str) -> str:
    if lang not in LANGUAGES:
        raise AccountError(f"language {lang!r}: use one of {', '.join(LANGUAGES)}")
    return lang


def _row(row: tuple) -> WebUser:
    name, role, lang, created, disabled = row
    return WebUser(name, role, lang, created, bool(disabled))


def add_user(ws: Workspace, name: str, role: str, password: str, *, lang: str = "en") -> WebUser:
    """A new account. The password is checked for strength like a passphrase."""
    name, lang = check_name(name), check_lang(lang)
    check_role(role)
    check_strength(password)
    _ensure(ws)
    if find_user(ws, name, include_disabled=True) is not None:
        raise AccountError(f"there is already a web account named {name}")
    digest = HASHER.hash(unicodedata.normalize("NFC", password))
    with ws.transaction():
        ws.conn.execute(
            "INSERT INTO web_users VALUES (?, ?, ?, ?, ?, 0)",
            (name, role, lang, digest, int(time.time())),
        )
        ws.note("web-user add", f"{name} ({role})")
    return WebUser(name, role, lang, int(time.time()), False)


def find_user(ws: Workspace, name: str, *, include_disabled: bool = False) -> WebUser | None:
    _ensure(ws)
    row = ws.conn.execute(
        "SELECT name, role, lang, created, disabled FROM web_users WHERE name = ?", (name,)
    ).fetchone()
    if row is None or (row[4] and not include_disabled):
        return None
    return _row(row)


def get_user(ws: Workspace, name: str) -> WebUser:
    user = find_user(ws, check_name(name), include_disabled=True)
    if user is None:
        raise AccountError(f"there is no web account named {name}")
    return user


def list_users(ws: Workspace) -> list[WebUser]:
    _ensure(ws)
    rows = ws.conn.execute(
        "SELECT name, role, lang, created, disabled FROM web_users ORDER BY name"
    )
    return [_row(r) for r in rows]


def password_hash(ws: Workspace, name: str) -> str | None:
    """The stored hash of an active account (None: no such account, or removed)."""
    _ensure(ws)
    row = ws.conn.execute(
        "SELECT hash FROM web_users WHERE name = ? AND disabled = 0", (name,)
    ).fetchone()
    return row[0] if row else None


def check_password(digest: str | None, password: str) -> bool:
    """Whether `password` matches `digest`. Runs without the workspace (the caller read the
    hash under the lock and hashes outside it). An unknown account costs the same time."""
    typed = unicodedata.normalize("NFC", password)
    try:
        return HASHER.verify(digest or _DUMMY, typed) and digest is not None
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        return False


def set_password(ws: Workspace, name: str, password: str) -> None:
    user = get_user(ws, name)
    check_strength(password)
    with ws.transaction():
        ws.conn.execute(
            "UPDATE web_users SET hash = ? WHERE name = ?",
            (HASHER.hash(unicodedata.normalize("NFC", password)), user.name),
        )
        ws.note("web-user password", user.name)


def set_role(ws: Workspace, name: str, role: str) -> None:
    user = get_user(ws, name)
    check_role(role)
    with ws.transaction():
        ws.conn.execute("UPDATE web_users SET role = ? WHERE name = ?", (role, user.name))
        ws.note("web-user role", f"{user.name} ({role})")


def set_lang(ws: Workspace, name: str, lang: str) -> None:
    check_lang(lang)
    with ws.transaction():
        ws.conn.execute("UPDATE web_users SET lang = ? WHERE name = ?", (lang, name))


def remove_user(ws: Workspace, name: str) -> None:
    """Disable the account for good: it can no longer log in, and its sessions and phone
    tokens stop working. The name stays taken, so the access log keeps meaning one person."""
    user = get_user(ws, name)
    if user.disabled:
        raise AccountError(f"the web account {user.name} was already removed")
    with ws.transaction():
        ws.conn.execute("UPDATE web_users SET disabled = 1, hash = '' WHERE name = ?", (user.name,))
        ws.note("web-user remove", user.name)
