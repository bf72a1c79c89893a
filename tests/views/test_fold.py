from __future__ import annotations

from fieldledger.ledger import store as log
from fieldledger.vault.kdf import TEST_PARAMS
from tests.conftest import household

TABLES = ["households", "persons", "projects", "record_versions", "superseded", "forgotten",
          "access_log"]


def tables(ws):
    return {t: ws.conn.execute(f'SELECT * FROM "{t}" ORDER BY 1').fetchall() for t in TABLES}


def sync(a, b):
    """Both ways, every event: the fold must not care about order or repetition."""
    b.ingest(list(log.raw_and_sig(a.conn)))
    a.ingest(list(log.raw_and_sig(b.conn)))


def test_rebuild_gives_identical_tables(ws):
    from fieldledger.demo import fill

    fill(ws, households=8, seed=4)
    pid = ws.list("person")[0]["id"]
    hid = ws.list("household")[0]["id"]
    ws.update("household", hid, {"size": 9})
    ws.forget(pid)
    before = tables(ws)
    assert ws.rebuild() == ws.summary().events
    assert tables(ws) == before


def test_concurrent_updates_are_a_conflict_with_the_same_winner_everywhere(ws, tmp_path):
    hid = ws.add("household", household())
    other = ws.add_device(tmp_path / "b", "pw", params=TEST_PARAMS, check_strength=False)
    sync(ws, other)
    ws.update("household", hid, {"size": 5})
    other.update("household", hid, {"size": 6})
    sync(ws, other)
    assert [(c.rid, c.heads) for c in ws.conflicts()] == [(hid, 2)]
    assert [(c.rid, c.heads) for c in other.conflicts()] == [(hid, 2)]
    assert ws.get("household", hid) == other.get("household", hid)
    assert ws.get("household", hid)["conflict"] is True
    # Every version is kept: resolving names both heads and settles the record.
    ws.update("household", hid, {"size": 7})
    sync(ws, other)
    assert ws.conflicts() == other.conflicts() == []
    assert other.get("household", hid)["size"] == 7
    assert tables(ws)["households"] == tables(other)["households"]
    other.close()


def test_fold_order_does_not_matter(ws, tmp_path):
    hid = ws.add("household", household())
    for size in (2, 3, 4):
        ws.update("household", hid, {"size": size})
    rows = list(log.raw_and_sig(ws.conn))
    other = ws.add_device(tmp_path / "b", "pw", params=TEST_PARAMS, check_strength=False)
    other.ingest(rows)
    assert other.get("household", hid)["size"] == 4
    before = tables(other)["households"]
    # Refold in reverse arrival order: same table.
    other.conn.execute("BEGIN")
    other.conn.execute("CREATE TEMP TABLE r AS SELECT * FROM events ORDER BY rowid DESC")
    other.conn.execute("DELETE FROM events")
    other.conn.execute("INSERT INTO events SELECT * FROM r")
    other.conn.execute("COMMIT")
    other.rebuild()
    assert tables(other)["households"] == before
    other.close()


def test_a_replica_forgets_when_the_event_arrives(ws, tmp_path):
    hid = ws.add("household", household())
    pid = ws.add("person", {"household_id": hid, "sex": "female", "name": "Naw Paw Htoo"})
    other = ws.add_device(tmp_path / "b", "pw", params=TEST_PARAMS, check_strength=False)
    sync(ws, other)
    assert other.list("person")[0]["name"] is not None  # sealed ciphertext is held
    ws.forget(pid)
    sync(ws, other)
    row = other.list("person")[0]
    assert row["forgotten"] and row["name"] is None
    other.close()
