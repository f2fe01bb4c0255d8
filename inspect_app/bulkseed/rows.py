"""Turning case plans into table rows: ids, texts, deadlines, photos, audit events.

Rows are tuples in the column order of the `*_COLUMNS` constants, every column
given explicitly (model defaults are applied by the ORM, not by COPY). Audit events
come out without seq and hashes: the loader chains them in order.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime
from functools import cache
from typing import NamedTuple

from inspect_app.audit.models import canonical_json
from inspect_app.audit.services import SYSTEM_LABEL
from inspect_app.bulkseed.generator import (
    ASSIGNEE,
    FILER,
    LEAD,
    SYSTEM,
    CasePlan,
    EventPlan,
    ReportPlan,
)
from inspect_app.bulkseed.org import OrgContext, Person, PolicyTerms, ProvinceRefs, TeamRefs
from inspect_app.cases.deadlines import local_day
from inspect_app.cases.models import OPEN_STATUSES, Outcome
from inspect_app.cases.workflow import CaseStatus
from inspect_app.deadlines.calendar import WorkingCalendar
from inspect_app.deadlines.services import compute
from inspect_app.evidence.images import ProcessedPhoto
from inspect_app.text import fold

CASE_COLUMNS = (
    "id", "status", "kind", "source", "category_id", "team_id", "province_code", "ward_code",
    "title", "search_text", "received_at", "last_activity_at", "priority", "assignee_id",
    "accepted_at", "resolved_at", "closed_at", "outcome", "fine_amount", "goods_description",
    "goods_value", "legal_basis", "public_summary", "reject_reason", "public_reason",
    "transfer_to", "transfer_team_id", "transfer_agency", "merged_into_id", "accept_due",
    "notify_due", "resolve_due", "next_due", "extensions", "deadline_policy_id", "version",
)  # fmt: skip
REPORT_COLUMNS = (
    "id", "case_id", "kind", "source", "category_id", "product", "brand", "description",
    "location_type", "province_code", "ward_code", "street_address", "seller_name", "platform",
    "seller_url", "seen_on", "reporter_named", "identity_sealed", "legacy_identity_enc",
    "consent_at", "wants_email_updates", "progress_email_enc", "contact_withdrawn_at",
    "identity_destroyed_at", "tracking_code_hash", "submitted_at", "filed_by_id",
    "association_id", "channel", "received_on", "association_ref", "device_lat", "device_lon",
    "device_accuracy_m", "location_sealed", "api_credential_id",
)  # fmt: skip
PHOTO_COLUMNS = (
    "id", "report_id", "position", "sha256", "file_id", "original_key_sealed", "view_key_enc",
    "facts_sealed", "size_bytes", "mime_type", "width", "height", "taken_at", "gps_lat",
    "gps_lon", "camera_make", "camera_model", "phash", "created_at", "message_id",
)  # fmt: skip
SEALED_KEY_COLUMNS = ("id", "report_id", "purpose", "created_at")
ENVELOPE_COLUMNS = (
    "id", "sealed_key_id", "holder", "user_id", "recovery_key_id", "salt", "wrapped",
    "granted_by_id", "created_at",
)  # fmt: skip
NOTE_COLUMNS = ("id", "case_id", "author_id", "body", "created_at")
UPDATE_COLUMNS = ("id", "case_id", "status", "message", "created_at")
# Audit columns as rows.py gives them; the loader prepends id, seq and appends hashes.
EVENT_COLUMNS = ("occurred_at", "actor_id", "actor_label", "action", "case_id", "data_json")

# (category code, product, brand, description): what citizens report.
GOODS: tuple[tuple[str, str, str, str], ...] = (
    ("counterfeit", "Sữa bột Similac 900g", "Abbott", "Tem chống giả bị mờ, hạn dùng in lệch."),
    ("counterfeit", "Nước giặt Omo Matic 3,6 kg", "Unilever", "Bao bì in nhòe, giá rẻ bằng nửa."),
    ("counterfeit", "Dầu gội Head & Shoulders", "P&G", "Mùi lạ, nắp không có tem niêm phong."),
    ("counterfeit", "Thuốc bổ gan Boganic", "Traphaco", "Vỉ thuốc khác màu, số lô không khớp."),
    ("prohibited", "Pháo hoa nổ", "", "Bán công khai trước Tết, không rõ nguồn gốc."),
    ("prohibited", "Thuốc diệt cỏ Paraquat", "", "Hoạt chất đã bị cấm vẫn bày bán."),
    ("smuggled", "Thuốc lá Marlboro", "Marlboro", "Không có tem nhập khẩu, bán theo cây."),
    ("smuggled", "Đường cát Thái Lan", "", "Bao bì chữ Thái, không tem nhập khẩu."),
    ("smuggled", "Rượu ngoại Chivas 18", "Chivas Regal", "Không tem, giá thấp bất thường."),
    ("unknown_origin", "Mỹ phẩm trắng da", "Ohui", "Nhãn toàn tiếng nước ngoài, không nhãn phụ."),
    ("unknown_origin", "Thực phẩm chức năng giảm cân", "", "Không có số công bố."),
    ("ip_infringement", "Túi xách Louis Vuitton", "Louis Vuitton", "Hàng nhái bán công khai."),
    ("ip_infringement", "Giày thể thao Nike Air", "Nike", "Logo nhái, đế khâu lệch."),
    ("ip_infringement", "Đồng hồ Rolex", "Rolex", "Giá vài trăm nghìn, máy quartz."),
    ("quality", "Mũ bảo hiểm trẻ em", "Protec", "Không có tem hợp quy CR, vỏ mỏng, dễ vỡ."),
    ("quality", "Thép xây dựng phi 10", "Hòa Phát", "Đường kính thiếu, cân thiếu trọng lượng."),
    ("quality", "Ổ cắm điện đa năng", "", "Nóng chảy khi dùng, không dấu hợp quy."),
    ("food_safety", "Bánh trung thu nhân thập cẩm", "", "Không nhãn, không hạn sử dụng."),
    ("food_safety", "Thịt lợn đông lạnh", "", "Không kiểm dịch, bảo quản sai nhiệt độ."),
    ("food_safety", "Nước mắm pha hóa chất", "", "Mùi hắc, không ghi thành phần."),
    ("labelling", "Rượu vang đỏ", "Bordeaux", "Không có nhãn phụ tiếng Việt."),
    ("labelling", "Đồ chơi trẻ em nhựa", "", "Không ghi tuổi sử dụng, không cảnh báo."),
    ("pricing", "Xăng RON 95", "", "Bơm thiếu, giá niêm yết không đúng."),
    ("pricing", "Khẩu trang y tế", "", "Giá gấp ba ngày thường, không niêm yết."),
    ("ecommerce", "Tai nghe Bluetooth AirPods", "Apple", "Bán trên sàn như hàng chính hãng."),
    ("ecommerce", "Son môi 3CE", "3CE", "Livestream bán hàng xách tay không hóa đơn."),
    ("trade_fraud", "Phân bón NPK 16-16-8", "Đầu Trâu", "Nghi pha trộn, hàm lượng thấp."),
    ("trade_fraud", "Gạo ST25", "", "Trộn gạo thường, đóng bao gạo đặc sản."),
    ("other", "Nệm cao su", "Kim Đan", "Quảng cáo sai về chất liệu."),
)  # fmt: skip
SELLERS = (
    "Cửa hàng Minh Anh", "Tạp hóa Bình Minh", "Shop Hằng Nga", "Đại lý Phúc Lộc",
    "Siêu thị mini An Khang", "Quầy hàng chợ số 12", "Cửa hàng Thành Đạt", "Nhà thuốc Tâm Đức",
    "Kho sỉ Hoàng Gia", "Cửa hàng Mẹ và Bé Yến", "Đại lý Quang Vinh", "Tiệm Ngọc Trâm",
    "Cửa hàng điện máy Hưng Thịnh", "Tạp hóa Cô Ba", "Shop thời trang Vy Vy", "Cây xăng Tân Phú",
)  # fmt: skip
SHOPS = (
    "hangchinhhang_99", "mypham.xachtay", "khosi.gia.re", "do.hieu.gia.tot", "me.bi.shop",
    "sieu.sale.247", "authentic.store.vn", "giadung.thongminh",
)  # fmt: skip
PLATFORMS = ("Shopee", "TikTok Shop", "Facebook", "Lazada", "Tiki", "Zalo")
STREETS = (
    "Phố Huế", "Hàng Bông", "Trần Duy Hưng", "Lê Văn Lương", "Nguyễn Trãi", "Lê Lợi",
    "Trần Phú", "Hai Bà Trưng", "Quang Trung", "Nguyễn Huệ", "Lý Thường Kiệt", "Điện Biên Phủ",
)  # fmt: skip
NOTES = (
    "Đã liên hệ người báo, xác nhận địa điểm.",
    "Kiểm tra sơ bộ: cửa hàng còn bày bán sản phẩm.",
    "Đề nghị chủ sở hữu nhãn hiệu giám định.",
    "Đã lấy mẫu gửi kiểm nghiệm.",
    "Chủ cơ sở vắng mặt, hẹn làm việc lại.",
    "Đã lập biên bản kiểm tra.",
)
SUMMARY = "Đã kiểm tra, lập biên bản và xử lý theo quy định."
LEGAL_BASIS = "Nghị định 98/2020/NĐ-CP"
REJECT_TEXT = "Thông tin chưa đủ cụ thể để xác minh."
EXTEND_TEXT = "Vụ việc phức tạp, cần giám định."
AGENCY = {
    "police": "Công an tỉnh",
    "health": "Sở Y tế",
    "agriculture": "Sở Nông nghiệp và Môi trường",
    "other": "Cơ quan có thẩm quyền",
}
EVENT_ACTIONS = {
    "reveal_reporter": "case.reveal_reporter",
    "download_original": "evidence.download_original",
}
# The public step each action leaves for /track (transitions._finish), if any.
PUBLIC_STEP = {"accept", "assign", "reject", "transfer", "merge", "resolve"}


@dataclass(frozen=True)
class BulkSeal:
    """One made-up identity, sealed once for every named report: all bulk officers
    share one key pair, so one wrapped data key serves every envelope."""

    identity_sealed: str
    wrapped: str


@dataclass(frozen=True)
class SamplePhoto:
    """A stored sample photo that many photo rows share (originals are not kept)."""

    processed: ProcessedPhoto
    file_id: str
    view_key_enc: str


@dataclass
class IdCounter:
    """The next id of each table (cases have theirs from their index)."""

    reports: int
    photos: int
    case_notes: int
    public_updates: int
    sealed_keys: int
    key_envelopes: int

    def take(self, table: str) -> int:
        value = getattr(self, table)
        setattr(self, table, value + 1)
        return value


@dataclass
class Batch:
    """The rows of a batch of cases, ready to load."""

    cases: list[tuple] = field(default_factory=list)
    reports: list[tuple] = field(default_factory=list)
    photos: list[tuple] = field(default_factory=list)
    sealed_keys: list[tuple] = field(default_factory=list)
    key_envelopes: list[tuple] = field(default_factory=list)
    case_notes: list[tuple] = field(default_factory=list)
    public_updates: list[tuple] = field(default_factory=list)
    events: list[tuple] = field(default_factory=list)


class ReportInfo(NamedTuple):
    """What the case row and the history need from a report just built."""

    id: int
    kind: str
    source: str
    category_id: int
    ward_code: int | None
    title: str
    search_text: str
    named: bool
    photo_sha256: str | None


@cache
def _fold(text: str) -> str:
    return fold(text)


class Deadlines:
    """`cases.deadlines.recompute_deadlines` for plain values, memoised per start day."""

    def __init__(self, calendar: WorkingCalendar) -> None:
        self.calendar = calendar
        self._memo: dict[tuple[str, date, int], date] = {}

    def due(self, rule: str, start: date, policy: PolicyTerms) -> date:
        key = (rule, start, policy.id)
        found = self._memo.get(key)
        if found is None:
            found = self._memo[key] = compute(rule, start, policy, self.calendar)
        return found

    def for_case(
        self, plan: CasePlan, policy: PolicyTerms, extensions: int
    ) -> tuple[date, date | None, date | None, date | None]:
        """accept_due, notify_due, resolve_due, next_due — as the workflow leaves them."""
        accept_due = self.due("accept", local_day(plan.received_at), policy)
        notify_due = resolve_due = None
        accepted_at = plan.step_at("accept")
        if accepted_at is not None:
            accepted = local_day(accepted_at)
            if policy.notify_working_days:
                notify_due = self.due("notify", accepted, policy)
            resolve_due = self.due("resolve", accepted, policy)
            if extensions:
                resolve_due = self.due(f"extend{extensions}", resolve_due, policy)
        if plan.status is CaseStatus.NEW:
            next_due = accept_due
        elif plan.status in OPEN_STATUSES:
            next_due = resolve_due
        else:
            next_due = None
        return accept_due, notify_due, resolve_due, next_due


@dataclass
class RowBuilder:
    """Builds a batch's rows from plans, with the ids of everything they refer to."""

    seed: int
    org: OrgContext
    deadlines: Deadlines
    seal: BulkSeal
    photos: tuple[SamplePhoto, ...]
    case_id: Callable[[int], int]  # case index → id (the loader's segments)

    def add(self, batch: Batch, plan: CasePlan, ids: IdCounter) -> None:
        province = self.org.provinces[plan.province_code]
        team = province.teams[plan.team_slot]
        case_id = self.case_id(plan.index)
        assignee = team.inspectors[plan.assignee_slot] if plan.step_at("assign") else None
        reports = [self._report(batch, plan, r, n, case_id, province, team, ids) for n, r in
                   enumerate(plan.reports)]  # fmt: skip
        merged_into = None if plan.merge_target is None else self.case_id(plan.merge_target)
        batch.cases.append(self._case(plan, case_id, team, assignee, reports, merged_into))
        context = _Context(plan, case_id, assignee, reports, merged_into)
        self._history(batch, context, province, team, ids)

    # --- cases and reports ---------------------------------------------------------

    def _case(
        self,
        plan: CasePlan,
        case_id: int,
        team: TeamRefs,
        assignee: Person | None,
        reports: list[ReportInfo],
        merged_into: int | None,
    ) -> tuple:
        first = reports[0]
        policy = self.org.policies[first.kind, first.category_id]
        extensions = min(plan.extensions, policy.max_extensions)
        accept_due, notify_due, resolve_due, next_due = self.deadlines.for_case(
            plan, policy, extensions
        )
        outcome = plan.outcome
        goods = outcome in (Outcome.GOODS_SEIZED, Outcome.GOODS_DESTROYED)
        return (
            case_id, plan.status.value, first.kind, first.source, first.category_id, team.id,
            plan.province_code, first.ward_code, first.title,
            " ".join(r.search_text for r in reports),
            plan.received_at, plan.last_activity_at, "normal",
            assignee.id if assignee else None, plan.step_at("accept"), plan.step_at("resolve"),
            plan.step_at("approve"), outcome.value if outcome else None, plan.fine_amount,
            first.title.split(" · ")[0] if goods else "", plan.goods_value,
            LEGAL_BASIS if outcome else "",
            SUMMARY if outcome else "", plan.reject_reason.value if plan.reject_reason else None,
            REJECT_TEXT if plan.reject_reason else "", plan.transfer_to, None,
            AGENCY[plan.transfer_to] if plan.transfer_to else "",
            merged_into, accept_due, notify_due, resolve_due, next_due, extensions, policy.id,
            len(plan.events),
        )  # fmt: skip

    def _report(
        self,
        batch: Batch,
        plan: CasePlan,
        report: ReportPlan,
        number: int,
        case_id: int,
        province: ProvinceRefs,
        team: TeamRefs,
        ids: IdCounter,
    ) -> ReportInfo:
        """Appends the report and its photos to the batch."""
        report_id = ids.take("reports")
        category, product, brand, description = GOODS[report.goods % len(GOODS)]
        online = plan.online
        ward = None if online else team.wards[int(report.ward_pick * len(team.wards))]
        street = (
            "" if online else f"{report.street % 200 + 1} {STREETS[report.street % len(STREETS)]}"
        )
        seller = (SHOPS if online else SELLERS)[report.seller % len(SHOPS if online else SELLERS)]
        platform = PLATFORMS[report.platform % len(PLATFORMS)] if online else ""
        url = (
            f"https://{platform.lower().replace(' ', '')}.vn/{seller}-{plan.index}"
            if online
            else ""
        )
        named = report.kind != "tip"
        association = report.source == "association"
        at = report.submitted_at
        digest = _tracking_hash(self.seed, plan.index, number)
        row = (
            report_id, case_id, report.kind, report.source, self.org.category_ids[category],
            product, brand, description, "online" if online else "physical",
            plan.province_code, ward, street, seller, platform, url, None, named,
            self.seal.identity_sealed if named else None, None, at if named else None, False,
            None, None, None, digest, at,
            province.association_staff.id if association else None,
            province.association_id if association else None,
            report.channel if association else None,
            local_day(at) if association else None, "", None, None, None, None, None,
        )  # fmt: skip
        batch.reports.append(row)
        if named:
            holders = [team.lead, province.director]
            if association:
                holders.append(province.association_staff)
            self._seal(batch, report_id, holders, at, ids)
        shown = [self.photos[(report.goods + n) % len(self.photos)] for n in range(report.photos)]
        for position, photo in enumerate(shown):
            batch.photos.append(_photo_row(ids.take("photos"), report_id, position, photo, at))
        parts = (product, brand, seller, street, platform, url, description)
        return ReportInfo(
            id=report_id,
            kind=report.kind,
            source=report.source,
            category_id=self.org.category_ids[category],
            ward_code=ward,
            title=" · ".join(p for p in (product, brand, seller) if p)[:300],
            search_text=" ".join(_fold(p) for p in parts if p),
            named=named,
            photo_sha256=shown[0].processed.sha256 if shown else None,
        )

    def _seal(
        self, batch: Batch, report_id: int, holders: list[Person], at: datetime, ids: IdCounter
    ) -> None:
        """The report's identity key, wrapped to the officers entitled to reveal."""
        sealed_id = ids.take("sealed_keys")
        batch.sealed_keys.append((sealed_id, report_id, "identity", at))
        for person in holders:
            envelope_id = ids.take("key_envelopes")
            batch.key_envelopes.append(
                (envelope_id, sealed_id, "officer", person.id, None, None, self.seal.wrapped,
                 None, at)
            )  # fmt: skip

    # --- history ---------------------------------------------------------------------

    def _history(
        self, batch: Batch, case: _Context, province: ProvinceRefs, team: TeamRefs, ids: IdCounter
    ) -> None:
        people = {
            LEAD: team.lead,
            ASSIGNEE: case.assignee or team.lead,
            FILER: province.association_staff,
            SYSTEM: None,
        }
        for event in case.plan.events:
            person = people[event.actor]
            case.status = _STATUS_AFTER.get(event.action, case.status)
            data = self._event_data(batch, case, event, person, ids)
            action = EVENT_ACTIONS.get(event.action, f"case.{event.action}")
            batch.events.append(
                (
                    event.at,
                    person.id if person else None,
                    person.email if person else SYSTEM_LABEL,
                    action,
                    case.id,
                    canonical_json(data),
                )
            )

    def _event_data(
        self, batch: Batch, case: _Context, event: EventPlan, person: Person | None, ids: IdCounter
    ) -> dict:
        """The event's audit data, adding the note or public update it leaves."""
        action = event.action
        if action in PUBLIC_STEP or action == "open":
            message = {"resolve": SUMMARY, "reject": REJECT_TEXT}.get(action, "")
            if action == "transfer":
                message = f"Chuyển đến: {AGENCY[case.plan.transfer_to]}"
            batch.public_updates.append(
                (ids.take("public_updates"), case.id, case.status, message, event.at)
            )
        if action == "note":
            note_id = ids.take("case_notes")
            body = NOTES[(note_id + case.plan.index) % len(NOTES)]
            batch.case_notes.append((note_id, case.id, person.id, body, event.at))
            return {"note": note_id}
        if action == "extend":
            case.extensions += 1
        return _data(case, action)


@dataclass
class _Context:
    """One case while its history is written."""

    plan: CasePlan
    id: int
    assignee: Person | None
    reports: list[ReportInfo]
    merged_into: int | None
    status: str = CaseStatus.NEW.value
    extensions: int = 0


_STATUS_AFTER = {
    "accept": "accepted",
    "assign": "assigned",
    "start": "investigating",
    "resolve": "resolved",
    "approve": "closed",
    "reject": "rejected",
    "transfer": "transferred",
    "merge": "merged",
}


def _data(case: _Context, action: str) -> dict:
    plan, first = case.plan, case.reports[0]
    if action == "open":
        return {"report": first.id, "source": first.source}
    if action == "assign":
        return {"assignee": case.assignee.id if case.assignee else None, "previous": None}
    if action == "resolve":
        outcome = plan.outcome.value if plan.outcome else None
        return {
            "outcome": outcome,
            "fine_amount": plan.fine_amount,
            "goods_value": plan.goods_value,
        }
    if action == "reject":
        return {"reason": plan.reject_reason.value, "internal_note": ""}
    if action == "transfer":
        agency = AGENCY[plan.transfer_to]
        return {"destination": plan.transfer_to, "agency": agency, "reason": REJECT_TEXT}
    if action == "merge":
        return {"into_case": case.merged_into, "reports": [r.id for r in case.reports]}
    if action == "extend":
        return {"reason": EXTEND_TEXT, "extension": case.extensions}
    if action == "reveal_reporter":
        return {"report": next((r.id for r in case.reports if r.named), first.id)}
    if action == "download_original":
        sha256 = next((r.photo_sha256 for r in case.reports if r.photo_sha256), None)
        return {"sha256": sha256, "what": "original"}
    return {}


def _photo_row(
    photo_id: int, report_id: int, position: int, sample: SamplePhoto, at: datetime
) -> tuple:
    photo = sample.processed
    return (
        photo_id, report_id, position, photo.sha256, sample.file_id, None, sample.view_key_enc,
        None, photo.size_bytes, photo.mime_type, photo.width, photo.height, None,
        photo.gps_lat, photo.gps_lon, photo.camera_make, photo.camera_model, photo.phash, at, None,
    )  # fmt: skip


def _tracking_hash(seed: int, index: int, number: int) -> str:
    """Unique per (seed, case, report): no real tracking code maps to it."""
    return hashlib.sha256(f"bulk:{seed}:{index}:{number}".encode()).hexdigest()
