"""The IDOR sweep: every route that touches a case, probed by everyone outside its
reach, answers exactly as it does for a case that does not exist (404, or the 403
the person's role gets for any case id alike) and changes nothing; the case's own
team and its province's director get what their role allows; administrators do not
read cases."""

from __future__ import annotations

import zipfile
from collections.abc import Callable
from dataclasses import dataclass, replace
from io import BytesIO

import pytest
from sqlalchemy import func, select

from inspect_app.accounts.permissions import ROLE_PERMISSIONS, Permission
from inspect_app.audit.models import AuditEvent
from inspect_app.cases import services
from inspect_app.cases.models import Case, CaseAttachment, CaseNote
from inspect_app.cases.workflow import Action, CaseStatus
from inspect_app.core.bounds import MAX_ID
from inspect_app.evidence.services import get_storage
from inspect_app.extensions import db
from inspect_app.intake.models import ReporterMessage
from inspect_app.retention.models import LegalHold
from tests import imaging
from tests.cases.conftest import new_report
from tests.factories import PASSWORD
from tests.helpers import current_code, login, totp_secret_from_page

S = CaseStatus
PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
PRODUCT = "Nước mắm Phú Quốc 500ml"
SELLER = "Tạp hóa Hồng Nhung"
PHONE = "0912345678"  # the named reporter's phone (tests/cases/conftest.py)
REASON = "Cần liên hệ người tố cáo để xác minh thêm."
# Re-authentication and a reason, valid for every test user: only reach may refuse.
UNSEAL = {"password": PASSWORD, "reason": REASON}
# Added to ids to make ones that do not exist: plausible ones, and ones beyond the
# 32-bit ids of the database (which must be a 404 too, never a database error).
SHIFTS = (10_000_000, 10**20)

# A state from which the case's own team lead may take each action.
SOURCE_STATE = {
    Action.ACCEPT: S.NEW,
    Action.ROUTE: S.NEW,
    Action.REJECT: S.NEW,
    Action.MERGE: S.NEW,
    Action.TRANSFER: S.NEW,
    Action.ASSIGN: S.ACCEPTED,
    Action.CLAIM: S.ACCEPTED,
    Action.START: S.ASSIGNED,
    Action.RESOLVE: S.INVESTIGATING,
    Action.APPROVE: S.RESOLVED,
    Action.REOPEN: S.RESOLVED,
    Action.EXTEND: S.ACCEPTED,
}

# Outsiders get 404 from every route, except where their role may not use the route
# at all: then the guard answers 403 before any case is looked up, the same for every
# case id (checked below against ids that do not exist), so nothing is revealed.
ROLE_REFUSED = {
    "other_lead": set(),
    "other_inspector": {
        "cases.reveal",
        "cases.bulk_action",
        "cases.merge_confirm",
        "retention.place_hold",
        "retention.release_hold",
    },
    "other_director": {
        "cases.add_note",
        "intake.ask_reporter",
        "cases.add_attachment",
        "cases.bulk_action",
        "cases.merge_confirm",
    },
    "association": {"*"},  # association staff have no case permission at all
}


def _log_in_fully(client, user) -> None:
    response = login(client, user)
    if response.headers["Location"] == "/login/enrol":
        secret = totp_secret_from_page(client.get("/login/enrol").get_data(as_text=True))
        client.post("/login/enrol", data={"code": current_code(secret)})


def _action_data(action: Action, org, merge_target_id: int) -> dict:
    """Valid form data for each action, so that only the reach check can refuse it."""
    return {
        Action.ACCEPT: {},
        Action.ROUTE: {"route-team": org.other_team.id, "route-reason": "Địa bàn đội 2."},
        Action.REJECT: {
            "reject-reason": "not_specific",
            "reject-public_reason": "Thông tin chưa đủ cụ thể.",
        },
        Action.MERGE: {"merge-target": merge_target_id},
        Action.TRANSFER: {
            "transfer-destination": "police",
            "transfer-agency": "Công an quận Hoàn Kiếm",
            "transfer-reason": "Dấu hiệu tội phạm.",
        },
        Action.ASSIGN: {"assign-assignee": org.inspector.id},
        Action.CLAIM: {},
        Action.START: {},
        Action.RESOLVE: {
            "resolve-outcome": "fine",
            "resolve-fine_amount": "15.000.000",
            "resolve-legal_basis": "NĐ 98/2020/NĐ-CP, Điều 11",
            "resolve-public_summary": "Cơ sở bị xử phạt 15.000.000 đồng.",
        },
        Action.APPROVE: {},
        Action.REOPEN: {"reopen-reason": "Thiếu biên bản tiêu hủy."},
        Action.EXTEND: {"extend-reason": "Vụ việc phức tạp, cần giám định."},
    }[action]


@dataclass(frozen=True)
class Ids:
    """The ids a request names: the rich case and its photo, report and attachment,
    and for each action a case of the team in a state the action starts from."""

    case: int
    photo: int
    report: int
    attachment: int
    action_cases: dict[Action, int]

    def missing(self, shift: int) -> Ids:
        """The same ids shifted to ones that do not exist."""
        return replace(
            self,
            case=self.case + shift,
            photo=self.photo + shift,
            report=self.report + shift,
            attachment=self.attachment + shift,
            action_cases={a: i + shift for a, i in self.action_cases.items()},
        )


@dataclass
class Sweep:
    case: Case
    ids: Ids
    merge_target_id: int
    original_bytes: bytes


@pytest.fixture
def sweep(org, make_case) -> Sweep:
    case = make_case(S.NEW, product=PRODUCT, seller=SELLER, photos=1, named=True)
    services.add_note(org.inspector, case, "Đã liên hệ UBND phường.")
    attachment = services.add_attachment(
        org.lead,
        case,
        title="Biên bản kiểm tra số 12/BB-KT",
        filename="bien-ban.pdf",
        data=PDF,
        storage=get_storage(),
    )
    db.session.commit()
    by_state = {S.NEW: case}
    for status in (S.ACCEPTED, S.ASSIGNED, S.INVESTIGATING, S.RESOLVED):
        by_state[status] = make_case(status, product=PRODUCT, seller=SELLER)
    ids = Ids(
        case=case.id,
        photo=case.reports[0].photos[0].id,
        report=case.reports[0].id,
        attachment=attachment.id,
        action_cases={a: by_state[s].id for a, s in SOURCE_STATE.items()},
    )
    original = imaging.jpeg(seed="p0")  # the bytes make_case(photos=1) sent
    return Sweep(
        case=case,
        ids=ids,
        merge_target_id=by_state[S.INVESTIGATING].id,
        original_bytes=original,
    )


@dataclass
class Probe:
    endpoint: str
    method: str
    path: str
    permission: Permission  # what the route's guard asks of the role
    data: Callable[[], dict] | None = None  # built afresh: uploads are consumed

    def send(self, client):
        if self.method == "GET":
            return client.get(self.path)
        return client.post(self.path, data=self.data() if self.data else {})

    def __str__(self) -> str:
        return f"{self.method} {self.path}"


def _probes(ids: Ids, org, *, merge_target_id: int, assignee_id: int) -> list[Probe]:
    """Every request that names a case or something of it."""
    probes = [
        Probe("cases.case_page", "GET", f"/cases/{ids.case}", Permission.VIEW_CASES),
        Probe(
            "cases.add_note",
            "POST",
            f"/cases/{ids.case}/notes",
            Permission.WORK_CASES,
            lambda: {"note-body": "Ghi chú của người ngoài."},
        ),
        Probe(
            "cases.add_attachment",
            "POST",
            f"/cases/{ids.case}/attachments",
            Permission.WORK_CASES,
            lambda: {
                "attachment-title": "Biên bản của người ngoài",
                "attachment-file": (BytesIO(PDF), "bb.pdf"),
            },
        ),
        Probe(
            "cases.attachment",
            "GET",
            f"/cases/{ids.case}/attachments/{ids.attachment}",
            Permission.VIEW_CASES,
        ),
        Probe(
            "cases.reveal",
            "POST",
            f"/cases/{ids.case}/reports/{ids.report}/reveal",
            Permission.REVEAL_REPORTER,
            lambda: dict(UNSEAL),
        ),
        Probe(
            "cases.originals",
            "POST",
            f"/cases/{ids.case}/reports/{ids.report}/originals",
            Permission.DOWNLOAD_ORIGINALS,
            lambda: dict(UNSEAL),
        ),
        Probe(
            "intake.ask_reporter",
            "POST",
            f"/cases/{ids.case}/reports/{ids.report}/question",
            Permission.WORK_CASES,
            lambda: {"body": "Câu hỏi của người ngoài?"},
        ),
        Probe(
            "retention.place_hold",
            "POST",
            f"/cases/{ids.case}/legal-hold",
            Permission.PLACE_LEGAL_HOLD,
            lambda: {"hold-reason": "Giữ dữ liệu theo yêu cầu của người ngoài."},
        ),
        Probe(
            "retention.release_hold",
            "POST",
            f"/cases/{ids.case}/legal-hold/release",
            Permission.PLACE_LEGAL_HOLD,
        ),
        Probe(
            "evidence.photo",
            "GET",
            f"/evidence/photos/{ids.photo}/display.jpg",
            Permission.VIEW_CASES,
        ),
        Probe(
            "evidence.photo",
            "GET",
            f"/evidence/photos/{ids.photo}/thumb.jpg",
            Permission.VIEW_CASES,
        ),
        # Merging by tapping a suggestion: the confirmation page names both cases.
        Probe(
            "cases.merge_confirm",
            "GET",
            f"/cases/{ids.action_cases[Action.MERGE]}/merge/{ids.case}",
            Permission.TRIAGE_CASES,
        ),
        # Bulk actions name cases in their body; the assignee is one the prober
        # could pick, so only the reach check is left to refuse.
        Probe(
            "cases.bulk_action",
            "POST",
            "/cases/bulk",
            Permission.ASSIGN_CASES,
            lambda: {
                "bulk-case_ids": [ids.case],
                "bulk-action": "assign",
                "bulk-assignee": assignee_id,
            },
        ),
        Probe(
            "cases.bulk_action",
            "POST",
            "/cases/bulk",
            Permission.ASSIGN_CASES,
            lambda: {"bulk-case_ids": [ids.action_cases[Action.ACCEPT]], "bulk-action": "accept"},
        ),
    ]
    for action in Action:
        data = _action_data(action, org, merge_target_id)
        probes.append(
            Probe(
                "cases.case_action",
                "POST",
                f"/cases/{ids.action_cases[action]}/actions/{action.value}",
                Permission.VIEW_CASES,
                lambda data=data: dict(data),
            )
        )
    return probes


# The queue and its export name no case; they are covered by
# test_outsiders_queue_never_lists_the_case and tests/cases/test_queue_views.py; saved
# views belong to a user and name no case either.
LISTING_ENDPOINTS = {"cases.queue", "cases.export_queue", "cases.save_view", "cases.delete_view"}


def test_the_sweep_covers_every_route_that_names_a_case(app, org, sweep):
    probes = _probes(sweep.ids, org, merge_target_id=sweep.merge_target_id, assignee_id=1)
    # Every web route that names a case, whichever package serves it (the API has
    # its own sweep: tests/api/test_staff_sweep.py).
    routes = {
        rule.endpoint
        for rule in app.url_map.iter_rules()
        if rule.endpoint.startswith(("cases.", "evidence."))
        or ("case_id" in rule.arguments and not rule.rule.startswith("/api/"))
    }
    assert routes == {p.endpoint for p in probes} | LISTING_ENDPOINTS
    actions = {p.path.rsplit("/", 1)[1] for p in probes if p.endpoint == "cases.case_action"}
    assert actions == {a.value for a in Action}
    variants = {p.path.rsplit("/", 1)[1] for p in probes if p.endpoint == "evidence.photo"}
    assert variants == {"display.jpg", "thumb.jpg"}


def _snapshot(ids: Ids) -> dict:
    """What a refused request must leave alone."""
    db.session.expire_all()
    case_ids = {ids.case, *ids.action_cases.values()}
    cases = db.session.execute(
        select(
            Case.id, Case.version, Case.status, Case.team_id, Case.assignee_id, Case.extensions
        ).where(Case.id.in_(case_ids))
    ).all()
    return {
        "cases": sorted(tuple(row) for row in cases),
        "events": db.session.scalar(select(func.count()).select_from(AuditEvent)),
        "notes": db.session.scalar(select(func.count()).select_from(CaseNote)),
        "attachments": db.session.scalar(select(func.count()).select_from(CaseAttachment)),
        "messages": db.session.scalar(select(func.count()).select_from(ReporterMessage)),
        "holds": db.session.scalar(select(func.count()).select_from(LegalHold)),
    }


@pytest.mark.parametrize("person", list(ROLE_REFUSED))
def test_outsiders_get_what_a_missing_case_gets_and_change_nothing(app, org, sweep, person):
    user = getattr(org, person)
    # The prober's own team's officer: a valid bulk-assign choice for a team lead.
    assignee = org.other_inspector if person == "other_lead" else org.inspector
    client = app.test_client()
    _log_in_fully(client, user)
    refused = ROLE_REFUSED[person]
    real = _probes(sweep.ids, org, merge_target_id=sweep.merge_target_id, assignee_id=assignee.id)
    twins = [
        _probes(
            sweep.ids.missing(shift),
            org,
            merge_target_id=sweep.merge_target_id,
            assignee_id=assignee.id,
        )
        for shift in SHIFTS
    ]
    before = _snapshot(sweep.ids)
    for probe, *missing in zip(real, *twins, strict=True):
        response = probe.send(client)
        expected = 403 if refused & {"*", probe.endpoint} else 404
        # The 403s are exactly the routes whose permission the role lacks.
        assert (expected == 403) is (probe.permission not in ROLE_PERMISSIONS[user.role_enum])
        assert response.status_code == expected, (person, str(probe))
        for shift, twin in zip(SHIFTS, missing, strict=True):
            # An id beyond the database's in the path matches no route: 404 before any
            # guard, for everyone alike (bulk assignment names its cases in the body).
            beyond = shift > MAX_ID and twin.path != probe.path
            assert twin.send(client).status_code == (404 if beyond else expected), (
                person,
                str(twin),
            )
        body = response.get_data(as_text=True)
        assert PRODUCT not in body and SELLER not in body and PHONE not in body, str(probe)
        assert _snapshot(sweep.ids) == before, (person, str(probe))


def test_association_staff_are_refused_every_case_route_with_403(app, org, sweep):
    """Association staff have no case permission at all: the guard answers 403 before
    any case is looked up, for real and missing ids alike."""
    assert Permission.VIEW_CASES not in ROLE_PERMISSIONS[org.association.role_enum]
    client = app.test_client()
    _log_in_fully(client, org.association)
    for probe in _probes(
        sweep.ids, org, merge_target_id=sweep.merge_target_id, assignee_id=org.inspector.id
    ):
        assert probe.send(client).status_code == 403, str(probe)
    assert client.get("/cases").status_code == 403


def test_anonymous_visitors_are_sent_to_log_in(app, org, sweep):
    client = app.test_client()
    for probe in _probes(
        sweep.ids, org, merge_target_id=sweep.merge_target_id, assignee_id=org.inspector.id
    ):
        response = probe.send(client)
        assert response.status_code == 302, str(probe)
        assert response.headers["Location"].startswith("/login?next="), str(probe)


@pytest.mark.parametrize("person", ("other_lead", "other_inspector", "other_director"))
def test_outsiders_queue_never_lists_the_case(app, org, sweep, person):
    client = app.test_client()
    _log_in_fully(client, getattr(org, person))
    for query in ("", "?status=all", "?status=all&q=nuoc+mam", "?status=all&sort=activity"):
        response = client.get(f"/cases{query}")
        assert response.status_code == 200, query
        body = response.get_data(as_text=True)
        assert PRODUCT not in body and f'/cases/{sweep.case.id}"' not in body, query


def test_another_cases_ids_do_not_open_through_ones_own_case(app, org, sweep):
    """The other team's lead, on a case of their own, naming our attachment, our
    report, or our case as the target of a merge."""
    theirs = new_report(org.other_team, product="Rượu vang Pháp", seller="Cửa hàng Đức Anh")
    their_case = theirs.report.case
    assert their_case.team_id == org.other_team.id
    client = app.test_client()
    _log_in_fully(client, org.other_lead)
    assert client.get(f"/cases/{their_case.id}").status_code == 200
    before = _snapshot(sweep.ids)
    response = client.get(f"/cases/{their_case.id}/attachments/{sweep.ids.attachment}")
    assert response.status_code == 404
    response = client.post(f"/cases/{their_case.id}/reports/{sweep.ids.report}/reveal")
    assert response.status_code == 404
    assert PHONE not in response.get_data(as_text=True)
    # Merging into our case is refused exactly as merging into a number that does
    # not exist: "no case with that number in your reach".
    for target in (sweep.case.id, sweep.case.id + SHIFTS[0], SHIFTS[1]):
        response = client.post(
            f"/cases/{their_case.id}/actions/merge", data={"merge-target": target}
        )
        html = response.get_data(as_text=True)
        assert response.status_code == 400 and PRODUCT not in html
        assert "Không có vụ việc số này trong phạm vi của bạn." in html
    assert _snapshot(sweep.ids) == before
    db.session.expire_all()
    assert db.session.get(Case, their_case.id).status == "new"


def _events(action: str) -> list[AuditEvent]:
    db.session.expire_all()
    return list(
        db.session.scalars(
            select(AuditEvent).where(AuditEvent.action == action).order_by(AuditEvent.seq)
        )
    )


def test_the_team_lead_reaches_every_route_of_the_case(app, org, sweep):
    client = app.test_client()
    _log_in_fully(client, org.lead)
    case_id = sweep.ids.case

    page = client.get(f"/cases/{case_id}")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert PRODUCT in html and SELLER in html
    assert PHONE not in html, "identity stays hidden until revealed"
    assert f"/evidence/photos/{sweep.ids.photo}/thumb.jpg" in html

    for variant in ("display", "thumb"):
        response = client.get(f"/evidence/photos/{sweep.ids.photo}/{variant}.jpg")
        assert response.status_code == 200 and response.mimetype == "image/jpeg"

    assert _events("evidence.download_original") == []
    original = client.post(
        f"/cases/{case_id}/reports/{sweep.ids.report}/originals", data=dict(UNSEAL)
    )
    assert original.status_code == 200 and original.mimetype == "application/zip"
    assert original.headers["Content-Disposition"].startswith("attachment")
    assert original.headers["Cache-Control"] == "no-store"
    with zipfile.ZipFile(BytesIO(original.get_data())) as archive:
        [name] = archive.namelist()
        assert archive.read(name) == sweep.original_bytes, "byte for byte, decrypted"
    pdf = client.get(f"/cases/{case_id}/attachments/{sweep.ids.attachment}")
    assert pdf.status_code == 200 and pdf.get_data() == PDF
    assert pdf.headers["Content-Disposition"].startswith("attachment")
    downloads = _events("evidence.download_original")
    assert [(e.actor_id, e.case_id) for e in downloads] == [(org.lead.id, case_id)] * 2
    assert downloads[0].data == {
        "report": sweep.ids.report,
        "photos": [sweep.ids.photo],
        "reason": REASON,
    }
    assert downloads[1].data["what"] == f"attachment {sweep.ids.attachment}"

    response = client.post(f"/cases/{case_id}/notes", data={"note-body": "Hẹn kiểm tra thứ Hai."})
    assert response.status_code == 302
    response = client.post(
        f"/cases/{case_id}/attachments",
        data={
            "attachment-title": "Biên bản số 13/BB-KT",
            "attachment-file": (BytesIO(PDF), "bb13.pdf"),
        },
    )
    assert response.status_code == 302
    html = client.get(f"/cases/{case_id}").get_data(as_text=True)
    assert "Hẹn kiểm tra thứ Hai." in html and "Biên bản số 13/BB-KT" in html


def test_revealing_the_reporter_is_recorded_and_shows_the_phone(app, org, sweep):
    client = app.test_client()
    _log_in_fully(client, org.lead)
    assert _events("identity.reveal") == []
    response = client.post(
        f"/cases/{sweep.ids.case}/reports/{sweep.ids.report}/reveal", data=dict(UNSEAL)
    )
    assert response.status_code == 200
    assert response.headers["Cache-Control"] == "no-store"
    html = response.get_data(as_text=True)
    assert PHONE in html and "Nguyễn Văn An" in html
    [event] = _events("identity.reveal")
    assert event.actor_id == org.lead.id and event.actor_label == org.lead.email
    assert event.case_id == sweep.ids.case
    assert event.data == {"report": sweep.ids.report, "reason": REASON, "photo_facts": 0}
    # The reveal shows on the case's timeline, by whom.
    assert "Đã xem danh tính người phản ánh" in html
    # Shown for that response only: the next page load shows nothing.
    assert PHONE not in client.get(f"/cases/{sweep.ids.case}").get_data(as_text=True)


def test_an_inspector_may_not_reveal_the_reporter(app, org, sweep):
    client = app.test_client()
    _log_in_fully(client, org.inspector)
    page = client.get(f"/cases/{sweep.ids.case}")
    assert page.status_code == 200
    assert f"/reports/{sweep.ids.report}/reveal" not in page.get_data(as_text=True)
    response = client.post(
        f"/cases/{sweep.ids.case}/reports/{sweep.ids.report}/reveal", data=dict(UNSEAL)
    )
    assert response.status_code == 403
    assert PHONE not in response.get_data(as_text=True)
    assert _events("identity.reveal") == []


def test_the_provinces_director_sees_the_case(app, org, sweep):
    client = app.test_client()
    _log_in_fully(client, org.director)
    response = client.get(f"/cases/{sweep.ids.case}")
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert PRODUCT in html and PHONE not in html


def test_administrators_read_no_case_and_no_photo(app, org, sweep):
    """Admins run accounts, teams and settings; every case route is refused them
    (the same 403 for real and missing ids), and the queue lists nothing."""
    client = app.test_client()
    _log_in_fully(client, org.admin)
    for probe in _probes(
        sweep.ids, org, merge_target_id=sweep.merge_target_id, assignee_id=org.inspector.id
    ):
        response = probe.send(client)
        assert response.status_code == 403, str(probe)
        assert PRODUCT not in response.get_data(as_text=True), str(probe)
    assert client.get("/cases").status_code == 403


def _lead_client(app, org):
    client = app.test_client()
    _log_in_fully(client, org.lead)
    return client


@pytest.mark.parametrize("action", list(Action), ids=[a.value for a in Action])
def test_the_team_lead_takes_each_action_where_it_is_allowed(app, org, make_case, action):
    case = make_case(SOURCE_STATE[action], product=PRODUCT, seller=SELLER)
    target = make_case(S.INVESTIGATING) if action is Action.MERGE else None
    version, team_id = case.version, case.team_id
    client = _lead_client(app, org)
    response = client.post(
        f"/cases/{case.id}/actions/{action.value}",
        data=_action_data(action, org, target.id if target else 0),
    )
    assert response.status_code == 302, response.get_data(as_text=True)
    assert response.headers["Location"] == f"/cases/{case.id}"
    db.session.expire_all()
    case = db.session.get(Case, case.id)
    expected_status = {
        Action.ACCEPT: "accepted",
        Action.ROUTE: "new",
        Action.REJECT: "rejected",
        Action.MERGE: "merged",
        Action.TRANSFER: "transferred",
        Action.ASSIGN: "assigned",
        Action.CLAIM: "assigned",
        Action.START: "investigating",
        Action.RESOLVE: "resolved",
        Action.APPROVE: "closed",
        Action.REOPEN: "investigating",
        Action.EXTEND: "accepted",
    }[action]
    assert case.status == expected_status
    assert case.version > version
    last = db.session.scalars(
        select(AuditEvent).where(AuditEvent.case_id == case.id).order_by(AuditEvent.seq.desc())
    ).first()
    assert last.action == f"case.{action.value}" and last.actor_id == org.lead.id
    if action is Action.ROUTE:
        assert case.team_id == org.other_team.id != team_id
    if action is Action.EXTEND:
        assert case.extensions == 1
    if action is Action.CLAIM:
        assert case.assignee_id == org.lead.id


def test_bulk_assignment_by_the_team_lead(app, org, make_case):
    case = make_case(S.ACCEPTED)
    client = _lead_client(app, org)
    response = client.post(
        "/cases/bulk",
        data={
            "bulk-case_ids": [case.id],
            "bulk-action": "assign",
            "bulk-assignee": org.inspector2.id,
        },
    )
    assert response.status_code == 303
    db.session.expire_all()
    assert db.session.get(Case, case.id).assignee_id == org.inspector2.id
