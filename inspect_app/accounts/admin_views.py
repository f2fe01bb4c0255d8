"""Administrator pages: users, teams and their jurisdictions, security settings."""

from __future__ import annotations

from flask import (
    abort,
    current_app,
    flash,
    make_response,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import select
from wtforms.fields.choices import SelectChoice

from inspect_app.accounts import services
from inspect_app.accounts.forms import (
    ConfirmForm,
    JurisdictionForm,
    SettingsForm,
    TeamForm,
    UserForm,
)
from inspect_app.accounts.models import Association, Office, Team, User
from inspect_app.accounts.permissions import Permission, require_permission
from inspect_app.accounts.throttle import blocked_emails
from inspect_app.accounts.views import bp
from inspect_app.cases.models import ReportKind
from inspect_app.core.settings import get_flag
from inspect_app.dbtypes import utcnow
from inspect_app.extensions import db
from inspect_app.geo.models import Ward
from inspect_app.retention.forms import RetentionRulesForm
from inspect_app.retention.services import retention_months, set_rule


def _fill_placement_choices(form: UserForm) -> None:
    none = [SelectChoice(0, "—")]
    teams = db.session.scalars(select(Team).order_by(Team.code)).all()
    offices = db.session.scalars(select(Office).order_by(Office.name)).all()
    associations = db.session.scalars(select(Association).order_by(Association.name)).all()
    form.team_id.choices = none + [SelectChoice(t.id, f"{t.code} — {t.name}") for t in teams]
    form.office_id.choices = none + [SelectChoice(o.id, o.name) for o in offices]
    form.association_id.choices = none + [SelectChoice(a.id, a.name) for a in associations]


def _placement(form: UserForm) -> dict:
    return {
        "team": db.session.get(Team, form.team_id.data) if form.team_id.data else None,
        "office": db.session.get(Office, form.office_id.data) if form.office_id.data else None,
        "association": (
            db.session.get(Association, form.association_id.data)
            if form.association_id.data
            else None
        ),
    }


def _get_or_404(model, ident: int):
    obj = db.session.get(model, ident)
    if obj is None:
        abort(404)
    return obj


@bp.route("/admin/users")
@require_permission(Permission.MANAGE_USERS)
def admin_users():
    users = db.session.scalars(select(User).order_by(User.role, User.email)).all()
    blocked = blocked_emails([user.email for user in users], utcnow())
    return render_template("accounts/admin_users.html", users=users, blocked=blocked)


@bp.route("/admin/users/new", methods=["GET", "POST"])
@require_permission(Permission.MANAGE_USERS)
def admin_user_new():
    form = UserForm()
    _fill_placement_choices(form)
    if form.validate_on_submit():
        try:
            user = services.create_user(
                email=form.email.data,
                role=form.role.data,
                full_name=form.full_name.data,
                actor=current_user,
                **_placement(form),
            )
            link = services.invite_user(user, actor=current_user, base_url=_base_url())
        except services.AccountError as exc:
            db.session.rollback()
            form.form_errors.append(str(exc))
        else:
            db.session.commit()
            return _link_page(user, link, invitation=True)
    status = 400 if form.errors or form.form_errors else 200
    return render_template("accounts/admin_user_form.html", form=form, user=None), status


@bp.route("/admin/users/<id:user_id>", methods=["GET", "POST"])
@require_permission(Permission.MANAGE_USERS)
def admin_user_edit(user_id: int):
    user = _get_or_404(User, user_id)
    form = UserForm(obj=user)
    _fill_placement_choices(form)
    if request.method == "GET":
        form.team_id.data = user.team_id or 0
        form.office_id.data = user.office_id or 0
        form.association_id.data = user.association_id or 0
    if form.validate_on_submit():
        try:
            services.update_user(
                user,
                role=form.role.data,
                full_name=form.full_name.data,
                actor=current_user,
                **_placement(form),
            )
        except services.AccountError as exc:
            db.session.rollback()
            form.form_errors.append(str(exc))
        else:
            db.session.commit()
            flash(_("Changes saved."), "success")
            return redirect(url_for(".admin_users"))
    status = 400 if form.errors or form.form_errors else 200
    return (
        render_template(
            "accounts/admin_user_form.html",
            form=form,
            user=user,
            blocked=bool(blocked_emails([user.email], utcnow())),
            confirm_form=ConfirmForm(),
        ),
        status,
    )


def _base_url() -> str:
    return current_app.config["BASE_URL"]


def _link_page(user: User, link: str, *, invitation: bool):
    """The one-time link, shown this once so it can be handed over in person (it was
    e-mailed to the user too). The page must not be cached anywhere."""
    response = make_response(
        render_template("accounts/admin_link.html", user=user, link=link, invitation=invitation)
    )
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.route(
    "/admin/users/<id:user_id>/<any(unlock,deactivate,activate,reset_2fa,reset_password):action>",
    methods=["POST"],
)
@require_permission(Permission.MANAGE_USERS)
def admin_user_action(user_id: int, action: str):
    user = _get_or_404(User, user_id)
    if not ConfirmForm().validate_on_submit():
        abort(400)
    admin = current_user._get_current_object()
    if user.id == admin.id and action != "unlock":
        flash(_("Change your own account from “My account”."), "error")
        return redirect(url_for(".admin_user_edit", user_id=user.id)), 303
    if action == "reset_password":
        link = services.reset_password(user, actor=admin, base_url=_base_url())
        db.session.commit()
        return _link_page(user, link, invitation=False)
    if action == "unlock":
        services.unlock_user(user, actor=admin)
        message = _("The account of %(email)s is unlocked.", email=user.email)
    elif action == "reset_2fa":
        services.reset_totp(user, actor=admin)
        message = _("Two-step verification of %(email)s was reset.", email=user.email)
    else:
        services.set_user_active(user, action == "activate", actor=admin)
        message = _("Changes saved.")
    db.session.commit()
    flash(message, "success")
    return redirect(url_for(".admin_user_edit", user_id=user.id))


def _fill_office_choices(form: TeamForm) -> None:
    offices = db.session.scalars(select(Office).order_by(Office.name)).all()
    form.office_id.choices = [SelectChoice(o.id, o.name) for o in offices]


@bp.route("/admin/teams")
@require_permission(Permission.MANAGE_TEAMS)
def admin_teams():
    offices = db.session.scalars(select(Office).order_by(Office.name)).all()
    return render_template("accounts/admin_teams.html", offices=offices)


@bp.route("/admin/teams/new", methods=["GET", "POST"])
@require_permission(Permission.MANAGE_TEAMS)
def admin_team_new():
    form = TeamForm()
    _fill_office_choices(form)
    if form.validate_on_submit():
        try:
            team = services.create_team(
                code=form.code.data,
                name=form.name.data,
                office=_get_or_404(Office, form.office_id.data),
                is_ecommerce=form.is_ecommerce.data,
                is_default=form.is_default.data,
                actor=current_user,
            )
        except services.AccountError as exc:
            db.session.rollback()
            form.form_errors.append(str(exc))
        else:
            db.session.commit()
            flash(_("Team %(code)s was created.", code=team.code), "success")
            return redirect(url_for(".admin_team_edit", team_id=team.id))
    status = 400 if form.errors or form.form_errors else 200
    return render_template("accounts/admin_team_form.html", form=form, team=None), status


@bp.route("/admin/teams/<id:team_id>", methods=["GET", "POST"])
@require_permission(Permission.MANAGE_TEAMS)
def admin_team_edit(team_id: int):
    team = _get_or_404(Team, team_id)
    form = TeamForm(obj=team)
    _fill_office_choices(form)
    form.code.render_kw = {"readonly": True}
    wards = db.session.scalars(
        select(Ward).where(Ward.province_code == team.office.province_code).order_by(Ward.name)
    ).all()
    jurisdiction = JurisdictionForm(prefix="j")
    jurisdiction.wards.choices = [SelectChoice(w.code, w.name) for w in wards]
    if request.method == "GET":
        jurisdiction.wards.data = [w.code for w in team.wards]
    if "j-submit" in request.form and jurisdiction.validate_on_submit():
        return _save_jurisdiction(team, jurisdiction, form)
    if "submit" in request.form and form.validate_on_submit():
        try:
            services.update_team(
                team,
                name=form.name.data,
                is_ecommerce=form.is_ecommerce.data,
                is_default=form.is_default.data,
                actor=current_user,
            )
        except services.AccountError as exc:
            db.session.rollback()
            form.form_errors.append(str(exc))
        else:
            db.session.commit()
            flash(_("Changes saved."), "success")
            return redirect(url_for(".admin_team_edit", team_id=team.id))
    status = 400 if form.errors or form.form_errors or jurisdiction.errors else 200
    return (
        render_template(
            "accounts/admin_team_form.html", form=form, team=team, jurisdiction=jurisdiction
        ),
        status,
    )


def _save_jurisdiction(team: Team, jurisdiction: JurisdictionForm, form: TeamForm):
    try:
        services.set_team_jurisdiction(team, jurisdiction.wards.data or [], actor=current_user)
    except services.AccountError as exc:
        db.session.rollback()
        jurisdiction.form_errors.append(str(exc))
        return (
            render_template(
                "accounts/admin_team_form.html", form=form, team=team, jurisdiction=jurisdiction
            ),
            400,
        )
    db.session.commit()
    flash(_("Jurisdiction saved: %(n)d communes/wards.", n=len(team.wards)), "success")
    return redirect(url_for(".admin_team_edit", team_id=team.id))


def _retention_form(formdata=None) -> RetentionRulesForm:
    form = RetentionRulesForm(formdata=formdata, prefix="r")
    if formdata is None:
        for kind, months in retention_months().items():
            form[kind.value].data = months
    return form


@bp.route("/admin/settings", methods=["GET", "POST"])
@require_permission(Permission.MANAGE_SETTINGS)
def admin_settings():
    """Security settings and retention periods; every change is an audit event."""
    form = SettingsForm()
    flags = [f for f in form if f.type == "BooleanField"]
    retention = _retention_form(request.form if "r-submit" in request.form else None)
    if request.method == "GET":
        for flag in flags:
            flag.data = get_flag(flag.name)
    if "r-submit" in request.form and retention.validate_on_submit():
        for kind in ReportKind:
            set_rule(kind, retention[kind.value].data, actor=current_user)
        db.session.commit()
        flash(_("Retention periods saved."), "success")
        return redirect(url_for(".admin_settings"))
    if "r-submit" not in request.form and form.validate_on_submit():
        for flag in flags:
            services.change_setting(flag.name, flag.data, actor=current_user)
        db.session.commit()
        flash(_("Changes saved."), "success")
        return redirect(url_for(".admin_settings"))
    status = 400 if form.errors or retention.errors else 200
    return (
        render_template("accounts/admin_settings.html", form=form, retention=retention),
        status,
    )
