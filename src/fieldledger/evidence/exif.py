"""What kind of file a piece of evidence is, when an image says it was taken, and a copy of
an image with nothing but its pixels.

Photos carry metadata that betrays sources: GPS position, the camera's serial number, the
owner's name, edit history (XMP), a thumbnail of the uncropped picture. The shareable copy
is rebuilt from the decoded pixels alone, after applying the EXIF orientation, and saved
with no metadata; the result is checked again before anyone gets it. Formats whose metadata
Pillow cannot rebuild away (video, audio, documents) are refused, never passed through.
"""

from __future__ import annotations

import datetime as dt
import io
import mimetypes
import warnings

from fieldledger.errors import RecordError

# media type -> Pillow format for the clean copy
STRIPPABLE = {
    "image/jpeg": "JPEG",
    "image/png": "PNG",
    "image/webp": "WEBP",
    "image/tiff": "TIFF",
}
SNIFF_BYTES = 64

_MAGIC: list[tuple[int, bytes, str]] = [
    (0, b"\xff\xd8\xff", "image/jpeg"),
    (0, b"\x89PNG\r\n\x1a\n", "image/png"),
    (0, b"II*\x00", "image/tiff"),
    (0, b"MM\x00*", "image/tiff"),
    (0, b"GIF87a", "image/gif"),
    (0, b"GIF89a", "image/gif"),
    (0, b"%PDF-", "application/pdf"),
    (0, b"ID3", "audio/mpeg"),
    (0, b"OggS", "audio/ogg"),
    (0, b"fLaC", "audio/flac"),
    (0, b"\x1a\x45\xdf\xa3", "video/x-matroska"),
    (0, b"PK\x03\x04", "application/zip"),
]
_RIFF = {b"WEBP": "image/webp", b"WAVE": "audio/wav", b"AVI ": "video/x-msvideo"}
_FTYP_AUDIO = (b"M4A ", b"M4B ")
_FTYP_IMAGE = (b"heic", b"heix", b"mif1", b"msf1")

_EXIF_IFD = 0x8769
_DATETIME_ORIGINAL = 0x9003
_LEFTOVERS = ("exif", "xmp", "XML:com.adobe.xmp", "icc_profile", "comment", "photoshop")
# TIFF keeps its image structure in the same tags as EXIF: these say how to read the pixels
# and nothing else (no make, model, software, date, GPS or EXIF sub-IFD).
_TIFF_STRUCTURE = frozenset(
    {256, 257, 258, 259, 262, 273, 277, 278, 279, 282, 283, 284, 296, 317, 320, 338, 339}
)

_EXTENSIONS = {
    "image/jpeg": ".jpg",
    "image/tiff": ".tif",
    "audio/mpeg": ".mp3",
    "audio/mp4": ".m4a",
    "video/mp4": ".mp4",
    "image/heic": ".heic",
    "application/octet-stream": ".bin",
}


def sniff(head: bytes, filename: str = "") -> str:
    """The media type from the file's first bytes; its name only when they say nothing."""
    for offset, magic, media_type in _MAGIC:
        if head[offset : offset + len(magic)] == magic:
            return media_type
    if head[:4] == b"RIFF" and head[8:12] in _RIFF:
        return _RIFF[head[8:12]]
    if head[4:8] == b"ftyp":
        brand = head[8:12]
        if brand in _FTYP_AUDIO:
            return "audio/mp4"
        if brand in _FTYP_IMAGE:
            return "image/heic"
        return "video/quicktime" if brand == b"qt  " else "video/mp4"
    guessed, _ = mimetypes.guess_type(filename)
    return guessed or "application/octet-stream"


def kind_for(media_type: str) -> str:
    """The evidence kind a media type suggests."""
    top = media_type.split("/", 1)[0]
    return {"image": "photo", "video": "video", "audio": "audio"}.get(top, "document")


def extension(media_type: str) -> str:
    return _EXTENSIONS.get(media_type) or mimetypes.guess_extension(media_type) or ".bin"


def _open(data: bytes):
    from PIL import Image

    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            im = Image.open(io.BytesIO(data))
            im.load()
    except (Image.DecompressionBombError, Image.DecompressionBombWarning):
        raise RecordError("the image is too large to process safely") from None
    except (OSError, SyntaxError, ValueError) as exc:
        raise RecordError(f"the image cannot be read: {exc}") from None
    return im


def captured_on(data: bytes) -> dt.date | None:
    """The date the camera recorded (EXIF DateTimeOriginal), if the image carries one."""
    try:
        im = _open(data)
        value = im.getexif().get_ifd(_EXIF_IFD).get(_DATETIME_ORIGINAL)
    except Exception:  # metadata is a hint, never a reason to refuse evidence
        return None
    if not isinstance(value, str):
        return None
    try:
        return dt.datetime.strptime(value.strip("\0 ")[:10], "%Y:%m:%d").date()
    except ValueError:
        return None


def strip(data: bytes, media_type: str) -> bytes:
    """A copy of the image with its pixels only: orientation applied, colours converted to
    sRGB, no EXIF, GPS, XMP, ICC profile, comments or thumbnails."""
    fmt = STRIPPABLE.get(media_type)
    if fmt is None:
        raise RecordError(
            f"metadata removal is not supported for {media_type} files: no copy was made. "
            "Only JPEG, PNG, WebP and TIFF images can be exported without metadata"
        )
    from PIL import Image, ImageOps

    im = _open(data)
    if getattr(im, "n_frames", 1) > 1 and im.format != "MPO":
        # MPO (a phone's JPEG with extra frames): the first frame is the photo itself.
        raise RecordError(
            "metadata removal is not supported for animated or multi-page images: no copy was made"
        )
    im = ImageOps.exif_transpose(im)
    im = _to_srgb(im)
    clean = Image.frombytes(im.mode, im.size, im.tobytes())
    if im.mode in ("P", "PA"):
        clean.putpalette(im.getpalette())
    if fmt == "JPEG" and clean.mode not in ("RGB", "L", "CMYK"):
        clean = clean.convert("RGB")
    options = {"JPEG": {"quality": 95}, "WEBP": {"quality": 95}}.get(fmt, {})
    if "transparency" in im.info and fmt == "PNG":
        options = {"transparency": im.info["transparency"]}
    out = io.BytesIO()
    clean.save(out, format=fmt, **options)
    result = out.getvalue()
    _check_clean(result)
    return result


def _to_srgb(im):
    icc = im.info.get("icc_profile")
    if not icc or im.mode not in ("RGB", "RGBA"):
        return im
    try:
        from PIL import ImageCms

        source = ImageCms.ImageCmsProfile(io.BytesIO(icc))
        return ImageCms.profileToProfile(im, source, ImageCms.createProfile("sRGB"))
    except Exception:  # an odd profile: the pixels as they are, without it
        return im


def _check_clean(data: bytes) -> None:
    """Refuse to hand out a copy in which any metadata survived."""
    im = _open(data)
    left = [k for k in _LEFTOVERS if im.info.get(k)]
    tags = set(im.getexif())
    if im.format == "TIFF":
        tags -= _TIFF_STRUCTURE
    if tags or left:
        raise RecordError("metadata could not be removed from this image: no copy was made")
