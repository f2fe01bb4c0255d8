"""Audit review pages: the list, drawing a sample, and reviewing it."""

from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from inspect_app.accounts.permissions import Permission, require_permission
from inspect_app.cases.transitions import WorkflowError
from inspect_app.extensions import db
from inspect_app.reviews import services
from inspect_app.reviews.forms import NewReviewForm, ReviewItemForm
from inspect_app.reviews.models import AuditReview, AuditReviewItem, Verdict

bp = Blueprint("reviews", __name__, template_folder="templates")


def _review_or_404(review_id: int) -> AuditReview:
    review = services.review_for(current_user, review_id)
    if review is None:
        abort(404)
    return review


def _item_form(item: AuditReviewItem, formdata=None) -> ReviewItemForm:
    return ReviewItemForm(formdata=formdata, prefix=f"item-{item.id}")


def _page(
    review: AuditReview, submitted: dict[int, ReviewItemForm] | None = None, status: int = 200
):
    """The review page; `submitted` keeps a refused form with its input and errors."""
    forms = {item.id: _item_form(item) for item in review.items if item.is_pending}
    forms.update(submitted or {})
    return (
        render_template(
            "reviews/review.html",
            review=review,
            findings=services.review_findings(review),
            forms=forms,
            verdicts=Verdict,
        ),
        status,
    )


def _new_page(form: NewReviewForm, status: int = 200):
    return render_template("reviews/new.html", form=form, max_sample=services.MAX_SAMPLE), status


@bp.route("/audits")
@require_permission(Permission.AUDIT_CASES)
def reviews():
    return render_template("reviews/list.html", reviews=services.list_reviews(current_user))


@bp.route("/audits/new", methods=["GET", "POST"])
@require_permission(Permission.AUDIT_CASES)
def new_review():
    form = NewReviewForm()
    if not form.validate_on_submit():
        return _new_page(form, 400 if request.method == "POST" else 200)
    try:
        review = services.draw_sample(
            current_user,
            title=form.title.data,
            period_start=form.period_start.data,
            period_end=form.period_end.data,
            size=form.size.data,
            seed=form.seed.data,
        )
    except services.ReviewError as exc:
        db.session.rollback()
        form.form_errors.append(str(exc))
        return _new_page(form, exc.status_code)
    db.session.commit()
    flash(_("Sample drawn: %(n)d cases.", n=len(review.items)), "success")
    return redirect(url_for(".review", review_id=review.id))


@bp.route("/audits/<id:review_id>")
@require_permission(Permission.AUDIT_CASES)
def review(review_id: int):
    return _page(_review_or_404(review_id))


@bp.route("/audits/<id:review_id>/items/<id:item_id>", methods=["POST"])
@require_permission(Permission.AUDIT_CASES)
def review_item(review_id: int, item_id: int):
    review = _review_or_404(review_id)
    item = services.item_of(review, item_id)
    if item is None:
        abort(404)
    form = _item_form(item, formdata=request.form)
    if not form.validate():
        return _page(review, {item.id: form}, status=400)
    try:
        services.review_item(current_user, item, verdict=form.verdict.data, note=form.note.data)
    except (services.ReviewError, WorkflowError) as exc:
        db.session.rollback()
        form.form_errors.append(str(exc))
        return _page(_review_or_404(review_id), {item_id: form}, status=exc.status_code)
    db.session.commit()
    flash(_("Verdict saved for case #%(id)d.", id=item.case_id), "success")
    return redirect(url_for(".review", review_id=review.id, _anchor=f"item-{item_id}"))
