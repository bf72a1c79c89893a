"""Media types, capture dates, and copies with nothing but pixels."""

from __future__ import annotations

import io

import pytest
from PIL import Image

from fieldledger.errors import RecordError
from fieldledger.evidence import exif
from tests.evidence.helpers import CANARY, image_with_gps, jpeg_with_gps

GPS_IFD = 0x8825


def test_sniff_by_content_not_name():
    assert exif.sniff(jpeg_with_gps()[:64], "notes.txt") == "image/jpeg"
    assert exif.sniff(b"%PDF-1.7\n", "x.jpg") == "application/pdf"
    assert exif.sniff(b"\0\0\0\x18ftypmp42", "") == "video/mp4"
    assert exif.sniff(b"hello", "a.txt") == "text/plain"
    assert exif.sniff(b"\0\1\2", "") == "application/octet-stream"
    assert exif.kind_for("video/mp4") == "video"
    assert exif.kind_for("application/pdf") == "document"
    assert exif.extension("image/jpeg") == ".jpg"


def test_capture_date_from_exif():
    assert str(exif.captured_on(jpeg_with_gps())) == "2026-03-02"
    plain = io.BytesIO()
    Image.new("RGB", (4, 4)).save(plain, "PNG")
    assert exif.captured_on(plain.getvalue()) is None
    assert exif.captured_on(b"not an image") is None


@pytest.mark.parametrize(
    ("fmt", "media_type"),
    [("JPEG", "image/jpeg"), ("PNG", "image/png"), ("WEBP", "image/webp"), ("TIFF", "image/tiff")],
)
def test_strip_leaves_no_metadata(fmt, media_type):
    original = image_with_gps(fmt)
    tags = Image.open(io.BytesIO(original)).getexif()
    # the sample carries GPS (Pillow writes no GPS sub-IFD into TIFF) and the camera make
    assert 0x010F in tags and (fmt == "TIFF" or tags.get_ifd(GPS_IFD))
    clean = exif.strip(original, media_type)
    im = Image.open(io.BytesIO(clean))
    assert im.format == fmt
    assert im.size == (40, 30)
    assert not im.getexif().get_ifd(GPS_IFD)
    assert 0x010F not in im.getexif()  # camera make
    assert "exif" not in im.info and "icc_profile" not in im.info
    assert CANARY.encode() not in clean


def test_png_pixels_unchanged():
    original = image_with_gps("PNG")
    before = Image.open(io.BytesIO(original)).convert("RGB")
    after = Image.open(io.BytesIO(exif.strip(original, "image/png"))).convert("RGB")
    assert before.tobytes() == after.tobytes()


def test_orientation_applied_before_it_is_dropped():
    clean = exif.strip(jpeg_with_gps((64, 48), orientation=6), "image/jpeg")
    assert Image.open(io.BytesIO(clean)).size == (48, 64)


def test_icc_profile_dropped():
    from PIL import ImageCms

    profile = ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB")).tobytes()
    buf = io.BytesIO()
    Image.new("RGB", (8, 8), (10, 200, 30)).save(buf, "JPEG", icc_profile=profile)
    clean = Image.open(io.BytesIO(exif.strip(buf.getvalue(), "image/jpeg")))
    assert "icc_profile" not in clean.info


@pytest.mark.parametrize("media_type", ["video/mp4", "audio/mpeg", "application/pdf"])
def test_other_types_refused(media_type):
    with pytest.raises(RecordError, match="metadata removal is not supported"):
        exif.strip(b"anything", media_type)


def test_animated_image_refused():
    buf = io.BytesIO()
    frames = [Image.new("RGB", (8, 8), c) for c in ("red", "blue")]
    frames[0].save(buf, "WEBP", save_all=True, append_images=frames[1:])
    with pytest.raises(RecordError, match="animated"):
        exif.strip(buf.getvalue(), "image/webp")
