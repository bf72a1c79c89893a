"""Login rate limits, checked before any password is hashed.

Two windows of failed attempts: per account (someone guessing one person's password from
many addresses) and per client address (one phone trying many names). A request over
either limit is refused at once, without hashing, so guessing costs the server nothing.
Successful logins do not count; a success clears its account's failures.

The counts live in memory: a restart of `serve` forgets them, which costs an attacker a
restart the owner would notice.
"""

from __future__ import annotations

import threading
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field

WINDOW_S = 15 * 60
PER_ACCOUNT = 5
PER_ADDRESS = 20


@dataclass
class LoginLimits:
    per_account: int = PER_ACCOUNT
    per_address: int = PER_ADDRESS
    window_s: float = WINDOW_S
    clock: Callable[[], float] = time.monotonic
    _accounts: dict[str, deque[float]] = field(default_factory=dict)
    _addresses: dict[str, deque[float]] = field(default_factory=dict)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def _recent(self, table: dict[str, deque[float]], key: str, now: float) -> deque[float]:
        times = table.get(key)
        if times is None:
            return deque()
        while times and times[0] <= now - self.window_s:
            times.popleft()
        if not times:
            del table[key]
        return times

    def wait(self, account: str, address: str) -> float:
        """Seconds until this account may try again from this address; 0: it may now."""
        now = self.clock()
        with self._lock:
            waits = [0.0]
            for table, key, limit in (
                (self._accounts, account, self.per_account),
                (self._addresses, address, self.per_address),
            ):
                times = self._recent(table, key, now)
                if len(times) >= limit:
                    waits.append(times[len(times) - limit] + self.window_s - now)
            return max(waits)

    def failed(self, account: str, address: str) -> None:
        now = self.clock()
        with self._lock:
            for table, key, limit in (
                (self._accounts, account, self.per_account),
                (self._addresses, address, self.per_address),
            ):
                times = table.setdefault(key, deque(maxlen=limit))
                times.append(now)

    def succeeded(self, account: str) -> None:
        with self._lock:
            self._accounts.pop(account, None)
