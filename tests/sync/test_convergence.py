"""Three devices with different roles converge whatever the order of exchange.

Hypothesis draws schedules of writes and bundle exchanges, where bundles may be delivered
late, twice, or out of order (a replay is refused, which must not stop convergence). After
a final round of exchanges every device holds exactly the events of its role's compartments
that any device wrote, the same tables, and every concurrent edit as a conflict.
"""

from __future__ import annotations

import contextlib
import itertools
import tempfile
from pathlib import Path

from hypothesis import given, settings
from hypothesis import strategies as st

from fieldledger.errors import LedgerError
from fieldledger.sync import exchange, members
from fieldledger.sync.roles import compartments_of
from fieldledger.vault.kdf import TEST_PARAMS
from fieldledger.workspace import Workspace
from tests.conftest import household
from tests.records.examples import VALID
from tests.sync.conftest import device

DEVICES = ("admin", "field", "documenter")

write = st.tuples(st.just("write"), st.sampled_from(DEVICES), st.integers(0, 3))
exchange_step = st.tuples(
    st.just("send"), st.sampled_from(DEVICES), st.sampled_from(DEVICES), st.booleans()
)
late = st.tuples(st.just("late"), st.integers(0, 50), st.sampled_from(DEVICES))
schedules = st.lists(st.one_of(write, exchange_step, late), min_size=3, max_size=18)


def _write(ws: Workspace, name: str, n: int, counter: itertools.count) -> None:
    i = next(counter)
    homes = [h["id"] for h in ws.list("household")] if "programme" in ws.keyring.epochs else []
    if name == "documenter":
        ws.add("incident", {**VALID["incident"], "narrative": f"report {i}"})
    elif n == 0 or not homes:
        hid = ws.add("household", household(f"HH-{i:04d}"))
        if name == "field":
            ws.add("person", {"household_id": hid, "sex": "female", "name": f"Daw {i}"})
    else:
        ws.update("household", homes[n % len(homes)], {"size": 1 + i % 9})


def _for(src: Workspace, dst: Workspace, named: bool = True) -> str | None:
    """Name the receiver when asked to and when the sender knows it is a member yet."""
    known = members.member(src.conn, dst.device) is not None
    return dst.device.hex() if named and known else None


def _content(ws: Workspace) -> set:
    return set(
        ws.conn.execute(
            "SELECT author, compartment, seq, hash FROM events WHERE compartment != 'access-log'"
        )
    )


@settings(max_examples=12, deadline=None)
@given(schedules)
def test_devices_converge_under_any_exchange_order(schedule):
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        admin = Workspace.init(root / "admin", "pw", params=TEST_PARAMS, check_strength=False,
                               label="admin")
        devices = {"admin": admin}
        for role in DEVICES[1:]:
            devices[role] = device(admin, root / role, role, role)
        counter = itertools.count()
        mailbox: list[tuple[bytes, str]] = []
        try:
            for step in schedule:
                if step[0] == "write":
                    _write(devices[step[1]], step[1], step[2], counter)
                elif step[0] == "send" and step[1] != step[2]:
                    src, dst = devices[step[1]], devices[step[2]]
                    data = exchange.export_bundle(src, _for(src, dst, step[3])).data
                    mailbox.append((data, step[2]))
                    exchange.import_bundle(dst, data)
                elif step[0] == "late" and mailbox:
                    data, _ = mailbox[step[1] % len(mailbox)]
                    # A bundle delivered again, late, or to a device it was not for.
                    with contextlib.suppress(LedgerError):
                        exchange.import_bundle(devices[step[2]], data)
            for _ in range(2):
                for a, b in itertools.permutations(DEVICES, 2):
                    src, dst = devices[a], devices[b]
                    exchange.import_bundle(dst, exchange.export_bundle(src, _for(src, dst)).data)
            everything = set().union(*(_content(ws) for ws in devices.values()))
            for name, ws in devices.items():
                role = ws.keyring.role
                expected = {e for e in everything if e[1] in compartments_of(role)}
                assert _content(ws) == expected, name
            tables = [
                (ws.list("household"), [c.rid for c in ws.conflicts()])
                for ws in devices.values()
                if "programme" in ws.keyring.epochs
            ]
            assert all(t == tables[0] for t in tables)
            updates = admin.conn.execute(
                "SELECT count(*) FROM events WHERE rtype = 'household'"
            ).fetchone()[0]
            versions = admin.conn.execute(
                "SELECT count(*) FROM record_versions WHERE rtype = 'household'"
            ).fetchone()[0]
            # Nothing lost: every household version folded is kept (new records settle in
            # one insert and are noted only when a second version comes).
            assert versions <= updates
            people = {p["id"]: p["name"] for p in admin.list("person", reveal=True)}
            assert people == {p["id"]: p["name"] for p in devices["field"].list("person",
                                                                               reveal=True)}
        finally:
            for ws in devices.values():
                ws.close()
