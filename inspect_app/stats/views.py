"""Statistics pages: the public list and reports (published snapshots only), their
downloads, the staff's drafts, and the officers' live dashboard."""

from __future__ import annotations

from datetime import date, datetime
from pathlib import Path

from flask import (
    Blueprint,
    Response,
    abort,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    send_file,
    url_for,
)
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import select
from wtforms.fields.choices import SelectChoice

from inspect_app.accounts.permissions import Permission, require_permission
from inspect_app.cases.deadlines import DUE_SOON_WORKING_DAYS, LOCAL_TZ
from inspect_app.cases.workflow import CaseStatus
from inspect_app.dbtypes import utcnow
from inspect_app.deadlines.calendar import load_calendar
from inspect_app.extensions import db
from inspect_app.geo.models import Province
from inspect_app.stats import exports, services
from inspect_app.stats.access import may_manage, owner_of
from inspect_app.stats.dashboard import OPEN, build_dashboard
from inspect_app.stats.forms import BuildForm, CorrectionForm, DraftForm, PublishForm
from inspect_app.stats.models import StatsReport
from inspect_app.stats.periods import Period, previous_month, previous_quarter
from inspect_app.stats.presentation import (
    count_text,
    expert_figures,
    figures,
    key_figures,
    seller_rows,
)
from inspect_app.stats.publishing import blocked, publish_checks

bp = Blueprint(
    "stats",
    __name__,
    template_folder="templates",
    static_folder="static",
    static_url_path="/stats/static",
)

SCHEMA_FILE = Path(__file__).with_name("snapshot.schema.json")
EXPORT_TYPES = {
    "csv": "text/csv; charset=utf-8",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "json": "application/json; charset=utf-8",
}


def _report_or_404(report_id: int) -> StatsReport:
    report = db.session.get(StatsReport, report_id)
    if report is None:
        abort(404)
    return report


def _managed_or_404(report_id: int) -> StatsReport:
    """A report of the user's association or office; others' drafts do not exist."""
    report = _report_or_404(report_id)
    if not may_manage(current_user, report):
        abort(404)
    return report


def _published_or_404(report_id: int) -> tuple[StatsReport, dict]:
    """A published report and its verified snapshot; drafts do not exist publicly."""
    report = _report_or_404(report_id)
    if not report.is_published:
        abort(404)
    try:
        return report, services.published_snapshot(report)
    except services.SnapshotCorrupted:
        current_app.logger.exception("refusing to serve a corrupted statistics snapshot")
        abort(500)


def _body(data: dict) -> dict:
    locale = str(get_locale())
    return {
        "data": data,
        "figures": figures(data, locale),
        "key_figures": key_figures(data),
        "expert_figures": expert_figures(data),
        "sellers": seller_rows(data),
        "period": Period.from_snapshot(data["report"]["period"]),
        "published_at": _moment(data["report"]["published_at"]),
    }


def _moment(value: str | None) -> datetime | None:
    return datetime.fromisoformat(value) if value else None


# Public


@bp.route("/stats")
def reports():
    published = services.published_reports()
    corrected = {r.supersedes_id for r in published if r.supersedes_id}
    return render_template("stats/list.html", reports=published, corrected=corrected)


@bp.route("/stats/<id:report_id>")
def report(report_id: int):
    report, data = _published_or_404(report_id)
    successor = services.successor(report)
    published = successor is not None and successor.is_published
    return render_template(
        "stats/report.html",
        report=report,
        successor=successor if published else None,
        correction_draft=successor if successor and not published else None,
        correction_form=CorrectionForm(),
        can_correct=current_user.is_authenticated and may_manage(current_user, report),
        **_body(data),
    )


@bp.route("/stats/<id:report_id>.<any(csv, xlsx, json):fmt>")
def export(report_id: int, fmt: str):
    report, data = _published_or_404(report_id)
    if fmt == "json":
        body: str | bytes = report.data_json
    elif fmt == "csv":
        body = exports.to_csv(data)
    else:
        body = exports.to_xlsx(data)
    response = Response(body, mimetype=EXPORT_TYPES[fmt])
    name = f"thong-ke-{report.id}-v{report.version}.{fmt}"
    response.headers["Content-Disposition"] = f'attachment; filename="{name}"'
    return response


@bp.route("/stats/schema.json")
def schema():
    return send_file(SCHEMA_FILE, mimetype="application/schema+json")


# Drafts (association staff, directors)


def _province_choices(form: BuildForm) -> None:
    """The scopes the user may build: their province, or any for a national association."""
    owner = owner_of(current_user)
    query = select(Province).where(Province.active).order_by(Province.name)
    if owner is None or owner.province_code is not None:
        query = query.where(Province.code == (owner.province_code if owner else None))
    provinces = [SelectChoice(p.code, p.name) for p in db.session.scalars(query)]
    national = owner is not None and owner.province_code is None
    form.province.choices = ([SelectChoice("", _("All provinces"))] if national else []) + provinces


def _default_period(form: BuildForm, today: date) -> None:
    """The last full quarter and month."""
    quarter = previous_quarter(today)
    form.year.data = quarter.start.year
    form.quarter.data = (quarter.start.month - 1) // 3 + 1
    form.month.data = previous_month(today).start.month


@bp.route("/stats/drafts")
@require_permission(Permission.BUILD_STATISTICS)
def drafts():
    return render_template("stats/drafts.html", drafts=services.draft_reports(current_user))


@bp.route("/stats/drafts/new", methods=["GET", "POST"])
@require_permission(Permission.BUILD_STATISTICS)
def new_draft():
    form = BuildForm()
    _province_choices(form)
    if request.method == "GET":
        _default_period(form, datetime.now(LOCAL_TZ).date())
    if not form.validate_on_submit():
        status = 400 if request.method == "POST" else 200
        return render_template("stats/new.html", form=form), status
    try:
        draft = services.create_draft(current_user, form.period(), form.province.data, now=utcnow())
    except services.StatsError as exc:
        db.session.rollback()
        form.form_errors.append(str(exc))
        return render_template("stats/new.html", form=form), exc.status_code
    db.session.commit()
    return redirect(url_for(".draft", report_id=draft.id))


def _draft_page(report: StatsReport, form: DraftForm | None = None, status: int = 200):
    form = form or DraftForm(obj=report)
    checks = publish_checks(report, datetime.now(LOCAL_TZ).date())
    return (
        render_template(
            "stats/draft.html",
            report=report,
            form=form,
            publish_form=PublishForm(),
            publish_checks=checks,
            publish_blocked=blocked(checks),
            **_body(services.preview(report)),
        ),
        status,
    )


@bp.route("/stats/drafts/<id:report_id>")
@require_permission(Permission.BUILD_STATISTICS)
def draft(report_id: int):
    report = _managed_or_404(report_id)
    if report.is_published:
        return redirect(url_for(".report", report_id=report.id))
    return _draft_page(report)


@bp.route("/stats/drafts/<id:report_id>", methods=["POST"])
@require_permission(Permission.BUILD_STATISTICS)
def save_draft(report_id: int):
    report = _managed_or_404(report_id)
    if report.is_published:
        return _conflict(report)
    form = DraftForm()
    if not form.validate_on_submit():
        return _draft_page(report, form, 400)
    try:
        services.update_draft(report, title=form.title.data, commentary=form.commentary.data)
    except services.StatsError as exc:
        db.session.rollback()
        return _refused(report, exc)
    db.session.commit()
    flash(_("Draft saved."), "success")
    return redirect(url_for(".draft", report_id=report.id))


def _refused(report: StatsReport, exc: services.StatsError):
    """Back to the page the request came from, with the reason."""
    if isinstance(exc, services.StatsNotAllowed):
        abort(403)
    if isinstance(exc, services.ReportFrozen):
        return _conflict(report, str(exc))
    flash(str(exc), "error")
    target = ".report" if report.is_published else ".draft"
    return redirect(url_for(target, report_id=report.id)), 303


@bp.route("/stats/drafts/<id:report_id>/publish", methods=["POST"])
@require_permission(Permission.PUBLISH_STATISTICS)
def publish(report_id: int):
    report = _managed_or_404(report_id)
    form = PublishForm()
    if report.is_published:
        return _conflict(report)
    if not form.validate_on_submit():
        flash(_("Tick the box to confirm that the figures may be published."), "error")
        return redirect(url_for(".draft", report_id=report.id, _anchor="publish")), 303
    try:
        services.publish_report(report, current_user, now=utcnow())
    except services.StatsError as exc:
        db.session.rollback()
        return _refused(report, exc)
    db.session.commit()
    flash(_("Published."), "success")
    return redirect(url_for(".report", report_id=report.id))


def _conflict(report: StatsReport, message: str | None = None):
    """409: a published version never changes."""
    message = message or _("A published report cannot be changed. Publish a correction instead.")
    return render_template("stats/conflict.html", report=report, message=message), 409


@bp.route("/stats/<id:report_id>/correct", methods=["POST"])
@require_permission(Permission.BUILD_STATISTICS)
def correct(report_id: int):
    report, _data = _published_or_404(report_id)
    form = CorrectionForm()
    if not form.validate_on_submit():
        flash(_("Say what the correction changes."), "error")
        return redirect(url_for(".report", report_id=report.id, _anchor="correct")), 303
    try:
        correction = services.start_correction(
            report, current_user, note=form.note.data, now=utcnow()
        )
    except services.StatsError as exc:
        db.session.rollback()
        return _refused(report, exc)
    db.session.commit()
    return redirect(url_for(".draft", report_id=correction.id))


# Live dashboard (team leads, directors, admins)


@bp.route("/dashboard")
@require_permission(Permission.VIEW_DASHBOARD)
def dashboard():
    board = build_dashboard(current_user, now=utcnow(), calendar=load_calendar())
    return render_template(
        "stats/dashboard.html",
        board=board,
        states=[CaseStatus(s) for s in OPEN],
        due_soon_days=DUE_SOON_WORKING_DAYS,
        days_text=count_text,
    )
