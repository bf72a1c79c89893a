"""Server-side sessions: a random token in a cookie, everything else in the server's memory.

A session locks after `idle_s` without a request (default 10 minutes) and ends after
`max_s` whatever happens (12 hours). Each carries its own CSRF token, which every form posts
back. Nothing about a session is written to disk: a restart of `serve` logs everyone out.
"""

from __future__ import annotations

import hmac
import secrets
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field, replace

IDLE_S = 10 * 60
MAX_S = 12 * 60 * 60
COOKIE = "fl_session"


@dataclass(frozen=True)
class Session:
    token: str
    account: str
    role: str
    lang: str
    csrf: str
    started: float
    seen: float

    def csrf_ok(self, sent: str | None) -> bool:
        return sent is not None and hmac.compare_digest(sent.encode(), self.csrf.encode())


@dataclass
class Sessions:
    idle_s: float = IDLE_S
    max_s: float = MAX_S
    clock: Callable[[], float] = time.monotonic
    _live: dict[str, Session] = field(default_factory=dict)
    _notes: dict[str, str] = field(default_factory=dict)  # one line for the next page
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def start(self, account: str, role: str, lang: str) -> Session:
        now = self.clock()
        session = Session(
            secrets.token_urlsafe(32), account, role, lang, secrets.token_urlsafe(32), now, now
        )
        with self._lock:
            self._prune(now)
            self._live[session.token] = session
        return session

    def get(self, token: str | None) -> Session | None:
        """The live session of `token`, marked as seen now; None when unknown or locked."""
        if not token:
            return None
        now = self.clock()
        with self._lock:
            session = self._live.get(token)
            if session is None:
                return None
            if now - session.seen > self.idle_s or now - session.started > self.max_s:
                del self._live[token]
                return None
            session = replace(session, seen=now)
            self._live[token] = session
            return session

    def set_lang(self, token: str, lang: str) -> None:
        with self._lock:
            if token in self._live:
                self._live[token] = replace(self._live[token], lang=lang)

    def tell(self, token: str, note: str) -> None:
        """A line for the next page this session opens ("saved", "refused: ...")."""
        with self._lock:
            if token in self._live:
                self._notes[token] = note

    def told(self, token: str) -> str | None:
        with self._lock:
            return self._notes.pop(token, None)

    def end(self, token: str | None) -> None:
        with self._lock:
            self._live.pop(token or "", None)
            self._notes.pop(token or "", None)

    def end_account(self, account: str) -> int:
        """End every session of `account` (removed, or its role changed)."""
        with self._lock:
            gone = [t for t, s in self._live.items() if s.account == account]
            for token in gone:
                del self._live[token]
                self._notes.pop(token, None)
        return len(gone)

    def end_all(self) -> None:
        with self._lock:
            self._live.clear()
            self._notes.clear()

    def _prune(self, now: float) -> None:
        for token, s in list(self._live.items()):
            if now - s.seen > self.idle_s or now - s.started > self.max_s:
                del self._live[token]
                self._notes.pop(token, None)
