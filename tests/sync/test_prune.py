"""A field device sheds what a coordinator has acknowledged, and stays verifiable."""

from __future__ import annotations

from fieldledger.sync import exchange
from fieldledger.sync.prune import prune
from tests.conftest import household
from tests.sync.conftest import device, send

NAME = "Daw Prune Canary"


def test_prune_sheds_only_what_a_keeper_holds(admin, field, tmp_path):
    coordinator = device(admin, tmp_path / "coord", "coordinator", "coordinator")
    hid = field.add("household", household("HH-0500"))
    pid = field.add("person", {"household_id": hid, "sex": "female", "name": NAME})
    assert prune(field) == 0  # nobody has acknowledged anything yet
    send(field, coordinator, for_member=False)
    send(coordinator, field)  # its frontier acknowledges the field device's events
    later = field.add("household", household("HH-0501"))
    shed = prune(field)
    assert shed >= 3
    assert field.verify().ok
    assert not field.exists("household", hid) and not field.exists("person", pid)
    assert field.exists("household", later)  # written after the acknowledgement: kept
    assert field.conn.execute("SELECT 1 FROM record_keys WHERE rid = ?", (pid,)).fetchone() is None
    # The coordinator still has everything, and sync goes on past the shed bodies.
    assert coordinator.get("person", pid)["name"] == NAME
    send(field, coordinator)
    assert coordinator.exists("household", later)
    send(coordinator, field)
    assert prune(field) >= 1 and field.verify().ok
    assert not field.exists("household", later)
    # A fresh rebuild gives the same tables: shed events are simply not folded.
    before = field.list("household")
    field.rebuild()
    assert field.list("household") == before
    exchange.import_bundle(field, exchange.export_bundle(admin, field.device.hex()[:8]).data)
    coordinator.close()
