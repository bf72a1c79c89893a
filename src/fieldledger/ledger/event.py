"""Events: canonical bytes, hash, signature.

An event is encoded as a msgpack array (msgspec, fields in declaration order, shortest
integer forms), and only byte strings that re-encode to themselves are accepted, so one event
has exactly one encoding and one hash. The hash covers everything but the signature; the
signature covers the hash. A chain segment can then be checked with one signature at its end
and a hash per event, which is how sync carries it.
"""

from __future__ import annotations

import msgspec

from fieldledger.crypto import SealBroken, digest, seal_deterministic, sign, unseal, verify
from fieldledger.errors import VerificationError

FORMAT = 1
GENESIS = b"\0" * 32
_SIGN_CONTEXT = b"fieldledger event v1\0"

OP_PUT = "put"
OP_FORGET = "forget"
OP_NOTE = "note"
# The body of an event whose body was shed (`sync prune`); a sealed body is never empty.
PRUNED = b""


class Event(msgspec.Struct, array_like=True, frozen=True, forbid_unknown_fields=True):
    """One change, as its author wrote it.

    `heads` are the hashes of the record versions the author saw when writing (empty for a
    new record); `body` is sealed under the compartment's key for `epoch`.
    """

    format: int
    workspace: bytes
    author: bytes
    compartment: str
    epoch: int
    seq: int
    prev: bytes
    hlc: int
    rtype: str
    rid: str
    op: str
    heads: tuple[bytes, ...]
    body: bytes

    @property
    def label(self) -> str:
        """How a person names this event: author/compartment/sequence."""
        return f"{self.author[:4].hex()}/{self.compartment}/{self.seq}"


_encoder = msgspec.msgpack.Encoder()
_decoder = msgspec.msgpack.Decoder(Event)
_body_encoder = msgspec.msgpack.Encoder()
_body_decoder = msgspec.msgpack.Decoder(dict)


def encode(event: Event) -> bytes:
    return _encoder.encode(event)


def decode(raw: bytes) -> Event:
    """Decode canonical bytes; anything else is refused."""
    try:
        event = _decoder.decode(raw)
    except (msgspec.DecodeError, ValueError) as exc:  # ValueError: text not UTF-8
        raise VerificationError(f"an event does not decode: {exc}") from exc
    if _encoder.encode(event) != raw:
        raise VerificationError(f"event {event.label} is not in canonical form", event.label)
    return event


def event_hash(raw: bytes) -> bytes:
    return digest(raw)


def sign_hash(secret_key: bytes, h: bytes) -> bytes:
    return sign(secret_key, _SIGN_CONTEXT + h)


def check_signature(author: bytes, h: bytes, signature: bytes) -> bool:
    return verify(author, _SIGN_CONTEXT + h, signature)


def body_ad(
    workspace: bytes,
    author: bytes,
    compartment: str,
    epoch: int,
    seq: int,
    rtype: str,
    rid: str,
    op: str,
) -> bytes:
    """Associated data binding a sealed body to the header it travels with."""
    return _encoder.encode((workspace, author, compartment, epoch, seq, rtype, rid, op))


def seal_body(key: bytes, fields: dict, ad: bytes) -> bytes:
    return seal_plain_body(key, _body_encoder.encode(fields), ad)


def seal_plain_body(key: bytes, plain: bytes, ad: bytes) -> bytes:
    """Deterministic, so sync can carry the plaintext and the receiver rebuild these bytes."""
    return seal_deterministic(key, plain, ad)


def open_plain_body(key: bytes, event: Event) -> bytes:
    """The body's msgpack bytes (what sync carries)."""
    try:
        return unseal(key, event.body, event_ad(event))
    except SealBroken as exc:
        raise VerificationError(
            f"event {event.label}: its body does not decrypt (altered, or a key is missing)",
            event.label,
        ) from exc


def event_ad(event: Event) -> bytes:
    return body_ad(
        event.workspace,
        event.author,
        event.compartment,
        event.epoch,
        event.seq,
        event.rtype,
        event.rid,
        event.op,
    )


def open_body(key: bytes, event: Event) -> dict:
    return _body_decoder.decode(open_plain_body(key, event))
