"""Passphrase slots over the key file: create, unlock, add, remove, change, destroy."""

from __future__ import annotations

import secrets
import time
from dataclasses import dataclass, field
from pathlib import Path

from fieldledger.crypto import new_key
from fieldledger.errors import SlotError, WrongPassphrase
from fieldledger.vault.kdf import KdfParams, derive_kek
from fieldledger.vault.keyring import Keyring, SlotInfo
from fieldledger.vault.passphrase import check_strength, normalise
from fieldledger.vault.slots import (
    KIND_DURESS,
    KIND_NORMAL,
    SLOT_COUNT,
    Header,
    KeyFile,
    SlotContent,
)

NORMAL_SLOTS = SLOT_COUNT - 1
# After this many failed unlocks in a row, each further try waits 2**(n - FREE_TRIES) s.
FREE_TRIES = 3
MAX_DELAY = 60


@dataclass
class Unlocked:
    """A vault opened by one slot. `duress` is True when a duress slot was entered: every
    slot has then been overwritten and the caller must build the decoy."""

    keyfile: KeyFile
    header: Header
    master: bytes
    slot: int
    keyring: Keyring
    generation: int = 0
    area: int = 0
    duress: bool = field(default=False)


def throttle_delay(failures: int, last_failure: int, now: float) -> float:
    if failures < FREE_TRIES:
        return 0.0
    wait = min(2 ** (failures - FREE_TRIES), MAX_DELAY)
    return max(0.0, last_failure + wait - now)


def create(
    path: Path,
    passphrase: str,
    params: KdfParams,
    keyring: Keyring,
    label: str = "owner",
    check: bool = True,
) -> Unlocked:
    """Write a new key file with one normal slot (at a random index) for `passphrase`."""
    if check:
        check_strength(passphrase)
    keyfile = KeyFile(path)
    header = keyfile.create(params)
    master = new_key()
    index = secrets.randbelow(SLOT_COUNT)
    kek = derive_kek(normalise(passphrase), header.salt, params)
    keyfile.write_slot(header, index, kek, SlotContent(KIND_NORMAL, master))
    keyring.slots = {index: SlotInfo("normal", label)}
    unlocked = Unlocked(keyfile, header, master, index, keyring, generation=0, area=1)
    save_keyring(unlocked)
    return unlocked


def unlock(path: Path, passphrase: str, *, sleep=time.sleep) -> Unlocked:
    keyfile = KeyFile(path)
    header, raw = keyfile.read()
    delay = throttle_delay(header.failures, header.last_failure, time.time())
    if delay > 0:
        sleep(delay)
    kek = derive_kek(normalise(passphrase), header.salt, header.params)
    opened = [(i, c) for i in range(SLOT_COUNT) if (c := keyfile.open_slot(header, raw, i, kek))]
    # A normal slot wins over a duress slot with the same passphrase: adding a slot must not
    # become a way to test guesses at the duress passphrase (see _kek_for_new).
    opened.sort(key=lambda found: found[1].kind != KIND_NORMAL)
    for index, content in opened[:1]:
        if content.kind == KIND_DURESS:
            keyfile.destroy()
            return Unlocked(keyfile, header, b"", index, None, duress=True)  # type: ignore[arg-type]
        area, body, generation = keyfile.read_keyring(raw, content.master)
        if header.failures:
            keyfile.record_failures(0, 0)
        return Unlocked(
            keyfile,
            header,
            content.master,
            index,
            Keyring.decode(body),
            generation=generation,
            area=area,
        )
    keyfile.record_failures(header.failures + 1, int(time.time()))
    raise WrongPassphrase("wrong passphrase: nothing was opened")


def save_keyring(unlocked: Unlocked, *, scrub: bool = False) -> None:
    """Write the keyring into the older area; with `scrub`, into both, so no copy of a
    destroyed key survives in the file."""
    for _ in range(2 if scrub else 1):
        unlocked.generation += 1
        unlocked.area = 1 - unlocked.area
        unlocked.keyfile.write_keyring(
            unlocked.master, unlocked.area, unlocked.generation, unlocked.keyring.encode()
        )


def _free_index(unlocked: Unlocked) -> int:
    slots = unlocked.keyring.slots
    normal = sum(1 for s in slots.values() if s.kind == "normal")
    # One slot is always kept back for a duress passphrase, whether or not one is set, so
    # "full" comes at the same count either way.
    if normal >= NORMAL_SLOTS:
        raise SlotError(f"all {NORMAL_SLOTS} passphrase slots are in use: remove one first")
    return secrets.choice([i for i in range(SLOT_COUNT) if i not in slots])


def _kek_for_new(unlocked: Unlocked, passphrase: str) -> bytes:
    check_strength(passphrase)
    kek = derive_kek(normalise(passphrase), unlocked.header.salt, unlocked.header.params)
    _, raw = unlocked.keyfile.read()
    # Only normal slots are compared: an answer about the duress slot would tell whoever
    # holds a real passphrase that a duress passphrase exists, and let them test guesses.
    for index, info in unlocked.keyring.slots.items():
        if info.kind != "normal":
            continue
        if unlocked.keyfile.open_slot(unlocked.header, raw, index, kek) is not None:
            raise SlotError("that passphrase already opens a slot: choose a different one")
    return kek


def add_slot(unlocked: Unlocked, passphrase: str, *, label: str, duress: bool = False) -> int:
    """Add a passphrase. A duress passphrase replaces any earlier one, in its slot, so the
    program never says whether one existed."""
    kek = _kek_for_new(unlocked, passphrase)
    if duress:
        index = _duress_index(unlocked)
        if index is None:
            index = secrets.choice(
                [i for i in range(SLOT_COUNT) if i not in unlocked.keyring.slots]
            )
        # A duress slot carries no key: a random master that opens nothing.
        content = SlotContent(KIND_DURESS, new_key())
    else:
        index = _free_index(unlocked)
        content = SlotContent(KIND_NORMAL, unlocked.master)
    unlocked.keyfile.write_slot(unlocked.header, index, kek, content)
    unlocked.keyring.slots[index] = SlotInfo("duress" if duress else "normal", label)
    save_keyring(unlocked)
    return index


def _duress_index(unlocked: Unlocked) -> int | None:
    return next((i for i, s in unlocked.keyring.slots.items() if s.kind == "duress"), None)


def remove_duress(unlocked: Unlocked) -> None:
    """Remove the duress passphrase if there is one; silent either way."""
    index = _duress_index(unlocked)
    if index is not None:
        unlocked.keyfile.clear_slot(index)
        del unlocked.keyring.slots[index]
        save_keyring(unlocked)


def remove_slot(unlocked: Unlocked, index: int) -> None:
    slots = unlocked.keyring.slots
    # A duress slot answers like an unused one: only remove_duress touches it.
    if index not in slots or slots[index].kind != "normal":
        raise SlotError(f"slot {index} is not in use")
    if [i for i, s in slots.items() if s.kind == "normal"] == [index]:
        raise SlotError("that is the last passphrase that opens this workspace: add another first")
    unlocked.keyfile.clear_slot(index)
    del slots[index]
    save_keyring(unlocked)


def change(unlocked: Unlocked, passphrase: str) -> None:
    """Replace the passphrase of the slot that was used to unlock."""
    kek = _kek_for_new(unlocked, passphrase)
    unlocked.keyfile.write_slot(
        unlocked.header, unlocked.slot, kek, SlotContent(KIND_NORMAL, unlocked.master)
    )
