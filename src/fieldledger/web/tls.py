"""The workspace's own HTTPS certificate, for serving beyond loopback.

A self-signed certificate (ECDSA P-256) made on first need and kept in the encrypted store,
so its fingerprint stays the same from one `serve` to the next: people compare it on their
phone with the one in the QR code the laptop shows. It names every address it is served
on; serving on a new address adds it, which changes the fingerprint once.

uvicorn reads the key from a file: it is written there encrypted under a random password
that stays in memory, in a private folder (RAM-backed /dev/shm where there is one), and
removed as soon as the server has loaded it.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import ipaddress
import os
import secrets
import shutil
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from fieldledger.vault.store import run_script
from fieldledger.workspace import Workspace

SCHEMA = """
CREATE TABLE IF NOT EXISTS web_tls (
    one INTEGER PRIMARY KEY CHECK (one = 1), key BLOB NOT NULL, cert BLOB NOT NULL
);
"""
VALID_DAYS = 825  # the longest lifetime browsers accept for a certificate


@dataclass(frozen=True)
class Certificate:
    cert_pem: bytes
    key_der: bytes  # PKCS#8, only ever in memory or in the encrypted store

    @property
    def fingerprint(self) -> str:
        """SHA-256 of the certificate, as browsers show it: AB:CD:..."""
        cert = x509.load_pem_x509_certificate(self.cert_pem)
        return ":".join(f"{b:02X}" for b in cert.fingerprint(hashes.SHA256()))

    def names(self) -> set[str]:
        cert = x509.load_pem_x509_certificate(self.cert_pem)
        san = cert.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
        return {str(v) for v in san.get_values_for_type(x509.IPAddress)} | set(
            san.get_values_for_type(x509.DNSName)
        )


def _san(names: set[str]) -> x509.SubjectAlternativeName:
    entries: list[x509.GeneralName] = []
    for name in sorted(names):
        try:
            entries.append(x509.IPAddress(ipaddress.ip_address(name)))
        except ValueError:
            entries.append(x509.DNSName(name))
    return x509.SubjectAlternativeName(entries)


def _make(names: set[str]) -> Certificate:
    key = ec.generate_private_key(ec.SECP256R1())
    subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "fieldledger")])
    now = dt.datetime.now(dt.UTC).replace(microsecond=0)
    cert = (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(days=1))
        .not_valid_after(now + dt.timedelta(days=VALID_DAYS))
        .add_extension(_san(names), critical=False)
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(
            x509.ExtendedKeyUsage([x509.oid.ExtendedKeyUsageOID.SERVER_AUTH]), critical=False
        )
        .sign(key, hashes.SHA256())
    )
    key_der = key.private_bytes(
        serialization.Encoding.DER,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )
    return Certificate(cert.public_bytes(serialization.Encoding.PEM), key_der)


def certificate(ws: Workspace, hosts: list[str]) -> Certificate:
    """The workspace's certificate, valid for `hosts` (plus localhost); made or widened and
    stored when needed."""
    run_script(ws.conn, SCHEMA)
    wanted = {"localhost", "127.0.0.1", *hosts} - {"0.0.0.0", "::"}
    row = ws.conn.execute("SELECT key, cert FROM web_tls WHERE one = 1").fetchone()
    if row is not None:
        current = Certificate(bytes(row[1]), bytes(row[0]))
        cert = x509.load_pem_x509_certificate(current.cert_pem)
        fresh = cert.not_valid_after_utc > dt.datetime.now(dt.UTC) + dt.timedelta(days=30)
        if fresh and wanted <= current.names():
            return current
        wanted |= current.names()
    made = _make(wanted)
    with ws.transaction():
        ws.conn.execute(
            "INSERT OR REPLACE INTO web_tls VALUES (1, ?, ?)", (made.key_der, made.cert_pem)
        )
        ws.note("web certificate", made.fingerprint)
    return made


def local_addresses() -> list[str]:
    """This computer's IPv4 addresses on its networks (for the certificate and the URL)."""
    import socket

    found: set[str] = set()
    with contextlib.suppress(OSError):
        for info in socket.getaddrinfo(socket.gethostname(), None, socket.AF_INET):
            found.add(str(info[4][0]))
    with contextlib.suppress(OSError), socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        s.connect(("10.255.255.255", 1))  # no packet is sent: this only picks a route
        found.add(s.getsockname()[0])
    return sorted(a for a in found if not a.startswith("127."))


@contextlib.contextmanager
def key_files(cert: Certificate) -> Iterator[tuple[str, str, str]]:
    """(certfile, keyfile, password) for uvicorn; the files are gone when the block ends."""
    shm = Path("/dev/shm")
    folder = tempfile.mkdtemp(prefix="fl-", dir=shm if shm.is_dir() else None)
    password = secrets.token_urlsafe(32)
    try:
        key = serialization.load_der_private_key(cert.key_der, password=None)
        pem = key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.BestAvailableEncryption(password.encode()),
        )
        certfile, keyfile = Path(folder, "cert.pem"), Path(folder, "key.pem")
        certfile.write_bytes(cert.cert_pem)
        fd = os.open(keyfile, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "wb") as fp:
            fp.write(pem)
        yield str(certfile), str(keyfile), password
    finally:
        shutil.rmtree(folder, ignore_errors=True)
