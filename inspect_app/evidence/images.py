"""Validation and re-encoding of untrusted photo uploads.

Uploads are identified by content only and opened with an allow-list of decoders,
so no other Pillow plugin ever parses them. Only the decoded pixels survive: the
display and thumbnail derivatives are re-encoded from a fresh image, which drops
EXIF (GPS!), XMP, ICC profiles, comments and anything appended to the file. The
original bytes are kept unchanged by the caller as evidence; the facts inspectors
need from its EXIF are extracted here.
"""

from __future__ import annotations

import ctypes
import hashlib
import math
import numbers
import os
import warnings
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime
from functools import cache
from io import BytesIO
from typing import BinaryIO

from PIL import ExifTags, Image, ImageFile

from inspect_app.evidence.phash import perceptual_hash
from inspect_app.i18n import N_

ALLOWED_FORMATS = ("JPEG", "PNG", "WEBP", "HEIF")
_DECODERS_WITHOUT_HEIF = ("JPEG", "PNG", "WEBP")
_HEAD_BYTES = 16
MAX_PHOTO_BYTES = 15 * 1024 * 1024
MAX_PHOTO_PIXELS = 40_000_000
MAX_DOCUMENT_BYTES = 15 * 1024 * 1024
DISPLAY_MAX_SIDE = 1600
THUMB_MAX_SIDE = 320
JPEG_QUALITY = 85
MAX_EXIF_TEXT = 128
PDF_EOF_WINDOW = 1024

# English templates (Babel python-format) for PhotoRejected.code; the UI
# translates the same strings and interpolates PhotoRejected.params.
REASONS: dict[str, str] = {
    "empty": N_("The file is empty."),
    "not_image": N_("The file is not an image."),
    "not_document": N_("The file is neither a PDF nor an image."),
    "unsupported": N_("%(format)s files are not supported; please upload JPEG, PNG, WebP or HEIC."),
    "too_large_bytes": N_(
        "The file is too large (%(size_mb).1f MB); the limit is %(limit_mb)g MB."
    ),
    "too_many_pixels": N_(
        "The image is too large (%(megapixels).1f megapixels); "
        "the limit is %(limit_megapixels)g megapixels."
    ),
    "decompression_bomb": N_("The image declares implausibly large dimensions."),
    "corrupt": N_("The file is damaged or incomplete and cannot be read."),
}

_MIME_TYPES = {"JPEG": "image/jpeg", "PNG": "image/png", "WEBP": "image/webp"}
# Major brands pillow_heif opens (see pillow_heif.as_plugin._is_supported_heif).
_HEIF_BRANDS = (
    b"heic",
    b"heix",
    b"heim",
    b"heis",
    b"hevc",
    b"hevx",
    b"hevm",
    b"hevs",
    b"mif1",
    b"msf1",
)
# Same mapping as ImageOps.exif_transpose.
_ORIENTATION_TRANSPOSE = {
    2: Image.Transpose.FLIP_LEFT_RIGHT,
    3: Image.Transpose.ROTATE_180,
    4: Image.Transpose.FLIP_TOP_BOTTOM,
    5: Image.Transpose.TRANSPOSE,
    6: Image.Transpose.ROTATE_270,
    7: Image.Transpose.TRANSVERSE,
    8: Image.Transpose.ROTATE_90,
}
_ORIENTATIONS_SWAPPING_AXES = (5, 6, 7, 8)
_RESAMPLE = Image.Resampling.LANCZOS
# glibc's mallopt parameters (malloc.h).
_M_TRIM_THRESHOLD = -1
_M_MMAP_THRESHOLD = -3


class PhotoRejected(Exception):
    """An upload that cannot be accepted, with a translatable reason.

    ``REASONS[code] % params`` is the English ``reason``; the UI translates the
    template for ``code`` itself and names ``filename``.
    """

    def __init__(self, filename: str, code: str, **params: object) -> None:
        self.filename = filename
        self.code = code
        self.params = params
        self.reason = REASONS[code] % params
        super().__init__(f"{filename}: {self.reason}")


@dataclass(frozen=True)
class ProcessedPhoto:
    sha256: str
    size_bytes: int
    format: str
    mime_type: str
    width: int
    height: int
    taken_at: datetime | None
    gps_lat: float | None
    gps_lon: float | None
    camera_make: str | None
    camera_model: str | None
    # EXIF text that names a person or a device (Artist, owner, serial numbers …).
    identifying: dict[str, str]
    phash: str
    display_jpeg: bytes
    thumb_jpeg: bytes
    display_size: tuple[int, int]
    thumb_size: tuple[int, int]


@dataclass(frozen=True)
class ProcessedDocument:
    sha256: str
    size_bytes: int
    mime_type: str
    photo: ProcessedPhoto | None = None


def process_photo(
    data: bytes | BinaryIO,
    filename: str,
    *,
    max_bytes: int = MAX_PHOTO_BYTES,
    max_pixels: int = MAX_PHOTO_PIXELS,
) -> ProcessedPhoto:
    """Validate an uploaded photo and build its metadata-free derivatives.

    ``data`` is the upload's bytes, or its (spooled) file: read from its start in
    chunks, never whole, and left open.

    Raises PhotoRejected for anything that is not a decodable JPEG, PNG, WebP or
    HEIC/HEIF within the limits.
    """
    _keep_image_buffers()
    upload = _Upload.of(data)
    _check_byte_size(upload.size, filename, max_bytes)
    sha256 = upload.sha256()
    image, (width, height) = _decode(upload, filename, max_pixels)
    try:
        image_format = "JPEG" if image.format == "MPO" else str(image.format)
        mime_type = _mime_type(image, image_format)
        exif = _read_exif(image)
        orientation = _orientation(exif)
        display = _display(image, orientation)
    finally:
        image.close()  # the decoded pixels (12 MB for 12 MP); `with` would keep them
    if orientation in _ORIENTATIONS_SWAPPING_AXES:
        width, height = height, width
    thumb = _fit(display, THUMB_MAX_SIDE)
    gps_lat, gps_lon = _gps(exif)
    return ProcessedPhoto(
        sha256=sha256,
        size_bytes=upload.size,
        format=image_format,
        mime_type=mime_type,
        width=width,
        height=height,
        taken_at=_taken_at(exif),
        gps_lat=gps_lat,
        gps_lon=gps_lon,
        camera_make=_text(exif.get(ExifTags.Base.Make)),
        camera_model=_text(exif.get(ExifTags.Base.Model)),
        identifying=_identifying(exif),
        phash=perceptual_hash(display),
        display_jpeg=_encode_jpeg(display),
        thumb_jpeg=_encode_jpeg(thumb),
        display_size=display.size,
        thumb_size=thumb.size,
    )


def process_document(
    data: bytes,
    filename: str,
    *,
    max_bytes: int = MAX_DOCUMENT_BYTES,
    max_pixels: int = MAX_PHOTO_PIXELS,
) -> ProcessedDocument:
    """Validate an inspection-record attachment: a PDF or a photo.

    PDFs are only checked for their header and trailer: they are stored and
    offered for download, never rendered by the server.
    """
    if not data.startswith(b"%PDF-"):
        try:
            photo = process_photo(data, filename, max_bytes=max_bytes, max_pixels=max_pixels)
        except PhotoRejected as exc:
            if exc.code == "not_image":
                raise PhotoRejected(filename, "not_document") from exc
            raise
        return ProcessedDocument(photo.sha256, photo.size_bytes, photo.mime_type, photo)
    _check_byte_size(len(data), filename, max_bytes)
    if b"%%EOF" not in data[-PDF_EOF_WINDOW:]:
        raise PhotoRejected(filename, "corrupt")
    return ProcessedDocument(hashlib.sha256(data).hexdigest(), len(data), "application/pdf")


@cache
def _keep_image_buffers() -> None:
    """Have glibc keep freed image buffers for the next photo (once per process).

    A 12-megapixel photo goes through ~30 MB of buffers (12 MB decoded, 9.6 MB for
    the resize's first pass, 7.7 MB displayed). With glibc's defaults they go back
    to the kernel after each photo and are faulted in again for the next, ~7,500
    page faults: a tenth of the photo's time. Buffers under 32 MB now come from the
    heap, which keeps up to 128 MB free. The peak (VmHWM) is the same; RSS stays
    near it between photos. Without glibc, nothing changes.
    """
    try:
        libc = ctypes.CDLL("libc.so.6")
    except OSError:
        return
    libc.mallopt(_M_MMAP_THRESHOLD, 32 * 2**20)
    libc.mallopt(_M_TRIM_THRESHOLD, 128 * 2**20)


@dataclass(frozen=True)
class _Upload:
    """An upload as the decoders read it: a file Pillow may close, its size and head."""

    file: BinaryIO
    size: int
    head: bytes  # the leading bytes that name a format (see _sniff)

    @classmethod
    def of(cls, data: bytes | BinaryIO) -> _Upload:
        file = BytesIO(data) if isinstance(data, bytes) else _borrow(data)
        size = file.seek(0, os.SEEK_END)
        file.seek(0)
        head = file.read(_HEAD_BYTES)
        file.seek(0)
        return cls(file, size, head)

    def sha256(self) -> str:
        digest = hashlib.file_digest(self.file, "sha256").hexdigest()
        self.file.seek(0)
        return digest


def _borrow(upload: BinaryIO) -> BinaryIO:
    """A reader of the upload's file that Pillow may close, leaving the upload open
    to be stored. Uploads Werkzeug keeps in memory (small ones) are copied."""
    try:
        return open(upload.fileno(), "rb", closefd=False)  # Pillow closes it
    except OSError:  # io.UnsupportedOperation: no file behind it
        upload.seek(0)
        return BytesIO(upload.read())


def _check_byte_size(size: int, filename: str, max_bytes: int) -> None:
    if not size:
        raise PhotoRejected(filename, "empty")
    if size > max_bytes:
        raise PhotoRejected(
            filename,
            "too_large_bytes",
            size_mb=size / 2**20,
            limit_mb=max_bytes / 2**20,
        )


def _decode(
    upload: _Upload, filename: str, max_pixels: int
) -> tuple[ImageFile.ImageFile, tuple[int, int]]:
    """Open and fully decode the upload; return it with its stored (pre-draft) size."""
    if ImageFile.LOAD_TRUNCATED_IMAGES:
        msg = "PIL.ImageFile.LOAD_TRUNCATED_IMAGES is set: truncated uploads would pass"
        raise RuntimeError(msg)
    with _rejecting_decoder_errors(upload.head, filename):
        image = Image.open(upload.file, formats=_decoders_for(upload.head))
    full_size = image.size
    pixels = full_size[0] * full_size[1]
    if pixels > max_pixels:
        raise PhotoRejected(
            filename,
            "too_many_pixels",
            megapixels=pixels / 1e6,
            limit_megapixels=max_pixels / 1e6,
        )
    with _rejecting_decoder_errors(upload.head, filename):
        _draft_for_display(image)
        image.load()
    return image, full_size


def _decoders_for(head: bytes) -> tuple[str, ...]:
    """The allowed decoders, with HEIF only for ISO media files (``ftyp`` box first).

    pillow_heif (~11 MB in every worker) is imported the first time such a file
    arrives; whether its brand is one libheif decodes stays pillow_heif's decision.
    """
    if head[4:8] != b"ftyp":
        return _DECODERS_WITHOUT_HEIF
    _register_heif()
    return ALLOWED_FORMATS


@cache
def _register_heif() -> None:
    import pillow_heif

    pillow_heif.register_heif_opener()


@contextmanager
def _rejecting_decoder_errors(head: bytes, filename: str) -> Iterator[None]:
    """Turn anything raised while parsing the upload into a PhotoRejected.

    Pillow's plugins are Python parsers of hostile input and have historically
    raised almost every builtin exception type on malformed files, so any
    exception here means "undecodable" (the cause stays chained for the logs).
    Pillow's pixel-count warning is escalated to an error; our own, lower
    ``max_pixels`` check does not depend on it, since warning filters are
    process-global and not thread-safe.
    """
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            yield
    except (Image.DecompressionBombError, Image.DecompressionBombWarning) as exc:
        raise PhotoRejected(filename, "decompression_bomb") from exc
    except Image.UnidentifiedImageError as exc:
        raise _unidentified(head, filename) from exc
    except Exception as exc:
        raise PhotoRejected(filename, "corrupt") from exc


def _unidentified(head: bytes, filename: str) -> PhotoRejected:
    """Word the rejection of a file no allowed decoder accepted."""
    claimed = _sniff(head)
    if claimed in ALLOWED_FORMATS:
        return PhotoRejected(filename, "corrupt")
    if claimed is not None:
        return PhotoRejected(filename, "unsupported", format=claimed)
    return PhotoRejected(filename, "not_image")


def _sniff(head: bytes) -> str | None:
    """The image format the leading bytes claim; only used to word rejections."""
    if head.startswith(b"\xff\xd8\xff"):
        return "JPEG"
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        return "PNG"
    if head[:4] == b"RIFF" and head[8:12] == b"WEBP":
        return "WEBP"
    if head[4:8] == b"ftyp" and head[8:12] in _HEIF_BRANDS:
        return "HEIF"
    if head[4:8] == b"ftyp" and head[8:12] in (b"avif", b"avis"):
        return "AVIF"
    if head.startswith((b"GIF87a", b"GIF89a")):
        return "GIF"
    if head.startswith((b"II*\x00", b"MM\x00*")):
        return "TIFF"
    if head[:2] == b"BM" and head[6:10] == bytes(4):
        return "BMP"
    return None


def _draft_for_display(image: ImageFile.ImageFile) -> None:
    """Let libjpeg decode a large JPEG at 1/2, 1/4 or 1/8 scale.

    Only the display derivative needs the pixels, and DCT-domain scaling makes a
    40 MP phone photo decode several times faster in a fraction of the memory
    (~120 MB at full size). The requested size keeps the longest side at or above
    DISPLAY_MAX_SIDE, so LANCZOS still does the final reduction. Not used for
    HEIF, where pillow_heif's draft() substitutes the embedded thumbnail: that is
    separate, unverified content and must not stand in for the evidence.
    """
    longest = max(image.size)
    if image.format not in ("JPEG", "MPO") or longest < 2 * DISPLAY_MAX_SIDE:
        return
    scale = DISPLAY_MAX_SIDE / longest
    image.draft(None, (math.ceil(image.width * scale), math.ceil(image.height * scale)))


def _display(image: ImageFile.ImageFile, orientation: int) -> Image.Image:
    """The display derivative: RGB on white, upright, no larger than DISPLAY_MAX_SIDE.

    A 12-megapixel photo decodes (at draft scale) to 12 MB: opaque RGB, the usual
    JPEG, is resized straight from the decoded pixels rather than from a copy, and
    the decoded pixels are released as soon as a flattened or rotated copy
    replaces them.
    """
    pixels = image if _is_opaque_rgb(image) else _flatten_to_rgb(image)
    pixels = _apply_orientation(pixels, orientation)
    if pixels is not image:
        image.close()
    return _fit(pixels, DISPLAY_MAX_SIDE)


def _is_opaque_rgb(image: Image.Image) -> bool:
    return image.mode == "RGB" and not image.has_transparency_data


def _flatten_to_rgb(image: Image.Image) -> Image.Image:
    """Copy the pixels into a fresh RGB image, compositing transparency on white."""
    canvas = Image.new("RGB", image.size, "white")
    if image.has_transparency_data:
        rgba = image.convert("RGBA")
        canvas.paste(rgba, mask=rgba.getchannel("A"))
    elif image.mode.startswith("I"):  # 16-bit greyscale PNG: scale, don't clip
        canvas.paste(image.convert("I").point(lambda value: value / 256).convert("L"))
    else:
        canvas.paste(image.convert("RGB"))
    return canvas


def _apply_orientation(image: Image.Image, orientation: int) -> Image.Image:
    """Rotate/mirror as the EXIF Orientation says.

    Not ImageOps.exif_transpose: it re-serialises the upload's EXIF, which can
    fail on malformed tags, and we only need the pixels.
    """
    method = _ORIENTATION_TRANSPOSE.get(orientation)
    return image if method is None else image.transpose(method)


def _fit(image: Image.Image, max_side: int) -> Image.Image:
    """A fresh RGB image no larger than max_side on its longest side; never upscaled.

    The pixels are Image.thumbnail's (same size, LANCZOS, reducing gap 2), without
    its full-size copy. Fresh means an empty ``info``: Pillow's JPEG writer would
    otherwise carry over e.g. the upload's comment or XMP.
    """
    size = _fitted_size(image.size, max_side)
    resized = image if size == image.size else image.resize(size, _RESAMPLE, reducing_gap=2.0)
    fresh = Image.new("RGB", size, None)
    fresh.paste(resized)
    return fresh


def _fitted_size(size: tuple[int, int], max_side: int) -> tuple[int, int]:
    """The size Image.thumbnail((max_side, max_side)) gives an image of ``size``."""
    width, height = size
    if width <= max_side and height <= max_side:
        return size
    aspect = width / height
    if aspect <= 1:
        return _round_side(max_side * aspect, lambda n: abs(aspect - n / max_side)), max_side
    return max_side, _round_side(
        max_side / aspect, lambda n: 0 if n == 0 else abs(aspect - max_side / n)
    )


def _round_side(exact: float, error: Callable[[int], float]) -> int:
    """Floor or ceiling of ``exact``, whichever keeps the aspect ratio better; at least 1."""
    return max(min(math.floor(exact), math.ceil(exact), key=error), 1)


def _encode_jpeg(image: Image.Image) -> bytes:
    buffer = BytesIO()
    image.save(buffer, "JPEG", quality=JPEG_QUALITY, optimize=True, progressive=True)
    return buffer.getvalue()


def _mime_type(image: Image.Image, image_format: str) -> str:
    # pillow_heif tells image/heic (HEVC) from image/heif by the file's brand.
    if image_format == "HEIF":
        return image.get_format_mimetype() or "image/heif"
    return _MIME_TYPES[image_format]


# EXIF is attacker-controlled and often malformed. It is a nice-to-have that
# must never cost an inspector the photo, so every reader below returns None
# (or an empty mapping) instead of raising.


def _read_exif(image: Image.Image) -> Image.Exif:
    """The image's EXIF, its IFD0 tags decoded now so later lookups can't raise."""
    try:
        exif = image.getexif()
        dict(exif)
    except Exception:  # noqa: BLE001 - malformed EXIF must not reject the photo
        return Image.Exif()
    return exif


def _ifd(exif: Image.Exif, tag: ExifTags.IFD) -> dict[int, object]:
    try:
        return dict(exif.get_ifd(tag))
    except Exception:  # noqa: BLE001 - malformed EXIF must not reject the photo
        return {}


def _orientation(exif: Image.Exif) -> int:
    value = exif.get(ExifTags.Base.Orientation)
    return value if isinstance(value, int) else 1


def _taken_at(exif: Image.Exif) -> datetime | None:
    """DateTimeOriginal, else DateTime, as a naive local datetime (EXIF has no zone)."""
    original = _ifd(exif, ExifTags.IFD.Exif).get(ExifTags.Base.DateTimeOriginal)
    for value in (original, exif.get(ExifTags.Base.DateTime)):
        text = _text(value)
        if text is None:
            continue
        try:
            return datetime.strptime(text[:19], "%Y:%m:%d %H:%M:%S")
        except ValueError:
            continue
    return None


def _gps(exif: Image.Exif) -> tuple[float | None, float | None]:
    gps = _ifd(exif, ExifTags.IFD.GPSInfo)
    lat = _coordinate(
        gps.get(ExifTags.GPS.GPSLatitude), gps.get(ExifTags.GPS.GPSLatitudeRef), "NS", 90
    )
    lon = _coordinate(
        gps.get(ExifTags.GPS.GPSLongitude), gps.get(ExifTags.GPS.GPSLongitudeRef), "EW", 180
    )
    if lat is None or lon is None:
        return None, None
    return lat, lon


def _coordinate(value: object, ref: object, refs: str, limit: float) -> float | None:
    """Signed decimal degrees from EXIF (degrees[, minutes[, seconds]]) and a ref.

    ``refs`` is the positive then the negative hemisphere letter. A missing or
    unknown ref gives None rather than guessing the hemisphere.
    """
    hemisphere = (_text(ref) or "").upper()
    if len(hemisphere) != 1 or hemisphere not in refs:
        return None
    if isinstance(value, numbers.Real):  # a single rational: decimal degrees
        value = (value,)
    if not isinstance(value, tuple) or not 1 <= len(value) <= 3:
        return None
    if not all(isinstance(part, numbers.Real) for part in value):
        return None
    parts = [float(part) for part in value]  # zero denominators give nan
    if not all(math.isfinite(part) and part >= 0 for part in parts):
        return None
    degrees = sum(part / 60**index for index, part in enumerate(parts))
    if degrees > limit:
        return None
    return -degrees if hemisphere == refs[1] else degrees


# EXIF tags that can name the photographer or single out their device: in IFD0,
# then in the Exif IFD.
_IDENTIFYING_IFD0 = {
    "artist": ExifTags.Base.Artist,
    "copyright": ExifTags.Base.Copyright,
    "author": ExifTags.Base.XPAuthor,
    "host_computer": ExifTags.Base.HostComputer,
    "camera_serial": ExifTags.Base.CameraSerialNumber,
}
_IDENTIFYING_EXIF = {
    "owner": ExifTags.Base.CameraOwnerName,
    "body_serial": ExifTags.Base.BodySerialNumber,
    "lens_serial": ExifTags.Base.LensSerialNumber,
    "image_id": ExifTags.Base.ImageUniqueID,
}


def _identifying(exif: Image.Exif) -> dict[str, str]:
    sub = _ifd(exif, ExifTags.IFD.Exif)
    found = {name: _text(_xp(exif.get(tag))) for name, tag in _IDENTIFYING_IFD0.items()}
    found |= {name: _text(sub.get(tag)) for name, tag in _IDENTIFYING_EXIF.items()}
    return {name: value for name, value in found.items() if value}


def _xp(value: object) -> object:
    """Windows' XP* tags are UTF-16LE bytes (or a tuple of byte values)."""
    if isinstance(value, tuple) and all(isinstance(v, int) and 0 <= v < 256 for v in value):
        value = bytes(value)
    if isinstance(value, bytes) and len(value) % 2 == 0 and b"\x00" in value:
        return value.decode("utf-16-le", errors="replace")
    return value


def _text(value: object) -> str | None:
    """A printable, stripped EXIF string capped at MAX_EXIF_TEXT, or None."""
    if isinstance(value, bytes):
        value = value.decode("utf-8", errors="replace")
    if not isinstance(value, str):
        return None
    value = value.split("\x00", 1)[0]
    text = "".join(char for char in value if char.isprintable()).strip()
    return text[:MAX_EXIF_TEXT] or None
