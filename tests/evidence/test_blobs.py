"""The encrypted blob format: buckets, round trips, names, tampering."""

from __future__ import annotations

import hashlib
import os
import time

import pytest

from fieldledger.crypto import new_key
from fieldledger.evidence import blobs
from fieldledger.evidence.blobs import BlobDamaged, BlobStore


@pytest.fixture
def store(tmp_path):
    return BlobStore(tmp_path / "blobs", os.urandom(16), new_key(), {1: new_key()})


def write(store, tmp_path, data: bytes):
    src = tmp_path / "original"
    src.write_bytes(data)
    return store.write(src)


def test_buckets_are_powers_of_two_and_fit():
    for size in (0, 1, 4000, 4047, 4048, 1 << 20, (1 << 20) + 5, 3 << 20, 9_999_999):
        bucket = blobs.bucket_for(size)
        assert bucket >= blobs.MIN_BUCKET and bucket & (bucket - 1) == 0
        assert blobs.capacity(bucket) >= size + 8
        assert bucket == blobs.MIN_BUCKET or blobs.capacity(bucket // 2) < size + 8
        assert sum(blobs.message_sizes(bucket)) + blobs.HEADER == bucket


@pytest.mark.parametrize("size", [0, 1, 4047, 4048, (1 << 20) - 3, (1 << 20) + 4100, 3 << 20])
def test_round_trip_byte_exact(store, tmp_path, size):
    data = os.urandom(size)
    stored = write(store, tmp_path, data)
    assert stored.size == size
    assert stored.sha256 == hashlib.sha256(data).hexdigest()
    on_disk = store.path(stored.blob_id)
    assert on_disk.stat().st_size == stored.stored_bytes == blobs.bucket_for(size)
    assert b"".join(store.chunks(stored.blob_id)) == data
    assert store.read(stored.blob_id, limit=size) == data


def test_name_is_keyed_not_content(store, tmp_path):
    data = b"the same photo" * 100
    a, b = write(store, tmp_path, data), write(store, tmp_path, data)
    names = {store.path(a.blob_id).name, store.path(b.blob_id).name}
    assert len(names) == 2  # same content, unrelated names
    for h in (hashlib.sha256(data).hexdigest(), hashlib.blake2b(data).hexdigest()):
        assert not any(h[:32] in n for n in names)
    other = BlobStore(store.folder, store.workspace_id, new_key(), store._epoch_keys)
    assert other.path(a.blob_id) != store.path(a.blob_id)  # the name needs the key


def test_no_plaintext_and_no_temp_files_left(store, tmp_path):
    data = b"\xff\xd8\xff\xe0" + b"visible text " * 500
    stored = write(store, tmp_path, data)
    raw = store.path(stored.blob_id).read_bytes()
    assert b"visible text" not in raw and b"\xff\xd8\xff" not in raw
    assert [p.name for p in store.names()] == [store.path(stored.blob_id).name]
    assert oct(store.path(stored.blob_id).stat().st_mode & 0o777) == "0o600"


@pytest.mark.parametrize("where", [0, 30, 4095, 4096, -1])
def test_any_altered_byte_is_refused(store, tmp_path, where):
    stored = write(store, tmp_path, os.urandom(5000))  # 8 KiB bucket: two messages + padding
    path = store.path(stored.blob_id)
    raw = bytearray(path.read_bytes())
    raw[where] ^= 0x01
    path.write_bytes(bytes(raw))
    with pytest.raises(BlobDamaged):
        store.read(stored.blob_id, limit=1 << 20)


def test_truncated_swapped_or_foreign_blob_is_refused(store, tmp_path):
    a = write(store, tmp_path, b"a" * 100)
    b = write(store, tmp_path, b"b" * 100)
    pa, pb = store.path(a.blob_id), store.path(b.blob_id)
    raw_a = pa.read_bytes()
    pa.write_bytes(pb.read_bytes())  # another blob under this name: bound to its own id
    with pytest.raises(BlobDamaged):
        store.read(a.blob_id, limit=1000)
    pa.write_bytes(raw_a[:-1])
    with pytest.raises(BlobDamaged):
        store.read(a.blob_id, limit=1000)
    pa.write_bytes(raw_a)
    foreign = BlobStore(store.folder, store.workspace_id, store._name_key, {1: new_key()})
    with pytest.raises(BlobDamaged):
        foreign.read(a.blob_id, limit=1000)


def test_old_epoch_still_reads(store, tmp_path):
    stored = write(store, tmp_path, b"before the new epoch")
    later = BlobStore(
        store.folder, store.workspace_id, store._name_key, {**store._epoch_keys, 2: new_key()}
    )
    assert later.read(stored.blob_id, limit=100) == b"before the new epoch"


def test_leftovers_of_a_crash_are_removed_once_stale(store, tmp_path):
    kept = write(store, tmp_path, b"recorded")
    orphan = write(store, tmp_path, b"never recorded")
    temp = store.folder / ".0123456789abcdef.tmp"
    temp.write_bytes(b"half written")
    assert store.remove_leftovers({kept.blob_id}) == 0  # young: maybe an add in progress
    later = time.time() + blobs.STALE_SECONDS + 1
    assert store.remove_leftovers({kept.blob_id}, now=later) == 2
    assert store.names() == [store.path(kept.blob_id)]
    assert not store.path(orphan.blob_id).exists()
