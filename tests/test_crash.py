"""kill -9 at random points while appending: the store opens, verifies, and holds every
event whose append had returned."""

from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
import textwrap
import time
from collections import Counter

from fieldledger.vault.kdf import TEST_PARAMS
from fieldledger.workspace import Workspace
from tests.conftest import PASSPHRASE

WRITER = textwrap.dedent("""
    import os, sys
    from fieldledger.workspace import Workspace
    ws = Workspace.open(sys.argv[1], sys.argv[2])
    n = 0
    while True:
        n += 1
        hid = ws.add("household", {"code": f"HH-{os.getpid()}-{n}", "location_pcode": "MMR003001",
                                   "displacement_status": "idp", "size": 3})
        sys.stdout.write("H " + hid + "\\n"); sys.stdout.flush()
        pid = ws.add("person", {"household_id": hid, "sex": "female", "name": "Daw Mya"})
        sys.stdout.write("P " + pid + "\\n"); sys.stdout.flush()
        if n % 4 == 0:
            tag = os.urandom(4).hex()
            with ws.transaction():  # a batch: all of it is acknowledged, or none
                batch = [ws.add("household", {"code": f"B{tag}-{i}",
                                              "location_pcode": "MMR003001",
                                              "displacement_status": "idp", "size": 2})
                         for i in range(25)]
            sys.stdout.write("".join("B " + b + "\\n" for b in batch)); sys.stdout.flush()
        if n % 3 == 0:
            sys.stdout.write("f " + pid + "\\n"); sys.stdout.flush()
            ws.forget(pid)  # rewrites the keyring: a crash inside must lose nothing
            sys.stdout.write("F " + pid + "\\n"); sys.stdout.flush()
""")


def test_sigkill_during_appends_loses_nothing_acknowledged(tmp_path):
    path = tmp_path / "ws"
    Workspace.init(path, PASSPHRASE, params=TEST_PARAMS, check_strength=False).close()
    rng = random.Random(int(os.environ.get("CRASH_SEED", "7")))
    acked: list[tuple[str, str]] = []
    for _ in range(6):
        proc = subprocess.Popen([sys.executable, "-c", WRITER, str(path), PASSPHRASE],
                                stdout=subprocess.PIPE, text=True)
        # Wait until it is appending, then kill it at a random moment.
        first = proc.stdout.readline()
        time.sleep(rng.uniform(0.0, 0.4))
        proc.send_signal(signal.SIGKILL)
        rest, _ = proc.communicate()
        acked += [tuple(line.split()) for line in [first, *rest.splitlines()] if line.strip()]
        assert proc.returncode == -signal.SIGKILL

    assert len(acked) > 6
    ws = Workspace.open(path, PASSPHRASE)
    assert ws.verify().ok
    # "f": forget was about to run, so the person may or may not be forgotten yet.
    forgotten = {rid for kind, rid in acked if kind == "f"}
    held = {r["id"] for r in ws.list("household")}
    assert {rid for kind, rid in acked if kind in "HB"} <= held
    # A batch is all or nothing: its households are either all there or none.
    batches = Counter(r["code"].split("-")[0] for r in ws.list("household")
                      if r["code"].startswith("B"))
    assert batches and set(batches.values()) == {25}
    for kind, rid in acked:
        if kind == "H":
            assert ws.get("household", rid)["size"] == 3
        elif kind == "P" and rid not in forgotten:
            assert ws.get("person", rid)["name"] == "Daw Mya"
    gone = {p["id"] for p in ws.list("person") if p["forgotten"]}
    assert {rid for kind, rid in acked if kind == "F"} <= gone
    assert len(ws.keyring.person_keks) == 1
    ws.close()


IMPORTER = textwrap.dedent("""
    import sys
    from pathlib import Path
    from fieldledger.sync import exchange
    from fieldledger.workspace import Workspace
    ws = Workspace.open(sys.argv[1], sys.argv[2])
    sys.stdout.write("open\\n"); sys.stdout.flush()
    exchange.import_bundle(ws, Path(sys.argv[3]).read_bytes())
    sys.stdout.write("done\\n"); sys.stdout.flush()
""")


def test_sigkill_during_a_bundle_import_applies_all_or_nothing(tmp_path):
    from fieldledger import demo
    from fieldledger.sync import exchange

    admin = Workspace.init(tmp_path / "a", PASSPHRASE, params=TEST_PARAMS, check_strength=False)
    demo.fill(admin, households=40, seed=3)
    other = admin.add_device(tmp_path / "b", PASSPHRASE, role="coordinator", label="b",
                             params=TEST_PARAMS, check_strength=False)
    other.close()
    bundle = tmp_path / "x.dat"
    bundle.write_bytes(exchange.export_bundle(admin, role="coordinator").data)
    wanted = set(admin.conn.execute(
        "SELECT hash FROM events WHERE compartment != 'access-log'"))
    admin.close()
    rng = random.Random(int(os.environ.get("CRASH_SEED", "7")))
    for _ in range(4):
        proc = subprocess.Popen(
            [sys.executable, "-c", IMPORTER, str(tmp_path / "b"), PASSPHRASE, str(bundle)],
            stdout=subprocess.PIPE, text=True)
        proc.stdout.readline()
        time.sleep(rng.uniform(0.0, 0.6))
        proc.send_signal(signal.SIGKILL)
        proc.communicate()
        ws = Workspace.open(tmp_path / "b", PASSPHRASE)
        assert ws.verify().ok
        held = set(ws.conn.execute("SELECT hash FROM events WHERE compartment != 'access-log'"))
        assert not held & wanted or held >= wanted  # all or nothing
        ws.close()
    ws = Workspace.open(tmp_path / "b", PASSPHRASE)
    exchange.import_bundle(ws, bundle.read_bytes())
    assert set(ws.conn.execute(
        "SELECT hash FROM events WHERE compartment != 'access-log'")) >= wanted
    assert ws.verify().ok
    ws.close()
