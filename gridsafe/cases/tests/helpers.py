"""Shared builders for the case tests. Later states come from calling services (or the API), never from assigning
`state`, so no test holds a case the app could not produce."""

import io
import uuid
from datetime import date, datetime, timedelta

from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image

from gridsafe.cases.models import Case
from gridsafe.cases.permissions import get_case_for_user
from gridsafe.cases.services import ACTION_SERVICES, attachment_add, case_report
from gridsafe.core import clock
from gridsafe.regions.models import Region

NANXI = "南溪村"
QUANSHAN = "泉山村"
BANGTOU_PATH = "350322.101"

# Bodies that pass each action's schema. With them an action is refused only by permission, state or a domain rule.
# Within the input window of core.input (deadlines at most five years ahead) whenever the tests run.
_SOON = date.today() + timedelta(days=60)
VALID_FIELDS: dict[str, dict] = {
    "assign": {},
    "escalate": {"reason": "本级力量不能消除"},
    "dispatch": {},
    "start": {},
    "return": {"reason_code": "incomplete", "reason": "缺少现场照片"},
    "submit": {"method": "rectified", "measures": "已清理楼道", "attachment_ids": [1]},
    "verify_pass": {"comment": "现场核查已整改"},
    "verify_fail": {"reason": "仍有电动车在楼道充电"},
    "request_extension": {"requested_due": _SOON.isoformat() + "T12:00:00+08:00", "reason": "需采购充电柜"},
    "approve_extension": {},
    "reject_extension": {"reason": "理由不充分"},
    "suspend": {"reason": "需要资金", "review_date": _SOON.isoformat()},
    "resume": {},
    "void": {"reason_code": "not_hazard", "reason": "现场无隐患"},
    "merge": {"master_id": 1},
    "transfer": {"external_body": "12345热线", "external_ref": "GD-2025-0001"},
    "reopen": {"reason": "回访发现仍在楼道充电"},
    "supervise": {"level": "normal", "instruction": "请加快办理"},
    "reply_supervision": {"reply": "已安排人员处置"},
    "urge": {"comment": "请尽快处置"},
    "comment": {"comment": "补充说明"},
    "regrade": {"grade": "major", "basis": "GB 35181-2025 第5.1条"},
    "request_info": {"reason": "请补充现场照片"},
    "supply_info": {"answer": "已到现场核实"},
    "assist_start": {},
    "assist_report": {"report": "已关闭燃气阀门"},
    "correct": {"reason": "类别选错", "category": "fire-escape-blocked"},
}


def grid_point(user) -> tuple[float, float]:
    """A point inside the user's first grid (its stored representative point)."""
    grid = user.grids.order_by("code").first()
    return grid.center_lon, grid.center_lat


def village_grid(village_name: str, township_prefix: str = BANGTOU_PATH) -> Region:
    return (
        Region.objects.filter(level=4, parent__name=village_name, path__startswith=township_prefix + ".")
        .order_by("code")
        .first()
    )


def village_grid_point(village_name: str, township_prefix: str = BANGTOU_PATH) -> tuple[float, float]:
    grid = village_grid(village_name, township_prefix)
    return grid.center_lon, grid.center_lat


def report(api, *, category="fire-ebike-indoor", point=None, **extra):
    """上报 through the API as `api`'s user; returns the response."""
    lon, lat = point or grid_point(api.user)
    body = {
        "client_id": str(uuid.uuid4()),
        "category": category,
        "description": "楼道内有电动车充电",
        "lon": lon,
        "lat": lat,
        **extra,
    }
    return api.post("/api/v1/cases", body)


def jpeg_bytes(color=(30, 120, 60), size=(64, 48)) -> bytes:
    buf = io.BytesIO()
    Image.new("RGB", size, color).save(buf, "JPEG")
    return buf.getvalue()


def jpeg_upload(name="photo.jpg", color=(30, 120, 60)) -> SimpleUploadedFile:
    return SimpleUploadedFile(name, jpeg_bytes(color), content_type="image/jpeg")


def upload_photo(api, case_id: int, *, role="after", client_id=None, color=(30, 120, 60)):
    """Upload a JPEG through the API; returns the response."""
    buf = io.BytesIO(jpeg_bytes(color))
    buf.name = "photo.jpg"
    return api.upload(
        f"/api/v1/cases/{case_id}/attachments",
        {"file": buf, "client_id": str(client_id or uuid.uuid4()), "role": role},
    )


class Flow:
    """Drives cases through the services as the named demo people. Each step re-reads the case as its actor sees it
    (as the API does), so a step by someone who may not see the case fails loudly."""

    def __init__(self, people):
        self.people = people

    def user(self, username):
        return self.people[username]

    def report(self, by="nanxi_worker", *, category="fire-ebike-indoor", severity=None, point=None, **extra) -> Case:
        user = self.people[by]
        if point is None:
            point = grid_point(user) if user.grids.exists() else village_grid_point(NANXI)
        case, created = case_report(
            actor=user,
            client_id=uuid.uuid4(),
            category_code=category,
            description=extra.pop("description", "楼道内有电动车充电"),
            lon=point[0],
            lat=point[1],
            severity=severity,
            **extra,
        )
        assert created
        return case

    def act(self, case: Case, action: str, by: str, **fields) -> Case:
        user = self.people[by]
        fresh = get_case_for_user(user, case.pk)
        return ACTION_SERVICES[action](
            case=fresh, actor=user, expected_version=fresh.version, request_id=uuid.uuid4(), **fields
        )

    def photo(self, case: Case, by: str, role="after") -> int:
        attachment, _ = attachment_add(
            case=case, actor=self.people[by], client_id=uuid.uuid4(), upload=jpeg_upload(), role=role
        )
        return attachment.pk

    # ---- the states, as the county would reach them

    def pending_review_l1(self, **kw) -> Case:
        return self.report(**kw)

    def pending_review_l2(self, **kw) -> Case:
        return self.act(self.report(**kw), "escalate", "nanxi", reason="本级力量不能消除")

    def pending_review_l3(self, **kw) -> Case:
        return self.act(self.pending_review_l2(**kw), "escalate", "bangtou", reason="需县级部门执法")

    def dispatched(self, **kw) -> Case:
        """At the county, dispatched to 县消防救援大队 (the category's department)."""
        return self.act(self.pending_review_l3(**kw), "dispatch", "county")

    def handling_l1(self, **kw) -> Case:
        return self.act(self.report(**kw), "assign", "nanxi")

    def handling_l2(self, **kw) -> Case:
        return self.act(self.pending_review_l2(**kw), "assign", "bangtou")

    def dispatched_joint(self, **kw) -> Case:
        """At the county, dispatched to 县消防救援大队 (主办) with 县燃气 (协办)."""
        gas = self.people["gas"].unit_id
        return self.act(self.pending_review_l3(**kw), "dispatch", "county", co_department_ids=[gas])

    def handling_joint(self, **kw) -> Case:
        return self.act(self.dispatched_joint(**kw), "start", "fire")

    def handling_dept(self, **kw) -> Case:
        return self.act(self.dispatched(**kw), "start", "fire")

    def submit(self, case: Case, by="fire", **extra) -> Case:
        photo = self.photo(case, by)
        return self.act(case, "submit", by, method="rectified", measures="已清理楼道", attachment_ids=[photo], **extra)

    def pending_verification(self, **kw) -> Case:
        return self.submit(self.handling_dept(**kw))

    def suspended(self, **kw) -> Case:
        review = (clock.now() + timedelta(days=7)).date()
        return self.act(self.handling_dept(**kw), "suspend", "county_lead", reason="需要资金", review_date=review)

    def closed_resolved(self, **kw) -> Case:
        return self.act(self.pending_verification(**kw), "verify_pass", "county_lead", comment="已整改")


def at(text: str) -> datetime:
    """An aware instant in the county's time zone: at("2025-03-03 09:00")."""
    from django.utils import timezone

    return timezone.make_aware(datetime.fromisoformat(text))
