"""The words of every e-mail, in the recipient's language, laid out by two templates
(`email/message.txt` and `email/message.html`).

The sentences live here rather than in the templates so that one msgid serves both
the text and the HTML part. Reporter e-mails carry only the public status title
and the public message: never an officer's name, an internal note or identity.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import Protocol

from flask import current_app, render_template
from flask_babel import force_locale, ngettext
from flask_babel import gettext as _

from inspect_app.accounts.models import User
from inspect_app.cases.deadlines import DUE_SOON_WORKING_DAYS, deadline_status
from inspect_app.cases.models import Case
from inspect_app.cases.workflow import CaseStatus
from inspect_app.core.web import format_date_vn
from inspect_app.deadlines.calendar import WorkingCalendar


@dataclass(frozen=True)
class Email:
    subject: str
    text: str
    html: str


@dataclass(frozen=True)
class EmailLink:
    label: str
    url: str
    detail: str = ""


@dataclass
class _Content:
    subject: str
    greeting: str
    paragraphs: list[str] = field(default_factory=list)
    links: list[EmailLink] = field(default_factory=list)


def _base_url() -> str:
    return current_app.config["BASE_URL"].rstrip("/")


def case_url(case_id: int) -> str:
    return f"{_base_url()}/cases/{case_id}"


def queue_url(due: str = "") -> str:
    """The case queue (deadline first), filtered by ``due``: "overdue" or "3" (working days)."""
    return f"{_base_url()}/cases" + (f"?due={due}" if due else "")


def track_url() -> str:
    return f"{_base_url()}/track"


def locale_of(user: User | None) -> str:
    """The user's chosen language, else the default (Vietnamese)."""
    if user is not None and user.locale in current_app.config["LANGUAGES"]:
        return user.locale
    return current_app.config["BABEL_DEFAULT_LOCALE"]


def _render(content: _Content, locale: str) -> Email:
    context = {
        "content": content,
        "locale": locale,
        "footer": _(
            "This message was sent automatically by the market surveillance case "
            "system. Please do not reply to it."
        ),
    }
    return Email(
        subject=content.subject,
        text=render_template("email/message.txt", **context),
        html=render_template("email/message.html", **context),
    )


class DueCase(Protocol):
    """What a list of cases in an e-mail needs: a Case, or a row of its columns."""

    id: int
    title: str
    next_due: date | None


def _case_label(case: DueCase) -> str:
    return _("Case #%(id)d “%(title)s”", id=case.id, title=case.title)


def _open_case(case: Case) -> EmailLink:
    return EmailLink(_("Open the case"), case_url(case.id))


def _greeting(user: User) -> str:
    return _("Hello %(name)s,", name=str(user))


def reminder_email(user: User, case: Case, today: date, calendar: WorkingCalendar) -> Email:
    """To the assignee (or the team lead of an unassigned case) before a deadline."""
    with force_locale(locale_of(user)):
        due = format_date_vn(case.next_due)
        left = deadline_status(case, today, calendar).label
        content = _Content(
            subject=_("Reminder: case #%(id)d is due on %(date)s", id=case.id, date=due),
            greeting=_greeting(user),
            paragraphs=[
                _(
                    "%(case)s is due on %(date)s (%(left)s).",
                    case=_case_label(case),
                    date=due,
                    left=left,
                ),
                _("State: %(state)s.", state=case.status_enum.title),
            ],
            links=[_open_case(case)],
        )
        if case.assignee_id is None:
            content.paragraphs.append(
                _("Nobody is assigned to this case yet, so its team lead is reminded.")
            )
        return _render(content, locale_of(user))


def overdue_email(user: User, case: Case, days_overdue: int, *, director_after: int = 0) -> Email:
    """To a team lead (``director_after`` 0) or, escalated, to a director."""
    with force_locale(locale_of(user)):
        due = format_date_vn(case.next_due)
        overdue = ngettext("%(num)d day overdue", "%(num)d days overdue", days_overdue)
        assignee = (
            _("Assigned to: %(name)s.", name=str(case.assignee))
            if case.assignee is not None
            else _("Nobody is assigned to this case.")
        )
        content = _Content(
            subject=_("Overdue: case #%(id)d was due on %(date)s", id=case.id, date=due),
            greeting=_greeting(user),
            paragraphs=[
                _(
                    "%(case)s was due on %(date)s (%(overdue)s).",
                    case=_case_label(case),
                    date=due,
                    overdue=overdue,
                ),
                assignee,
            ],
            links=[_open_case(case)],
        )
        if director_after:
            content.paragraphs.append(
                ngettext(
                    "You receive this because the case is at least %(num)d day overdue.",
                    "You receive this because the case is at least %(num)d days overdue.",
                    director_after,
                )
            )
        return _render(content, locale_of(user))


def _case_links(
    cases: Sequence[DueCase], total: int, today: date, calendar: WorkingCalendar, more_url: str
) -> list[EmailLink]:
    """A link per listed case with its deadline, then one to the queue for the rest."""
    details: dict[date, str] = {}  # cases often share a deadline
    for case in cases:
        if case.next_due not in details:
            label = deadline_status(case, today, calendar).label
            details[case.next_due] = f"{label} ({format_date_vn(case.next_due)})"
    label = _("Case #%(id)d “%(title)s”")  # translated once, formatted per case
    links = [
        EmailLink(
            label % {"id": case.id, "title": case.title}, case_url(case.id), details[case.next_due]
        )
        for case in cases
    ]
    if total > len(cases):
        more = total - len(cases)
        label = ngettext(
            "… and %(num)d more case: see the queue",
            "… and %(num)d more cases: see the queue",
            more,
        )
        links.append(EmailLink(label, more_url))
    return links


def reminder_list_email(
    user: User, cases: Sequence[DueCase], total: int, today: date, calendar: WorkingCalendar
) -> Email:
    """One reminder for several cases (the first ``len(cases)`` of ``total``)."""
    with force_locale(locale_of(user)):
        content = _Content(
            subject=ngettext(
                "Reminder: %(num)d case is due soon", "Reminder: %(num)d cases are due soon", total
            ),
            greeting=_greeting(user),
            paragraphs=[_("These cases are due soon:")],
            links=_case_links(cases, total, today, calendar, queue_url(str(DUE_SOON_WORKING_DAYS))),
        )
        return _render(content, locale_of(user))


def overdue_list_email(
    user: User,
    cases: Sequence[DueCase],
    total: int,
    today: date,
    calendar: WorkingCalendar,
    *,
    director_after: int = 0,
) -> Email:
    """Several cases newly overdue, to a team lead or (escalated) to a director."""
    with force_locale(locale_of(user)):
        content = _Content(
            subject=ngettext(
                "Overdue: %(num)d case has passed its deadline",
                "Overdue: %(num)d cases have passed their deadline",
                total,
            ),
            greeting=_greeting(user),
            paragraphs=[_("These cases have passed their deadline:")],
            links=_case_links(cases, total, today, calendar, queue_url("overdue")),
        )
        if director_after:
            content.paragraphs.append(
                ngettext(
                    "You receive this because the cases are at least %(num)d day overdue.",
                    "You receive this because the cases are at least %(num)d days overdue.",
                    director_after,
                )
            )
        return _render(content, locale_of(user))


def digest_email(
    user: User,
    today: date,
    cases: Sequence[DueCase],
    total: int,
    overdue: int,
    calendar: WorkingCalendar,
) -> Email:
    """An officer's morning summary: their overdue and due-soon cases (the first
    ``len(cases)`` of ``total`` listed, ``overdue`` of them past their deadline)."""
    with force_locale(locale_of(user)):
        content = _Content(
            subject=_(
                "Your cases on %(date)s: %(overdue)d overdue, %(soon)d due soon",
                date=format_date_vn(today),
                overdue=overdue,
                soon=total - overdue,
            ),
            greeting=_greeting(user),
            paragraphs=[_("These cases need your attention:")],
            links=_case_links(cases, total, today, calendar, queue_url()),
        )
        return _render(content, locale_of(user))


def reporter_email(status: CaseStatus, public_message: str) -> Email:
    """To a reporter who asked for progress e-mails: the public text, nothing else."""
    locale = locale_of(None)
    with force_locale(locale):
        paragraphs = [
            _("The status of your report is now: %(status)s.", status=status.public_title)
        ]
        if public_message:
            paragraphs.append(public_message)
        paragraphs.append(_("You can follow your report at any time with your tracking code."))
        content = _Content(
            subject=_("Progress of your report: %(status)s", status=status.public_title),
            greeting=_("Hello,"),
            paragraphs=paragraphs,
            links=[EmailLink(_("Track your report"), track_url())],
        )
        return _render(content, locale)


def receipt_email(code_tail: str) -> Email:
    """To a reporter who asked for e-mails, right after sending. The full tracking
    code is not written: the outbox keeps e-mails, and the code opens the sealed
    identity, so only its last group identifies the report to its reporter."""
    locale = locale_of(None)
    with force_locale(locale):
        content = _Content(
            subject=_("We received your report"),
            greeting=_("Hello,"),
            paragraphs=[
                _("We received your report; its tracking code ends in %(tail)s.", tail=code_tail),
                _(
                    "Keep the full code you were shown: it is the only way to follow the "
                    "report and to answer officers' questions. For your safety it is never "
                    "written in an e-mail."
                ),
                _("We will write to you here when the report makes progress."),
            ],
            links=[EmailLink(_("Track your report"), track_url())],
        )
        return _render(content, locale)


def reporter_question_email(question: str) -> Email:
    """To a reporter who asked for e-mails: an officer's question, without their name."""
    locale = locale_of(None)
    with force_locale(locale):
        content = _Content(
            subject=_("A question about your report"),
            greeting=_("Hello,"),
            paragraphs=[
                _("The officers handling your report ask:"),
                question,
                _("Answer on the tracking page with your tracking code."),
            ],
            links=[EmailLink(_("Track your report"), track_url())],
        )
        return _render(content, locale)


def _account_url(path: str) -> str:
    return f"{_base_url()}{path}"


def account_change_email(user: User, change: object, by: User | None, at: str) -> Email:
    """To a staff member whose account changed: what changed, when, by whom, and
    what to do if they did not expect it (`change` is translated here, lazily)."""
    with force_locale(locale_of(user)):
        change = str(change)
        if by is not None and by.id != user.id:
            line = _(
                "%(change)s — %(at)s, by %(email)s.",
                change=change,
                at=at,
                email=by.email,
            )
        else:
            line = _("%(change)s — %(at)s.", change=change, at=at)
        content = _Content(
            subject=_("Your account was changed: %(change)s", change=change),
            greeting=_greeting(user),
            paragraphs=[
                line,
                _(
                    "If you did not expect this change, tell your office's security contact "
                    "at once: someone may be trying to use your account."
                ),
            ],
            links=[EmailLink(_("Your account"), _account_url("/account"))],
        )
        return _render(content, locale_of(user))


def password_link_email(user: User, url: str, invitation: bool, valid_hours: int) -> Email:
    """The one-time link with which a user sets their own password."""
    with force_locale(locale_of(user)):
        if invitation:
            subject = _("Your account for the market surveillance case system")
            first = _("An account was created for you. Choose your password with this link.")
        else:
            subject = _("Set a new password")
            first = _(
                "An administrator reset your password. Choose a new one with this link. "
                "Access to sealed reporter identities must be granted to you again."
            )
        content = _Content(
            subject=subject,
            greeting=_greeting(user),
            paragraphs=[
                first,
                _("The link works once and for %(hours)d hours.", hours=valid_hours),
            ],
            links=[EmailLink(_("Choose your password"), url)],
        )
        return _render(content, locale_of(user))


def event_email(
    user: User,
    kind: str,
    case: Case,
    *,
    reassigned: bool = False,
    answered: bool = False,
    reason: str = "",
    by: str = "",
) -> Email:
    """A notice of work that arrives: a case assigned, a reporter's information or
    answer, a reopened case, a new case to triage, a resolution to approve."""
    from inspect_app.notify.models import MessageKind

    with force_locale(locale_of(user)):
        label = _case_label(case)
        kind = MessageKind(kind)
        paragraphs = []
        if kind is MessageKind.ASSIGNED:
            subject = (
                _("Case #%(id)d was reassigned to you", id=case.id)
                if reassigned
                else _("Case #%(id)d is assigned to you", id=case.id)
            )
            paragraphs.append(_("%(case)s is now yours to investigate.", case=label))
        elif kind is MessageKind.REPORTER_INFO:
            subject = (
                _("The reporter answered on case #%(id)d", id=case.id)
                if answered
                else _("The reporter added information to case #%(id)d", id=case.id)
            )
            paragraphs.append(_("Read it on the case page: %(case)s.", case=label))
        elif kind is MessageKind.REOPENED:
            subject = _("Case #%(id)d was reopened", id=case.id)
            paragraphs.append(_("%(case)s is open again for investigation.", case=label))
        elif kind is MessageKind.TRIAGE:
            subject = _("New case #%(id)d to triage", id=case.id)
            paragraphs.append(_("%(case)s arrived in your team's area.", case=label))
        else:
            subject = _("Case #%(id)d waits for your approval", id=case.id)
            paragraphs.append(_("The outcome of %(case)s was recorded.", case=label))
        if by:
            paragraphs.append(_("By: %(name)s.", name=by))
        if reason:
            paragraphs.append(_("Reason: %(reason)s", reason=reason))
        if case.next_due is not None:
            paragraphs.append(_("Deadline: %(date)s.", date=format_date_vn(case.next_due)))
        content = _Content(
            subject=subject,
            greeting=_greeting(user),
            paragraphs=paragraphs,
            links=[_open_case(case)],
        )
        return _render(content, locale_of(user))


def notice_digest_email(user: User, today: date, notices: Sequence, total: int) -> Email:
    """The day's notices of an officer who chose the daily e-mail for them (the
    first ``len(notices)`` of ``total``)."""
    with force_locale(locale_of(user)):
        links = [
            EmailLink(notice.message, case_url(notice.case_id) if notice.case_id else "")
            for notice in notices
        ]
        if total > len(notices):
            more = total - len(notices)
            links.append(
                EmailLink(
                    ngettext(
                        "… and %(num)d more: see your notifications",
                        "… and %(num)d more: see your notifications",
                        more,
                    ),
                    f"{_base_url()}/notifications",
                )
            )
        content = _Content(
            subject=ngettext(
                "Your notices of %(date)s: %(num)d new",
                "Your notices of %(date)s: %(num)d new",
                total,
                date=format_date_vn(today),
            ),
            greeting=_greeting(user),
            paragraphs=[_("Since the last e-mail:")],
            links=links,
        )
        return _render(content, locale_of(user))
