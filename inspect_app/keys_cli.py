"""`flask keys …`: data key generation and rotation (see crypto.py)."""

from __future__ import annotations

import click
from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from flask.cli import AppGroup
from sqlalchemy import Row, or_, select, update
from sqlalchemy.orm import InstrumentedAttribute

from inspect_app.accounts.models import User
from inspect_app.cases.models import Report
from inspect_app.crypto import DataKeyError, data_cipher, rotate_token
from inspect_app.extensions import db

keys_cli = AppGroup("keys", help="Data encryption keys (INSPECT_DATA_KEY).")

# Every column holding a Fernet token, per model.
ENCRYPTED_COLUMNS: dict[type[db.Model], tuple[InstrumentedAttribute, ...]] = {
    Report: (
        Report.reporter_name_enc,
        Report.reporter_phone_enc,
        Report.reporter_email_enc,
        Report.reporter_address_enc,
    ),
    User: (User.totp_secret_enc,),
}


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


@keys_cli.command("rotate")
@click.option("--batch-size", type=click.IntRange(min=1), default=500, show_default=True)
def rotate_command(batch_size: int):
    """Re-encrypt all personal data with the first key of INSPECT_DATA_KEY."""
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
