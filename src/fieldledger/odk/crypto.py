"""ODK encrypted forms: the submission format ODK Collect writes and Briefcase and Central read.

A form with a ``public_key`` setting makes Collect encrypt every submission on the phone:

1. a random 256-bit AES key per submission, wrapped with the form's RSA public key as Java's
   ``RSA/NONE/OAEPWithSHA256AndMGF1Padding`` under Bouncy Castle, i.e. OAEP with SHA-256
   *and* MGF1-SHA-256 (Central's ``quarantine/oaep.js`` explains the trap: Java's own
   provider would use MGF1-SHA-1 for the same name). The result is ``base64EncryptedKey``;
2. each file, the media in manifest order and then ``submission.xml`` last, encrypted as
   Java's ``AES/CFB/PKCS5Padding``: full-block CFB-128 over the file padded with PKCS#7 to
   16 bytes. The IV of file *i* (counting from 0) is md5(instanceID in UTF-8 || AES key)
   with, for every k in 0..i, byte ``k % 16`` incremented by one (mod 256);
3. a plaintext manifest, ``submission.xml``, naming the files, carrying the wrapped key, the
   instanceID and ``base64EncryptedElementSignature``: the RSA-OAEP encryption (as in 1) of
   the md5 of the lines ``formId``, ``version`` (only if the form has one),
   ``base64EncryptedKey``, ``instanceID``, then ``name::md5hex`` for every file in
   encryption order, each line ending in ``\\n``. ``name`` is the file name *without*
   ``.enc`` and the md5 is of the *plaintext* file, lower-case hex (ODK's spec and Collect's
   ``EncryptionUtils``; checked against Briefcase's real submissions).

The signature is not a signature in the usual sense: it is encrypted with the *public* key,
so anyone who has the form can make a submission that checks. It catches files that were
damaged, swapped or altered by someone without the form; who sent a submission must come
from the channel that delivered it (the device's account), never from this module.

Nothing here writes to disk: plaintext exists only in the returned objects. Every refusal is
one `EncryptedSubmissionError` whose message a field worker can act on; it carries the
submission's instanceID as ``instance_id``, and its message may name a file but never shows
content or any key. A file whose padding is wrong
is refused with the same message, after the same work, as a file that does not match the
signature, so a server using this module cannot be used as a padding oracle.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import os
import xml.etree.ElementTree as ET
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import NoReturn
from xml.parsers import expat

from cryptography.exceptions import UnsupportedAlgorithm
from cryptography.hazmat.decrepit.ciphers.modes import CFB
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives import padding as sympadding
from cryptography.hazmat.primitives.asymmetric import padding, rsa
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms

from fieldledger.errors import ValidationError, VaultError

__all__ = [
    "AGGREGATE_NAMESPACE",
    "COLLECT_NAMESPACE",
    "OPENROSA_NAMESPACE",
    "Decrypted",
    "EncryptedSubmissionError",
    "FormKey",
    "FormKeyError",
    "Manifest",
    "decrypt_submission",
    "encrypt_submission",
    "parse_manifest",
]

# Collect writes its manifests in this namespace; Aggregate (and so Briefcase, which pulls
# from it) rewrites them into the second one.
COLLECT_NAMESPACE = "http://www.opendatakit.org/xforms/encrypted"
AGGREGATE_NAMESPACE = "http://opendatakit.org/submissions"
OPENROSA_NAMESPACE = "http://openrosa.org/xforms"
# Form instances often declare the OpenRosa namespace with a trailing slash; a manifest
# written by hand or by another tool might too.
_OPENROSA_NAMESPACES = (OPENROSA_NAMESPACE, OPENROSA_NAMESPACE + "/")

KEY_BITS = 2048
_AES_KEY_BYTES = 32
_BLOCK = 16
_ENC = ".enc"
# A real manifest is a few kilobytes even with dozens of photos; anything far bigger is not a
# manifest, and refusing it early keeps a hostile upload from costing memory.
_MAX_MANIFEST_BYTES = 1 << 20

# Java's "OAEPWithSHA256AndMGF1Padding" as Bouncy Castle implements it, which is what Collect
# uses on Android and what Briefcase and Central decrypt.
_OAEP = padding.OAEP(mgf=padding.MGF1(hashes.SHA256()), algorithm=hashes.SHA256(), label=None)


class EncryptedSubmissionError(ValidationError):
    """An ODK encrypted submission cannot be opened or made.

    Raised when its manifest is malformed, a file is missing, cut short or altered, the
    signature is missing or does not match, or the form key does not open it.
    ``instance_id`` names the submission when the manifest got far enough to say.
    """

    def __init__(self, message: str, instance_id: str | None = None) -> None:
        super().__init__(message)
        self.instance_id = instance_id


class FormKeyError(VaultError):
    """A form's key pair cannot be loaded: damaged bytes, not RSA, or too short."""


@dataclass(frozen=True, eq=False)
class FormKey:
    """The RSA key pair of one encrypted form.

    The public half goes into the form (XLSForm ``public_key`` setting, which becomes
    ``base64RsaPublicKey``); the private half opens its submissions and must live only in
    the vault: `private_bytes` is unencrypted PKCS#8 for the vault to seal.
    """

    key: rsa.RSAPrivateKey = field(repr=False)

    @classmethod
    def generate(cls) -> FormKey:
        return cls(rsa.generate_private_key(public_exponent=65537, key_size=KEY_BITS))

    @classmethod
    def from_private_bytes(cls, data: bytes) -> FormKey:
        """Load the PKCS#8 DER bytes that `private_bytes` returned."""
        try:
            key = serialization.load_der_private_key(data, password=None)
        except (ValueError, TypeError, UnsupportedAlgorithm):
            raise FormKeyError("The form's private key is damaged and cannot be read.") from None
        return cls(_checked_private(key))

    @classmethod
    def from_pem(cls, data: bytes) -> FormKey:
        """Load an unencrypted PEM private key (PKCS#1 or PKCS#8), as ODK's own guides make
        with openssl and as Briefcase reads."""
        try:
            key = serialization.load_pem_private_key(data, password=None)
        except (ValueError, TypeError, UnsupportedAlgorithm):
            raise FormKeyError(
                "This file is not an unencrypted PEM private key; give the .pem file that was "
                "made with the form's public key."
            ) from None
        return cls(_checked_private(key))

    def private_bytes(self) -> bytes:
        return self.key.private_bytes(
            serialization.Encoding.DER,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )

    @property
    def public_key_b64(self) -> str:
        """Base64 of the DER SubjectPublicKeyInfo, one line: what ``public_key`` wants."""
        der = self.key.public_key().public_bytes(
            serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
        )
        return base64.b64encode(der).decode("ascii")


def _large_enough(bits: int) -> None:
    if bits < KEY_BITS:
        raise FormKeyError(
            f"The form's key is {bits} bits; make a new key of at least {KEY_BITS} bits."
        )


def _checked_private(key: object) -> rsa.RSAPrivateKey:
    if not isinstance(key, rsa.RSAPrivateKey):
        raise FormKeyError("The form's private key is not an RSA key, so ODK cannot use it.")
    _large_enough(key.key_size)
    return key


def _load_public_key(public_key_b64: str) -> rsa.RSAPublicKey:
    try:
        der = base64.b64decode("".join(public_key_b64.split()), validate=True)
        key = serialization.load_der_public_key(der)
    except (ValueError, binascii.Error, UnsupportedAlgorithm):
        raise FormKeyError(
            "The form's public key is not a base64 RSA public key; copy the public_key setting "
            "again, in full."
        ) from None
    if not isinstance(key, rsa.RSAPublicKey):
        raise FormKeyError("The form's public key is not an RSA key, so ODK cannot use it.")
    _large_enough(key.key_size)
    return key


@dataclass(frozen=True)
class Manifest:
    """What a submission manifest says. File names are as listed, ``.enc`` included."""

    form_id: str
    version: str | None
    instance_id: str
    encrypted_key: bytes = field(repr=False)
    # The key exactly as written: the signature covers this text, not the decoded bytes.
    encrypted_key_b64: str = field(repr=False)
    media: tuple[str, ...]
    xml_file: str
    signature: bytes | None = field(repr=False)


@dataclass(frozen=True)
class Decrypted:
    """One opened submission. ``media`` maps each file's name (without ``.enc``) to its bytes,
    in manifest order. Content is kept out of the repr so it never reaches a log."""

    instance_id: str
    form_id: str
    version: str | None
    xml: bytes = field(repr=False)
    media: Mapping[str, bytes] = field(repr=False)


# --- the manifest -------------------------------------------------------------------------


class _Forbidden(Exception):
    """Raised from the expat handlers to stop at a DTD or entity declaration."""


def _refuse(message: str, instance_id: str | None = None) -> NoReturn:
    raise EncryptedSubmissionError(message, instance_id)


def _parse_xml(data: bytes) -> ET.Element:
    """Parse with expat directly so that any DTD stops the parse before it is read: ODK never
    writes one, and a DTD is how entity-expansion and external-entity attacks arrive."""
    if len(data) > _MAX_MANIFEST_BYTES:
        _refuse("The submission's manifest is far too large to be an ODK manifest; refused.")
    builder = ET.TreeBuilder()
    parser = expat.ParserCreate(namespace_separator=" ")

    def name(raw: str) -> str:
        uri, _, local = raw.rpartition(" ")
        return f"{{{uri}}}{local}" if uri else local

    def forbid(*_args: object) -> NoReturn:
        raise _Forbidden

    parser.StartElementHandler = lambda tag, attrs: builder.start(
        name(tag), {name(k): v for k, v in attrs.items()}
    )
    parser.EndElementHandler = lambda tag: builder.end(name(tag))
    parser.CharacterDataHandler = builder.data
    parser.StartDoctypeDeclHandler = forbid
    parser.EntityDeclHandler = forbid
    parser.UnparsedEntityDeclHandler = forbid
    parser.ExternalEntityRefHandler = forbid
    parser.SetParamEntityParsing(expat.XML_PARAM_ENTITY_PARSING_NEVER)
    try:
        parser.Parse(data, True)
    except _Forbidden:
        _refuse(
            "The submission's manifest declares a DTD or entities, which ODK never writes; "
            "it was refused unread."
        )
    except expat.ExpatError:
        _refuse("The submission's manifest is not readable XML; ask for it to be sent again.")
    return builder.close()


def _text(element: ET.Element) -> str:
    return (element.text or "").strip()


def _only(
    parent: ET.Element, tags: str | tuple[str, ...], what: str, iid: str | None
) -> ET.Element:
    tags = (tags,) if isinstance(tags, str) else tags
    found = [child for child in parent if child.tag in tags]
    if len(found) != 1:
        how = "no" if not found else "more than one"
        _refuse(
            f"The submission's manifest has {how} <{what}>; it is not a whole ODK "
            "encrypted submission.",
            iid,
        )
    return found[0]


def _b64(text: str, what: str, iid: str | None) -> bytes:
    try:
        return base64.b64decode(text, validate=True)
    except (binascii.Error, ValueError):
        _refuse(
            f"The <{what}> of the submission's manifest is not valid base64; the manifest "
            "was damaged on the way.",
            iid,
        )


def _unsafe(text: str) -> bool:
    """A control character or a code point XML cannot carry: every name and id here is one
    line of the signature source and one XML attribute or text, and either would turn
    ambiguous."""
    return any(
        ord(c) < 0x20 or ord(c) in (0x7F, 0xFFFE, 0xFFFF) or 0xD800 <= ord(c) <= 0xDFFF
        for c in text
    )


def _file_name(name: str, iid: str | None) -> str:
    # The names become dictionary keys and lines of the signature: a name with a path, a
    # control character or no ".enc" is not something Collect writes.
    plain = name[: -len(_ENC)]
    if (
        not name.endswith(_ENC)
        or plain in ("", ".", "..")
        or any(c in name for c in "/\\")
        or _unsafe(name)
    ):
        _refuse(
            "The submission's manifest lists a file whose name is not a plain "
            "'<name>.enc' file name; refused.",
            iid,
        )
    return name


def parse_manifest(xml_bytes: bytes) -> Manifest:
    """Read a submission manifest written by Collect, or by Aggregate/Briefcase after a pull.

    Checks its shape only; `decrypt_submission` checks that it is true.
    """
    root = _parse_xml(xml_bytes)
    namespace = next(
        (ns for ns in (COLLECT_NAMESPACE, AGGREGATE_NAMESPACE) if root.tag == f"{{{ns}}}data"),
        None,
    )
    if namespace is None:
        _refuse(
            "This is not the manifest of an ODK encrypted submission (its root is not "
            "<data> in ODK's namespace)."
        )

    def tag(local: str) -> str:
        return f"{{{namespace}}}{local}"

    meta = _only(root, tuple(f"{{{ns}}}meta" for ns in _OPENROSA_NAMESPACES), "meta", None)
    meta_ns = meta.tag[1 : meta.tag.index("}")]
    iid = _text(_only(meta, f"{{{meta_ns}}}instanceID", "instanceID", None))
    if not iid:
        _refuse("The submission's manifest has an empty <instanceID>; refused.")
    # Aggregate copies the instanceID onto the root; if the copy disagrees, the manifest was
    # put together from two submissions.
    if root.get("instanceID") not in (None, iid):
        _refuse("The submission's manifest names two different instanceIDs; refused.", iid)
    if root.get("encrypted") != "yes":
        _refuse(
            'The submission\'s manifest is not marked encrypted="yes"; it is not an ODK '
            "encrypted submission.",
            iid,
        )
    form_id = root.get("id") or ""
    if not form_id:
        _refuse("The submission's manifest does not name its form (no id); refused.", iid)

    key_text = _text(_only(root, tag("base64EncryptedKey"), "base64EncryptedKey", iid))
    encrypted_key = _b64(key_text, "base64EncryptedKey", iid)
    xml_file = _file_name(_text(_only(root, tag("encryptedXmlFile"), "encryptedXmlFile", iid)), iid)
    media = tuple(
        _file_name(_text(_only(element, tag("file"), "file", iid)), iid)
        for element in root
        if element.tag == tag("media")
    )
    if len(set(media) | {xml_file}) != len(media) + 1:
        _refuse("The submission's manifest lists the same file twice; refused.", iid)
    signature_elements = [
        child for child in root if child.tag == tag("base64EncryptedElementSignature")
    ]
    if len(signature_elements) > 1:
        _refuse("The submission's manifest has more than one signature; refused.", iid)
    signature = (
        _b64(_text(signature_elements[0]), "base64EncryptedElementSignature", iid)
        if signature_elements and _text(signature_elements[0])
        else None
    )
    return Manifest(
        form_id=form_id,
        version=root.get("version"),
        instance_id=iid,
        encrypted_key=encrypted_key,
        encrypted_key_b64=key_text,
        media=media,
        xml_file=xml_file,
        signature=signature,
    )


# --- the primitives -----------------------------------------------------------------------


def _ivs(instance_id: str, aes_key: bytes, count: int) -> list[bytes]:
    """The IV of each of the first `count` files, exactly as Collect's getCipher() steps them."""
    seed = bytearray(hashlib.md5(instance_id.encode("utf-8") + aes_key).digest())
    ivs = []
    for index in range(count):
        seed[index % _BLOCK] = (seed[index % _BLOCK] + 1) & 0xFF  # a Java byte wraps
        ivs.append(bytes(seed))
    return ivs


def _unwrap_key(private_key: FormKey, encrypted_key: bytes, iid: str | None = None) -> bytes:
    try:
        aes_key = private_key.key.decrypt(encrypted_key, _OAEP)
    except ValueError:
        aes_key = b""
    if len(aes_key) != _AES_KEY_BYTES:
        _refuse(
            "This submission does not open with this form's key: it was made for another "
            "form or another key, or its manifest was damaged.",
            iid,
        )
    return aes_key


def _encrypt_file(aes_key: bytes, iv: bytes, plaintext: bytes) -> bytes:
    padder = sympadding.PKCS7(_BLOCK * 8).padder()
    padded = padder.update(plaintext) + padder.finalize()
    encryptor = Cipher(algorithms.AES(aes_key), CFB(iv)).encryptor()
    return encryptor.update(padded) + encryptor.finalize()


def _decrypt_file(aes_key: bytes, iv: bytes, data: bytes) -> tuple[bytes, bool]:
    """The plaintext and whether its padding was sound. On bad padding the padded bytes are
    returned so that the caller does the same work (md5, signature) before refusing."""
    decryptor = Cipher(algorithms.AES(aes_key), CFB(iv)).decryptor()
    padded = decryptor.update(data) + decryptor.finalize()
    unpadder = sympadding.PKCS7(_BLOCK * 8).unpadder()
    try:
        return unpadder.update(padded) + unpadder.finalize(), True
    except ValueError:
        return padded, False


def _signature_source(
    form_id: str,
    version: str | None,
    encrypted_key_b64: str,
    instance_id: str,
    plaintexts: Sequence[tuple[str, bytes]],
) -> bytes:
    """The text whose md5 is signed; `plaintexts` are (name without .enc, bytes) in order."""
    lines = [form_id, *([version] if version is not None else []), encrypted_key_b64, instance_id]
    lines += [f"{name}::{hashlib.md5(data).hexdigest()}" for name, data in plaintexts]
    return "".join(line + "\n" for line in lines).encode("utf-8")


# --- decrypting ---------------------------------------------------------------------------


def decrypt_submission(
    manifest_bytes: bytes, files: Mapping[str, bytes], private_key: FormKey
) -> Decrypted:
    """Open one encrypted submission: its manifest and its ``.enc`` files by listed name.

    Refuses with `EncryptedSubmissionError` unless every listed file, and nothing else, is
    supplied, the form key opens it, every file decrypts and the signature matches.
    """
    manifest = parse_manifest(manifest_bytes)
    iid = manifest.instance_id
    if manifest.signature is None:
        _refuse(
            "This submission carries no signature, so a change to it could not be "
            "detected; refused. Ask for it to be sent again from ODK Collect.",
            iid,
        )
    listed = (*manifest.media, manifest.xml_file)
    for name in listed:
        if name not in files:
            _refuse(
                f"The file {name} of this submission was not supplied; ask for the whole "
                "submission to be sent again.",
                iid,
            )
    unlisted = sorted(set(files) - set(listed))
    if unlisted:
        _refuse(
            f"The file {unlisted[0]} came with this submission but its manifest does not "
            "list it; refused.",
            iid,
        )

    aes_key = _unwrap_key(private_key, manifest.encrypted_key, iid)
    opened: list[tuple[str, bytes]] = []
    sound = True
    for name, iv in zip(listed, _ivs(iid, aes_key, len(listed)), strict=True):
        data = files[name]
        if not data or len(data) % _BLOCK:
            _refuse(
                f"The file {name} of this submission is cut short; ask for it to be sent again.",
                iid,
            )
        plaintext, padded_ok = _decrypt_file(aes_key, iv, data)
        sound &= padded_ok
        opened.append((name[: -len(_ENC)], plaintext))

    expected = hashlib.md5(
        _signature_source(
            manifest.form_id, manifest.version, manifest.encrypted_key_b64, iid, opened
        )
    ).digest()
    try:
        signed = private_key.key.decrypt(manifest.signature, _OAEP)
    except ValueError:
        signed = b""
    if not (hmac.compare_digest(signed, expected) and sound):
        _refuse(
            "This submission does not match its signature: one of its files was changed "
            "or damaged on the way. Ask for it to be sent again.",
            iid,
        )

    *media, (_, xml) = opened
    return Decrypted(
        instance_id=iid,
        form_id=manifest.form_id,
        version=manifest.version,
        xml=xml,
        media=MappingProxyType(dict(media)),
    )


# --- encrypting (what Collect does on the phone) ------------------------------------------


def _escape(text: str, attribute: bool = False) -> str:
    # kXML's serializer, which Collect writes the manifest with, escapes exactly these.
    text = text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    if attribute:
        text = text.replace('"', "&quot;")
        text = text.replace("\n", "&#10;").replace("\r", "&#13;").replace("\t", "&#9;")
    return text


def _check_media_name(name: str) -> None:
    if (
        name in ("", ".", "..", "submission.xml")
        or name != name.strip()  # a manifest reader strips the text of <file>
        or name.endswith(_ENC)
        or name.startswith(".")  # Collect skips dot files as junk
        or any(c in name for c in "/\\")
        or _unsafe(name)
    ):
        _refuse(f"{name!r} cannot be the name of a file in an ODK submission.")


def encrypt_submission(
    xml: bytes,
    media: Sequence[tuple[str, bytes]],
    form_id: str,
    version: str | None,
    instance_id: str,
    public_key_b64: str,
) -> tuple[bytes, dict[str, bytes]]:
    """Encrypt a submission exactly as ODK Collect does, for the form's public key.

    Returns the manifest (the bytes Collect posts as ``xml_submission_file``) and the
    encrypted files by name: each media file as ``<name>.enc`` in the given order, then
    ``submission.xml.enc``.
    """
    return _encrypt_with_key(
        xml, media, form_id, version, instance_id, public_key_b64, os.urandom(_AES_KEY_BYTES)
    )


def _encrypt_with_key(
    xml: bytes,
    media: Sequence[tuple[str, bytes]],
    form_id: str,
    version: str | None,
    instance_id: str,
    public_key_b64: str,
    aes_key: bytes,
) -> tuple[bytes, dict[str, bytes]]:
    """`encrypt_submission` with the AES key given: tests use it to rebuild real Collect
    files byte for byte from their plaintext and the key recovered from them."""
    public_key = _load_public_key(public_key_b64)
    if len(aes_key) != _AES_KEY_BYTES:
        raise ValueError("the AES key must be 32 bytes")
    for value, what in ((form_id, "form id"), (instance_id, "instanceID")):
        if not value.strip() or value != value.strip():
            _refuse(f"The {what} of a submission cannot be empty or start or end with spaces.")
    for value, what in ((form_id, "form id"), (version or "", "version"), (instance_id, "ID")):
        if _unsafe(value):
            _refuse(f"The form {what} of a submission contains a character ODK cannot carry.")
    names = [name for name, _ in media]
    for name in names:
        _check_media_name(name)
    if len(set(names)) != len(names):
        _refuse("Two files of one submission cannot have the same name.")

    plaintexts = [*media, ("submission.xml", xml)]
    ivs = _ivs(instance_id, aes_key, len(plaintexts))
    files = {
        name + _ENC: _encrypt_file(aes_key, iv, data)
        for (name, data), iv in zip(plaintexts, ivs, strict=True)
    }
    key_b64 = base64.b64encode(public_key.encrypt(aes_key, _OAEP)).decode("ascii")
    digest = hashlib.md5(
        _signature_source(form_id, version, key_b64, instance_id, plaintexts)
    ).digest()
    signature_b64 = base64.b64encode(public_key.encrypt(digest, _OAEP)).decode("ascii")

    # Collect's layout, byte for byte: attributes before the namespace declaration, a newline
    # after <orx:meta> and after each <media>, no XML declaration, no final newline.
    version_attr = f' version="{_escape(version, True)}"' if version is not None else ""
    parts = [
        f'<data id="{_escape(form_id, True)}"{version_attr} encrypted="yes" '
        f'xmlns="{COLLECT_NAMESPACE}">',
        f"<base64EncryptedKey>{key_b64}</base64EncryptedKey>",
        f'<orx:meta xmlns:orx="{OPENROSA_NAMESPACE}">'
        f"<orx:instanceID>{_escape(instance_id)}</orx:instanceID></orx:meta>\n",
        *(f"<media><file>{_escape(name + _ENC)}</file></media>\n" for name in names),
        "<encryptedXmlFile>submission.xml.enc</encryptedXmlFile>",
        f"<base64EncryptedElementSignature>{signature_b64}</base64EncryptedElementSignature>",
        "</data>",
    ]
    return "".join(parts).encode("utf-8"), files
