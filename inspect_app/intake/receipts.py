"""Idempotent submission: a form sent twice (a retry after a lost answer, a double
tap) gives back the report the first sending made, never a second one.

Each form carries a random key (`crypto.new_bearer_token`). The receipt keeps its
hash and the tracking code encrypted with a key derived from it, so only the
browser that holds the form can get the code again; the sweep deletes receipts
after its grace period.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import delete, select

from inspect_app.cases.models import Report
from inspect_app.extensions import db
from inspect_app.intake.models import SubmissionReceipt
from inspect_app.sealing import crypto

RECEIPT_LABEL = b"submission-receipt"


def submitted_with(form_key: str) -> tuple[Report, str] | None:
    """The report and tracking code a form with this key already made, if any."""
    receipt = db.session.scalar(
        select(SubmissionReceipt).where(
            SubmissionReceipt.form_key_hash == crypto.bearer_hash(form_key)
        )
    )
    if receipt is None:
        return None
    code = crypto.decrypt_text(crypto.bearer_key(form_key), receipt.code_sealed, RECEIPT_LABEL)
    return db.session.get(Report, receipt.report_id), code.decode("ascii")


def record_receipt(form_key: str, report: Report, code: str, now: datetime) -> None:
    """Written with the report, in its transaction (the report must be flushed)."""
    db.session.add(
        SubmissionReceipt(
            form_key_hash=crypto.bearer_hash(form_key),
            report_id=report.id,
            code_sealed=crypto.encrypt_text(
                crypto.bearer_key(form_key), code.encode("ascii"), RECEIPT_LABEL
            ),
            created_at=now,
        )
    )


def expire_receipts(before: datetime) -> int:
    statement = delete(SubmissionReceipt).where(SubmissionReceipt.created_at < before)
    return db.session.execute(statement).rowcount
