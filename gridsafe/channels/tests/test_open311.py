"""Open311 GeoReport v2 against a live server: read with a third-party client (PyPI `georeport` 0.3.1, JSON and
XML), POST form-encoded exactly as the spec's example (that client has no POST), review at the desk, and the status
that follows the case; errors in the spec's shape (403 without a key, 404 unknown ids, 400 bad input)."""

import io
import xml.etree.ElementTree as ET

import pytest
import requests
from django.core.management import call_command
from georeport import GeoReport

from gridsafe.cases.models import Case
from gridsafe.cases.tests.helpers import Flow, village_grid_point
from gridsafe.channels.models import CitizenRequest, Open311Key
from gridsafe.channels.services.citizen import citizen_request_accept, citizen_request_reject


def _key(name="福建社会治理App") -> str:
    out = io.StringIO()
    call_command("open311_key", "create", name, stdout=out)
    return out.getvalue().strip().splitlines()[-1]


@pytest.mark.django_db(transaction=True)
def test_open311_post_review_and_status_through_a_third_party_client(serial_live_server, committed_world, settings):
    base = f"{serial_live_server}/open311/v2"
    key = _key()
    assert Open311Key.objects.get().key_hash != key  # stored hashed
    client = GeoReport(base, jurisdiction="350322")
    xml_client = GeoReport(base, jurisdiction="350322", output_format="xml")

    services = client.get_service_list()
    codes = {s["service_code"] for s in services}
    assert "fire-ebike-indoor" in codes
    assert {s["type"] for s in services} == {"realtime"}
    xml_services = xml_client.get_service_list()  # parsed from XML by the client (xmltodict)
    assert {s["service_code"] for s in xml_services} == codes
    definition = xml_client.get_service_definition("fire-ebike-indoor")
    assert definition["service_code"] == "fire-ebike-indoor"

    # Discovery, parsed as XML.
    discovery = ET.fromstring(requests.get(f"{base}/discovery.xml", timeout=10).content)
    assert discovery.find("endpoints/endpoint/specification").text == "http://wiki.open311.org/GeoReport_v2"
    assert {f.text for f in discovery.findall("endpoints/endpoint/formats/format")} == {"text/xml", "application/json"}

    lon, lat = village_grid_point("南溪村")
    form = {
        "jurisdiction_id": "350322",
        "service_code": "fire-ebike-indoor",
        "lat": f"{lat:.8f}",
        "long": f"{lon:.8f}",
        "address_string": "榜头镇南溪村后街",
        "email": "citizen@example.cn",
        "first_name": "明",
        "last_name": "林",
        "phone": "13805941111",
        "description": "楼道里停了五辆电动车在充电，堵住了楼梯。",
        "media_url": "https://example.cn/photo/1.jpg",
    }
    # Without a key: 403 in the spec's error list (XML).
    refused = requests.post(f"{base}/requests.xml", data=form, timeout=10)
    assert refused.status_code == 403
    error = ET.fromstring(refused.content).find("error")
    assert error.find("code").text == "403"
    assert "api_key" in error.find("description").text
    # With the key (form-encoded, as the spec's example): a realtime service_request_id.
    posted = requests.post(f"{base}/requests.xml", data={**form, "api_key": key}, timeout=10)
    assert posted.status_code == 200, posted.content
    assert posted.headers["Content-Type"].startswith("text/xml")
    number = ET.fromstring(posted.content).find("request/service_request_id").text
    row = CitizenRequest.objects.get(number=number)
    assert row.region_path.startswith("350322.101.")
    assert not Case.objects.filter(source="citizen").exists()  # not a case before the desk accepts it

    mine = client.get_service_request(number)
    assert (mine["status"], mine["service_code"]) == ("open", "fire-ebike-indoor")
    assert "审核" in mine["status_notes"]
    assert "phone" not in mine and "email" not in mine and "13805941111" not in str(mine)
    token = requests.get(f"{base}/tokens/{row.token}.json", timeout=10).json()
    assert token == [{"service_request_id": number, "token": row.token}]

    # The county centre accepts it: a case (source 群众上报) at the grid; the status follows the case.
    county = committed_world["county"]
    accepted = citizen_request_accept(request_id=row.pk, actor=county)
    case = accepted.case
    assert (case.source, case.caller_phone) == ("citizen", "13805941111")
    listed = client.get_service_requests(service_request_id=number)
    assert listed[0]["status"] == "open" and listed[0]["status_notes"].startswith("已受理")
    flow = Flow(committed_world)
    case = flow.act(case, "void", "nanxi", reason_code="not_hazard", reason="现场核实为正常停放")
    closed = xml_client.get_service_request(number)  # XML, parsed by the client
    assert closed["status"] == "closed"
    assert closed["status_notes"].startswith("已结案")
    assert client.get_service_requests(status="closed")[0]["service_request_id"] == number

    # A second request, refused at the desk: closed with the reason.
    second = requests.post(f"{base}/requests.json", data={**form, "api_key": key}, timeout=10).json()
    other = CitizenRequest.objects.get(number=second[0]["service_request_id"])
    citizen_request_reject(request_id=other.pk, actor=county, reason="重复反映")
    assert client.get_service_request(other.number)["status_notes"] == "不予受理：重复反映"

    # Errors: unknown ids 404, bad service code 404, bad jurisdiction 404, bad location 400 — each as a list.
    assert requests.get(f"{base}/requests/QZ000.json", timeout=10).status_code == 404
    unknown = requests.post(f"{base}/requests.json", data={**form, "api_key": key, "service_code": "x"}, timeout=10)
    assert unknown.status_code == 404 and unknown.json()[0]["code"] == 404
    other_j = requests.get(f"{base}/services.json?jurisdiction_id=city.gov", timeout=10)
    assert other_j.status_code == 404
    far = requests.post(
        f"{base}/requests.json", data={**form, "api_key": key, "lat": "39.9", "long": "116.4"}, timeout=10
    )
    assert far.status_code == 400 and "不在本县" in far.json()[0]["description"]


def test_review_page_accepts_and_refuses_within_the_jurisdiction(client, people, settings):
    from gridsafe.channels.services.citizen import Submission, citizen_request_submit

    lon, lat = village_grid_point("南溪村")
    row = citizen_request_submit(
        submission=Submission(
            channel="open311", service_code="fire-ebike-indoor", description="楼道电动车充电", lat=lat, lon=lon
        )
    )
    client.force_login(people["bangtou"])  # 榜头镇 centre: its 辖区
    page = client.get("/channels/review/")
    assert page.status_code == 200
    assert row.number in page.content.decode()
    assert 'href="/channels/review/"' in page.content.decode()  # linked in the centre's menu
    # A grid worker has no such page; a decision on a request outside one's 辖区 is 404 like a missing one.
    client.force_login(people["nanxi_worker"])
    assert client.get("/channels/review/").status_code == 404
    assert client.post(f"/channels/review/{row.pk}/", {"decision": "reject", "reason": "x"}).status_code == 404
    # The centre of another township (鲤城街道) neither lists it nor may decide it: 404, as for a missing one.
    from gridsafe.accounts.models import Role, Unit, UnitKind, User

    licheng_centre = (
        Unit.objects.filter(kind=UnitKind.CENTRE, region__level=2)
        .exclude(region__path__startswith="350322.101")
        .first()
    )
    other = User.objects.create(username="licheng_centre", role=Role.CENTRE_OPERATOR, unit=licheng_centre)
    client.force_login(other)
    assert row.number not in client.get("/channels/review/").content.decode()
    assert client.post(f"/channels/review/{row.pk}/", {"decision": "reject", "reason": "x"}).status_code == 404
    client.force_login(people["bangtou"])
    done = client.post(f"/channels/review/{row.pk}/", {"decision": "accept", "category": "fire-ebike-indoor"})
    assert done.status_code == 303
    row.refresh_from_db()
    assert row.case is not None and row.case.source == "citizen" and row.reviewed_by == people["bangtou"]
