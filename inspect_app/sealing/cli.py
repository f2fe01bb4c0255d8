"""`flask keys …`: the service key (INSPECT_DATA_KEY) and the keys of sealed data.

Secrets typed here (a recovery key) are read from the terminal without echo and are
never written anywhere; a new recovery key is printed once, for paper.
"""

from __future__ import annotations

import click
from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from flask.cli import AppGroup
from sqlalchemy import Row, func, or_, select, update
from sqlalchemy.orm import InstrumentedAttribute

from inspect_app.accounts.models import Office, User
from inspect_app.accounts.services import find_user_by_email
from inspect_app.cases.models import CaseAttachment, Report
from inspect_app.crypto import DataKeyError, data_cipher, rotate_token
from inspect_app.dbsetup import write_intent
from inspect_app.evidence.models import Photo
from inspect_app.evidence.services import get_storage
from inspect_app.extensions import db
from inspect_app.notify.models import OutboxMessage
from inspect_app.sealing import crypto
from inspect_app.sealing.legacy import seal_legacy_batch
from inspect_app.sealing.models import Holder, KeyEnvelope, OfficerKey, RecoveryKey, SealedKey
from inspect_app.sealing.services import (
    SealingError,
    create_recovery_key,
    grant_with_recovery,
    rotate_recovery_key,
)

keys_cli = AppGroup("keys", help="Encryption keys: the service key and sealed data.")

# Every column holding a Fernet token of the service key, per model.
ENCRYPTED_COLUMNS: dict[type[db.Model], tuple[InstrumentedAttribute, ...]] = {
    Report: (Report.progress_email_enc,),
    Photo: (Photo.view_key_enc,),
    CaseAttachment: (CaseAttachment.file_key_enc,),
    User: (User.totp_secret_enc,),
    OutboxMessage: (OutboxMessage.recipient_enc,),
}


# --- the service key (INSPECT_DATA_KEY) ------------------------------------------------


def rotate_data_keys(batch_size: int = 500) -> dict[str, int]:
    """Re-encrypt every encrypted column with the primary key; rows rotated per table.

    Commits after each batch, so it can run while the app serves requests and can be
    re-run after an interruption (rotating twice is harmless).
    """
    cipher = data_cipher()
    try:
        return {
            model.__tablename__: _rotate_table(model, columns, cipher, batch_size)
            for model, columns in ENCRYPTED_COLUMNS.items()
        }
    except DataKeyError:
        db.session.rollback()  # release the batch's row locks
        raise


def _rotate_table(
    model: type[db.Model],
    columns: tuple[InstrumentedAttribute, ...],
    cipher: MultiFernet,
    batch_size: int,
) -> int:
    query = (
        select(model.id, *columns)
        .where(or_(*(column.is_not(None) for column in columns)))
        .order_by(model.id)
        .limit(batch_size)
        # Lock the batch (PostgreSQL) so a concurrent write, such as a new TOTP
        # secret, is not overwritten with the rotated old value.
        .with_for_update()
    )
    rotated, last_id = 0, 0
    while rows := db.session.execute(query.where(model.id > last_id)).all():
        values = [_rotated_row(model, columns, row, cipher) for row in rows]
        db.session.execute(update(model), values)
        db.session.commit()
        rotated += len(rows)
        last_id = rows[-1].id
    return rotated


def _rotated_row(
    model: type[db.Model],
    columns: tuple[InstrumentedAttribute, ...],
    row: Row,
    cipher: MultiFernet,
) -> dict[str, object]:
    values: dict[str, object] = {"id": row.id}
    for column in columns:
        try:
            values[column.key] = rotate_token(getattr(row, column.key), cipher)
        except InvalidToken as exc:
            msg = f"{model.__tablename__} {row.id}: {column.key} cannot be decrypted with any key"
            raise DataKeyError(msg) from exc
    return values


def _legacy_left() -> int:
    query = select(func.count()).where(Report.legacy_identity_enc.is_not(None))
    return db.session.scalar(query) or 0


@keys_cli.command("rotate")
@click.option("--batch-size", type=click.IntRange(min=1), default=500, show_default=True)
def rotate_command(batch_size: int):
    """Re-encrypt what the service key protects with the first key of INSPECT_DATA_KEY."""
    if left := _legacy_left():
        raise click.ClickException(
            f"{left} identities still wait for sealing: run `flask keys seal-existing` first"
        )
    try:
        counts = rotate_data_keys(batch_size)
    except DataKeyError as exc:
        raise click.ClickException(f"{exc}; earlier batches are already rotated") from None
    for table, count in counts.items():
        click.echo(f"{table}: {count} rows re-encrypted")


@keys_cli.command("generate")
def generate_command():
    """Print a new Fernet key."""
    click.echo(Fernet.generate_key().decode("ascii"))
    click.echo(
        "Prepend it to INSPECT_DATA_KEY (INSPECT_DATA_KEY=new,old), restart the app, "
        "then run `flask keys rotate`; drop the old key only after that.",
        err=True,
    )


# --- sealed data -----------------------------------------------------------------------


def _office(code: str | None) -> Office | None:
    if code is None:
        return None
    office = db.session.scalar(select(Office).where(Office.code == code.strip().upper()))
    if office is None:
        raise click.ClickException(f"no office with code {code}")
    return office


def _ask_recovery_key(prompt: str) -> bytes:
    text = click.prompt(prompt, hide_input=True)
    try:
        return crypto.parse_recovery_key(text)
    except crypto.SealError as exc:
        raise click.ClickException(str(exc)) from None


def _print_recovery_key(row: RecoveryKey, text: str) -> None:
    scope = row.office.name if row.office else "national (provinces without an office)"
    click.echo("")
    click.echo(f"Recovery key for {scope} — fingerprint {row.fingerprint}")
    click.echo("")
    click.echo(f"    {text}")
    click.echo("")
    click.echo(
        "Print it or write it down now and keep it offline, in a safe. It is shown only\n"
        "this once and is stored nowhere: without it (and without an officer who holds\n"
        "a key) sealed identities cannot be recovered."
    )


@keys_cli.command("recovery-create")
@click.option("--office", "office_code", help="Office code; without it, the national key.")
def recovery_create_command(office_code: str | None):
    """Make an office's recovery key and print it once."""
    with write_intent():
        try:
            row, text = create_recovery_key(_office(office_code))
        except SealingError as exc:
            raise click.ClickException(str(exc)) from None
        db.session.commit()
    _print_recovery_key(row, text)


@keys_cli.command("recovery-rotate")
def recovery_rotate_command():
    """Replace a recovery key (asks for the old one) and print the new one once."""
    old = _ask_recovery_key("Current recovery key")
    with write_intent():
        try:
            row, text, moved = rotate_recovery_key(old)
        except SealingError as exc:
            raise click.ClickException(str(exc)) from None
        db.session.commit()
    click.echo(f"{moved} sealed keys moved to the new recovery key; the old one is retired.")
    _print_recovery_key(row, text)


@keys_cli.command("grant")
@click.option("--to", "email", required=True, help="E-mail of the officer to give access.")
def grant_command(email: str):
    """Give an officer access to the sealed data they are entitled to, with the
    recovery key (asked for)."""
    grantee = find_user_by_email(email)
    if grantee is None:
        raise click.ClickException(f"no user with e-mail {email}")
    private = _ask_recovery_key("Recovery key")
    with write_intent():
        try:
            count = grant_with_recovery(private, grantee)
        except SealingError as exc:
            raise click.ClickException(str(exc)) from None
        db.session.commit()
    click.echo(f"{grantee.email} now holds {count} more keys.")


@keys_cli.command("seal-existing")
@click.option("--batch-size", type=click.IntRange(min=1), default=200, show_default=True)
def seal_existing_command(batch_size: int):
    """Seal identities encrypted with the service key before sealing existed, and
    encrypt evidence files stored in the clear (resumable, in batches)."""
    storage = get_storage()
    after_report = after_document = 0
    totals = {"reports": 0, "photos": 0, "documents": 0}
    while True:
        with write_intent():
            batch = seal_legacy_batch(storage, batch_size, after_report, after_document)
            db.session.commit()
        for key in batch.clear_files:
            storage.delete(key)
        for problem in batch.problems:
            click.echo(f"problem: {problem}", err=True)
        if batch.done:
            break
        after_report, after_document = batch.after_report, batch.after_document
        totals = {
            "reports": totals["reports"] + batch.reports,
            "photos": totals["photos"] + batch.photos,
            "documents": totals["documents"] + batch.documents,
        }
        click.echo(f"sealed so far: {totals}")
    click.echo(f"done: {totals}")


@keys_cli.command("status")
def status_command():
    """What is sealed, to whom, and what still waits."""
    count = db.session.scalar
    click.echo(f"sealed data keys: {count(select(func.count()).select_from(SealedKey))}")
    for holder in Holder:
        n = count(select(func.count()).where(KeyEnvelope.holder == holder.value))
        click.echo(f"  wrapped to {holder.value}: {n}")
    click.echo(f"officers with a key pair: {count(select(func.count()).select_from(OfficerKey))}")
    active = select(RecoveryKey).where(RecoveryKey.retired_at.is_(None))
    for row in db.session.scalars(active):
        scope = row.office.code if row.office else "national"
        click.echo(f"recovery key {scope}: {row.fingerprint}")
    offices = select(Office).where(
        ~Office.id.in_(select(RecoveryKey.office_id).where(RecoveryKey.retired_at.is_(None)))
    )
    for office in db.session.scalars(offices):
        click.echo(f"no recovery key: office {office.code}")
    click.echo(f"identities waiting for `keys seal-existing`: {_legacy_left()}")
