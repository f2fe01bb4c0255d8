"""Tracking codes and the public progress page."""

from __future__ import annotations

import math
import re

from sqlalchemy import select

from inspect_app.cases.models import Report
from inspect_app.extensions import db
from inspect_app.intake.tracking import (
    ALPHABET,
    LENGTH,
    hash_code,
    new_tracking_code,
    normalize_code,
)
from tests.intake.conftest import post_report


def _submit(client, data) -> str:
    assert post_report(client, data).status_code == 302
    html = client.get("/report/submitted").get_data(as_text=True)
    return re.search(r'data-testid="tracking-code">([^<]+)<', html).group(1)


def test_codes_have_at_least_80_random_bits_and_an_unambiguous_alphabet():
    assert LENGTH * math.log2(len(ALPHABET)) >= 80
    assert not set("ILOU") & set(ALPHABET)
    codes = {new_tracking_code() for _ in range(2000)}
    assert len(codes) == 2000


def test_entry_ignores_case_dashes_spaces_and_lookalikes():
    code = "K7M2-9QXD-4HTR-B8NC"
    assert normalize_code(" k7m2 9qxd-4htr b8nc ") == "K7M29QXD4HTRB8NC"
    assert normalize_code("K7M2-9QXD-4HTR-B8NO") == "K7M29QXD4HTRB8N0"
    assert hash_code(code) == hash_code(code.lower().replace("-", ""))
    assert normalize_code("too-short") is None
    assert normalize_code("K7M2-9QXD-4HTR-B8N!") is None


def test_a_code_finds_exactly_its_report(client, tip):
    first = _submit(client, tip(product="Nước mắm Phú Quốc"))
    second = _submit(client, tip(product="Dầu gội Clear"))
    response = client.post("/track", data={"code": first.lower().replace("-", " ")})
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "Nước mắm Phú Quốc" in html and "Dầu gội Clear" not in html
    assert "Đã tiếp nhận" in html
    assert "Dầu gội Clear" in client.post("/track", data={"code": second}).get_data(as_text=True)


def test_only_a_hash_of_the_code_is_stored(client, tip):
    code = _submit(client, tip())
    report = db.session.scalar(select(Report))
    canonical = code.replace("-", "")
    assert report.tracking_code_hash == hash_code(code)
    assert canonical not in report.tracking_code_hash and code not in report.tracking_code_hash


def test_a_wrong_code_reveals_nothing(client, tip):
    _submit(client, tip())
    for wrong in ("AAAA-BBBB-CCCC-DDDD", "nonsense", "' OR 1=1 --"):
        response = client.post("/track", data={"code": wrong})
        html = response.get_data(as_text=True)
        assert response.status_code == 404
        assert "Không có phản ánh nào có mã này" in html
        assert "Sữa bột" not in html


def test_progress_page_never_identifies_the_reporter(client, tip):
    data = tip(
        identity="named",
        name="Lê Thị Cúc",
        phone="0905111222",
        email="cuc@example.vn",
        consent="y",
    )
    html = client.post("/track", data={"code": _submit(client, data)}).get_data(as_text=True)
    for private in ("Lê Thị Cúc", "0905111222", "cuc@example.vn", "Cửa hàng Minh Anh"):
        assert private not in html


def test_failed_lookups_are_rate_limited_but_successful_ones_are_not(client, tip):
    code = _submit(client, tip())
    for _ in range(15):
        assert client.post("/track", data={"code": code}).status_code == 200
    for _ in range(10):
        assert client.post("/track", data={"code": "AAAA-BBBB-CCCC-DDDD"}).status_code == 404
    assert client.post("/track", data={"code": "AAAA-BBBB-CCCC-DDDE"}).status_code == 429
