"""JSON logs of a citizen's report and tracking hold no personal data and no
tracking code (LOG_FORMAT=json)."""

from __future__ import annotations

import json
import re

from tests.intake.conftest import post_report

NAME, PHONE, EMAIL = "Nguyễn Văn Bình", "0987 654 321", "binh.nguyen@example.vn"


def test_no_personal_data_or_tracking_code_in_the_logs(client, tip, json_logs):
    data = tip(
        identity="named",
        name=NAME,
        phone=PHONE,
        email=EMAIL,
        address="7 Hàng Bạc",
        consent="y",
        wants_email_updates="y",
    )
    assert post_report(client, data).status_code == 302
    html = client.get("/report/submitted").get_data(as_text=True)
    code = re.search(r'data-testid="tracking-code">([^<]+)<', html).group(1)
    client.post("/track", data={"code": code})
    client.post("/track", data={"code": "K7M2-9QXD-4HTR-B8NC"})  # a wrong one
    client.get(f"/track?code={code}")

    logged = json.dumps(json_logs(), ensure_ascii=False)

    assert '"endpoint": "intake.report"' in logged and '"endpoint": "intake.track"' in logged
    for secret in (NAME, PHONE, PHONE.replace(" ", ""), EMAIL, "7 Hàng Bạc", code, "K7M2"):
        assert secret not in logged
    assert code.replace("-", "") not in logged
