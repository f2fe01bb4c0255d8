"""Officers' part of /api/v1, with a personal token: their queue and cases, and the
workflow's actions — through the same access checks (cases/access.py) and the same
transitions (cases/transitions.py) as the case page. A case out of reach is 404,
exactly like a missing one; a role without the permission gets 403."""

from __future__ import annotations

from flask import current_app, g, request, url_for
from flask_babel import gettext as _
from flask_smorest import abort
from sqlalchemy import select

from inspect_app.accounts.models import User
from inspect_app.api.auth import rate_key, staff_user
from inspect_app.api.idempotency import PARAMETER as IDEMPOTENCY_KEY
from inspect_app.api.idempotency import idempotent
from inspect_app.api.models import Scope
from inspect_app.api.parsing import ApiBlueprint
from inspect_app.api.schemas import ActionIn, CaseDetailOut, CasePageOut, CaseQuery, MeOut
from inspect_app.cases import transitions
from inspect_app.cases.access import can_see_case, case_scope
from inspect_app.cases.models import Case
from inspect_app.cases.workflow import Action, allowed_actions
from inspect_app.core.bounds import id_in_range
from inspect_app.extensions import db, limiter

bp = ApiBlueprint(
    "api_staff",
    __name__,
    description="Officers, with a personal token (Authorization: Bearer ist_…).",
)
SECURITY = [{"bearer": []}]
ETAG_HEADER = {"description": "The case's version.", "schema": {"type": "string"}}
IF_MATCH = {
    "in": "header",
    "name": "If-Match",
    "required": True,
    "schema": {"type": "string"},
    "description": "The case's ETag: a stale one is refused with 412.",
}


def _api_limit() -> str:
    return current_app.config["API_RATE_LIMIT"]


limiter.limit(_api_limit, key_func=rate_key)(bp)


def etag(case: Case) -> str:
    return f'"case-{case.id}-v{case.version}"'


def _case_or_404(user: User, case_id: int) -> Case:
    """As cases.access.get_case_or_404, answered as a problem."""
    case = db.session.get(Case, case_id) if id_in_range(case_id) else None
    if case is None or not can_see_case(user, case):
        abort(404)
    return case


def _summary(case: Case) -> dict:
    return {
        "id": case.id,
        "status": case.status,
        "status_title": case.status_enum.title,
        "kind": case.kind,
        "title": case.title,
        "category": case.category.code,
        "province_code": case.province_code,
        "ward_code": case.ward_code,
        "team": case.team.code if case.team else None,
        "assignee_id": case.assignee_id,
        "received_at": case.received_at,
        "next_due": case.next_due,
        "version": case.version,
        "url": url_for(".case", case_id=case.id),
    }


def _detail(user: User, case: Case) -> dict:
    return {
        **_summary(case),
        "accept_due": case.accept_due,
        "resolve_due": case.resolve_due,
        "outcome": case.outcome,
        "public_summary": case.public_summary,
        "allowed_actions": [a.value for a in allowed_actions(user, case)],
        # What a report says about the goods; never who sent it.
        "reports": [
            {
                "id": r.id,
                "kind": r.kind,
                "product": r.product,
                "brand": r.brand,
                "description": r.description,
                "location_type": r.location_type,
                "province_code": r.province_code,
                "ward_code": r.ward_code,
                "street_address": r.street_address,
                "seller_name": r.seller_name,
                "platform": r.platform,
                "seller_url": r.seller_url,
                "seen_on": r.seen_on,
                "reporter_named": r.reporter_named,
                "channel": r.channel,
                "photos": len(r.photos),
                "submitted_at": r.submitted_at,
            }
            for r in case.reports
        ],
    }


@bp.route("/me")
@bp.response(200, MeOut)
@bp.doc(security=SECURITY)
def me():
    """The officer the token belongs to."""
    user = staff_user(Scope.CASES_READ)
    credential = g.api_credential
    return {
        "id": user.id,
        "name": user.full_name or user.email,
        "role": user.role,
        "team": user.team.code if user.team else None,
        "scopes": sorted(s.value for s in credential.scope_set),
        "token_expires_at": credential.expires_at,
    }


@bp.route("/cases")
@bp.arguments(CaseQuery, location="query")
@bp.response(200, CasePageOut)
@bp.doc(
    operationId="listCases",
    security=SECURITY,
    responses={
        200: {
            "links": {
                "firstCase": {
                    "operationId": "getCase",
                    "parameters": {"path.case_id": "$response.body#/items/0/id"},
                }
            }
        }
    },
)
def cases(query: dict):
    """The cases in the officer's reach (their team's; a director's province), newest
    first, a page at a time: follow `next` (also in the Link header)."""
    user = staff_user(Scope.CASES_READ)
    statement = select(Case).where(case_scope(user))
    if query.get("status"):
        statement = statement.where(Case.status == query["status"])
    if query["mine"]:
        statement = statement.where(Case.assignee_id == user.id)
    if query.get("after"):
        statement = statement.where(Case.id < query["after"])
    limit = query["limit"]
    rows = list(db.session.scalars(statement.order_by(Case.id.desc()).limit(limit + 1)))
    page, more = rows[:limit], len(rows) > limit
    next_url = None
    headers = {"Cache-Control": "no-store"}
    if more:
        args = {k: v for k, v in request.args.items() if k != "after"}
        next_url = url_for(".cases", **{**args, "after": page[-1].id})
        headers["Link"] = f'<{next_url}>; rel="next"'
    return {"items": [_summary(c) for c in page], "next": next_url}, 200, headers


@bp.route("/cases/<int:case_id>")
@bp.response(200, CaseDetailOut, headers={"ETag": ETAG_HEADER})
@bp.doc(
    operationId="getCase",
    security=SECURITY,
    responses={
        200: {
            "links": {
                "act": {
                    "operationId": "actOnCase",
                    "parameters": {
                        "path.case_id": "$request.path.case_id",
                        "header.If-Match": "$response.header.ETag",
                    },
                }
            }
        }
    },
)
def case(case_id: int):
    """One case, with its ETag (send it back in If-Match to act on the case)."""
    user = staff_user(Scope.CASES_READ)
    found = _case_or_404(user, case_id)
    return _detail(user, found), 200, {"ETag": etag(found), "Cache-Control": "no-store"}


@bp.route("/cases/<int:case_id>/actions/<action>", methods=["POST"])
@idempotent
@bp.arguments(ActionIn)
@bp.response(200, CaseDetailOut, headers={"ETag": ETAG_HEADER})
@bp.doc(operationId="actOnCase", security=SECURITY, parameters=[IF_MATCH, IDEMPOTENCY_KEY])
def case_action(data: dict, case_id: int, action: str):
    """Accept, reject, assign, start, resolve… a case, as on its page. Which fields
    an action needs is in the workflow (the case page's forms)."""
    user = staff_user(Scope.CASES_WRITE)
    found = _case_or_404(user, case_id)
    try:
        chosen = Action(action)
    except ValueError:
        abort(404)
    expected = request.headers.get("If-Match")
    if expected is None:
        abort(428, message=_("Send the case's ETag in If-Match."))
    if expected.strip() not in (etag(found), "*"):
        abort(412, message=_("The case changed since you read it: read it again."))
    try:
        transitions.run_action(user, found, chosen, data)
    except transitions.WorkflowError as exc:
        db.session.rollback()
        status = 409 if exc.status_code == 409 else 422
        abort(status, message=str(exc))
    db.session.flush()
    return _detail(user, found), 200, {"ETag": etag(found), "Cache-Control": "no-store"}
