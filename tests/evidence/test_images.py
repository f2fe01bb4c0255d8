from __future__ import annotations

import contextlib
import hashlib
import random
import re
import struct
import tempfile
import zipfile
import zlib
from datetime import datetime
from io import BytesIO

import pillow_heif
import pytest
from PIL import ExifTags, Image, ImageCms, ImageDraw, ImageFile

from inspect_app.evidence.images import (
    DISPLAY_MAX_SIDE,
    THUMB_MAX_SIDE,
    PhotoRejected,
    _fitted_size,
    process_document,
    process_photo,
)

HANOI = ("N", (21.0, 1.0, 42.6), "E", (105.0, 51.0, 15.12), 21.0285, 105.8542)
RIO = ("S", (22.0, 54.0, 30.0), "W", (43.0, 11.0, 47.0), -22.908333, -43.196389)


def _picture(size: tuple[int, int] = (320, 240), mode: str = "RGB") -> Image.Image:
    """A non-uniform test picture (noise and a gradient), so codecs do real work."""
    rng = random.Random(str(size))
    noise = Image.frombytes("L", size, rng.randbytes(size[0] * size[1]))
    gradient = Image.linear_gradient("L").resize(size)
    return Image.merge("RGB", (noise, gradient, gradient)).convert(mode)


def _encode(image: Image.Image, fmt: str, **params: object) -> bytes:
    """``image`` as a file; HEIF through pillow_heif itself, which leaves Pillow's
    plugin registry alone (the app registers HEIF when the first one arrives)."""
    buffer = BytesIO()
    if fmt == "HEIF":
        pillow_heif.from_pillow(image).save(buffer, **params)
    else:
        image.save(buffer, fmt, **params)
    return buffer.getvalue()


def _rejection(data: bytes, filename: str = "upload.jpg", **limits: int) -> str:
    with pytest.raises(PhotoRejected) as info:
        process_photo(data, filename, **limits)
    assert info.value.filename == filename
    assert filename in str(info.value)
    return info.value.code


def _blank_bilevel_png(width: int, height: int) -> bytes:
    """A valid 1-bit greyscale PNG, all black: huge dimensions in a few KB."""
    row = bytes(1 + (width + 7) // 8)  # filter byte + packed pixels
    compressor = zlib.compressobj(9)
    idat = b"".join(compressor.compress(row) for _ in range(height))
    idat += compressor.flush()

    def chunk(kind: bytes, body: bytes) -> bytes:
        crc = zlib.crc32(kind + body)
        return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", crc)

    ihdr = struct.pack(">IIBBBBB", width, height, 1, 0, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"IDAT", idat) + chunk(b"IEND", b"")


def _exif_with_gps_entries(entries: list[tuple[int, int, int, bytes]]) -> bytes:
    """Raw little-endian EXIF: IFD0 holding only a GPS IFD pointer, then the GPS
    IFD with the given (tag, type, count, value) entries written verbatim.

    Pillow's EXIF writer refuses malformed values, so garbage is built by hand.
    """
    gps_offset = 8 + 2 + 12 + 4
    data_offset = gps_offset + 2 + 12 * len(entries) + 4
    ifd0 = struct.pack("<HHHII", 1, 0x8825, 4, 1, gps_offset) + bytes(4)
    fields, data_area = b"", b""
    for tag, field_type, count, value in entries:
        if len(value) <= 4:
            inline = value.ljust(4, b"\x00")
        else:
            inline = struct.pack("<I", data_offset + len(data_area))
            data_area += value
        fields += struct.pack("<HHI", tag, field_type, count) + inline
    gps_ifd = struct.pack("<H", len(entries)) + fields + bytes(4)
    return b"Exif\x00\x00II*\x00" + struct.pack("<I", 8) + ifd0 + gps_ifd + data_area


def _rationals(*pairs: tuple[int, int]) -> bytes:
    return b"".join(struct.pack("<II", num, den) for num, den in pairs)


ASCII, RATIONAL, SRATIONAL = 2, 5, 10
VALID_LAT = (2, RATIONAL, 3, _rationals((21, 1), (1, 1), (426, 10)))
VALID_LON = (4, RATIONAL, 3, _rationals((105, 1), (51, 1), (1512, 100)))


@pytest.mark.parametrize(
    ("fmt", "mode", "mime_type"),
    [
        ("JPEG", "RGB", "image/jpeg"),
        ("PNG", "RGBA", "image/png"),
        ("WEBP", "RGB", "image/webp"),
        ("HEIF", "RGB", "image/heic"),
    ],
)
def test_accepts_allowed_formats(fmt: str, mode: str, mime_type: str) -> None:
    data = _encode(_picture((480, 360), mode), fmt)

    photo = process_photo(data, "IMG_0001.bin")

    assert photo.format == fmt
    assert photo.mime_type == mime_type
    assert (photo.width, photo.height) == (480, 360)
    assert photo.sha256 == hashlib.sha256(data).hexdigest()
    assert photo.size_bytes == len(data)
    assert photo.display_size == (480, 360)
    assert photo.thumb_size == (320, 240)
    assert re.fullmatch(r"[0-9a-f]{16}", photo.phash)
    for jpeg, size in ((photo.display_jpeg, (480, 360)), (photo.thumb_jpeg, (320, 240))):
        with Image.open(BytesIO(jpeg)) as derivative:
            assert (derivative.format, derivative.mode) == ("JPEG", "RGB")
            assert derivative.size == size


def _spooled(data: bytes) -> tempfile.SpooledTemporaryFile:
    """An upload as Werkzeug hands over a large one: in a temporary file."""
    upload = tempfile.SpooledTemporaryFile(max_size=1)  # noqa: SIM115 - returned open
    upload.write(data)
    upload.seek(0)
    return upload


@pytest.mark.parametrize(("fmt", "size"), [("JPEG", (2000, 1500)), ("HEIF", (480, 360))])
@pytest.mark.parametrize("as_file", [_spooled, BytesIO], ids=["spooled", "in-memory"])
def test_a_file_gives_the_same_photo_as_its_bytes_and_stays_open(
    fmt: str, size: tuple[int, int], as_file
) -> None:
    data = _encode(_picture(size), fmt)
    upload = as_file(data)
    upload.seek(123)  # read from its start whatever the position

    from_file = process_photo(upload, "IMG_0001.jpg")

    assert from_file == process_photo(data, "IMG_0001.jpg")
    upload.seek(0)
    assert upload.read() == data, "left open, unchanged, for storing"


@pytest.mark.parametrize(
    ("content", "code", "limits"),
    [
        (b"", "empty", {}),
        (b"x" * 2000, "too_large_bytes", {"max_bytes": 1000}),
        (b"Not a photo at all.\n" * 20, "not_image", {}),
        (None, "unsupported", {}),
        (None, "corrupt", {}),
    ],
    ids=["empty", "too-large", "text", "gif", "truncated"],
)
def test_a_file_is_rejected_like_its_bytes(content: bytes | None, code: str, limits) -> None:
    if content is None:
        jpeg = _encode(_picture(), "JPEG")
        content = _encode(_picture((64, 48)), "GIF") if code == "unsupported" else jpeg[:3000]

    with pytest.raises(PhotoRejected) as info:
        process_photo(_spooled(content), "upload.jpg", **limits)

    assert info.value.code == code


def test_multi_picture_jpeg_is_treated_as_jpeg() -> None:
    """Many phone JPEGs carry an MPF segment, which Pillow opens as "MPO"."""
    data = _encode(_picture(), "MPO", save_all=True, append_images=[_picture((32, 24))])
    with Image.open(BytesIO(data)) as opened:
        assert opened.format == "MPO"

    photo = process_photo(data, "IMG_0002.JPG")

    assert (photo.format, photo.mime_type) == ("JPEG", "image/jpeg")
    assert (photo.width, photo.height) == (320, 240)


def test_heic_orientation_is_applied_once() -> None:
    """libheif rotates HEIC itself and pillow_heif resets the EXIF tag to 1."""
    exif = Image.Exif()
    exif[ExifTags.Base.Orientation] = 6

    photo = process_photo(_encode(_picture(), "HEIF", exif=exif.tobytes()), "IMG.HEIC")

    assert (photo.width, photo.height) == photo.display_size == (240, 320)


def test_large_jpeg_is_reduced_but_reports_full_size() -> None:
    photo = process_photo(_encode(_picture((4000, 3000)), "JPEG"), "big.jpg")

    assert (photo.width, photo.height) == (4000, 3000)
    assert photo.display_size == (1600, 1200)
    assert photo.thumb_size == (320, 240)


@pytest.mark.parametrize(
    "size",
    [
        (4000, 3000),
        (3000, 4000),
        (2000, 1500),
        (1601, 1600),
        (1600, 1601),
        (1600, 1600),
        (5000, 700),
        (1199, 3400),
        (40_000, 1),
        (1, 40_000),
        (3333, 1667),
        (100, 50),
    ],
)
@pytest.mark.parametrize("max_side", [DISPLAY_MAX_SIDE, THUMB_MAX_SIDE])
def test_derivative_sizes_are_what_thumbnail_gives(size: tuple[int, int], max_side: int) -> None:
    """Derivatives are resized without Image.thumbnail's copy, to its very size."""
    expected = Image.new("1", size)
    expected.thumbnail((max_side, max_side))

    assert _fitted_size(size, max_side) == expected.size


def test_large_rotated_jpeg_is_upright_and_reduced() -> None:
    image = Image.new("RGB", (4000, 2000), "blue")
    image.paste("red", (0, 0, 2000, 2000))
    exif = Image.Exif()
    exif[ExifTags.Base.Orientation] = 6

    photo = process_photo(_encode(image, "JPEG", exif=exif), "portrait.jpg")

    assert (photo.width, photo.height) == (2000, 4000)
    assert (photo.display_size, photo.thumb_size) == ((800, 1600), (160, 320))
    for jpeg, (width, height) in (
        (photo.display_jpeg, (800, 1600)),
        (photo.thumb_jpeg, (160, 320)),
    ):
        with Image.open(BytesIO(jpeg)) as derivative:
            assert derivative.size == (width, height)
            top = derivative.getpixel((width // 2, height // 8))
            bottom = derivative.getpixel((width // 2, height * 7 // 8))
        assert top[0] > 200 > top[2]  # the red left half is now on top
        assert bottom[2] > 200 > bottom[0]


def test_small_image_is_never_upscaled() -> None:
    photo = process_photo(_encode(_picture((100, 50)), "PNG"), "small.png")

    assert photo.display_size == photo.thumb_size == (100, 50)


def test_same_picture_in_different_formats_has_close_phash() -> None:
    picture = Image.linear_gradient("L").resize((400, 300)).convert("RGB")
    draw = ImageDraw.Draw(picture)
    draw.ellipse((50, 40, 220, 200), fill=(200, 30, 30))
    draw.rectangle((250, 120, 380, 280), fill=(20, 40, 200))

    hashes = [
        int(process_photo(_encode(picture, fmt), "x").phash, 16)
        for fmt in ("PNG", "JPEG", "WEBP", "HEIF")
    ]

    assert all(bin(hashes[0] ^ other).count("1") <= 4 for other in hashes[1:])


def test_transparency_is_composited_on_white() -> None:
    image = Image.new("RGBA", (64, 64), (255, 0, 0, 255))
    image.paste((0, 0, 0, 0), (0, 0, 32, 64))

    photo = process_photo(_encode(image, "PNG"), "alpha.png")

    with Image.open(BytesIO(photo.display_jpeg)) as display:
        left, right = display.getpixel((8, 32)), display.getpixel((56, 32))
    assert min(left) > 245
    assert right[0] > 240
    assert max(right[1:]) < 20


def test_palette_and_16_bit_greyscale_pngs_are_converted() -> None:
    grey16 = Image.new("I;16", (32, 32), 32768)
    palette = _picture((32, 32)).convert("P")

    grey = process_photo(_encode(grey16, "PNG"), "grey16.png")
    process_photo(_encode(palette, "PNG"), "palette.png")

    with Image.open(BytesIO(grey.display_jpeg)) as display:
        assert 120 < display.getpixel((16, 16))[0] < 136  # scaled, not clipped


def _exif_photo(
    lat_ref: str,
    lat: tuple,
    lon_ref: str,
    lon: tuple,
    size: tuple[int, int] = (200, 100),
    orientation: int = 6,
) -> bytes:
    """A JPEG, left half red, with camera EXIF, GPS, XMP, an ICC profile and a comment."""
    image = Image.new("RGB", size, "blue")
    image.paste("red", (0, 0, size[0] // 2, size[1]))
    exif = Image.Exif()
    exif[ExifTags.Base.Make] = "Canon\x00\x00"
    exif[ExifTags.Base.Model] = " EOS R6 "
    exif[ExifTags.Base.Orientation] = orientation
    exif[ExifTags.Base.DateTime] = "2024:06:01 10:00:00"
    exif.get_ifd(ExifTags.IFD.Exif)[ExifTags.Base.DateTimeOriginal] = "2024:05:17 09:30:12"
    gps = exif.get_ifd(ExifTags.IFD.GPSInfo)
    gps[ExifTags.GPS.GPSLatitudeRef] = lat_ref
    gps[ExifTags.GPS.GPSLatitude] = lat
    gps[ExifTags.GPS.GPSLongitudeRef] = lon_ref
    gps[ExifTags.GPS.GPSLongitude] = lon
    xmp = b'<x:xmpmeta xmlns:x="adobe:ns:meta/">secret</x:xmpmeta>'
    icc = ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB")).tobytes()
    return _encode(image, "JPEG", exif=exif, xmp=xmp, comment=b"SECRET-COMMENT", icc_profile=icc)


@pytest.mark.parametrize("place", [HANOI, RIO], ids=["north-east", "south-west"])
def test_exif_facts_are_extracted(place: tuple) -> None:
    lat_ref, lat, lon_ref, lon, expected_lat, expected_lon = place

    photo = process_photo(_exif_photo(lat_ref, lat, lon_ref, lon), "exif.jpg")

    assert photo.taken_at == datetime(2024, 5, 17, 9, 30, 12)
    assert photo.gps_lat == pytest.approx(expected_lat, abs=1e-6)
    assert photo.gps_lon == pytest.approx(expected_lon, abs=1e-6)
    assert (photo.camera_make, photo.camera_model) == ("Canon", "EOS R6")


def test_orientation_is_applied() -> None:
    photo = process_photo(_exif_photo(*HANOI[:4]), "rotated.jpg")

    assert (photo.width, photo.height) == (100, 200)
    assert photo.display_size == (100, 200)
    with Image.open(BytesIO(photo.display_jpeg)) as display:
        top, bottom = display.getpixel((50, 20)), display.getpixel((50, 180))
    assert top[0] > 200 > top[2]  # the red left half is now on top
    assert bottom[2] > 200 > bottom[0]


@pytest.mark.parametrize(
    ("size", "orientation"),
    [((200, 100), 6), ((3400, 1700), 6), ((3400, 1700), 1)],
    ids=["small", "resized-rotated", "resized-upright"],
)
def test_derivatives_carry_no_metadata(size: tuple[int, int], orientation: int) -> None:
    """Upright RGB is resized straight from the decoded upload, whose `info` holds it all."""
    original = _exif_photo(*HANOI[:4], size=size, orientation=orientation)
    assert b"Exif" in original
    assert b"SECRET-COMMENT" in original
    assert b"ICC_PROFILE" in original

    photo = process_photo(original, "exif.jpg")

    for jpeg in (photo.display_jpeg, photo.thumb_jpeg):
        for marker in (b"Exif", b"http://ns.adobe.com/xap", b"SECRET", b"secret"):
            assert marker not in jpeg
        with Image.open(BytesIO(jpeg)) as derivative:
            assert not derivative.getexif()
            assert not {"comment", "xmp", "icc_profile", "exif"} & derivative.info.keys()


def test_jpeg_without_exif_has_no_facts() -> None:
    photo = process_photo(_encode(_picture(), "JPEG"), "plain.jpg")

    assert photo.taken_at is None
    assert (photo.gps_lat, photo.gps_lon) == (None, None)
    assert (photo.camera_make, photo.camera_model) == (None, None)


@pytest.mark.parametrize(
    "entries",
    [
        pytest.param(
            [
                (1, ASCII, 2, b"N\x00"),
                (2, RATIONAL, 3, _rationals((21, 0), (1, 0), (42, 0))),
                (3, ASCII, 2, b"E\x00"),
                VALID_LON,
            ],
            id="zero-denominators",
        ),
        pytest.param(
            [
                (1, ASCII, 2, b"N\x00"),
                (2, ASCII, 8, b"21.0285\x00"),
                (3, ASCII, 2, b"E\x00"),
                VALID_LON,
            ],
            id="string-latitude",
        ),
        pytest.param([VALID_LAT, VALID_LON], id="missing-refs"),
        pytest.param(
            [(1, ASCII, 2, b"Q\x00"), VALID_LAT, (3, ASCII, 2, b"E\x00"), VALID_LON],
            id="unknown-ref",
        ),
        pytest.param(
            [
                (1, ASCII, 2, b"N\x00"),
                (2, RATIONAL, 3, _rationals((95, 1), (0, 1), (0, 1))),
                (3, ASCII, 2, b"E\x00"),
                VALID_LON,
            ],
            id="out-of-range",
        ),
        pytest.param(
            [
                (1, ASCII, 2, b"N\x00"),
                (2, SRATIONAL, 3, struct.pack("<ii", -21, 1) + _rationals((1, 1), (0, 1))),
                (3, ASCII, 2, b"E\x00"),
                VALID_LON,
            ],
            id="negative-degrees",
        ),
        pytest.param(
            [(1, ASCII, 2, b"N\x00"), VALID_LAT, (3, RATIONAL, 1, _rationals((1, 1)))],
            id="garbage-ref-and-missing-longitude",
        ),
        pytest.param(
            [(1, ASCII, 2, b"N\x00"), (2, RATIONAL, 1000, _rationals((1, 1)))],
            id="count-beyond-data",
        ),
    ],
)
@pytest.mark.filterwarnings("ignore::UserWarning")  # Pillow warns on corrupt EXIF
def test_garbage_gps_gives_no_coordinates(entries: list) -> None:
    exif = _exif_with_gps_entries(entries)

    photo = process_photo(_encode(_picture(), "JPEG", exif=exif), "garbage.jpg")

    assert (photo.gps_lat, photo.gps_lon) == (None, None)


@pytest.mark.parametrize(
    ("entries", "expected"),
    [
        pytest.param(
            [(1, ASCII, 2, b"N\x00"), VALID_LAT, (3, ASCII, 2, b"E\x00"), VALID_LON],
            (21.0285, 105.8542),
            id="degrees-minutes-seconds",
        ),
        pytest.param(
            [
                (1, ASCII, 2, b"s\x00"),
                (2, RATIONAL, 1, _rationals((229083, 10000))),
                (3, ASCII, 2, b"W\x00"),
                (4, RATIONAL, 2, _rationals((43, 1), (1178, 100))),
            ],
            (-22.9083, -43.196333),
            id="decimal-degrees-and-minutes",
        ),
    ],
)
def test_handmade_gps_exif_is_read(entries: list, expected: tuple[float, float]) -> None:
    """Guards the garbage cases above: the same builder with valid values works."""
    exif = _exif_with_gps_entries(entries)

    photo = process_photo(_encode(_picture(), "JPEG", exif=exif), "gps.jpg")

    assert (photo.gps_lat, photo.gps_lon) == pytest.approx(expected, abs=1e-6)


@pytest.mark.parametrize(
    "exif",
    [
        b"Exif\x00\x00" + bytes(range(256)) * 4,
        b"Exif\x00\x00II*\x00\xff\xff\xff\x7f",
        _exif_with_gps_entries([])[:-6],
    ],
    ids=["noise", "bad-ifd-offset", "truncated"],
)
@pytest.mark.filterwarnings("ignore::UserWarning")  # Pillow warns on corrupt EXIF
def test_unparseable_exif_is_ignored(exif: bytes) -> None:
    photo = process_photo(_encode(_picture(), "JPEG", exif=exif), "garbage.jpg")

    assert photo.taken_at is None
    assert (photo.gps_lat, photo.gps_lon) == (None, None)


def test_garbage_exif_strings_are_tolerated() -> None:
    exif = Image.Exif()
    exif[ExifTags.Base.Make] = "\x01\x02\x03"
    exif[ExifTags.Base.Model] = "X" * 1000
    exif[ExifTags.Base.DateTime] = "0000:00:00 00:00:00"
    exif[ExifTags.Base.Orientation] = 42

    photo = process_photo(_encode(_picture(), "JPEG", exif=exif), "odd.jpg")

    assert photo.camera_make is None
    assert photo.camera_model == "X" * 128
    assert photo.taken_at is None
    assert (photo.width, photo.height) == (320, 240)


def _zip_payload() -> bytes:
    buffer = BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("polyglot.txt", "polyglot payload")
    return buffer.getvalue()


@pytest.mark.parametrize(
    "payload",
    [b"<html><script>alert('polyglot')</script></html>", _zip_payload()],
    ids=["html", "zip"],
)
def test_polyglot_payload_is_dropped(payload: bytes) -> None:
    data = _encode(_picture(), "JPEG") + payload

    photo = process_photo(data, "polyglot.jpg")

    assert photo.sha256 == hashlib.sha256(data).hexdigest()
    for jpeg in (photo.display_jpeg, photo.thumb_jpeg):
        assert b"polyglot" not in jpeg
        assert payload not in jpeg


def test_rejects_text_renamed_to_jpg() -> None:
    assert _rejection(b"Not a photo at all.\n" * 20, "photo.jpg") == "not_image"


def test_rejects_empty_file() -> None:
    assert _rejection(b"", "empty.jpg") == "empty"


def test_rejects_truncated_jpeg() -> None:
    data = _encode(_picture(), "JPEG")

    assert _rejection(data[: len(data) // 2], "cut.jpg") == "corrupt"


def test_rejects_png_corrupted_in_the_middle() -> None:
    data = bytearray(_encode(_picture(), "PNG"))
    middle = len(data) // 2
    data[middle : middle + 16] = b"\x55" * 16

    assert _rejection(bytes(data), "broken.png") == "corrupt"


def test_rejects_jpeg_with_zero_dimensions() -> None:
    data = _encode(_picture(), "JPEG")
    sof = data.index(b"\xff\xc0")  # start of frame: length, precision, height, width
    data = data[: sof + 5] + bytes(4) + data[sof + 9 :]

    assert _rejection(data, "broken.jpg") == "corrupt"


@pytest.mark.parametrize(("fmt", "name"), [("GIF", "GIF"), ("BMP", "BMP"), ("TIFF", "TIFF")])
def test_rejects_formats_outside_the_allow_list(fmt: str, name: str) -> None:
    with pytest.raises(PhotoRejected) as info:
        process_photo(_encode(_picture((64, 48)), fmt), "photo.jpg")

    assert info.value.code == "unsupported"
    assert info.value.params == {"format": name}
    assert name in info.value.reason


def test_rejects_over_byte_limit_before_decoding() -> None:
    with pytest.raises(PhotoRejected) as info:
        process_photo(b"x" * 2000, "big.jpg", max_bytes=1000)

    assert info.value.code == "too_large_bytes"
    assert info.value.params["limit_mb"] == pytest.approx(1000 / 2**20)


def test_rejects_over_pixel_limit() -> None:
    data = _encode(_picture((100, 100)), "PNG")

    assert _rejection(data, "huge.png", max_pixels=5000) == "too_many_pixels"
    assert process_photo(data, "ok.png", max_pixels=10_000).width == 100


@pytest.mark.parametrize(
    "size",
    [(10_000, 10_000), (20_000, 20_000)],
    ids=["over-pillow-warning-limit", "over-pillow-error-limit"],
)
def test_rejects_decompression_bomb(size: tuple[int, int]) -> None:
    bomb = _blank_bilevel_png(*size)
    assert len(bomb) < 100_000

    code = _rejection(bomb, "bomb.png", max_pixels=1_000_000_000)

    assert code == "decompression_bomb"


def test_default_pixel_limit_is_40_megapixels() -> None:
    assert _rejection(_blank_bilevel_png(7000, 7000), "49mp.png") == "too_many_pixels"


def test_refuses_to_run_with_truncated_images_allowed(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(ImageFile, "LOAD_TRUNCATED_IMAGES", True)

    with pytest.raises(RuntimeError, match="LOAD_TRUNCATED_IMAGES"):
        process_photo(_encode(_picture(), "JPEG"), "x.jpg")


@pytest.mark.filterwarnings("ignore::UserWarning")  # Pillow warns on corrupt EXIF
@pytest.mark.parametrize("fmt", ["JPEG", "PNG", "WEBP", "HEIF"])
def test_mutated_files_never_raise_anything_else(fmt: str) -> None:
    original = _encode(_picture((64, 48)), fmt)
    rng = random.Random(fmt)
    for _ in range(40):
        data = bytearray(original)
        for _ in range(rng.randint(1, 6)):
            data[rng.randrange(min(len(data), 400))] = rng.randrange(256)
        with contextlib.suppress(PhotoRejected):  # anything else fails the test
            process_photo(bytes(data), "fuzz")


def test_rejection_carries_translatable_parts() -> None:
    error = PhotoRejected("a.jpg", "too_many_pixels", megapixels=52.3, limit_megapixels=40)

    assert error.code == "too_many_pixels"
    assert error.params == {"megapixels": 52.3, "limit_megapixels": 40}
    assert str(error) == (
        "a.jpg: The image is too large (52.3 megapixels); the limit is 40 megapixels."
    )


def test_document_accepts_pdf() -> None:
    pdf = b"%PDF-1.7\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"

    document = process_document(pdf, "report.pdf")

    assert document.mime_type == "application/pdf"
    assert document.sha256 == hashlib.sha256(pdf).hexdigest()
    assert document.size_bytes == len(pdf)
    assert document.photo is None


def test_document_accepts_image() -> None:
    document = process_document(_encode(_picture(), "JPEG"), "scan.jpg")

    assert document.mime_type == "image/jpeg"
    assert document.photo is not None
    assert document.photo.sha256 == document.sha256


@pytest.mark.parametrize(
    ("data", "limits", "code"),
    [
        (b"%PDF-1.7\n1 0 obj<<>>endobj\n", {}, "corrupt"),
        (b"%PDF-1.7\n" + b"0" * 2000 + b"\n%%EOF", {"max_bytes": 1000}, "too_large_bytes"),
        (b"plain text, not a document", {}, "not_document"),
        (b"", {}, "empty"),
        (_encode(_picture(), "GIF"), {}, "unsupported"),
    ],
    ids=["pdf-without-eof", "pdf-too-large", "text", "empty", "gif"],
)
def test_document_rejections(data: bytes, limits: dict, code: str) -> None:
    with pytest.raises(PhotoRejected) as info:
        process_document(data, "attachment.pdf", **limits)

    assert info.value.code == code
    assert info.value.filename == "attachment.pdf"
