"""The two-way channel between a reporter and the officers, kept anonymous.

With the tracking code a reporter adds information later (a message and photos
through the same pipeline), or answers an officer's question; an officer asks a
question from the case page. Every message joins the report (and so its case, even
after a merge), is an audit event on the case's timeline, and tells the people
concerned: the assignee (or the team's leads) of a reporter's message, the reporter
(by e-mail if they asked for e-mails) of a question. The reporter's pages never
show who asked.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta

from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select

from inspect_app.accounts.models import User
from inspect_app.audit.services import record_event
from inspect_app.cases.models import Case, Report
from inspect_app.evidence.images import ProcessedPhoto
from inspect_app.evidence.services import (
    MAX_PHOTOS_PER_REPORT,
    Original,
    TooManyPhotos,
    store_photo,
)
from inspect_app.evidence.staging import claim_staged
from inspect_app.evidence.storage import Storage
from inspect_app.extensions import db
from inspect_app.intake.models import Direction, ReporterMessage
from inspect_app.intake.services import IntakeError
from inspect_app.notify.officer_events import reporter_added_information
from inspect_app.notify.services import queue_question_email
from inspect_app.sealing import crypto
from inspect_app.sealing.services import seal_followup_photos
from inspect_app.text import normalize_text

MAX_MESSAGE_CHARS = 3000
# Per tracking code (the route limits per address too).
MESSAGES_PER_DAY = 10


class TooManyMessages(IntakeError):
    """The reporter sent the day's share of messages for this report."""


def _text(body: str, *, required: bool) -> str:
    text = normalize_text(body or "")
    if len(text) > MAX_MESSAGE_CHARS:
        raise IntakeError(_l("Write at most %(n)d characters.", n=MAX_MESSAGE_CHARS))
    if required and not text:
        raise IntakeError(_l("Write your message first."))
    return text


def _check_rate(report: Report, now: datetime) -> None:
    sent = db.session.scalar(
        select(func.count())
        .select_from(ReporterMessage)
        .where(
            ReporterMessage.report_id == report.id,
            ReporterMessage.direction == Direction.FROM_REPORTER.value,
            ReporterMessage.created_at > now - timedelta(days=1),
        )
    )
    if sent >= MESSAGES_PER_DAY:
        raise TooManyMessages(
            _l("You have sent many messages today. Please wait until tomorrow to send more.")
        )


def _question(report: Report, answers_id: int | None) -> ReporterMessage | None:
    if answers_id is None:
        return None
    question = db.session.get(ReporterMessage, answers_id)
    if question is None or question.report_id != report.id or question.from_reporter:
        raise IntakeError(_l("This question is not about your report."))
    return question


def add_followup(
    report: Report,
    tracking_code: str,
    *,
    body: str,
    storage: Storage,
    photos: Sequence[tuple[Original, ProcessedPhoto]] = (),
    staged: Sequence[str] = (),
    form_key: str | None = None,
    retry_key: str | None = None,
    answers_id: int | None = None,
    now: datetime,
) -> ReporterMessage:
    """The reporter (who proved the tracking code) adds a message and photos to their
    report, or answers the question `answers_id`. Photos come with the request or
    were staged by the form `form_key`; they are sealed like the report's own. A
    message already sent with `retry_key` (the same form sent again) is returned
    instead of a second one.

    Raises IntakeError (empty or too long), TooManyMessages, TooManyPhotos,
    StagedPhotoMissing, SealingError. Flushes; the caller commits."""
    if retry_key and (earlier := sent_with(report, retry_key)) is not None:
        return earlier
    _check_rate(report, now)
    question = _question(report, answers_id)
    text = _text(body, required=not (photos or staged))
    if len(photos) + len(set(staged)) > MAX_PHOTOS_PER_REPORT:
        raise TooManyPhotos(len(photos) + len(staged))
    message = ReporterMessage(
        report=report,
        direction=Direction.FROM_REPORTER.value,
        body=text,
        answers=question,
        created_at=now,
        retry_key_hash=crypto.bearer_hash(retry_key) if retry_key else None,
    )
    db.session.add(message)
    _attach_photos(report, message, tracking_code, storage, photos, staged, form_key)
    case = report.case
    case.last_activity_at = now
    db.session.flush()
    reporter_added_information(
        case, reference=f"message={message.id}", now=now, answered=question is not None
    )
    record_event(
        actor=None,
        action="case.reporter_answer" if question else "case.followup",
        case=case,
        data={"report": report.id, "message": message.id, "photos": len(message.photos)},
        at=now,
    )
    return message


def sent_with(report: Report, retry_key: str) -> ReporterMessage | None:
    """The reporter's message that the form with this key already sent, if any."""
    return db.session.scalar(
        select(ReporterMessage).where(
            ReporterMessage.report_id == report.id,
            ReporterMessage.retry_key_hash == crypto.bearer_hash(retry_key),
        )
    )


def _attach_photos(
    report: Report,
    message: ReporterMessage,
    tracking_code: str,
    storage: Storage,
    photos: Sequence[tuple[Original, ProcessedPhoto]],
    staged: Sequence[str],
    form_key: str | None,
) -> None:
    named = report.reporter_named
    start = len(report.photos)
    secrets = [
        store_photo(storage, original, processed, position, named=named)
        for position, (original, processed) in enumerate(photos, start=start)
    ]
    if staged:
        start += len(secrets)
        secrets += claim_staged(staged, form_key or "", first_position=start, named=named)
    seal_followup_photos(report, tracking_code, secrets)
    for item in secrets:
        report.photos.append(item.photo)
        message.photos.append(item.photo)


def ask_reporter(
    officer: User, case: Case, report: Report, body: str, *, now: datetime
) -> ReporterMessage:
    """An officer's question to the reporter of `report` (one of the case's), shown
    on /track and e-mailed to a reporter who asked for e-mails. The caller checks
    that the officer works the case. Flushes; the caller commits."""
    if report.case_id != case.id:
        raise IntakeError(_l("This report is not part of the case."))
    message = ReporterMessage(
        report=report,
        direction=Direction.TO_REPORTER.value,
        body=_text(body, required=True),
        author=officer,
        created_at=now,
    )
    db.session.add(message)
    case.last_activity_at = now
    db.session.flush()
    queue_question_email(report, message.id, message.body, now)
    record_event(
        actor=officer,
        action="case.question",
        case=case,
        data={"report": report.id, "message": message.id},
        at=now,
    )
    return message


def conversation(reports: Sequence[Report]) -> list[ReporterMessage]:
    """The messages of these reports, oldest first."""
    ids = [report.id for report in reports]
    if not ids:
        return []
    return list(
        db.session.scalars(
            select(ReporterMessage)
            .where(ReporterMessage.report_id.in_(ids))
            .order_by(ReporterMessage.created_at, ReporterMessage.id)
        )
    )


def open_questions(messages: Sequence[ReporterMessage]) -> list[ReporterMessage]:
    """The officers' questions among `messages` that no reporter's message answers."""
    answered = {m.answers_id for m in messages if m.from_reporter}
    return [m for m in messages if not m.from_reporter and m.id not in answered]
