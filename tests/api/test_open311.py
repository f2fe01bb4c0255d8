"""Open311 GeoReport v2: the spec's resources and shapes (JSON and XML), partners
posting with api_key, public resolved-case information only; and a third-party
Open311 client (georeport, from PyPI) reading it over HTTP."""

from __future__ import annotations

import xmltodict
from georeport import GeoReport

from inspect_app.cases.workflow import CaseStatus
from inspect_app.core.settings import NAME_CONFIRMED_SELLERS, set_flag
from inspect_app.extensions import db
from inspect_app.intake.services import find_report_by_code
from tests.api.conftest import NAME, PHONE

# The keys of the GeoReport v2 specification's examples (wiki.open311.org/GeoReport_v2):
# GET services, GET requests, and the answer to POST requests.
SERVICE_KEYS = {
    "service_code",
    "service_name",
    "description",
    "metadata",
    "type",
    "keywords",
    "group",
}
REQUEST_KEYS = {
    "service_request_id",
    "status",
    "status_notes",
    "service_name",
    "service_code",
    "description",
    "agency_responsible",
    "service_notice",
    "requested_datetime",
    "updated_datetime",
    "expected_datetime",
    "address",
    "address_id",
    "zipcode",
    "lat",
    "long",
    "media_url",
}


POST_KEYS = {"service_request_id", "service_notice", "account_id"}


def test_services_in_json_and_xml(client, org):
    services = client.get("/open311/v2/services.json", query_string={"jurisdiction_id": "1"})
    assert services.status_code == 200
    rows = services.get_json()
    assert rows and set(rows[0]) == SERVICE_KEYS
    assert rows[0]["metadata"] is False and rows[0]["type"] == "realtime"
    xml = xmltodict.parse(client.get("/open311/v2/services.xml").data)
    assert xml["services"]["service"][0]["service_code"] == rows[0]["service_code"]
    definition = client.get(f"/open311/v2/services/{rows[0]['service_code']}.json").get_json()
    assert definition == {"service_code": rows[0]["service_code"], "attributes": []}
    assert client.get("/open311/v2/services/nope.json").status_code == 404
    unknown = client.get("/open311/v2/services.json", query_string={"jurisdiction_id": "9999"})
    assert unknown.status_code == 404
    assert set(unknown.get_json()[0]) == {"code", "description"}


def test_post_needs_a_partner_key(client, org, partner):
    db.session.commit()
    data = {
        "service_code": "counterfeit",
        "description": "Bán sữa giả tại chợ",
        "jurisdiction_id": str(org.team.office.province_code),
        "address_id": str(org.team.wards[0].code),
        "address_string": "Chợ Đồng Xuân",
        "attribute[seller_name]": "Ki-ốt 12",
        "first_name": "Nguyễn Văn",
        "last_name": "An",
        "phone": PHONE,
        # The caller agreed to the use of their details (as the form asks).
        "attribute[consent]": "true",
    }
    assert client.post("/open311/v2/requests.json", data=data).status_code == 401
    without_consent = {k: v for k, v in data.items() if k != "attribute[consent]"}
    refused = client.post(
        "/open311/v2/requests.json", data={**without_consent, "api_key": partner.secret}
    )
    assert refused.status_code == 422
    response = client.post("/open311/v2/requests.json", data={**data, "api_key": partner.secret})
    assert response.status_code == 201, response.get_json()
    [row] = response.get_json()
    assert set(row) >= POST_KEYS
    report = find_report_by_code(row["tracking_code"])
    assert row["service_request_id"] == str(report.case_id)
    assert report.channel == "hotline" and report.reporter_named
    token = client.get(f"/open311/v2/tokens/{row['token']}.json").get_json()
    assert token == [{"service_request_id": str(report.case_id), "token": row["token"]}]
    assert client.get(f"/open311/v2/tokens/{report.id}-forged.json").status_code == 404
    # Not resolved: not public.
    assert client.get(f"/open311/v2/requests/{report.case_id}.json").status_code == 404


def test_requests_list_public_resolved_information_only(client, org, make_case, app_ctx):
    closed = make_case(CaseStatus.CLOSED, named=True)
    open_case = make_case(CaseStatus.NEW, seed="o")
    rows = client.get("/open311/v2/requests.json").get_json()
    assert [r["service_request_id"] for r in rows] == [str(closed.id)]
    assert set(rows[0]) == REQUEST_KEYS
    assert rows[0]["status"] == "closed"
    text = client.get("/open311/v2/requests.json").get_data(as_text=True)
    for private in (NAME, PHONE, "Cửa hàng Minh Anh", "12 Phố Huế", "Tem chống giả"):
        assert private not in text
    # Sellers are named only where the publication setting allows it.
    set_flag(NAME_CONFIRMED_SELLERS, True)
    db.session.commit()
    named = client.get(f"/open311/v2/requests/{closed.id}.json").get_json()
    assert "Cửa hàng Minh Anh" in named[0]["status_notes"]
    assert client.get(f"/open311/v2/requests/{open_case.id}.json").status_code == 404
    xml = xmltodict.parse(client.get(f"/open311/v2/requests/{closed.id}.xml").data)
    assert xml["service_requests"]["request"]["status"] == "closed"
    assert client.get("/open311/v2/requests.json?start_date=garbage").status_code == 400


def test_a_georeport_client_reads_the_endpoint(server, org, make_case):
    closed = make_case(CaseStatus.CLOSED)
    host, port = server
    for fmt in ("json", "xml"):
        client = GeoReport(f"http://{host}:{port}/open311/v2", jurisdiction="1", output_format=fmt)
        services = client.get_service_list()
        assert "counterfeit" in {s["service_code"] for s in services}
        definition = client.get_service_definition("counterfeit")
        assert definition["service_code"] == "counterfeit"
    client = GeoReport(f"http://{host}:{port}/open311/v2", jurisdiction="1")
    listed = client.get_service_requests()
    assert [r["service_request_id"] for r in listed] == [str(closed.id)]
    assert client.get_service_request(str(closed.id))["status"] == "closed"
    xml_client = GeoReport(f"http://{host}:{port}/open311/v2", output_format="xml")
    assert xml_client.get_service_request(str(closed.id))["status"] == "closed"
