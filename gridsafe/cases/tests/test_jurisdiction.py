"""辖区 on every endpoint. Each OpenAPI operation must be listed in JURISDICTION with the check that proves it keeps
to the caller's jurisdiction, so a new endpoint without one fails `test_every_operation_has_a_jurisdiction_check`.

The people: 南溪村 (榜头镇) holds the case. 泉山村's station officer (`quanshan`, same township), 鲤城街道's grid
worker and centre operator (another township) and 县住建局 (`gas`, a department the case was not dispatched to) are
outsiders: for them a case id that exists answers exactly as an id that does not (404, same problem body), and
lists count nothing of it. Someone who may see a case but not act on it gets 403."""

import functools
import re
import uuid

import pytest
from django.test import Client

from conftest import Api
from gridsafe.accounts.models import User
from gridsafe.api import api
from gridsafe.cases.models import Attachment, Case, CaseEvent
from gridsafe.cases.tests.helpers import (
    NANXI,
    QUANSHAN,
    VALID_FIELDS,
    report,
    upload_photo,
    village_grid,
    village_grid_point,
)
from gridsafe.notifications.models import Notification
from gridsafe.regions.models import Region

MISSING = 987_654_321
OUTSIDERS = ("quanshan", "licheng_worker", "t350322001-op", "gas")  # other village, other township ×2, department
PROBLEM = "application/problem+json"


class Ctx:
    """One test's world: API clients by username (named demo people or synthetic staff) and one 南溪村 case."""

    def __init__(self, client, flow):
        self.client = client
        self.flow = flow
        self._apis = {}
        self._case = None
        self._attachment_id = None

    def api(self, username) -> Api:
        if username not in self._apis:
            self._apis[username] = Api(self.client, User.objects.get(username=username))
        return self._apis[username]

    @property
    def case(self) -> dict:
        """A 南溪村 case reported by its grid worker."""
        if self._case is None:
            created = report(self.api("nanxi_worker"))
            assert created.status_code == 201, created.content
            self._case = created.json()
        return self._case

    @property
    def attachment_id(self) -> int:
        """A report photo on that case."""
        if self._attachment_id is None:
            photo = upload_photo(self.api("nanxi_worker"), self.case["id"], role="report")
            assert photo.status_code == 201, photo.content
            self._attachment_id = photo.json()["id"]
        return self._attachment_id


def assert_same_as_missing(response, missing):
    """Out of jurisdiction and missing are indistinguishable: status, content type and the whole problem body."""
    assert response.status_code == 404, response.content
    assert response["Content-Type"] == missing["Content-Type"] == PROBLEM
    assert response.json() == missing.json()


# ---------------------------------------------------------------- case endpoints


def check_case_detail(ctx):
    case = ctx.case
    for name in OUTSIDERS:
        outsider = ctx.api(name)
        assert_same_as_missing(outsider.get(f"/api/v1/cases/{case['id']}"), outsider.get(f"/api/v1/cases/{MISSING}"))
    for name in ("nanxi_worker", "nanxi", "bangtou", "county", "leader"):
        assert ctx.api(name).get(f"/api/v1/cases/{case['id']}").status_code == 200, name
    # A department sees a case only once it is dispatched to it.
    assert ctx.api("fire").get(f"/api/v1/cases/{case['id']}").status_code == 404


def check_attachment_add(ctx):
    case = ctx.case
    for name in OUTSIDERS:
        outsider = ctx.api(name)
        client_id = uuid.uuid4()
        foreign = upload_photo(outsider, case["id"], client_id=client_id)
        missing = upload_photo(outsider, MISSING, client_id=client_id)
        assert_same_as_missing(foreign, missing)
    assert not Attachment.objects.filter(case_id=case["id"]).exists()


def _check_attachment_download(ctx, what):
    case = ctx.case
    attachment_id = ctx.attachment_id
    path = "/api/v1/cases/{}/attachments/{}/" + what
    for name in OUTSIDERS:
        outsider = ctx.api(name)
        foreign = outsider.get(path.format(case["id"], attachment_id))
        assert_same_as_missing(foreign, outsider.get(path.format(MISSING, attachment_id)))
    # Through a case the caller may see, another case's attachment is as missing as an unknown attachment id.
    quanshan = ctx.api("quanshan")
    own = report(quanshan, point=village_grid_point(QUANSHAN))
    assert own.status_code == 201, own.content
    assert_same_as_missing(
        quanshan.get(path.format(own.json()["id"], attachment_id)),
        quanshan.get(path.format(own.json()["id"], MISSING)),
    )
    response = ctx.api("bangtou").get(path.format(case["id"], attachment_id))
    assert response.status_code == 200
    assert response["Content-Type"] == "image/jpeg"


def check_attachment_file(ctx):
    _check_attachment_download(ctx, "file")


def check_attachment_thumbnail(ctx):
    _check_attachment_download(ctx, "thumbnail")


def check_action(action):
    def check(ctx):
        case = ctx.case
        path = "/api/v1/cases/{}/actions/" + action
        for name in OUTSIDERS:
            outsider = ctx.api(name)
            body = {"version": case["version"], "request_id": str(uuid.uuid4()), **VALID_FIELDS[action]}
            foreign = outsider.post(path.format(case["id"]), body)
            missing = outsider.post(path.format(MISSING), body)
            assert_same_as_missing(foreign, missing)
        stored = Case.objects.get(pk=case["id"])
        assert stored.version == case["version"]
        assert CaseEvent.objects.filter(case=stored).count() == 1  # only the report

    check.__name__ = f"check_action_{action}"
    return check


def check_case_report(ctx):
    """Officers report only inside their 辖区; a grid worker outside their grid is flagged, never refused."""
    point = village_grid_point(NANXI)
    for name in ("quanshan", "t350322001-op"):
        response = report(ctx.api(name), point=point)
        assert response.status_code == 422, response.content
        assert response["Content-Type"] == PROBLEM
    assert not Case.objects.exists()
    worker = report(ctx.api("licheng_worker"), point=point)
    assert worker.status_code == 201
    assert "outside_own_grid" in worker.json()["location_flags"]


def check_case_list(ctx):
    case = ctx.case
    nanxi_code = village_grid(NANXI).code[:12]
    for name in OUTSIDERS:
        outsider = ctx.api(name)
        for params in (
            {},
            {"region": nanxi_code},
            {"q": f"#{case['id']}"},
            {"q": "电动车"},
            {"state": "pending_review"},
        ):
            page = outsider.get("/api/v1/cases", **params).json()
            assert (page["total"], page["items"]) == (0, []), (name, params)
    for name in ("nanxi_worker", "nanxi", "bangtou", "county", "leader"):
        page = ctx.api(name).get("/api/v1/cases").json()
        assert (page["total"], [c["id"] for c in page["items"]]) == (1, [case["id"]]), name
    # The other village's own case is counted by its officer, and by nobody in 南溪村.
    quanshan = ctx.api("quanshan")
    assert report(quanshan, point=village_grid_point(QUANSHAN)).status_code == 201
    assert quanshan.get("/api/v1/cases").json()["total"] == 1
    assert ctx.api("nanxi").get("/api/v1/cases").json()["total"] == 1
    assert ctx.api("bangtou").get("/api/v1/cases").json()["total"] == 2


# ---------------------------------------------------------------- regions


def check_region_detail(ctx):
    nanxi = village_grid(NANXI).parent
    for name in ("quanshan", "licheng_worker", "t350322001-op"):
        outsider = ctx.api(name)
        assert_same_as_missing(
            outsider.get(f"/api/v1/regions/{nanxi.code}"), outsider.get("/api/v1/regions/350322999999")
        )
    # Another township is hidden too; one's own township and county are visible (names for the breadcrumb).
    licheng = ctx.api("licheng_worker")
    assert licheng.get("/api/v1/regions/350322101").status_code == 404
    assert licheng.get("/api/v1/regions/350322001").status_code == 200
    assert ctx.api("quanshan").get("/api/v1/regions/350322101").status_code == 200
    assert ctx.api("quanshan").get("/api/v1/regions/350322").status_code == 200
    assert ctx.api("nanxi").get(f"/api/v1/regions/{nanxi.code}").json()["name"] == NANXI


def check_region_children(ctx):
    bangtou = Region.objects.get(code="350322101")
    villages = Region.objects.filter(parent=bangtou).count()
    quanshan = ctx.api("quanshan")
    names = [r["name"] for r in quanshan.get("/api/v1/regions/350322101/children").json()]
    assert names == [QUANSHAN]
    townships = [r["name"] for r in quanshan.get("/api/v1/regions/350322/children").json()]
    assert townships == ["榜头镇"]
    nanxi = village_grid(NANXI).parent
    assert_same_as_missing(
        quanshan.get(f"/api/v1/regions/{nanxi.code}/children"), quanshan.get("/api/v1/regions/350322999999/children")
    )
    assert len(ctx.api("bangtou").get("/api/v1/regions/350322101/children").json()) == villages
    # A grid worker sees their own grids, not the rest of the village.
    worker_grids = [r["code"] for r in ctx.api("nanxi_worker").get(f"/api/v1/regions/{nanxi.code}/children").json()]
    assert worker_grids == sorted(User.objects.get(username="nanxi_worker").grids.values_list("code", flat=True))


def check_region_locate(ctx):
    """Locating a point is county-wide by design (a worker standing outside their grid must still place a hazard:
    it is flagged, not refused), but it gives names and codes only, never a boundary or anything about cases."""
    lon, lat = village_grid_point(NANXI)
    for name in OUTSIDERS:
        body = ctx.api(name).get("/api/v1/regions/locate", lon=lon, lat=lat).json()
        assert body["grid"]["code"] == village_grid(NANXI).code
        assert body["grid"]["geometry"] is None
        assert all(a["geometry"] is None for a in body["ancestors"])


# ---------------------------------------------------------------- accounts, catalog, notifications


def check_token_issue(ctx):
    """Anonymous by nature; a token opens only its own user's 辖区."""
    client = Client()
    response = client.post(
        "/api/v1/auth/token", {"username": "quanshan", "password": "gridsafe-demo"}, content_type="application/json"
    )
    assert response.status_code == 200, response.content
    token = response.json()["token"]
    me = client.get("/api/v1/me", headers={"Authorization": f"Bearer {token}"}).json()
    assert me["username"] == "quanshan"
    case = client.get(f"/api/v1/cases/{ctx.case['id']}", headers={"Authorization": f"Bearer {token}"})
    assert case.status_code == 404


def check_me(ctx):
    quanshan = User.objects.get(username="quanshan")
    me = ctx.api("quanshan").get("/api/v1/me").json()
    assert (me["username"], me["jurisdiction_paths"]) == ("quanshan", [quanshan.unit.region.path])
    assert ctx.api("gas").get("/api/v1/me").json()["department_id"] == User.objects.get(username="gas").unit_id


def check_reference_data(ctx):
    """Domains and categories are the county's reference data: the same for everyone signed in."""
    for path in ("/api/v1/catalog/domains", "/api/v1/catalog/categories"):
        answers = [ctx.api(name).get(path).json() for name in ("quanshan", "licheng_worker", "gas", "county")]
        assert answers[0] and all(a == answers[0] for a in answers)


def check_notification_list(ctx):
    ctx.case  # noqa: B018 - the report notifies 南溪村's station
    assert ctx.api("nanxi").get("/api/v1/notifications").json()["total"] == 1
    for name in OUTSIDERS:
        page = ctx.api(name).get("/api/v1/notifications").json()
        assert (page["total"], page["unread"]) == (0, 0), name


def check_notification_mark_read(ctx):
    case = ctx.case
    assert ctx.api("nanxi").get("/api/v1/notifications").json()["unread"] >= 1  # the desk looked: now it has it
    theirs = Notification.objects.get(case_id=case["id"], user__username="nanxi")
    response = ctx.api("quanshan").post("/api/v1/notifications/read", {"ids": [theirs.pk]})
    assert response.json() == {"marked": 0}
    response = ctx.api("quanshan").post("/api/v1/notifications/read", {})
    assert response.json() == {"marked": 0}
    theirs.refresh_from_db()
    assert theirs.read_at is None


def check_case_list_nearby(ctx):
    """The field app's duplicate finder reads cases: it must start from the caller's 辖区 too."""
    case = ctx.case
    query = {"category": case["category"], "lon": case["lon"], "lat": case["lat"]}
    for name in OUTSIDERS:
        assert ctx.api(name).get("/api/v1/field/nearby", **query).json() == [], name
    assert [c["id"] for c in ctx.api("nanxi").get("/api/v1/field/nearby", **query).json()] == [case["id"]]


JURISDICTION = {
    "token_issue": check_token_issue,
    "me_detail": check_me,
    "domain_list": check_reference_data,
    "category_list": check_reference_data,
    "region_locate": check_region_locate,
    "region_detail": check_region_detail,
    "region_children": check_region_children,
    "case_report": check_case_report,
    "case_list_visible": check_case_list,
    "case_detail": check_case_detail,
    "attachment_add": check_attachment_add,
    "attachment_file": check_attachment_file,
    "attachment_thumbnail": check_attachment_thumbnail,
    "case_assign": check_action("assign"),
    "case_escalate": check_action("escalate"),
    "case_dispatch": check_action("dispatch"),
    "case_start": check_action("start"),
    "case_return": check_action("return"),
    "case_submit": check_action("submit"),
    "case_verify_pass": check_action("verify_pass"),
    "case_verify_fail": check_action("verify_fail"),
    "case_request_extension": check_action("request_extension"),
    "case_approve_extension": check_action("approve_extension"),
    "case_reject_extension": check_action("reject_extension"),
    "case_suspend": check_action("suspend"),
    "case_resume": check_action("resume"),
    "case_void": check_action("void"),
    "case_merge": check_action("merge"),
    "case_transfer": check_action("transfer"),
    "case_reopen": check_action("reopen"),
    "case_supervise": check_action("supervise"),
    "case_reply_supervision": check_action("reply_supervision"),
    "case_urge": check_action("urge"),
    "case_comment": check_action("comment"),
    "case_regrade": check_action("regrade"),
    "case_request_info": check_action("request_info"),
    "case_supply_info": check_action("supply_info"),
    "case_assist_start": check_action("assist_start"),
    "case_assist_report": check_action("assist_report"),
    "case_correct": check_action("correct"),
    "notification_list_for_user": check_notification_list,
    "notification_mark_read": check_notification_mark_read,
    "case_list_nearby": check_case_list_nearby,
}

# Endpoints of apps outside the core platform. Their jurisdiction checks belong with their own feature tests
# (named here); this file holds them to the one rule every endpoint shares, that an anonymous caller gets 401,
# and lists them so that a new endpoint anywhere is noticed.
ELSEWHERE = {
    **dict.fromkeys(
        ["user_phone_reveal", "user_role_change", "user_unlock", "audit_event_list", "token_revoke"],
        "gridsafe/accounts/tests: 三员分立 and audit access",
    ),
    **dict.fromkeys(
        [
            "field_week_for_worker",
            "field_sync_bundle",
            "patrol_list_visible",
            "patrol_start",
            "patrol_detail",
            "patrol_track_append",
            "patrol_track_view",
            "patrol_end",
            "patrol_coverage",
            "checklist_for_place",
            "place_visit_record",
            "place_visit_detail",
            "field_photo_add",
            "field_photo_watermarked",
            "publicity_list_visible",
            "publicity_record",
            "publicity_photo_add",
            "report_list_for_reporter",
            "report_detail_for_reporter",
        ],
        "gridsafe/field/tests: patrols, visits, photos, publicity and 我的上报",
    ),
    **dict.fromkeys(
        ["place_list_visible", "place_create", "place_detail", "place_update", "place_contact_reveal"],
        "gridsafe/places/tests: the place register",
    ),
    **dict.fromkeys(
        [
            "region_report",
            "departments_for_region",
            "department_report",
            "workers_for_region",
            "worker_report",
            "trend",
            "watched_cases",
            "drill_cases",
            "screen_feed",
            "screen_regions",
            "inspection_compliance",
            "report_shortfall",
            "bulletin_list",
        ],
        "gridsafe/dashboards/tests: rollups and reports",
    ),
    **dict.fromkeys(
        ["place_register", "place_facts_save", "risk_point_create", "cylinder_add"],
        "gridsafe/field/tests/test_field_jurisdiction.py: the object registers",
    ),
    **dict.fromkeys(
        [
            "major_hazards_visible_to",
            "major_hazard_detail",
            "major_hazard_list",
            "major_hazard_plan",
            "major_hazard_stop",
            "major_hazard_five",
            "major_hazard_progress",
            "major_hazard_evaluate",
        ],
        "gridsafe/hazards/tests: major hazards and the enterprise's scope",
    ),
    **dict.fromkeys(["video_camera_map"], "gridsafe/video/tests/test_camera_page.py: cameras in the 辖区"),
    **dict.fromkeys(["messaging_preferences_get", "messaging_preferences_put"], "the caller's own preferences only"),
    # Signed by a registered gateway or platform, not a user: an unsigned request is the anonymous 401 below.
    **dict.fromkeys(["video_alarm_receive"], "gridsafe/video/tests/test_alarms.py: signatures"),
    **dict.fromkeys(
        ["hotline_order_receive", "hotline_visit_record"], "gridsafe/channels/tests: 12345 platform signatures"
    ),
}

# Open to anyone on purpose: the county's published list of major hazards under 挂牌督办 (no personal data).
PUBLIC = {"major_hazards_published": "gridsafe/hazards/tests: the public notice list shows no personal data"}


@functools.cache
def _operations() -> dict[str, tuple[str, str, list]]:
    ops = {}
    for path, methods in api.get_openapi_schema()["paths"].items():
        for method, op in methods.items():
            ops[op["operationId"]] = (method.upper(), path, op.get("tags", []))
    return ops


def test_every_operation_has_a_jurisdiction_check():
    ops = _operations()
    missing = sorted(set(ops) - set(JURISDICTION) - set(ELSEWHERE) - set(PUBLIC))
    assert not missing, f"endpoints without a jurisdiction check: {missing}"
    stale = sorted((set(JURISDICTION) | set(ELSEWHERE) | set(PUBLIC)) - set(ops))
    assert not stale, f"checks for endpoints that no longer exist: {stale}"


@pytest.mark.parametrize("operation_id", sorted(JURISDICTION))
def test_jurisdiction(operation_id, client, flow):
    JURISDICTION[operation_id](Ctx(client, flow))


@pytest.mark.parametrize("operation_id", sorted((set(JURISDICTION) | set(ELSEWHERE)) - {"token_issue"}))
def test_anonymous_gets_401(operation_id, client):
    ops = _operations()
    if operation_id not in ops:
        pytest.fail(f"{operation_id} is no longer an operation: remove it from the lists here")
    method, path, _tags = ops[operation_id]
    url = re.sub(r"\{code\}", "350322", path)
    url = re.sub(r"\{[a-z_]+\}", "1", url)
    response = client.generic(method, url, "{}", content_type="application/json")
    assert response.status_code == 401, response.content
    assert response["Content-Type"] == PROBLEM


# ---------------------------------------------------------------- seen but not allowed: 403


def test_visible_but_not_allowed_is_403_and_changes_nothing(client, flow):
    ctx = Ctx(client, flow)
    case = ctx.case
    for name, action in (
        ("nanxi_worker", "assign"),  # a grid worker reports; the station decides
        ("nanxi_worker", "void"),
        ("bangtou", "assign"),  # the township sees the village's case but does not hold it
        ("bangtou_lead", "void"),
        ("nanxi", "supervise"),  # 督办 comes from a higher tier
        ("county", "escalate"),
    ):
        response = ctx.api(name).act(case["id"], action, case["version"], **VALID_FIELDS[action])
        assert response.status_code == 403, (name, action, response.content)
        assert response["Content-Type"] == PROBLEM
        assert response.json()["code"] == "not_permitted"
    assert Case.objects.get(pk=case["id"]).version == case["version"]


def test_department_sees_only_what_is_dispatched_to_it(client, flow, people):
    ctx = Ctx(client, flow)
    case = flow.pending_review_l3()
    fire, gas = ctx.api("fire"), ctx.api("gas")
    assert fire.get(f"/api/v1/cases/{case.pk}").status_code == 404
    assert fire.get("/api/v1/cases").json()["total"] == 0

    case = flow.act(case, "dispatch", "county")
    assert fire.get(f"/api/v1/cases/{case.pk}").status_code == 200
    assert fire.get("/api/v1/cases").json()["total"] == 1
    assert gas.get(f"/api/v1/cases/{case.pk}").status_code == 404
    assert gas.get("/api/v1/cases").json()["total"] == 0

    # Returned as not its duty, the case leaves the department's view again.
    returned = fire.act(case.pk, "return", case.version, reason_code="not_our_duty", reason="非消防职责")
    assert returned.status_code == 200, returned.content
    assert fire.get(f"/api/v1/cases/{case.pk}").status_code == 404
    assert fire.get("/api/v1/cases").json()["total"] == 0


def test_a_grid_taken_from_a_worker_leaves_their_view_at_the_next_request(as_user):
    """The 系统管理员 takes the worker's grids away in the admin: the worker's token, whose lookup this process
    keeps (accounts.identities), sees the change at its very next request."""
    from django.test import Client
    from django.urls import reverse

    from gridsafe.accounts.models import User
    from gridsafe.cases.tests.helpers import grid_point, report
    from gridsafe.web.tests.test_admin import form_data

    worker, station = as_user("nanxi_worker"), as_user("nanxi")
    case_id = report(station, point=grid_point(worker.user)).json()["id"]  # someone else's report, in the grid
    assert worker.get(f"/api/v1/cases/{case_id}").status_code == 200

    admin = Client()
    admin.force_login(User.objects.get(username="admin"))
    url = reverse("admin:accounts_user_change", args=[worker.user.pk])
    data = form_data(admin.get(url))
    data["grids"] = []
    assert admin.post(url, data).status_code == 302
    assert not worker.user.grids.exists()

    assert worker.get(f"/api/v1/cases/{case_id}").status_code == 404
    assert case_id not in [c["id"] for c in worker.get("/api/v1/cases").json()["items"]]
