"""What was stored before sealing existed — identities under the service key,
evidence files in the clear — is carried over by the migration and sealed by
`flask keys seal-existing` (resumable, in batches)."""

from __future__ import annotations

import json

from flask_migrate import downgrade, upgrade
from sqlalchemy import inspect, select, text

from config import TestingConfig
from inspect_app import create_app
from inspect_app.cases import services as cases
from inspect_app.cases.models import Report
from inspect_app.crypto import data_cipher, decrypt_text, encrypt_text
from inspect_app.evidence.services import get_storage, read_document, read_original
from inspect_app.evidence.storage import display_key, original_key, thumb_key
from inspect_app.extensions import db
from inspect_app.sealing import services as sealing
from tests import imaging
from tests.cases.conftest import new_report
from tests.factories import PASSWORD
from tests.sealing.conftest import NAME, PHONE
from tests.test_migrations import empty_database_url  # noqa: F401

PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
BEFORE_SEALING = "38a5d9a9aa06"


def _make_legacy(report: Report, photo_bytes: bytes) -> None:
    """Turn a freshly sealed report back into what the old code stored."""
    storage = get_storage()
    tokens = {"name": NAME, "phone": PHONE, "email": "an@example.vn", "address": None}
    report.legacy_identity_enc = json.dumps({k: encrypt_text(v) for k, v in tokens.items()})
    report.identity_sealed = None
    report.sealed_keys.clear()
    for photo in report.photos:
        for key in (original_key, display_key, thumb_key):
            storage.delete(key(photo.file_id))
        storage.put(original_key(photo.sha256), photo_bytes)
        storage.put(display_key(photo.sha256), b"clear display")
        storage.put(thumb_key(photo.sha256), b"clear thumb")
        photo.file_id = photo.view_key_enc = photo.original_key_sealed = photo.facts_sealed = None
    db.session.commit()


def test_seal_existing_seals_identities_and_encrypts_files(app, office):
    photo_bytes = imaging.jpeg(seed="denounce0")
    report = new_report(office.team, named=True, photos=1, seed="denounce").report
    attachment = cases.add_attachment(
        office.lead, report.case, title="Biên bản", filename="bb.pdf", data=PDF,
        storage=get_storage(),
    )  # fmt: skip
    db.session.commit()
    storage = get_storage()
    storage.delete(original_key(attachment.file_id))
    storage.put(original_key(attachment.sha256), PDF)
    attachment.file_id = attachment.file_key_enc = None
    _make_legacy(report, photo_bytes)
    sha256 = report.photos[0].sha256
    runner = app.test_cli_runner()

    refused = runner.invoke(args=["keys", "rotate"])
    assert refused.exit_code != 0 and "seal-existing" in refused.output
    result = runner.invoke(args=["keys", "seal-existing", "--batch-size", "1"])
    assert result.exit_code == 0, result.output
    assert "done: {'reports': 1, 'photos': 1, 'documents': 1}" in result.output

    db.session.expire_all()
    report = db.session.get(Report, report.id)
    assert report.legacy_identity_enc is None and report.reporter_named
    assert sealing.reveal_identity(office.lead, PASSWORD, report).identity["phone"] == PHONE
    keys = sealing.original_file_keys(office.director, PASSWORD, report)
    photo = report.photos[0]
    assert read_original(storage, photo, keys[photo.id]) == photo_bytes
    for key in (original_key(sha256), display_key(sha256), thumb_key(sha256)):
        assert not storage.exists(key), "the clear files are gone"
    document = report.case.attachments[0]
    assert document.file_id and read_document(storage, document, "original") == PDF
    assert not storage.exists(original_key(document.sha256))

    again = runner.invoke(args=["keys", "seal-existing"])
    assert "done: {'reports': 0, 'photos': 0, 'documents': 0}" in again.output


def test_a_missing_file_is_reported_and_the_rest_goes_on(app, office):
    first = new_report(office.team, named=True, photos=1, seed="a").report
    second = new_report(office.team, named=True, photos=1, seed="b").report
    _make_legacy(first, imaging.jpeg(seed="a0"))
    _make_legacy(second, imaging.jpeg(seed="b0"))
    get_storage().delete(original_key(first.photos[0].sha256))

    result = app.test_cli_runner().invoke(args=["keys", "seal-existing", "--batch-size", "1"])

    assert result.exit_code == 0, result.output
    assert f"problem: report {first.id}, photo {first.photos[0].id}" in result.output
    db.session.expire_all()
    assert db.session.get(Report, second.id).photos[0].file_id is not None
    assert db.session.get(Report, first.id).legacy_identity_enc is None


def _required_values(connection, table: str, given: dict) -> dict:
    """`given`, plus a plain value for every other column that needs one."""
    values = dict(given)
    for column in inspect(connection).get_columns(table):
        name = column["name"]
        if name in values or column["nullable"] or column.get("autoincrement") is True:
            continue
        if name == "id":
            continue
        kind = str(column["type"]).upper()
        if "INT" in kind:
            values[name] = 1
        elif "BOOL" in kind:
            values[name] = False
        elif "DATE" in kind or "TIME" in kind:
            values[name] = "2026-11-20 08:00:00+00:00" if "TIME" in kind else "2026-11-20"
        else:
            values[name] = "x"
    return values


def _insert(connection, table: str, given: dict) -> None:
    values = _required_values(connection, table, given)
    columns = ", ".join(f'"{c}"' for c in values)
    params = ", ".join(f":{c}" for c in values)
    connection.execute(text(f'INSERT INTO "{table}" ({columns}) VALUES ({params})'), values)


def test_the_migration_carries_identities_over_without_decrypting(empty_database_url):  # noqa: F811
    app = create_app(TestingConfig, {"SQLALCHEMY_DATABASE_URI": empty_database_url})
    with app.app_context():
        upgrade(revision=BEFORE_SEALING)
        cipher = data_cipher()
        name, email = encrypt_text(NAME, cipher), encrypt_text("an@example.vn", cipher)
        with db.engine.begin() as connection:
            _insert(connection, "provinces", {"code": 1, "name": "Hà Nội"})
            _insert(connection, "categories", {"id": 1, "code": "counterfeit"})
            _insert(connection, "cases", {"id": 1, "status": "new", "kind": "denunciation",
                                          "source": "citizen", "province_code": 1,
                                          "category_id": 1})  # fmt: skip
            for report_id, wants in ((1, True), (2, False)):
                _insert(connection, "reports", {
                    "id": report_id, "case_id": 1, "kind": "denunciation", "source": "citizen",
                    "category_id": 1, "location_type": "online", "province_code": 1,
                    "reporter_name_enc": name, "reporter_email_enc": email,
                    "wants_email_updates": wants, "tracking_code_hash": f"{report_id:064d}",
                })  # fmt: skip
        upgrade()
        rows = {r.id: r for r in db.session.execute(select(Report.__table__))}
        assert rows[1].reporter_named and rows[2].reporter_named
        assert json.loads(rows[1].legacy_identity_enc)["name"] == name
        assert decrypt_text(rows[1].progress_email_enc) == "an@example.vn"
        assert rows[2].progress_email_enc is None, "no consent to progress e-mails"
        db.session.remove()

        downgrade(revision=BEFORE_SEALING)
        with db.engine.connect() as connection:
            restored = connection.execute(text("SELECT reporter_name_enc FROM reports")).scalars()
            assert set(restored) == {name}
        db.engine.dispose()
