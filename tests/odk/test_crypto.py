"""ODK encrypted submissions: real ones made by Collect, opened as Briefcase and Central do;
ours made as Collect does; and everything that must be refused."""

from __future__ import annotations

import base64
import contextlib
import functools
import hashlib
import json
import os
import re
import time
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from fieldledger.errors import ValidationError, VaultError
from fieldledger.odk import crypto
from fieldledger.odk.crypto import (
    AGGREGATE_NAMESPACE,
    COLLECT_NAMESPACE,
    EncryptedSubmissionError,
    FormKey,
    FormKeyError,
    decrypt_submission,
    encrypt_submission,
    parse_manifest,
)

DATA = Path(__file__).parent.parent / "data" / "odk" / "encrypted"
BRIEFCASE = DATA / "briefcase"
CENTRAL = DATA / "central-backend"

# The two photos of Briefcase's media submission are not in the repository (2.7 MB); their
# plaintext md5s come from tests/data/odk/encrypted/PROVENANCE.md.
PHOTO_MD5 = {
    "1538040007350.jpg": "992de5005efb28fec1634627ccf15e7b",
    "1538040019351.jpg": "c0898d5951251e875ee1648bcaf6cf45",
}
PHOTO_SHA256 = {
    "1538040007350.jpg": "9c3041290f1d997fc2e3fd1462919bcb406d3fa2719f8f10089a0da614cc44ac",
    "1538040019351.jpg": "5579cf514ca5fc34e037509c1f573eb30c1291235ad43a0c3427a58ec4ecf4eb",
}


@functools.cache
def briefcase_key() -> FormKey:
    return FormKey.from_pem((BRIEFCASE / "encrypted-form-key.pem").read_bytes())


@functools.cache
def central_key() -> FormKey:
    return FormKey.from_pem((CENTRAL / "priv.pem").read_bytes())


@functools.cache
def fresh_key() -> FormKey:
    return FormKey.generate()


def form_public_key(form: Path) -> str:
    return re.search(r'base64RsaPublicKey="([^"]+)"', form.read_text()).group(1)


def briefcase_plain() -> tuple[bytes, dict[str, bytes]]:
    """The no-media Briefcase submission, as the manifest names its files."""
    manifest = (BRIEFCASE / "encrypted-form-submission.xml").read_bytes()
    return manifest, {
        "submission.xml.enc": (BRIEFCASE / "encrypted-form-submission.xml.enc").read_bytes()
    }


def refused(match: str):
    return pytest.raises(EncryptedSubmissionError, match=match)


# --- keys -----------------------------------------------------------------------------------


def test_form_keys_give_the_public_key_their_forms_carry():
    assert briefcase_key().public_key_b64 == form_public_key(BRIEFCASE / "encrypted-form.xml")
    assert central_key().public_key_b64 == form_public_key(CENTRAL / "encrypted-form.xml")
    pem = (CENTRAL / "pub.pem").read_text()
    assert central_key().public_key_b64 == "".join(pem.splitlines()[1:-1])


def test_fresh_form_key_round_trips_through_private_bytes():
    key = fresh_key()
    assert key.key.key_size == 2048
    again = FormKey.from_private_bytes(key.private_bytes())
    assert again.public_key_b64 == key.public_key_b64
    assert key.private_bytes().startswith(b"\x30\x82")  # DER SEQUENCE: PKCS#8
    assert "key=" not in repr(key) and "PRIVATE" not in repr(key)


def test_damaged_or_foreign_keys_are_refused():
    with pytest.raises(FormKeyError, match="damaged"):
        FormKey.from_private_bytes(b"not a key")
    with pytest.raises(FormKeyError, match="PEM"):
        FormKey.from_pem(b"-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n")
    with pytest.raises(FormKeyError, match="public_key"):
        encrypt_submission(b"<data/>", [], "f", None, "uuid:1", "not base64!")
    assert issubclass(FormKeyError, VaultError)
    assert issubclass(EncryptedSubmissionError, ValidationError)


# --- the real Briefcase submissions -----------------------------------------------------------


def test_briefcase_submission_without_media_decrypts_and_its_signature_checks():
    manifest, files = briefcase_plain()
    opened = decrypt_submission(manifest, files, briefcase_key())
    assert opened.instance_id == "uuid:494cd080-3bf4-47be-b40f-c706a950d58a"
    assert opened.form_id == "encrypted-form"
    assert opened.version is None
    assert dict(opened.media) == {}
    assert b"<name>Guillermo</name>" in opened.xml
    assert opened.xml.startswith(b"<?xml version='1.0' ?><data id=\"encrypted-form\"")
    assert b"<orx:instanceID>uuid:494cd080-3bf4-47be-b40f-c706a950d58a<" in opened.xml
    assert "Guillermo" in (BRIEFCASE / "encrypted-form.csv.expected").read_text()
    assert "Guillermo" not in repr(opened)


def test_aggregate_manifest_is_read_with_its_namespace():
    manifest = parse_manifest((BRIEFCASE / "encrypted-form-media-submission.xml").read_bytes())
    assert (
        AGGREGATE_NAMESPACE.encode()
        in (BRIEFCASE / "encrypted-form-media-submission.xml").read_bytes()
    )
    assert manifest.form_id == "encrypted-form-media"
    assert manifest.version is None
    assert manifest.instance_id == "uuid:482e83f3-fae6-43ba-a6e9-e438ffe348e3"
    assert manifest.media == ("1538040007350.jpg.enc", "1538040019351.jpg.enc")
    assert manifest.xml_file == "submission.xml.enc"
    assert len(manifest.encrypted_key) == 256 and len(manifest.signature) == 256


def test_briefcase_media_submission_xml_and_signature():
    """Its photos are not in the repository: decrypt the XML at index 2 (after the two
    photos) and check the signature from the photos' md5s in PROVENANCE.md."""
    raw = (BRIEFCASE / "encrypted-form-media-submission.xml").read_bytes()
    manifest = parse_manifest(raw)
    key = briefcase_key()
    aes = crypto._unwrap_key(key, manifest.encrypted_key)
    iv = crypto._ivs(manifest.instance_id, aes, 3)[2]
    enc = (BRIEFCASE / "encrypted-form-media-submission.xml.enc").read_bytes()
    xml, sound = crypto._decrypt_file(aes, iv, enc)
    assert sound
    assert b"<name>My name</name>" in xml
    assert b"<image1>1538040019351.jpg</image1><image2>1538040007350.jpg</image2>" in xml

    source = "".join(
        line + "\n"
        for line in [
            "encrypted-form-media",
            manifest.encrypted_key_b64,
            manifest.instance_id,
            *(f"{name}::{md5}" for name, md5 in PHOTO_MD5.items()),
            f"submission.xml::{hashlib.md5(xml).hexdigest()}",
        ]
    )
    signed = key.key.decrypt(manifest.signature, crypto._OAEP)
    assert signed == hashlib.md5(source.encode()).digest()

    # Without its photos the whole submission is refused, naming the first one missing.
    with refused("1538040007350.jpg.enc .* not supplied"):
        decrypt_submission(raw, {"submission.xml.enc": enc}, key)


@pytest.mark.skipif(
    not os.environ.get("FIELDLEDGER_ODK_PHOTOS"),
    reason="set FIELDLEDGER_ODK_PHOTOS to the shared odk-encrypted/briefcase folder",
)
def test_briefcase_media_submission_with_its_photos():
    """The full check, when the shared data set with the two encrypted photos is at hand."""
    folder = Path(os.environ["FIELDLEDGER_ODK_PHOTOS"])
    raw = (folder / "encrypted-form-media-submission.xml").read_bytes()
    names = [*(name + ".enc" for name in PHOTO_MD5), "submission.xml.enc"]
    files = {name: (folder / f"encrypted-form-media-{name}").read_bytes() for name in names}
    opened = decrypt_submission(raw, files, briefcase_key())
    assert list(opened.media) == list(PHOTO_MD5)
    for name, data in opened.media.items():
        assert hashlib.sha256(data).hexdigest() == PHOTO_SHA256[name]
    manifest = parse_manifest(raw)
    aes = crypto._unwrap_key(briefcase_key(), manifest.encrypted_key)
    _, again = crypto._encrypt_with_key(
        opened.xml, list(opened.media.items()), manifest.form_id, None,
        manifest.instance_id, briefcase_key().public_key_b64, aes,
    )  # fmt: skip
    assert again == files


# --- Central's known answers (Collect v1.22.4) ------------------------------------------------


def test_central_key_unwrap_vector():
    vectors = json.loads((CENTRAL / "collect-key-and-iv-vectors.json").read_text())["key_unwrap"]
    wrapped = base64.b64decode(vectors["base64EncryptedKey"])
    assert crypto._unwrap_key(central_key(), wrapped) == base64.b64decode(vectors["aes_key_base64"])


def test_central_iv_vectors():
    vectors = json.loads((CENTRAL / "collect-key-and-iv-vectors.json").read_text())
    vectors = vectors["iv_generation"]
    ivs = crypto._ivs(vectors["instanceID"], base64.b64decode(vectors["aes_key_base64"]), 32)
    for index, expected in vectors["ivs_hex_by_index"].items():
        assert ivs[int(index)].hex() == expected


def test_ivs_wrap_bytes_like_java():
    ivs = crypto._ivs("uuid:x", b"\0" * 32, 16 * 300)
    seed = hashlib.md5(b"uuid:x" + b"\0" * 32).digest()
    assert ivs[-1] == bytes((b + 300) % 256 for b in seed)


def test_central_xml_decrypts_at_file_index_one():
    raw = (CENTRAL / "collect-1.22.4-manifest-two.xml").read_bytes()
    manifest = parse_manifest(raw)
    assert COLLECT_NAMESPACE.encode() in raw
    assert (manifest.form_id, manifest.version) == ("encrypted", "working3")
    assert manifest.media == ("1561432532482.jpg.enc",)
    aes = crypto._unwrap_key(central_key(), manifest.encrypted_key)
    iv = crypto._ivs(manifest.instance_id, aes, 2)[1]
    enc = (CENTRAL / "collect-1.22.4-submission.xml.enc").read_bytes()
    xml, sound = crypto._decrypt_file(aes, iv, enc)
    assert sound
    assert xml == (CENTRAL / "collect-1.22.4-expected-submission.xml").read_bytes()
    # Re-encrypting Collect's plaintext under its key and IV gives Collect's bytes.
    assert crypto._encrypt_file(aes, iv, xml) == enc
    # The signature opens to an md5; the photo is not published, so it cannot be compared.
    assert len(central_key().key.decrypt(manifest.signature, crypto._OAEP)) == 16


def test_central_full_decrypt_fails_not_supplied():
    raw = (CENTRAL / "collect-1.22.4-manifest-two.xml").read_bytes()
    enc = (CENTRAL / "collect-1.22.4-submission.xml.enc").read_bytes()
    with refused("1561432532482.jpg.enc .* not supplied") as caught:
        decrypt_submission(raw, {"submission.xml.enc": enc}, central_key())
    assert caught.value.instance_id == "uuid:99b303d9-6494-477b-a30d-d8aae8867335"


def test_central_manifest_one_shape():
    manifest = parse_manifest((CENTRAL / "collect-1.22.4-manifest-one.xml").read_bytes())
    assert manifest.instance_id == "uuid:dcf4a151-5088-453f-99e6-369d67828f7a"
    assert manifest.media == ("1561432508817.jpg.enc",)
    crypto._unwrap_key(central_key(), manifest.encrypted_key)  # opens with priv.pem


# --- encrypting as Collect --------------------------------------------------------------------


def test_reencrypting_real_plaintext_reproduces_collects_files():
    manifest_raw, files = briefcase_plain()
    manifest = parse_manifest(manifest_raw)
    opened = decrypt_submission(manifest_raw, files, briefcase_key())
    aes = crypto._unwrap_key(briefcase_key(), manifest.encrypted_key)
    ours, our_files = crypto._encrypt_with_key(
        opened.xml, [], manifest.form_id, manifest.version, manifest.instance_id,
        briefcase_key().public_key_b64, aes,
    )  # fmt: skip
    assert our_files == files
    # OAEP is randomised, so the wrapped key differs, but what it wraps is the same.
    assert crypto._unwrap_key(briefcase_key(), parse_manifest(ours).encrypted_key) == aes
    assert decrypt_submission(ours, our_files, briefcase_key()).xml == opened.xml

    media = (BRIEFCASE / "encrypted-form-media-submission.xml.enc").read_bytes()
    media_manifest = parse_manifest(
        (BRIEFCASE / "encrypted-form-media-submission.xml").read_bytes()
    )
    aes = crypto._unwrap_key(briefcase_key(), media_manifest.encrypted_key)
    iv = crypto._ivs(media_manifest.instance_id, aes, 3)[2]
    assert crypto._encrypt_file(aes, iv, crypto._decrypt_file(aes, iv, media)[0]) == media


def test_manifest_has_collects_exact_layout():
    manifest, files = encrypt_submission(
        b"<data/>", [("a.jpg", b"1"), ("b & c.m4a", b"2")], "my-form", "2024 v1",
        "uuid:0001", fresh_key().public_key_b64,
    )  # fmt: skip
    text = manifest.decode()
    key = re.search(r"<base64EncryptedKey>([^<]+)<", text).group(1)
    sig = re.search(r"<base64EncryptedElementSignature>([^<]+)<", text).group(1)
    assert text == (
        '<data id="my-form" version="2024 v1" encrypted="yes" '
        'xmlns="http://www.opendatakit.org/xforms/encrypted">'
        f"<base64EncryptedKey>{key}</base64EncryptedKey>"
        '<orx:meta xmlns:orx="http://openrosa.org/xforms">'
        "<orx:instanceID>uuid:0001</orx:instanceID></orx:meta>\n"
        "<media><file>a.jpg.enc</file></media>\n"
        "<media><file>b &amp; c.m4a.enc</file></media>\n"
        "<encryptedXmlFile>submission.xml.enc</encryptedXmlFile>"
        f"<base64EncryptedElementSignature>{sig}</base64EncryptedElementSignature>"
        "</data>"
    )
    assert list(files) == ["a.jpg.enc", "b & c.m4a.enc", "submission.xml.enc"]
    assert all(len(data) == 16 for data in files.values())  # padded to one block each


def test_round_trip_with_a_fresh_form_key():
    key = fresh_key()
    photo = os.urandom(5000)
    manifest, files = encrypt_submission(
        b"<data id='f'><name>Ma Hla</name></data>", [("photo.jpg", photo), ("note.txt", b"")],
        "f", None, "uuid:abc", key.public_key_b64,
    )  # fmt: skip
    opened = decrypt_submission(manifest, files, key)
    assert opened.xml == b"<data id='f'><name>Ma Hla</name></data>"
    assert dict(opened.media) == {"photo.jpg": photo, "note.txt": b""}
    assert (opened.form_id, opened.version, opened.instance_id) == ("f", None, "uuid:abc")
    with pytest.raises(TypeError):
        opened.media["x"] = b""  # read-only


# Any text ODK can carry: no control characters, surrogates or XML non-characters.
text = st.characters(
    codec="utf-8", exclude_categories=("Cc", "Cs"), exclude_characters="\ufffe\uffff"
)
names = st.text(text.filter(lambda c: c not in "/\\"), min_size=1, max_size=12).filter(
    lambda n: n == n.strip() and n not in (".", "..", "submission.xml") and n[0] != "."
)
ids = st.text(text, min_size=1, max_size=20).map(str.strip).filter(bool)


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    xml=st.binary(max_size=300),
    media=st.lists(st.tuples(names, st.binary(max_size=100)), max_size=4, unique_by=lambda m: m[0]),
    form_id=ids,
    version=st.none() | st.text(text),
    instance_id=ids,
)
def test_round_trip_property(xml, media, form_id, version, instance_id):
    media = [(name, data) for name, data in media if not name.endswith(".enc")]
    key = fresh_key()
    manifest, files = encrypt_submission(xml, media, form_id, version, instance_id,
                                         key.public_key_b64)  # fmt: skip
    opened = decrypt_submission(manifest, files, key)
    assert (opened.xml, dict(opened.media)) == (xml, dict(media))
    assert (opened.form_id, opened.version, opened.instance_id) == (form_id, version, instance_id)


def test_encrypt_refuses_names_collect_would_not_write():
    key = fresh_key().public_key_b64
    for bad in ["../x.jpg", "a/b.jpg", "x.jpg.enc", "submission.xml", ".hidden", "a\nb", "a "]:
        with refused("cannot be the name"):
            encrypt_submission(b"<d/>", [(bad, b"")], "f", None, "uuid:1", key)
    with refused("same name"):
        encrypt_submission(b"<d/>", [("a", b""), ("a", b"")], "f", None, "uuid:1", key)
    with refused("form id"):
        encrypt_submission(b"<d/>", [], "f\nx", None, "uuid:1", key)
    with refused("instanceID"):
        encrypt_submission(b"<d/>", [], "f", None, " uuid:1", key)


# --- refusals ---------------------------------------------------------------------------------


@functools.cache
def made() -> tuple[bytes, dict[str, bytes]]:
    """A fresh submission with two media files, for tampering with."""
    return encrypt_submission(
        b"<data id='f'><name>Ko Aung</name></data>" * 4,
        [("one.jpg", os.urandom(100)), ("two.m4a", os.urandom(70))],
        "f", "3", "uuid:made", fresh_key().public_key_b64,
    )  # fmt: skip


@pytest.mark.parametrize("name", ["one.jpg.enc", "two.m4a.enc", "submission.xml.enc"])
@pytest.mark.parametrize("where", [0, 17, -20, -1])
def test_flipped_byte_in_any_file_is_refused(name, where):
    manifest, files = made()
    data = bytearray(files[name])
    data[where] ^= 0x01
    with refused("does not match its signature"):
        decrypt_submission(manifest, {**files, name: bytes(data)}, fresh_key())


def test_real_submission_with_a_flipped_byte_is_refused():
    manifest, files = briefcase_plain()
    data = bytearray(files["submission.xml.enc"])
    data[40] ^= 0x80
    with refused("does not match its signature"):
        decrypt_submission(manifest, {"submission.xml.enc": bytes(data)}, briefcase_key())


def test_altered_manifest_fields_are_refused():
    manifest, files = briefcase_plain()
    other_id = manifest.replace(b'id="encrypted-form"', b'id="encrypted-forn"')
    with refused("does not match its signature"):
        decrypt_submission(other_id, files, briefcase_key())
    with_version = manifest.replace(b'encrypted="yes"', b'encrypted="yes" version="2"')
    with refused("does not match its signature"):
        decrypt_submission(with_version, files, briefcase_key())


def test_unsigned_submission_is_refused():
    manifest, files = briefcase_plain()
    unsigned = re.sub(
        rb"\s*<base64EncryptedElementSignature>[^<]*</base64EncryptedElementSignature>",
        b"",
        manifest,
    )
    assert parse_manifest(unsigned).signature is None
    with refused("no signature"):
        decrypt_submission(unsigned, files, briefcase_key())
    empty = re.sub(rb"(<base64EncryptedElementSignature>)[^<]*", rb"\1", manifest)
    with refused("no signature"):
        decrypt_submission(empty, files, briefcase_key())


def test_signature_from_another_submission_is_refused():
    manifest, files = briefcase_plain()
    theirs = re.search(
        rb"<base64EncryptedElementSignature>[^<]*<",
        (BRIEFCASE / "encrypted-form-media-submission.xml").read_bytes(),
    ).group(0)
    swapped = re.sub(rb"<base64EncryptedElementSignature>[^<]*<", theirs, manifest)
    with refused("does not match its signature"):
        decrypt_submission(swapped, files, briefcase_key())


def test_wrong_private_key_is_refused():
    manifest, files = briefcase_plain()
    with refused("does not open with this form's key"):
        decrypt_submission(manifest, files, central_key())


def test_truncated_ciphertext_is_refused():
    manifest, files = made()
    cut = {**files, "two.m4a.enc": files["two.m4a.enc"][:-5]}
    with refused("two.m4a.enc .* cut short"):
        decrypt_submission(manifest, cut, fresh_key())
    empty = {**files, "submission.xml.enc": b""}
    with refused("cut short"):
        decrypt_submission(manifest, empty, fresh_key())
    # Cut at a block boundary the length looks right; the signature catches it.
    block = {**files, "submission.xml.enc": files["submission.xml.enc"][:-16]}
    with refused("does not match its signature"):
        decrypt_submission(manifest, block, fresh_key())


def test_bad_base64_is_refused():
    manifest, files = briefcase_plain()
    bad_key = manifest.replace(b"<base64EncryptedKey>Fh1N", b"<base64EncryptedKey>F*1N")
    with refused("base64EncryptedKey.* not valid base64"):
        decrypt_submission(bad_key, files, briefcase_key())
    bad_sig = manifest.replace(b"Signature>y6C9", b"Signature>y6C")
    with refused("base64EncryptedElementSignature.* not valid base64"):
        decrypt_submission(bad_sig, files, briefcase_key())


def test_missing_and_unlisted_files_are_refused():
    manifest, files = made()
    for name in files:
        partial = {k: v for k, v in files.items() if k != name}
        with refused(f"{re.escape(name)} of this submission was not supplied"):
            decrypt_submission(manifest, partial, fresh_key())
    with refused("extra.jpg.enc came with this submission"):
        decrypt_submission(manifest, {**files, "extra.jpg.enc": b"x" * 16}, fresh_key())


@pytest.mark.parametrize(
    "manifest",
    [
        b"",
        b"not xml at all",
        b"<data><unclosed></data>",
        b"\xff\xfe<data/>",
        b'<data id="x" encrypted="yes">&undeclared;</data>',
        b"<a/><b/>",
    ],
)
def test_manifest_that_is_not_xml_is_refused(manifest):
    with refused("not readable XML"):
        parse_manifest(manifest)


BILLION_LAUGHS = b"""<?xml version="1.0"?>
<!DOCTYPE data [
 <!ENTITY lol "lol">
 <!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
 <!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">
 <!ENTITY lol4 "&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;">
 <!ENTITY lol5 "&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;">
 <!ENTITY lol6 "&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;">
 <!ENTITY lol7 "&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;">
 <!ENTITY lol8 "&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;">
 <!ENTITY lol9 "&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;">
]>
<data xmlns="http://opendatakit.org/submissions" id="&lol9;" encrypted="yes"/>"""


@pytest.mark.parametrize(
    "manifest",
    [
        BILLION_LAUGHS,
        b'<!DOCTYPE data [<!ENTITY x SYSTEM "file:///etc/passwd">]>'
        b'<data xmlns="http://opendatakit.org/submissions" id="&x;" encrypted="yes"/>',
        b'<!DOCTYPE data SYSTEM "http://example.invalid/odk.dtd"><data/>',
        b"<!DOCTYPE data><data/>",
    ],
)
def test_manifest_with_a_dtd_is_refused_unread(manifest):
    start = time.perf_counter()
    with refused("declares a DTD or entities"):
        parse_manifest(manifest)
    assert time.perf_counter() - start < 0.5


def test_oversized_manifest_is_refused():
    with refused("far too large"):
        parse_manifest(b"<data>" + b" " * (1 << 20) + b"</data>")


def _briefcase_manifest_with(old: bytes, new: bytes) -> bytes:
    manifest = (BRIEFCASE / "encrypted-form-media-submission.xml").read_bytes()
    assert old in manifest
    return manifest.replace(old, new, 1)


@pytest.mark.parametrize(
    ("old", "new", "message"),
    [
        (b'encrypted="yes"', b'encrypted="no"', 'not marked encrypted="yes"'),
        (b'id="encrypted-form-media" ', b"", "does not name its form"),
        (b"xmlns=\"http://opendatakit.org/submissions\"", b"", "not the manifest"),
        (b"<encryptedXmlFile>submission.xml.enc</encryptedXmlFile>", b"", "no <encryptedXmlFile>"),
        (b"<encryptedXmlFile>", b"<encryptedXmlFile>x.enc</encryptedXmlFile><encryptedXmlFile>",
         "more than one <encryptedXmlFile>"),
        (b"<base64EncryptedKey>", b"<base64EncryptedKey>AA==</base64EncryptedKey>"
         b"<base64EncryptedKey>",
         "more than one <base64EncryptedKey>"),
        (b"<n0:instanceID>", b"<n0:instanceID>uuid:1</n0:instanceID><n0:instanceID>",
         "more than one <instanceID>"),
        (b"<n0:instanceID>uuid:482e83f3-fae6-43ba-a6e9-e438ffe348e3<", b"<n0:instanceID> <",
         "empty <instanceID>"),
        (b'instanceID="uuid:482e', b'instanceID="uuid:999e', "two different instanceIDs"),
        (b"<file>1538040007350.jpg.enc", b"<file>../../etc/passwd.enc", "not a plain"),
        (b"<file>1538040007350.jpg.enc", b"<file>1538040007350.jpg", "not a plain"),
        (b"<file>1538040007350.jpg.enc", b"<file>1538040019351.jpg.enc", "same file twice"),
        (b"<file>1538040007350.jpg.enc", b"<file>submission.xml.enc", "same file twice"),
        (b"<media>\n    <file>1538040007350.jpg.enc</file>\n  </media>", b"<media/>", "no <file>"),
        (b"http://openrosa.org/xforms", b"http://example.org/xforms", "no <meta>"),
    ],
)  # fmt: skip
def test_malformed_manifests_are_refused(old, new, message):
    with refused(re.escape(message)):
        parse_manifest(_briefcase_manifest_with(old, new))


def test_manifest_without_a_key_is_refused():
    manifest = re.sub(
        rb"<base64EncryptedKey>[^<]*</base64EncryptedKey>",
        b"",
        (BRIEFCASE / "encrypted-form-submission.xml").read_bytes(),
    )
    with refused("no <base64EncryptedKey>"):
        parse_manifest(manifest)


def test_refusals_are_one_line_and_carry_no_key_material():
    manifest, files = briefcase_plain()
    key_text = parse_manifest(manifest).encrypted_key_b64
    cases = [
        (manifest, {}, briefcase_key()),
        (manifest, files, central_key()),
        (manifest, {"submission.xml.enc": files["submission.xml.enc"][:-1]}, briefcase_key()),
    ]
    for raw, given_files, key in cases:
        with pytest.raises(EncryptedSubmissionError) as caught:
            decrypt_submission(raw, given_files, key)
        message = str(caught.value)
        assert "\n" not in message and key_text[:12] not in message


@settings(max_examples=200, deadline=None)
@given(st.binary(max_size=400))
def test_any_bytes_as_manifest_parse_or_refuse(data):
    with contextlib.suppress(EncryptedSubmissionError):  # anything else is a bug
        parse_manifest(data)


@settings(max_examples=100, deadline=None)
@given(st.data())
def test_a_mangled_real_manifest_opens_or_is_refused(data):
    manifest, files = briefcase_plain()
    at = data.draw(st.integers(0, len(manifest) - 1))
    new = data.draw(st.binary(max_size=3))
    mangled = manifest[:at] + new + manifest[at + 1 :]
    try:
        opened = decrypt_submission(mangled, files, briefcase_key())
    except EncryptedSubmissionError:
        return
    assert b"<name>Guillermo</name>" in opened.xml  # only a harmless change can open
