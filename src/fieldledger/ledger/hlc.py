"""Hybrid logical clock: wall-clock milliseconds in the high bits, a counter in the low 16.

The physical part advances in whole seconds; the counter orders events within one.

Orders events across devices whose clocks disagree, while staying close to real time so a
person reading the log sees plausible dates.
"""

from __future__ import annotations

import time
from collections.abc import Callable

COUNTER_BITS = 16
COUNTER_MASK = (1 << COUNTER_BITS) - 1


def wall_ms(hlc: int) -> int:
    return hlc >> COUNTER_BITS


def pack(ms: int, counter: int = 0) -> int:
    return (ms << COUNTER_BITS) | counter


class Clock:
    def __init__(self, last: int = 0, now: Callable[[], float] = time.time) -> None:
        self.last = last
        self._now = now

    def tick(self) -> int:
        # Whole seconds, counted in milliseconds: events written in one second differ by
        # the counter alone, which keeps clocks cheap on the wire (sync/wire.py) and says no
        # more about when someone typed than the second.
        physical = int(self._now()) * 1000
        last_ms, counter = wall_ms(self.last), self.last & COUNTER_MASK
        if physical > last_ms:
            self.last = pack(physical)
        elif counter < COUNTER_MASK:
            self.last = pack(last_ms, counter + 1)
        else:
            self.last = pack(last_ms + 1)
        return self.last

    def observe(self, remote: int) -> None:
        """Move past an event received from another device."""
        if remote > self.last:
            self.last = remote
