"""Administrator pages: users, teams and their jurisdictions, security settings."""

from __future__ import annotations

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
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
from inspect_app.accounts.views import bp
from inspect_app.core.settings import get_flag, set_flag
from inspect_app.extensions import db
from inspect_app.geo.models import Ward


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
    return render_template("accounts/admin_users.html", users=users)


@bp.route("/admin/users/new", methods=["GET", "POST"])
@require_permission(Permission.MANAGE_USERS)
def admin_user_new():
    form = UserForm()
    _fill_placement_choices(form)
    if form.validate_on_submit():
        try:
            user = services.create_user(
                email=form.email.data,
                password=form.password.data or "",
                role=form.role.data,
                full_name=form.full_name.data,
                **_placement(form),
            )
        except services.AccountError as exc:
            db.session.rollback()
            form.form_errors.append(str(exc))
        else:
            db.session.commit()
            flash(_("User %(email)s was created.", email=user.email), "success")
            return redirect(url_for(".admin_users"))
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
                user, role=form.role.data, full_name=form.full_name.data, **_placement(form)
            )
            if form.password.data:
                services.set_password(user, form.password.data)
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
            "accounts/admin_user_form.html", form=form, user=user, confirm_form=ConfirmForm()
        ),
        status,
    )


@bp.route(
    "/admin/users/<id:user_id>/<any(unlock,deactivate,activate,reset_2fa):action>",
    methods=["POST"],
)
@require_permission(Permission.MANAGE_USERS)
def admin_user_action(user_id: int, action: str):
    user = _get_or_404(User, user_id)
    if not ConfirmForm().validate_on_submit():
        abort(400)
    if action == "unlock":
        services.unlock_user(user)
        message = _("The account of %(email)s is unlocked.", email=user.email)
    elif action == "reset_2fa":
        services.disable_totp(user)
        services.end_all_sessions(user)
        message = _("Two-step verification of %(email)s was reset.", email=user.email)
    else:
        services.set_user_active(user, action == "activate")
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
        services.set_team_jurisdiction(team, jurisdiction.wards.data or [])
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


@bp.route("/admin/settings", methods=["GET", "POST"])
@require_permission(Permission.MANAGE_SETTINGS)
def admin_settings():
    form = SettingsForm()
    flags = [f for f in form if f.type == "BooleanField"]
    if request.method == "GET":
        for flag in flags:
            flag.data = get_flag(flag.name)
    if form.validate_on_submit():
        for flag in flags:
            set_flag(flag.name, flag.data)
        db.session.commit()
        flash(_("Changes saved."), "success")
        return redirect(url_for(".admin_settings"))
    return render_template("accounts/admin_settings.html", form=form)
