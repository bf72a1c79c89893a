"""`fieldledger serve` and `web-user` as a person runs them: a real server process, HTTPS
beyond loopback with the workspace's own certificate, an account made on the command line,
login from a "phone", and the admin's panic button."""

from __future__ import annotations

import os
import queue
import re
import socket
import ssl
import subprocess
import threading
import time
from pathlib import Path

import httpx
import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes

from fieldledger.vault import layout
from fieldledger.web.tls import local_addresses

from ..conftest import FIELDLEDGER
from .conftest import PASSWORD, csrf_of


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_for(proc: subprocess.Popen, pattern: str, timeout: float = 60) -> str:
    """Lines of the server's stderr until one matches `pattern`; fails after `timeout`
    seconds even when the server goes quiet (a thread reads, so nothing blocks for ever)."""
    assert proc.stderr is not None
    lines: queue.Queue[str] = queue.Queue()
    threading.Thread(
        target=lambda: [lines.put(line) for line in proc.stderr],
        daemon=True,  # type: ignore[union-attr]
    ).start()
    seen: list[str] = []
    deadline = time.monotonic() + timeout
    while (left := deadline - time.monotonic()) > 0:
        try:
            line = lines.get(timeout=left)
        except queue.Empty:
            break
        seen.append(line)
        if re.search(pattern, line):
            return "".join(seen)
    raise AssertionError(f"server said: {''.join(seen)!r}")


@pytest.fixture
def lan_host() -> str:
    found = local_addresses()
    if not found:
        pytest.skip("this machine has no network address other than loopback")
    return found[0]


def test_https_only_beyond_loopback_then_login_and_panic(cli, lan_host: str) -> None:
    assert cli("init", "--insecure-fast-kdf").code == 0
    secret = cli.tmp / "pw.txt"
    secret.write_text(PASSWORD + "\n", encoding="utf-8")
    made = cli("web-user", "add", "ko.aung", "--role", "admin", "--password-file", str(secret))
    assert made.code == 0, made.err
    listed = cli("web-user", "list")
    assert "ko.aung" in listed.out and "admin" in listed.out

    port = free_port()
    env = {
        **os.environ,
        "FIELDLEDGER_WORKSPACE": str(cli.workspace),
        "FIELDLEDGER_PASSPHRASE_FILE": str(cli.passphrase_file),
        "TMPDIR": str(cli.tmp),
    }
    proc = subprocess.Popen(
        [FIELDLEDGER, "serve", "--host", lan_host, "--port", str(port), "--yes"],
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
    )
    try:
        fingerprint = r"([0-9A-F]{2}(?::[0-9A-F]{2}){31})"
        said = wait_for(proc, fingerprint)  # the line after "... SHA-256 fingerprint ..."
        assert f"https://{lan_host}:{port}/" in said and "SHA-256 fingerprint" in said
        printed = re.search(fingerprint, said).group(1)
        time.sleep(0.5)
        base = f"https://{lan_host}:{port}"

        # Plain HTTP gets no page.
        with pytest.raises(httpx.HTTPError):
            httpx.get(f"http://{lan_host}:{port}/login", timeout=5)

        # The certificate served is the one whose fingerprint was printed.
        pem = ssl.get_server_certificate((lan_host, port))
        cert = x509.load_pem_x509_certificate(pem.encode())
        served = ":".join(f"{b:02X}" for b in cert.fingerprint(hashes.SHA256()))
        assert served == printed

        # The key file uvicorn read is gone from disk.
        leftovers = [
            p for d in (Path("/dev/shm"), cli.tmp) if d.is_dir() for p in d.glob("fl-*/key.pem")
        ]
        assert leftovers == []

        # A phone logs in (it trusts the certificate it compared).
        context = ssl.create_default_context(cadata=pem)
        context.check_hostname = False  # the phone compared the fingerprint by eye
        with httpx.Client(
            base_url=base, verify=context, timeout=10, follow_redirects=True
        ) as phone:
            page = phone.get("/login")
            assert page.status_code == 200
            assert "max-age" in page.headers["strict-transport-security"]
            done = phone.post(
                "/login", data={"csrf": csrf_of(page.text), "name": "ko.aung", "password": PASSWORD}
            )
            assert done.status_code == 200 and "Log out" in done.text
            cookie = done.history[0].headers["set-cookie"]
            assert "Secure" in cookie and "HttpOnly" in cookie
            panic_page = phone.get("/panic")
            gone = phone.post(
                "/panic", data={"csrf": csrf_of(panic_page.text), "confirm": "destroy"}
            )
            assert gone.status_code == 200
        proc.wait(timeout=30)
        assert not layout.keys_path(cli.workspace).exists()
    finally:
        if proc.poll() is None:
            proc.kill()
        proc.wait()


def test_serving_beyond_loopback_asks_first(cli) -> None:
    assert cli("init", "--insecure-fast-kdf").code == 0
    refused = cli("serve", "--host", "0.0.0.0", input="n\n")
    assert refused.code == 1
    assert "other devices on the network reach the login page?" in refused.out


def test_web_user_commands_refuse_with_one_line(cli) -> None:
    assert cli("init", "--insecure-fast-kdf").code == 0
    weak = cli.tmp / "weak.txt"
    weak.write_text("123\n", encoding="utf-8")
    refused = cli("web-user", "add", "ma.hla", "--role", "field", "--password-file", str(weak))
    assert refused.code != 0 and len(refused.err.strip().splitlines()) == 1
    bad_role = cli("web-user", "add", "ma.hla", "--role", "boss", "--password-file", str(weak))
    assert bad_role.code != 0 and "unknown role" in bad_role.err
    assert "no web accounts" in cli("web-user", "list").out


def test_fingerprints_print_as_they_are(capsys) -> None:
    """Rich would turn ":CD:" of a fingerprint into an emoji: the console must not."""
    from fieldledger.cli import _console

    _console().print("0E:CD:A5:FA:CE:B0:0C", soft_wrap=True)
    assert capsys.readouterr().out.strip() == "0E:CD:A5:FA:CE:B0:0C"
