"""Real image files for tests, made with Pillow."""

from __future__ import annotations

import random
from io import BytesIO

import pillow_heif
from PIL import Image

GPS_IFD = 0x8825
EXIF_IFD = 0x8769


def picture(size: tuple[int, int] = (640, 480), seed: str = "x") -> Image.Image:
    """A non-uniform picture (noise and a gradient), so codecs do real work."""
    rng = random.Random(f"{seed}{size}")
    noise = Image.frombytes("L", size, rng.randbytes(size[0] * size[1]))
    gradient = Image.linear_gradient("L").resize(size)
    return Image.merge("RGB", (noise, gradient, gradient))


def jpeg(size: tuple[int, int] = (640, 480), seed: str = "x", **params) -> bytes:
    buffer = BytesIO()
    picture(size, seed).save(buffer, "JPEG", quality=85, **params)
    return buffer.getvalue()


def jpeg_with_gps(
    lat: float = 21.0285,
    lon: float = 105.8542,
    *,
    artist: str | None = None,
    serial: str | None = None,
    seed: str = "gps",
) -> bytes:
    """A phone-like JPEG: GPS, capture time, camera, and a comment segment; with the
    photographer's name (Artist) and the camera's serial number if given."""
    exif = Image.Exif()
    exif[0x010F] = "Samsung"  # Make
    exif[0x0110] = "Galaxy A54"  # Model
    if artist:
        exif[0x013B] = artist  # Artist
    exif.get_ifd(EXIF_IFD)[0x9003] = "2026:11:20 14:30:00"  # DateTimeOriginal
    if serial:
        exif.get_ifd(EXIF_IFD)[0xA431] = serial  # BodySerialNumber
    gps = exif.get_ifd(GPS_IFD)
    gps[1], gps[2] = ("N" if lat >= 0 else "S"), _dms(abs(lat))
    gps[3], gps[4] = ("E" if lon >= 0 else "W"), _dms(abs(lon))
    return jpeg(seed=seed, exif=exif.tobytes(), comment=b"secret comment")


def _dms(value: float) -> tuple[float, float, float]:
    degrees = int(value)
    minutes = int((value - degrees) * 60)
    seconds = round((value - degrees - minutes / 60) * 3600, 4)
    return (float(degrees), float(minutes), seconds)


def heic(size: tuple[int, int] = (640, 480)) -> bytes:
    buffer = BytesIO()
    pillow_heif.from_pillow(picture(size, "heic")).save(buffer, quality=80)
    return buffer.getvalue()


def gif() -> bytes:
    buffer = BytesIO()
    picture((64, 64)).convert("P").save(buffer, "GIF")
    return buffer.getvalue()


def bomb_png() -> bytes:
    """A tiny PNG that declares 30000 × 30000 pixels (900 megapixels)."""
    buffer = BytesIO()
    Image.new("1", (30000, 30000)).save(buffer, "PNG", optimize=True)
    return buffer.getvalue()
