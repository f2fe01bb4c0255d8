"""Whoever copies the web server — its database, its upload folder and every
environment variable — reads no reporter identity and no original photo.

The attacker below does what such a copy allows: reads every value of every table
and every stored file, decrypts everything the service key (INSPECT_DATA_KEY)
decrypts, and tries every key material found that way on every ciphertext.
"""

from __future__ import annotations

import base64
import binascii
import itertools
import re
from pathlib import Path

import nacl.exceptions
from cryptography.fernet import InvalidToken
from nacl.secret import Aead
from sqlalchemy import select, text

from inspect_app.cases.models import Category, LocationType
from inspect_app.crypto import data_cipher
from inspect_app.evidence.images import process_photo
from inspect_app.evidence.services import get_storage
from inspect_app.extensions import db
from inspect_app.intake.services import ReportDraft, ReporterIdentity, submit_report
from tests import imaging
from tests.cases.conftest import new_report
from tests.intake.conftest import files_under

ARTIST = "Hoang Thi Tham"
SERIAL = "SN-7788-XYZ"
NAME, PHONE, EMAIL, ADDRESS = "Đặng Văn Khoa", "0977123456", "khoa.dang@example.vn", "9 Tràng Thi"
_FERNET = re.compile(rb"gAAAAA[A-Za-z0-9_\-=]{40,}")
_BASE64 = re.compile(rb"[A-Za-z0-9+/]{40,}={0,2}")
LABELS = (
    b"report-identity",
    b"photo-facts",
    b"original-file-key",
    b"officer-private-key",
    b"reporter-envelope",
    b"original",
    b"display",
    b"thumb",
)


def _database_values() -> list[bytes]:
    """Every value of every row of every table, as the attacker's dump has it."""
    values = []
    for table in db.metadata.sorted_tables:
        for row in db.session.execute(select(table)).all():
            values.extend(str(value).encode("utf-8") for value in row if value is not None)
    return values


def _fernet_plaintexts(blobs: list[bytes], key: str) -> list[bytes]:
    cipher = data_cipher(key)
    found = []
    for blob in blobs:
        for token in _FERNET.findall(blob):
            try:
                found.append(cipher.decrypt(token))
            except InvalidToken:
                continue
    return found


def _candidate_keys(material: list[bytes]) -> set[bytes]:
    """Anything that is, or base64-decodes to, 32 bytes: a possible data key."""
    keys = set()
    for item in material:
        for chunk in (item, *_BASE64.findall(item)):
            if len(chunk) == 32:
                keys.add(bytes(chunk))
            try:
                decoded = base64.b64decode(chunk, validate=True)
            except (binascii.Error, ValueError):
                continue
            if len(decoded) == 32:
                keys.add(decoded)
    return keys


def _ciphertexts(blobs: list[bytes]) -> list[bytes]:
    found = []
    for blob in blobs:
        for chunk in _BASE64.findall(blob):
            try:
                found.append(base64.b64decode(chunk, validate=True))
            except (binascii.Error, ValueError):
                continue
    return found


def _opened(keys: set[bytes], ciphertexts: list[bytes]) -> list[bytes]:
    opened = []
    for key, ciphertext, label in itertools.product(keys, ciphertexts, LABELS):
        try:
            opened.append(bytes(Aead(key).decrypt(ciphertext, label)))
        except (nacl.exceptions.CryptoError, ValueError, TypeError):
            continue
    return opened


def test_a_copy_of_the_server_reads_no_identity_and_no_original(app, app_ctx, office):
    """A named denunciation and an anonymous tip, both with a phone photo whose EXIF
    names the photographer; the reporter did not ask for progress e-mails."""
    named_photo = imaging.jpeg_with_gps(artist=ARTIST, serial=SERIAL, seed="named-copy")
    tip_photo = imaging.jpeg_with_gps(20.99, 105.81, artist=ARTIST, seed="tip-copy")
    identity = ReporterIdentity(name=NAME, phone=PHONE, email=EMAIL, address=ADDRESS)
    new_report(office.team, named=True, photos=0, seed="x")  # another report alongside
    _submit(office, identity, named_photo)
    _submit(office, None, tip_photo)

    # What a copy of the server holds: the database, the uploads, the environment.
    database = _database_values()
    uploads = [path.read_bytes() for path in files_under(app.config["UPLOAD_ROOT"])]
    everything = database + uploads
    assert any(b"Similac" in value for value in database), "the dump reads real data"

    service_opened = _fernet_plaintexts(everything, app.config["INSPECT_DATA_KEY"])
    assert service_opened, "the service key opens what it protects (view keys …)"
    keys = _candidate_keys(service_opened + database)
    opened = _opened(keys, _ciphertexts(everything) + uploads)
    assert opened, "the display copies open with their view keys, as on the server"
    readable = everything + service_opened + opened

    # The tip's place ("20.99") is identity; a named report's place and camera are not.
    for secret in (NAME, PHONE, EMAIL, ADDRESS, ARTIST, SERIAL, "20.99"):
        encoded = secret.encode("utf-8")
        leaks = [value[:80] for value in readable if encoded in value]
        assert leaks == [], f"{secret!r} readable in a copy of the server"
    for original in (named_photo, tip_photo):
        assert not any(original in value for value in readable), "an original is readable"
        assert not any(value.startswith(original[:2048]) for value in readable)


def _submit(office, identity, photo: bytes) -> None:
    draft = ReportDraft(
        category_id=db.session.scalar(select(Category.id).where(Category.code == "counterfeit")),
        product="Sữa bột Similac 900g",
        description="Tem chống giả bị mờ.",
        location_type=LocationType.PHYSICAL,
        province_code=1,
        ward_code=office.team.wards[0].code,
        identity=identity,
        consent=identity is not None,
        formal_denunciation=identity is not None,
    )
    submit_report(draft, [(photo, process_photo(photo, "a.jpg"))], get_storage())
    db.session.commit()


def test_the_raw_database_file_holds_no_identity(app, app_ctx, office):
    """Below the rows: the SQLite file itself (free pages, the write-ahead log)."""
    url = app.config["SQLALCHEMY_DATABASE_URI"]
    identity = ReporterIdentity(name=NAME, phone=PHONE, email=EMAIL, address=ADDRESS)
    _submit(office, identity, imaging.jpeg_with_gps(artist=ARTIST, seed="raw"))
    if url.startswith("sqlite:///"):
        path = Path(url.removeprefix("sqlite:///"))
        raw = b"".join(p.read_bytes() for p in path.parent.glob(path.name + "*"))
    else:
        rows = db.session.execute(text("SELECT r::text FROM reports r")).scalars().all()
        raw = "\n".join(rows).encode("utf-8")
    assert b"Similac" in raw
    for secret in (NAME, PHONE, EMAIL, ADDRESS, ARTIST):
        assert secret.encode("utf-8") not in raw
