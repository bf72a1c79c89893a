"""Recovery kit: a secret split into word lists that restores a workspace on a new device.

The kit's secret derives two key pairs: an X25519 pair to which every bundle seals the
workspace keys the sending device holds (the bundle's recovery stanza), and an Ed25519 pair
registered as an admin member, so a restored device can be added to the workspace by a
signature others accept. The kit unwraps: the workspace id and secret, and the compartment
epoch keys of every epoch the sending device holds. It never unwraps a per-person key: those
travel inside bundles, and a forgotten person's key is in none made after the forget.

How a kit is made (`create_kit`, admin only): 16 random bytes (the master secret) are split
with SLIP-39 (`shamir-mnemonic`, one group, threshold-of-shares, its optional passphrase)
into word lists to write down. From the master secret, BLAKE2b with distinct purposes
derives the X25519 secret, and — bound to the workspace id — the Ed25519 seed. The admin's
`recovery` members event registers both public keys under a new kit id; the master secret
and the derived secrets exist only in memory, never on disk or in the log.

How a restore works (`restore`): enough shares give the master secret again; its X25519
secret opens the stanza of a bundle made after the kit (the workspace id and secret, the
epoch keys); a NEW device is built from those keys (new identity, database key and
record-key key; role admin) and takes in the bundle; then the kit's identity, found
registered in the bundle's own membership log for exactly this workspace id (so a forged
bundle cannot pass for the workspace), signs an `add` of the new device as the first event
of its own `members` chain, and other devices accept the new device through it. A second
restore from the same kit would write another first event in that chain: a fork. It is
refused when the bundle shows the kit already signed; an admin makes a new kit after every
restore (and after every revocation: the old kit does not reach the keys of epochs started
after the new kit exists).

Per-person keys: the restored device gets those of the people whose records the bundle
carries (a bundle holds the record keys of the people in it, never a forgotten person's).
"""

from __future__ import annotations

import contextlib
import re
import shutil
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import msgspec

from fieldledger.crypto import box_public_key, derive, new_key, random_bytes, sign_key_pair
from fieldledger.errors import LedgerError, VerificationError, WorkspaceError
from fieldledger.ledger import store as log
from fieldledger.ledger.event import (
    FORMAT,
    GENESIS,
    OP_PUT,
    Event,
    body_ad,
    encode,
    event_hash,
    seal_body,
    sign_hash,
)
from fieldledger.sync import bundle, members
from fieldledger.sync.roles import MEMBERS

if TYPE_CHECKING:
    from shamir_mnemonic import Share

    from fieldledger.vault.kdf import KdfParams
    from fieldledger.workspace import Workspace

MASTER_BYTES = 16
MAX_SHARES = 16  # SLIP-39's limit
KIT_LABEL = "recovery kit"  # the label `members._on_recovery` gives the kit's identity
_BOX_PURPOSE = "fieldledger recovery kit x25519 v1"
_SIGN_PURPOSE = "fieldledger recovery kit ed25519 v1 "


class RecoveryError(LedgerError):
    """A kit cannot be made or used: wrong or too few shares, a bundle this kit cannot open,
    a kit already used for a restore."""

    exit_code = 4


class RecoveredKeys(msgspec.Struct, array_like=True, frozen=True):
    kit: str
    workspace_id: bytes
    workspace_secret: bytes
    epochs: dict[str, dict[int, bytes]]


@dataclass(frozen=True)
class Kit:
    """A kit as made: its id, how many shares restore, and each share's words (space
    separated). Shown once and never stored: write each share down."""

    kit: str
    threshold: int
    shares: tuple[str, ...]

    def words(self, n: int) -> list[str]:
        """The words of share `n` (from 1)."""
        return self.shares[n - 1].split()


@dataclass(frozen=True)
class _KitKeys:
    box_secret: bytes
    sign_seed: bytes

    @classmethod
    def derive(cls, master: bytes, workspace_id: bytes) -> _KitKeys:
        # The signing key is bound to the workspace id: only an admin of the real workspace
        # can have registered it there, so a forged bundle cannot pass for the workspace.
        return cls(derive(master, _BOX_PURPOSE), derive(master, _SIGN_PURPOSE + workspace_id.hex()))

    @property
    def box_public(self) -> bytes:
        return box_public_key(self.box_secret)

    @property
    def device(self) -> bytes:
        return sign_key_pair(self.sign_seed)[0]

    @property
    def sign_secret(self) -> bytes:
        return sign_key_pair(self.sign_seed)[1]


# -- the stanza every bundle carries ------------------------------------------------------


def current_kit(ws: Workspace) -> tuple[str, bytes] | None:
    """(kit id, X25519 public key) of the newest recovery kit, unless none was made or its
    identity was revoked (bundles then carry random bytes until an admin makes a new kit)."""
    row = ws.conn.execute(
        "SELECT r.kit, r.box FROM recovery_kits r JOIN members m ON m.device = r.device"
        " WHERE m.status = 'active' ORDER BY r.made DESC LIMIT 1"
    ).fetchone()
    return (row[0], row[1]) if row else None


def stanza_for(ws: Workspace) -> bytes:
    kit = current_kit(ws)
    if kit is None:
        return bundle.random_stanza()
    epochs = dict(ws.keyring.epochs)
    keys = RecoveredKeys(kit[0], ws.keyring.workspace_id, ws.keyring.workspace_secret, epochs)
    encoded = msgspec.msgpack.encode(keys)
    while len(encoded) > bundle.STANZA_BYTES - 100:
        # Many revocations: keep the newest epochs (old events stay readable on replicas).
        epochs = {c: dict(sorted(e.items())[1:]) or e for c, e in epochs.items()}
        encoded = msgspec.msgpack.encode(msgspec.structs.replace(keys, epochs=epochs))
    return bundle.seal_stanza(kit[1], encoded)


# -- making a kit -------------------------------------------------------------------------


def _require_admin(ws: Workspace) -> None:
    me = members.member(ws.conn, ws.device)
    if me is None or not me.active or me.role != "admin":
        raise RecoveryError("only an admin device can make a recovery kit")


def _check_split(shares: int, threshold: int) -> None:
    if not 1 <= shares <= MAX_SHARES:
        raise RecoveryError(f"a kit has 1 to {MAX_SHARES} shares, not {shares}")
    if not 1 <= threshold <= shares:
        raise RecoveryError(f"the threshold must be between 1 and the {shares} shares")
    if threshold == 1 and shares > 1:
        raise RecoveryError(
            "a threshold of 1 makes every share the whole secret: use --threshold 2 or more "
            "(or one share)"
        )


def _passphrase_bytes(passphrase: str) -> bytes:
    if not all(32 <= ord(c) <= 126 for c in passphrase):
        raise RecoveryError(
            "a kit's passphrase may hold only unaccented Latin letters, digits, spaces and "
            "ASCII punctuation (a rule of SLIP-39)"
        )
    return passphrase.encode("ascii")


def create_kit(ws: Workspace, shares: int = 3, threshold: int = 2, passphrase: str = "") -> Kit:
    """Make a recovery kit: `shares` word lists, any `threshold` of which (with the
    passphrase, if one is given) restore the workspace on a new device. Registers the kit
    (admin-signed `recovery` event); bundles made from then on carry a stanza for it, and an
    older kit's identity is retired."""
    import shamir_mnemonic

    from fieldledger.workspace import new_id

    _require_admin(ws)
    _check_split(shares, threshold)
    phrase = _passphrase_bytes(passphrase)
    master = random_bytes(MASTER_BYTES)
    groups = shamir_mnemonic.generate_mnemonics(1, [(threshold, shares)], master, phrase)
    keys = _KitKeys.derive(master, ws.keyring.workspace_id)
    del master
    kit_id = new_id("RK")
    body = {"kind": "recovery", "kit": kit_id, "device": keys.device, "box": keys.box_public}
    with ws.transaction():
        ws.append(MEMBERS, members.RTYPE, new_id("MB"), OP_PUT, body)
        ws.note("recovery-kit", kit_id)
    return Kit(kit_id, threshold, tuple(groups[0]))


def check_share_folder(folder: Path | str, shares: int) -> list[Path]:
    """The share files to write in `folder`; refused if any exists (check before making
    the kit, so a kit is never registered whose shares could not be written)."""
    folder = Path(folder)
    paths = [folder / f"share-{n}.txt" for n in range(1, shares + 1)]
    taken = [p.name for p in paths if p.exists()]
    if taken:
        raise WorkspaceError(f"{folder} already holds {', '.join(taken)}: choose another folder")
    if folder.exists() and not folder.is_dir():
        raise WorkspaceError(f"{folder} is a file: give a folder for the shares")
    return paths


def write_share_files(kit: Kit, folder: Path | str) -> list[Path]:
    """share-1.txt, share-2.txt, … in `folder` (owner-only files), each a comment line and
    the share's words. For scripts: a share on disk is as secret as the words on paper."""
    from fieldledger.files import write_atomic

    folder = Path(folder)
    paths = check_share_folder(folder, len(kit.shares))
    try:
        folder.mkdir(parents=True, exist_ok=True, mode=0o700)
    except OSError as exc:
        raise WorkspaceError(f"cannot make {folder}: {exc.strerror}") from None
    for n, path in enumerate(paths, start=1):
        head = (
            f"# fieldledger recovery kit {kit.kit}, share {n} of {len(kit.shares)}; "
            f"any {kit.threshold} restore the workspace\n"
        )
        write_atomic(path, (head + kit.shares[n - 1] + "\n").encode("ascii"))
    return paths


# -- combining shares ---------------------------------------------------------------------


def share_words(text: str) -> str:
    """One share's words as written down: lines starting with # dropped, numbers and
    punctuation ignored, lower case, single spaces."""
    words = []
    for line in text.splitlines():
        if line.lstrip().startswith("#"):
            continue
        words += [w for w in re.split(r"[\s,;:.()\[\]]+", line.lower()) if w and not w.isdigit()]
    return " ".join(words)


def _parse_share(n: int, text: str) -> Share:
    from shamir_mnemonic import MnemonicError, Share
    from shamir_mnemonic.wordlist import WORD_INDEX_MAP

    words = share_words(text)
    if not words:
        raise RecoveryError(f"share {n} holds no words")
    for position, word in enumerate(words.split(), start=1):
        if word not in WORD_INDEX_MAP:
            raise RecoveryError(
                f"share {n}, word {position}: {word!r} is not in the recovery word list "
                "(check its spelling)"
            )
    try:
        return Share.from_mnemonic(words)
    except MnemonicError as exc:
        count = len(words.split())
        if "length" in str(exc):
            raise RecoveryError(
                f"share {n} has {count} words, which no share has (a share of a fieldledger "
                "kit has 20): a word is missing or extra"
            ) from None
        raise RecoveryError(
            f"share {n}: its words do not check out (a word is wrong, missing or out of "
            "order): compare it with the written share"
        ) from None


def shares_needed(text: str) -> int:
    """How many shares the kit of this share needs (its threshold)."""
    return _parse_share(1, text).member_threshold


def combine(mnemonics: Sequence[str], passphrase: str = "") -> bytes:
    """The kit's master secret from enough of its shares (extra shares are fine).

    A wrong kit passphrase cannot be told here (SLIP-39 gives another secret for it): it
    shows when the secret opens no bundle.
    """
    from shamir_mnemonic import MnemonicError, combine_mnemonics

    phrase = _passphrase_bytes(passphrase)
    by_index: dict[int, tuple[int, Share]] = {}
    first = None
    for n, text in enumerate(mnemonics, start=1):
        share = _parse_share(n, text)
        if first is None:
            first = share
        elif share.group_parameters() != first.group_parameters():
            raise RecoveryError(
                f"share {n} belongs to another kit than share 1 (their first words differ): "
                "give shares of one kit"
            )
        if share.index in by_index:
            earlier, held = by_index[share.index]
            if held != share:
                raise RecoveryError(
                    f"shares {earlier} and {n} are two versions of the same share: one of "
                    "them has a wrong word"
                )
            continue
        by_index[share.index] = (n, share)
    if first is None:
        raise RecoveryError("no shares given")
    if first.group_count != 1 or first.group_threshold != 1:
        raise RecoveryError("these shares were not made by fieldledger (they use several groups)")
    need = first.member_threshold
    if len(by_index) < need:
        raise RecoveryError(
            f"this kit needs {need} different shares and {len(by_index)} "
            f"{'was' if len(by_index) == 1 else 'were'} given: ask another holder for theirs"
        )
    chosen = [share.mnemonic() for _, share in list(by_index.values())[:need]]
    try:
        return combine_mnemonics(chosen, phrase)
    except MnemonicError:
        raise RecoveryError(
            "the shares do not fit together: one was changed, or they come from different kits"
        ) from None


# -- restoring ----------------------------------------------------------------------------


def _open_for_restore(master: bytes, data: bytes) -> tuple[RecoveredKeys, _KitKeys, bundle.Payload]:
    parsed = bundle.parse(data)
    plain = bundle.open_stanza(derive(master, _BOX_PURPOSE), parsed.stanza)
    if plain is None:
        raise RecoveryError(
            "this kit cannot open the bundle: this bundle was made before this kit, or for "
            "another workspace (or the kit's passphrase is wrong)"
        )
    try:
        recovered = msgspec.msgpack.decode(plain, type=RecoveredKeys)
    except (msgspec.DecodeError, ValueError):
        raise RecoveryError("the bundle's recovery stanza is damaged: nothing restored") from None
    keys = _KitKeys.derive(master, recovered.workspace_id)
    members_key = recovered.epochs.get(MEMBERS, {}).get(parsed.epoch)
    if members_key is None:
        raise RecoveryError(
            "the bundle's recovery stanza lacks the keys of the bundle itself: nothing restored"
        )
    payload, _ = bundle.open_bundle(members_key, parsed)
    if payload.recipient is not None:
        raise RecoveryError(
            "this bundle was made for one device (sync export --for) and holds only what that "
            "device lacked: restore from a bundle made for anyone (sync export without --for)"
        )
    if any(author == keys.device for author, *_ in payload.frontier):
        raise _already_used()
    return recovered, keys, payload


def _already_used() -> RecoveryError:
    return RecoveryError(
        "this kit was already used to restore a device (its identity has signed in the "
        "workspace); a second restore would fork it: restore with the shares of the kit an "
        "admin made after that restore"
    )


def _new_keyring(recovered: RecoveredKeys, created_ms: int):
    from fieldledger.vault.keyring import Keyring

    return Keyring(
        workspace_id=recovered.workspace_id,
        workspace_secret=recovered.workspace_secret,
        db_key=new_key(),
        device_seed=new_key(),
        box_secret=new_key(),
        epochs={c: dict(e) for c, e in recovered.epochs.items()},
        person_kek_id=1,
        person_keks={1: new_key()},
        slots={},
        created_ms=created_ms,
        role="admin",
    )


def _check_kit_registered(ws: Workspace, keys: _KitKeys, kit_id: str) -> None:
    """The kit's identity must be registered, by an admin, in this workspace's own log."""
    row = ws.conn.execute(
        "SELECT kit, box FROM recovery_kits WHERE device = ?", (keys.device,)
    ).fetchone()
    if row is None or row[0] != kit_id or row[1] != keys.box_public:
        raise RecoveryError(
            "the bundle's workspace never registered this kit (a forged bundle?): nothing restored"
        )
    kit = members.member(ws.conn, keys.device)
    if kit is None or not kit.active or kit.role != "admin":
        raise RecoveryError(
            "this kit was replaced by a newer one: restore with the shares of the newest kit"
        )
    if log.tip(ws.conn, keys.device, MEMBERS) is not None:
        raise _already_used()


def _sign_add(ws: Workspace, keys: _KitKeys, label: str) -> None:
    """The kit's identity adds the new device: the first event of the kit's own chain."""
    from fieldledger.workspace import new_id

    body = {"kind": "add", "device": ws.device, "box": ws.keyring.box_public, "role": "admin"}
    body.update(label=label, set=members.member_set_hash(ws.conn), keys={}, epoch=0)
    workspace = ws.keyring.workspace_id
    epoch = ws.keyring.current_epoch(MEMBERS)
    rid = new_id("MB")
    ad = body_ad(workspace, keys.device, MEMBERS, epoch, 1, members.RTYPE, rid, OP_PUT)
    sealed = seal_body(ws.keyring.epochs[MEMBERS][epoch], body, ad)
    ev = Event(
        FORMAT,
        workspace,
        keys.device,
        MEMBERS,
        epoch,
        1,
        GENESIS,
        ws.clock.tick(),
        members.RTYPE,
        rid,
        OP_PUT,
        (),
        sealed,
    )
    raw = encode(ev)
    ws.ingest([(raw, sign_hash(keys.sign_secret, event_hash(raw)))])


def restore(
    path: Path | str,
    new_passphrase: str,
    mnemonics: Sequence[str],
    bundle_data: bytes | Sequence[bytes],
    *,
    passphrase: str = "",
    params: KdfParams | None = None,
    check_strength: bool = True,
    label: str = "restored",
) -> Workspace:
    """Rebuild a workspace in `path` (new or empty) on this device from enough shares of the
    newest kit and a bundle made after that kit (a file, or a relay's copy), under
    `new_passphrase`. The device is new (its own identity, role admin), added by the kit's
    signature. Nothing is left in `path` if the restore fails."""
    from fieldledger.ledger.hlc import Clock, wall_ms
    from fieldledger.vault import layout, vault
    from fieldledger.vault.kdf import calibrate
    from fieldledger.workspace import Workspace

    path = Path(path)
    master = combine(mnemonics, passphrase)
    bundles = [bundle_data] if isinstance(bundle_data, bytes) else list(bundle_data)
    if not bundles:
        raise RecoveryError("give at least one bundle to restore from")
    # The newest bundle the kit opens holds the newest keys; every bundle goes in after it.
    opened, refusal = [], None
    for data in bundles:
        try:
            opened.append(_open_for_restore(master, data))
        except RecoveryError as exc:
            refusal = exc
    if not opened:
        assert refusal is not None
        raise refusal
    recovered, keys, _ = max(opened, key=lambda o: o[2].made_ms)
    del master
    if path.exists() and (not path.is_dir() or any(path.iterdir())):
        raise WorkspaceError(f"{path} is not empty: choose a new folder for the workspace")
    made = not path.exists()
    params = params or calibrate()
    ws = None
    try:
        path.mkdir(parents=True, exist_ok=True, mode=0o700)
        clock = Clock()
        keyring = _new_keyring(recovered, wall_ms(clock.tick()))
        unlocked = vault.create(
            layout.keys_path(path), new_passphrase, params, keyring, check=check_strength
        )
        ws = Workspace._start(path, unlocked, clock, fresh=True)
        _take_in(ws, bundles)
        _check_kit_registered(ws, keys, recovered.kit)
        with ws.transaction():
            _sign_add(ws, keys, label)
            ws.note("restore", recovered.kit)
    except BaseException:
        if ws is not None:
            ws.close()
        _remove(path, made)
        raise
    return ws


def _take_in(ws: Workspace, bundles: Sequence[bytes]) -> None:
    """Take in every bundle, each sender's in the order they were made; a bundle that
    continues a chain another one starts is tried again once that one is in."""
    from fieldledger.sync import exchange

    waiting = list(bundles)
    gap: VerificationError | None = None
    while waiting:
        left = []
        for data in waiting:
            try:
                exchange.import_bundle(ws, data, alarm_on_replay=False, any_age=True)
            except VerificationError as exc:
                if "does not continue its chain" not in str(exc):
                    raise
                gap = exc
                left.append(data)
            except bundle.BundleError as exc:
                if "replay" not in str(exc):
                    raise
        if len(left) == len(waiting):
            raise RecoveryError(
                "the bundles hold only the latest events (made for devices that had the "
                "rest): restore from a full bundle (sync export --full), or from every bundle "
                "a relay holds"
            ) from gap
        waiting = left


def _remove(path: Path, made: bool) -> None:
    if made:
        shutil.rmtree(path, ignore_errors=True)
        return
    for child in path.iterdir():
        with contextlib.suppress(OSError):
            shutil.rmtree(child) if child.is_dir() else child.unlink()
