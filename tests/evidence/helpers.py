"""Sample evidence made in the test: images with GPS and camera metadata, documents."""

from __future__ import annotations

import io

from PIL import Image

CANARY = "CANARY-EV-5D21"
GPS_LAT = (16.0, 50.0, 27.55)
INCIDENT = {
    "kind": "airstrike",
    "date": "2026-03-02",
    "location_pcode": "MMR003001",
    "source_reliability": "usually_reliable",
}


def picture(size: tuple[int, int] = (64, 48)) -> Image.Image:
    """A gradient, so orientation and re-encoding show in the pixels."""
    w, h = size
    im = Image.new("RGB", size)
    im.putdata([(x * 255 // w, y * 255 // h, 90) for y in range(h) for x in range(w)])
    return im


def exif_with_gps(orientation: int | None = None) -> Image.Exif:
    exif = Image.Exif()
    exif[0x010F] = f"{CANARY}-make"  # Make
    exif[0x0131] = f"{CANARY}-software"  # Software
    if orientation:
        exif[0x0112] = orientation
    exif.get_ifd(0x8825).update({1: "N", 2: GPS_LAT, 3: "E", 4: (96.0, 10.0, 24.58)})
    exif.get_ifd(0x8769)[0x9003] = "2026:03:02 14:05:00"  # DateTimeOriginal
    return exif


def jpeg_with_gps(size: tuple[int, int] = (64, 48), orientation: int | None = None) -> bytes:
    buf = io.BytesIO()
    picture(size).save(buf, "JPEG", exif=exif_with_gps(orientation), quality=95)
    return buf.getvalue()


def image_with_gps(fmt: str, size: tuple[int, int] = (40, 30)) -> bytes:
    buf = io.BytesIO()
    picture(size).save(buf, fmt, exif=exif_with_gps())
    return buf.getvalue()


def document() -> bytes:
    return (f"Testimony of W-7. {CANARY} saw the aircraft at dawn.\n" * 40).encode()
