from __future__ import annotations

import pytest

from fieldledger.errors import SlotError, WeakPassphrase, WrongPassphrase
from fieldledger.vault import vault
from fieldledger.vault.kdf import TEST_PARAMS
from fieldledger.vault.keyring import Keyring
from fieldledger.vault.passphrase import check_strength, normalise
from fieldledger.vault.slots import FILE_SIZE, SLOT_COUNT, SLOT_SIZE, SLOTS_OFFSET

STRONG = "orchid tractor velvet harbour quiet"
OTHER = "monsoon ledger bamboo copper whistle"


def make(tmp_path, passphrase=STRONG):
    return vault.create(tmp_path / "meta.bin", passphrase, TEST_PARAMS, Keyring.new(0))


def test_create_then_unlock_gives_back_the_keyring(tmp_path):
    made = make(tmp_path)
    opened = vault.unlock(tmp_path / "meta.bin", STRONG)
    assert opened.keyring.db_key == made.keyring.db_key
    assert opened.keyring.epochs == made.keyring.epochs
    assert (tmp_path / "meta.bin").stat().st_size == FILE_SIZE


def test_wrong_passphrase_is_refused_and_counted(tmp_path):
    make(tmp_path)
    with pytest.raises(WrongPassphrase):
        vault.unlock(tmp_path / "meta.bin", "not the passphrase at all")
    header, _ = vault.KeyFile(tmp_path / "meta.bin").read()
    assert header.failures == 1
    vault.unlock(tmp_path / "meta.bin", STRONG)
    header, _ = vault.KeyFile(tmp_path / "meta.bin").read()
    assert header.failures == 0


def test_repeated_failures_are_slowed(tmp_path):
    make(tmp_path)
    slept: list[float] = []
    for _ in range(5):
        with pytest.raises(WrongPassphrase):
            vault.unlock(tmp_path / "meta.bin", "guess", sleep=slept.append)
    # Three free tries, then waits that grow (the clock barely moves inside the test).
    assert len(slept) == 2 and 0 < slept[0] < slept[1]


def test_nfc_and_nfd_passphrases_open_the_same_slot(tmp_path):
    nfc = "မင်္ဂလာ café river lantern"
    import unicodedata

    make(tmp_path, nfc)
    vault.unlock(tmp_path / "meta.bin", unicodedata.normalize("NFD", nfc))
    assert normalise(nfc) == normalise(unicodedata.normalize("NFD", nfc))


@pytest.mark.parametrize("weak", ["", "short", "password1234", "aaaaaaaaaaaaaaaa"])
def test_weak_passphrases_are_refused(weak):
    with pytest.raises(WeakPassphrase):
        check_strength(weak)


def test_add_remove_change_slots(tmp_path):
    u = make(tmp_path)
    index = vault.add_slot(u, OTHER, label="coordinator")
    assert vault.unlock(tmp_path / "meta.bin", OTHER).slot == index
    with pytest.raises(SlotError):
        vault.add_slot(u, OTHER, label="again")  # already opens a slot
    vault.remove_slot(u, index)
    with pytest.raises(WrongPassphrase):
        vault.unlock(tmp_path / "meta.bin", OTHER)
    with pytest.raises(SlotError):
        vault.remove_slot(u, u.slot)  # the last normal slot
    vault.change(u, OTHER)
    with pytest.raises(WrongPassphrase):
        vault.unlock(tmp_path / "meta.bin", STRONG)
    assert vault.unlock(tmp_path / "meta.bin", OTHER).keyring.db_key == u.keyring.db_key


def test_slot_count_is_fixed_and_used_slots_look_like_unused_ones(tmp_path):
    u = make(tmp_path)
    before = (tmp_path / "meta.bin").read_bytes()
    vault.add_slot(u, OTHER, label="second")
    after = (tmp_path / "meta.bin").read_bytes()
    assert len(before) == len(after) == FILE_SIZE
    # Exactly one slot region changed; no byte pattern marks it as used.
    changed = [i for i in range(SLOT_COUNT)
               if before[SLOTS_OFFSET + i * SLOT_SIZE:SLOTS_OFFSET + (i + 1) * SLOT_SIZE]
               != after[SLOTS_OFFSET + i * SLOT_SIZE:SLOTS_OFFSET + (i + 1) * SLOT_SIZE]]
    assert len(changed) == 1


@pytest.mark.parametrize("with_duress", [False, True])
def test_all_slots_full_says_the_same_with_or_without_duress(tmp_path, with_duress):
    u = make(tmp_path)
    if with_duress:
        vault.add_slot(u, "pelican marble thunder quilt saffron", label="d", duress=True)
    words = ["amber", "basil", "cedar", "delta", "ember", "fjord", "grove", "heron"]
    for n in range(vault.NORMAL_SLOTS - 1):
        vault.add_slot(u, f"{words[n]} tractor velvet harbour {n}", label=str(n))
    with pytest.raises(SlotError, match=f"all {vault.NORMAL_SLOTS} passphrase slots"):
        vault.add_slot(u, "one more lantern window sparrow", label="x")


def test_adding_a_slot_never_tests_the_duress_passphrase(tmp_path):
    u = make(tmp_path)
    vault.add_slot(u, OTHER, label="d", duress=True)
    # Same as the duress passphrase: accepted like any new passphrase, and from then on the
    # normal slot wins, so nothing is destroyed and nothing is revealed.
    vault.add_slot(u, OTHER, label="coordinator")
    opened = vault.unlock(tmp_path / "meta.bin", OTHER)
    assert not opened.duress and opened.keyring.db_key == u.keyring.db_key


def test_keyring_survives_a_torn_write_of_one_area(tmp_path):
    u = make(tmp_path)
    vault.save_keyring(u)  # both areas now hold a keyring
    from fieldledger.vault.slots import AREA_SIZE, AREAS_OFFSET

    raw = bytearray((tmp_path / "meta.bin").read_bytes())
    start = AREAS_OFFSET + u.area * AREA_SIZE  # the newest area: tear it
    raw[start + 100:start + 200] = bytes(100)
    (tmp_path / "meta.bin").write_bytes(bytes(raw))
    assert vault.unlock(tmp_path / "meta.bin", STRONG).keyring.db_key == u.keyring.db_key


@pytest.mark.parametrize("phrase", ["မင်္ဂလာပါ မနက်ခင်း", "ကျေးဇူးတင်ပါတယ်"])
def test_short_burmese_sayings_are_refused(phrase):
    with pytest.raises(WeakPassphrase, match="words"):
        check_strength(phrase)


def test_several_unrelated_burmese_words_are_accepted():
    check_strength("မြစ် ကျောက် မီးအိမ် သစ်ပင် ကြယ်")


def test_the_program_never_confirms_that_a_duress_slot_exists(tmp_path):
    u = make(tmp_path)
    first = vault.add_slot(u, OTHER, label="d", duress=True)
    # Setting another replaces it, in its slot: no "already has one" answer.
    again = vault.add_slot(u, "lantern window sparrow copper delta", label="d", duress=True)
    assert again == first
    with pytest.raises(SlotError, match="not in use"):
        vault.remove_slot(u, first)  # answers like an unused slot
    vault.remove_duress(u)
    vault.remove_duress(u)  # silent when there is none
    assert all(s.kind == "normal" for s in u.keyring.slots.values())
