"""Argon2id: from a passphrase to the key that opens a passphrase slot."""

from __future__ import annotations

import struct
import time
from dataclasses import dataclass

from argon2.low_level import Type, hash_secret_raw

MIN_MEMORY_KIB = 256 * 1024
TARGET_SECONDS = 1.0
PARALLELISM = 2


@dataclass(frozen=True)
class KdfParams:
    """Argon2id cost, stored beside the slots so every unlock uses what init measured."""

    time_cost: int
    memory_kib: int
    parallelism: int = PARALLELISM

    PACKED = struct.Struct(">IIB")

    def pack(self) -> bytes:
        return self.PACKED.pack(self.time_cost, self.memory_kib, self.parallelism)

    @classmethod
    def unpack(cls, raw: bytes) -> KdfParams:
        t, m, p = cls.PACKED.unpack(raw)
        return cls(t, m, p)


# Only for the test suite and benchmarks: lets a test unlock in milliseconds. `init` refuses
# it unless asked for by its explicit, hidden option.
TEST_PARAMS = KdfParams(time_cost=1, memory_kib=8 * 1024, parallelism=1)


def derive_kek(passphrase: bytes, salt: bytes, params: KdfParams) -> bytes:
    return hash_secret_raw(
        secret=passphrase,
        salt=salt,
        time_cost=params.time_cost,
        memory_cost=params.memory_kib,
        parallelism=params.parallelism,
        hash_len=32,
        type=Type.ID,
    )


def calibrate(target: float = TARGET_SECONDS, memory_kib: int = MIN_MEMORY_KIB) -> KdfParams:
    """Pick the time cost that makes one derivation take about `target` seconds here.

    Memory stays at the floor (256 MiB): cheap laptops in the field have little to spare, and
    time cost scales the attacker's work just as well once memory-hardness is in place.
    """
    probe = KdfParams(time_cost=1, memory_kib=memory_kib)
    start = time.perf_counter()
    derive_kek(b"calibration", b"\0" * 16, probe)
    one = max(time.perf_counter() - start, 1e-3)
    return KdfParams(time_cost=max(1, round(target / one)), memory_kib=memory_kib)
