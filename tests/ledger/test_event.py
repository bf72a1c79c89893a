from __future__ import annotations

import contextlib

import msgspec
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from fieldledger.crypto import new_key, sign_key_pair
from fieldledger.errors import VerificationError
from fieldledger.ledger.event import (
    GENESIS,
    Event,
    check_signature,
    decode,
    encode,
    event_hash,
    sign_hash,
)


def sample(**changes) -> Event:
    fields = dict(format=1, workspace=b"w" * 16, author=b"a" * 32, compartment="programme",
                  epoch=1, seq=1, prev=GENESIS, hlc=123 << 16, rtype="household", rid="HH-1",
                  op="put", heads=(), body=b"sealed")
    fields.update(changes)
    return Event(**fields)


def test_encoding_round_trips_and_is_canonical():
    ev = sample(heads=(b"h" * 32,))
    raw = encode(ev)
    assert decode(raw) == ev
    assert encode(decode(raw)) == raw


def test_a_non_canonical_encoding_is_refused():
    raw = encode(sample(seq=5))
    # The same value of seq, written as a 4-byte integer instead of a fixint after epoch 1.
    tweaked = raw.replace(b"programme\x01\x05", b"programme\x01\xce\x00\x00\x00\x05", 1)
    assert tweaked != raw and msgspec.msgpack.decode(tweaked)[5] == 5
    with pytest.raises(VerificationError, match="canonical"):
        decode(tweaked)


def test_signature_covers_the_hash():
    public, secret = sign_key_pair(new_key())
    raw = encode(sample(author=public))
    h = event_hash(raw)
    sig = sign_hash(secret, h)
    assert check_signature(public, h, sig)
    assert not check_signature(public, event_hash(raw + b"x"), sig)
    assert not check_signature(sign_key_pair(new_key())[0], h, sig)


@settings(max_examples=300, deadline=None)
@given(st.binary(max_size=400))
def test_decoding_arbitrary_bytes_fails_only_with_our_error(data):
    with contextlib.suppress(VerificationError):
        decode(data)
