"""What a passphrase ultimately unlocks: every key a device holds, in one sealed structure."""

from __future__ import annotations

import msgspec

from fieldledger.crypto import box_public_key, new_key, random_bytes, sign_key_pair

COMPARTMENTS = (
    "people",
    "programme",
    "incidents",
    "finance",
    "org-security",
    "access-log",
    "members",
)


class SlotInfo(msgspec.Struct, array_like=True, frozen=True):
    kind: str  # "normal" or "duress"
    label: str


class Keyring(msgspec.Struct, kw_only=True):
    """Keys of one device in one workspace.

    `epochs` maps compartment -> epoch -> key; old epochs stay so old events stay readable.
    A device holds the `epochs` of its role's compartments only (`fieldledger.sync.roles`).
    `person_keks` wraps the per-person keys stored in the database; it holds two entries only
    while a rotation after `forget` is under way (see `fieldledger.vault.recordkeys`).
    """

    workspace_id: bytes
    workspace_secret: bytes
    db_key: bytes
    device_seed: bytes
    box_secret: bytes
    epochs: dict[str, dict[int, bytes]]
    person_kek_id: int
    person_keks: dict[int, bytes]
    slots: dict[int, SlotInfo]
    created_ms: int
    role: str = "admin"
    # Secrets of invitations this device made and that are not yet used (id -> state).
    pending: dict[str, bytes] = msgspec.field(default_factory=dict)

    @classmethod
    def new(cls, created_ms: int) -> Keyring:
        return cls(
            workspace_id=random_bytes(16),
            workspace_secret=new_key(),
            db_key=new_key(),
            device_seed=new_key(),
            box_secret=new_key(),
            epochs={c: {1: new_key()} for c in COMPARTMENTS},
            person_kek_id=1,
            person_keks={1: new_key()},
            slots={},
            created_ms=created_ms,
        )

    @property
    def device_public(self) -> bytes:
        return sign_key_pair(self.device_seed)[0]

    @property
    def device_secret(self) -> bytes:
        return sign_key_pair(self.device_seed)[1]

    @property
    def box_public(self) -> bytes:
        return box_public_key(self.box_secret)

    def current_epoch(self, compartment: str) -> int:
        return max(self.epochs[compartment])

    def encode(self) -> bytes:
        return msgspec.msgpack.encode(self)

    @classmethod
    def decode(cls, raw: bytes) -> Keyring:
        return msgspec.msgpack.decode(raw, type=cls)
