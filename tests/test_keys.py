"""`flask keys rotate` and `flask keys generate`: the service key (INSPECT_DATA_KEY)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from cryptography.fernet import Fernet
from sqlalchemy import select

from inspect_app.accounts.models import User
from inspect_app.accounts.services import start_totp_enrolment
from inspect_app.cases.models import Category, LocationType, Report
from inspect_app.crypto import DataKeyError, data_cipher, decrypt_text, encrypt_text
from inspect_app.evidence.services import get_storage
from inspect_app.extensions import db
from inspect_app.intake.services import ReportDraft, ReporterIdentity, submit_report
from inspect_app.sealing.cli import rotate_data_keys

IDENTITY = ReporterIdentity(
    name="Nguyễn Văn An", phone="0912345678", email="an@example.vn", address="12 Hàng Bông"
)


def _report(identity: ReporterIdentity | None = IDENTITY) -> Report:
    draft = ReportDraft(
        category_id=db.session.scalar(select(Category.id).limit(1)),
        product="Rượu ngoại",
        description="Nghi hàng giả",
        location_type=LocationType.PHYSICAL,
        province_code=1,
        ward_code=4,
        identity=identity,
        consent=identity is not None,
        wants_email_updates=identity is not None,
    )
    report = submit_report(draft, [], get_storage()).report
    db.session.commit()
    return report


def _tokens(report: Report, user: User) -> list[str | None]:
    return [report.progress_email_enc, user.totp_secret_enc]


@pytest.fixture
def new_key(app) -> Iterator[str]:
    """A fresh primary key put in front of the configured one, restored afterwards."""
    old_key = app.config["INSPECT_DATA_KEY"]
    key = Fernet.generate_key().decode()
    try:
        yield key
    finally:
        app.config["INSPECT_DATA_KEY"] = old_key


def test_rotate_reencrypts_everything_with_the_new_key(app, app_ctx, make_user, new_key) -> None:
    old_key = app.config["INSPECT_DATA_KEY"]
    user = make_user()
    secret = start_totp_enrolment(user)
    report = _report()
    anonymous = _report(identity=None)
    db.session.commit()
    before, sealed = _tokens(report, user), report.identity_sealed
    app.config["INSPECT_DATA_KEY"] = f"{new_key},{old_key}"

    result = app.test_cli_runner().invoke(args=["keys", "rotate"])

    assert result.exit_code == 0, result.output
    assert "reports: 1 rows re-encrypted" in result.output
    assert "users: 1 rows re-encrypted" in result.output
    after = _tokens(report, user)
    new_only, old_only = data_cipher(new_key), data_cipher(old_key)
    assert [decrypt_text(token, new_only) for token in after] == [IDENTITY.email, secret]
    for old_token, new_token in zip(before, after, strict=True):
        assert new_token != old_token
        with pytest.raises(DataKeyError):
            decrypt_text(new_token, old_only)
    # The sealed identity is not the service key's to rotate (nor to read).
    assert report.identity_sealed == sealed
    assert anonymous.progress_email_enc is None and anonymous.identity_sealed is None


def test_rotation_walks_every_batch(app, app_ctx, make_user, new_key) -> None:
    old_key = app.config["INSPECT_DATA_KEY"]
    users = [make_user() for _ in range(3)]
    secrets = [start_totp_enrolment(user) for user in users]
    db.session.commit()
    app.config["INSPECT_DATA_KEY"] = f"{new_key},{old_key}"

    counts = rotate_data_keys(batch_size=2)

    assert counts["reports"] == 0 and counts["users"] == 3
    new_only = data_cipher(new_key)
    assert [decrypt_text(user.totp_secret_enc, new_only) for user in users] == secrets


def test_rotate_stops_at_an_undecryptable_value(app, app_ctx, make_user) -> None:
    user = make_user()
    user.totp_secret_enc = encrypt_text("secret", data_cipher(Fernet.generate_key().decode()))
    db.session.commit()

    result = app.test_cli_runner().invoke(args=["keys", "rotate"])

    assert result.exit_code == 1
    assert f"users {user.id}: totp_secret_enc cannot be decrypted" in result.output


def test_generate_prints_a_fernet_key(app) -> None:
    result = app.test_cli_runner().invoke(args=["keys", "generate"])

    assert result.exit_code == 0
    Fernet(result.stdout.strip())
    assert "INSPECT_DATA_KEY" in result.stderr
