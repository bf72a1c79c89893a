"""The accountability package: originals, a signed manifest, and how to check both.

A ZIP an investigator can open anywhere: `originals/` (the files exactly as recorded,
metadata and all), `manifest.json` (what each file is, its SHA-256, and the chain of
custody), `manifest.sig` (an Ed25519 signature over manifest.json by the device that made
the package, with its public key) and `README.txt`. Entries are stored uncompressed with
fixed timestamps and no extra fields, so the same evidence and log give the same bytes.
"""

from __future__ import annotations

import base64
import hashlib
import io
import json
import zipfile
from dataclasses import dataclass
from typing import Any

from fieldledger import crypto

FORMAT = "fieldledger evidence package 1"
ZIP_TIME = (1980, 1, 1, 0, 0, 0)
_SPKI_ED25519 = bytes.fromhex("302a300506032b6570032100")

README = """\
Evidence package for incident {incident_id}
{rule}

This package holds ORIGINAL files, with all the metadata they were recorded with:
GPS position, camera serial number, dates. Anyone holding it can learn where and by whom
they were taken. Carry it encrypted, give it only to the intended recipient, and delete
copies you no longer need.

Contents
  originals/     the evidence files, byte for byte as recorded, named by evidence id
  manifest.json  each file's SHA-256, size, media type and capture date, and the chain of
                 custody (every addition, view, export, packaging and hand-over recorded)
  manifest.sig   Ed25519 signature over manifest.json, with the signing device's public key
  README.txt     this text (not signed)

1. Check the files against the manifest
   sha256sum originals/*
   Each line must match the "sha256" of the entry whose "file" names it in manifest.json.
   The SHA-256 of each file was also signed, when it was recorded, in the organisation's
   own log.

2. Check the signature on the manifest (OpenSSL 3)
   python3 -c "import json; s = json.load(open('manifest.sig')); \\
open('device.pem', 'w').write(s['public_key_pem']); \\
open('manifest.sig.bin', 'wb').write(bytes.fromhex(s['signature']))"
   openssl pkeyutl -verify -pubin -inkey device.pem -rawin \\
       -in manifest.json -sigfile manifest.sig.bin
   It must print "Signature Verified Successfully".

3. Confirm the key
   A signature only shows the manifest was made by the holder of this key. Confirm with the
   organisation, by another channel, that this device key is theirs:
   {fingerprint}
"""


@dataclass(frozen=True)
class Original:
    """One evidence file for the package: its record as manifest fields and its bytes."""

    entry: dict[str, Any]  # id, kind, sha256, size, media_type, captured_on, recorded_*
    name: str  # path inside the ZIP
    data: bytes


def fingerprint(public_key: bytes) -> str:
    h = public_key.hex()
    return " ".join(h[i : i + 8] for i in range(0, len(h), 8))


def public_key_pem(public_key: bytes) -> str:
    b64 = base64.b64encode(_SPKI_ED25519 + public_key).decode()
    return f"-----BEGIN PUBLIC KEY-----\n{b64}\n-----END PUBLIC KEY-----\n"


def manifest_bytes(
    incident_id: str, originals: list[Original], custody: list[dict], device: bytes
) -> bytes:
    manifest = {
        "format": FORMAT,
        "incident_id": incident_id,
        "device": device.hex(),
        "evidence": [{**o.entry, "file": o.name} for o in originals],
        "custody": custody,
    }
    text = json.dumps(manifest, ensure_ascii=False, indent=1, sort_keys=True)
    return (text + "\n").encode("utf-8")


def build(
    incident_id: str,
    originals: list[Original],
    custody: list[dict],
    device_public: bytes,
    device_secret: bytes,
) -> tuple[bytes, str]:
    """The package's bytes and the SHA-256 of its manifest (what custody records cite)."""
    manifest = manifest_bytes(incident_id, originals, custody, device_public)
    signature = {
        "algorithm": "Ed25519",
        "signed_file": "manifest.json",
        "public_key": device_public.hex(),
        "public_key_pem": public_key_pem(device_public),
        "signature": crypto.sign(device_secret, manifest).hex(),
    }
    readme = README.format(
        incident_id=incident_id,
        rule="=" * (31 + len(incident_id)),
        fingerprint=fingerprint(device_public),
    )
    entries = [(o.name, o.data) for o in sorted(originals, key=lambda o: o.name)]
    entries += [
        ("manifest.json", manifest),
        ("manifest.sig", (json.dumps(signature, indent=1, sort_keys=True) + "\n").encode()),
        ("README.txt", readme.encode("utf-8")),
    ]
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_STORED) as zf:
        for name, data in entries:
            zf.writestr(_info(name), data)
    return buf.getvalue(), hashlib.sha256(manifest).hexdigest()


def _info(name: str) -> zipfile.ZipInfo:
    info = zipfile.ZipInfo(name, date_time=ZIP_TIME)
    info.compress_type = zipfile.ZIP_STORED
    info.create_system = 3  # the same bytes whatever system made the package
    info.external_attr = 0o100644 << 16
    return info


def verify(data: bytes, expected_key: bytes | None = None) -> list[str]:
    """Every problem found in a package: signature, hashes, sizes, files not listed.
    An empty list means the package checks."""
    try:
        zf = zipfile.ZipFile(io.BytesIO(data))
    except zipfile.BadZipFile:
        return ["not a ZIP file"]
    with zf:
        names = set(zf.namelist())
        problems: list[str] = []

        def read(name: str) -> bytes | None:
            try:
                return zf.read(name)
            except (zipfile.BadZipFile, KeyError):
                problems.append(f"{name}: missing, or damaged inside the ZIP")
                return None

        manifest, sig_file = read("manifest.json"), read("manifest.sig")
        if manifest is None or sig_file is None:
            return problems
        try:
            sig = json.loads(sig_file)
            key = bytes.fromhex(sig["public_key"])
            signature = bytes.fromhex(sig["signature"])
            content = json.loads(manifest)
        except (ValueError, KeyError, TypeError):
            return ["manifest.json or manifest.sig cannot be read"]
        if expected_key is not None and key != expected_key:
            problems.append("manifest.sig names another device key than expected")
        if not crypto.verify(key, manifest, signature):
            problems.append("the signature on manifest.json does not verify")
        listed = set()
        for entry in content.get("evidence", []):
            name = entry.get("file", "")
            listed.add(name)
            blob = read(name)
            if blob is None:
                continue
            if len(blob) != entry.get("size"):
                problems.append(f"{name}: size differs from the manifest")
            if hashlib.sha256(blob).hexdigest() != entry.get("sha256"):
                problems.append(f"{name}: SHA-256 differs from the manifest")
        for name in sorted(n for n in names if n.startswith("originals/") and n not in listed):
            problems.append(f"{name}: not listed in the manifest")
    return problems
