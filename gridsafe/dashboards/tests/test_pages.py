"""The oversight pages: each renders for someone whose 辖区 covers it and is 404 for a sibling; no page carries an
inline script or an on* handler (CSP); every KPI figure on a dashboard links to its drill-down."""

import io
import re
import zipfile

import pytest
from docx import Document

from gridsafe.accounts.models import Unit
from gridsafe.cases.tests.helpers import jpeg_upload
from gridsafe.dashboards.models import InfoReport, LeaderActivity
from gridsafe.notifications.models import Notification, NotificationKind
from gridsafe.regions.models import Region

BANGTOU = "350322101"
LICHENG = "350322001"
INLINE_SCRIPT = re.compile(r"<script(?![^>]*\bsrc=)[^>]*>", re.IGNORECASE)
ON_HANDLER = re.compile(r"<[^>]+\son[a-z]+\s*=", re.IGNORECASE)


@pytest.fixture
def login(client, people):
    def as_(username):
        client.force_login(people[username])
        return client

    return as_


@pytest.fixture
def case(flow):
    return flow.dispatched()


def _page(response, status=200):
    assert response.status_code == status, response.content[:500]
    html = response.content.decode()
    assert not INLINE_SCRIPT.search(html), INLINE_SCRIPT.search(html).group(0)
    assert not ON_HANDLER.search(html), ON_HANDLER.search(html).group(0)
    return html


def test_region_dashboards_by_level(login, case, people):
    county = login("county")
    response = county.get("/dashboards/")
    assert response.status_code == 302 and response["Location"] == "/dashboards/r/350322/"
    html = _page(county.get("/dashboards/r/350322/", {"period": "all"}))
    assert "仙游县" in html and "榜头镇" in html and "县消防救援大队" in html and 'data-chart="months"' in html
    assert "/dashboards/drill/?scope=r&amp;node=350322&amp;period=all&amp;metric=handled" in html
    nanxi = Region.objects.get(level=3, name="南溪村", path__startswith="350322.101")
    html = _page(login("nanxi").get(f"/dashboards/r/{nanxi.code}/"))
    assert "网格员考核" in html and "王芳" in html
    _page(login("quanshan").get(f"/dashboards/r/{nanxi.code}/"), 404)
    _page(login("bangtou").get(f"/dashboards/r/{LICHENG}/"), 404)
    assert _page(login("bangtou").get(f"/dashboards/r/{BANGTOU}/", {"period": "2026-01-05..2026-02-10"}))
    assert _page(
        login("bangtou").get(
            f"/dashboards/r/{BANGTOU}/", {"start": "2026-01-01", "end": "2026-03-31", "domain": "fire"}
        )
    )
    _page(login("bangtou").get(f"/dashboards/r/{BANGTOU}/", {"period": "nonsense"}), 422)


def test_department_dashboard_and_drill_page(login, case, people):
    fire = people["fire"].unit_id
    html = _page(login("fire").get(f"/dashboards/d/{fire}/"))
    assert "县消防救援大队" in html
    response = login("fire").get("/dashboards/")
    assert response["Location"] == f"/dashboards/d/{fire}/"
    _page(login("gas").get(f"/dashboards/d/{fire}/"), 404)
    html = _page(
        login("county").get("/dashboards/drill/", {"scope": "r", "node": BANGTOU, "metric": "valid", "period": "all"})
    )
    assert f"/cases/{case.pk}/" in html and "应处置：1 件" in html
    _page(login("bangtou").get("/dashboards/drill/", {"scope": "r", "node": LICHENG, "metric": "valid"}), 404)


def test_screen_page(login, case):
    from gridsafe.video.tests.helpers import camera_in

    camera_in("南溪村", 1), camera_in("南溪村", 2)  # the register, not a setting, gives the camera count
    html = _page(login("county").get("/screen/"))
    assert "screen.js" in html and 'data-feed="/api/v1/stats/screen?node=350322"' in html
    assert '<b id="c-cameras">2</b>' in html
    _page(login("bangtou").get("/screen/", {"node": LICHENG}), 404)
    assert login("county").get("/screen/").status_code == 200


def test_bulletin_pages(login, case, people, django_capture_on_commit_callbacks):
    from gridsafe.core.models import Job, JobStatus
    from gridsafe.dashboards.models import Bulletin

    county = login("county")
    with django_capture_on_commit_callbacks(execute=True):  # the immediate backend runs the job on commit
        response = county.post("/bulletins/generate/", {"kind": "monthly", "period": "2026-10"})
    # 生成 is a background job: the button leads to its progress page, which links to the bulletin when done.
    job = Job.objects.get(kind="bulletins.generate")
    assert response.status_code == 302 and response["Location"] == f"/downloads/{job.pk}/"
    bulletin = Bulletin.objects.get()
    assert (job.status, job.label, job.params["bulletin"]) == (JobStatus.DONE, "月度通报生成：2026年10月", bulletin.pk)
    progress = _page(county.get(f"/downloads/{job.pk}/"))
    assert 'data-percent="100"' in progress and f'href="/bulletins/{bulletin.pk}/"' in progress
    Document(io.BytesIO(b"".join(county.get(f"/downloads/{job.pk}/file/").streaming_content)))
    # The 消息 speaks of a generated bulletin, not of exported rows.
    note = Notification.objects.get(user=people["county"], kind=NotificationKind.DOWNLOAD)
    assert note.title == "已完成：月度通报生成：2026年10月" and note.body.startswith("通报已生成，排名含 ")
    assert "行" not in note.body
    html = _page(county.get("/bulletins/"))
    assert "月度通报（2026年10月）" in html
    docx = county.get(f"/bulletins/{bulletin.pk}/docx/")
    assert docx.status_code == 200
    Document(io.BytesIO(b"".join(docx.streaming_content)))
    assert county.get(f"/bulletins/{bulletin.pk}/xlsx/").status_code == 200
    assert login("bangtou").get(f"/bulletins/{bulletin.pk}/docx/").status_code == 200
    _page(login("nanxi_worker").get(f"/bulletins/{bulletin.pk}/docx/"), 404)
    # Only county centre staff and leaders generate; the others get 404, not a form.
    assert login("bangtou").post("/bulletins/generate/", {"kind": "monthly", "period": "2026-10"}).status_code == 404
    _page(login("county").post("/bulletins/generate/", {"kind": "monthly", "period": "2026-Q3"}), 422)
    assert Job.objects.count() == 1  # neither the refused nor the wrong request queued a job


def test_inspection_pages(login, people, settings, tmp_path):
    bangtou = login("bangtou")
    html = _page(bangtou.get("/inspections/"))
    assert "落实情况" in html
    _page(bangtou.get("/inspections/new/"))
    grid = Region.objects.filter(level=4, path__startswith="350322.101.").order_by("code").first()
    response = bangtou.post(
        "/inspections/new/",
        {
            "kind": "inspection",
            "region": BANGTOU,
            "title": "镇长带队检查南溪村出租房",
            "held_at": "2026-11-02T09:30",
            "leader_name": "李镇长",
            "grids": [grid.code],
            "attendees": "安监站、村建站",
            "minutes": "检查出租房 12 户",
            "photo": jpeg_upload(),
        },
    )
    assert response.status_code == 302, response.content[:800]
    activity = LeaderActivity.objects.get()
    assert activity.photos.count() == 1 and list(activity.grids.all()) == [grid]
    detail = f"/inspections/{activity.pk}/"
    _page(bangtou.get(detail))
    response = bangtou.post(
        detail,
        {
            "category": people["fire"].unit.domains.first().categories.first().pk,
            "grid": grid.code,
            "description": "楼道堆放杂物",
        },
    )
    assert response.status_code == 200
    case = activity.findings.get()
    assert case.source == "leader" and case.region_id == grid.pk
    photo = activity.photos.get()
    assert bangtou.get(f"/inspections/photos/{photo.pk}/").status_code == 200
    _page(login("quanshan").get(detail), 404)
    assert login("bangtou").get("/inspections/", {"node": LICHENG}).status_code == 404
    assert login("licheng_worker").get(f"/inspections/photos/{photo.pk}/").status_code == 404


def test_report_pages(login, people):
    bangtou = login("bangtou")
    _page(bangtou.get("/reports/new/"))
    response = bangtou.post(
        "/reports/new/", {"title": "榜头镇网格化工作经验", "summary": "镇村二级网格", "file": jpeg_upload()}
    )
    assert response.status_code == 302, response.content[:500]
    report = InfoReport.objects.get()
    html = _page(bangtou.get("/reports/"))
    assert "榜头镇网格化工作经验" in html and "榜头镇网格化中心</td><td>1</td>" in html
    assert bangtou.get(f"/reports/{report.pk}/file/").status_code == 200
    assert login("county").get(f"/reports/{report.pk}/file/").status_code == 200
    assert login("quanshan").get(f"/reports/{report.pk}/file/").status_code == 404


def test_archive_download(login, people, case):
    bangtou = login("bangtou")
    html = _page(bangtou.get("/dashboards/archives/"))
    assert f"r:{BANGTOU}" in html
    bangtou.post("/reports/new/", {"title": "信息一", "file": jpeg_upload()})
    response = bangtou.get("/dashboards/archives/download/", {"target": f"r:{BANGTOU}", "period": "2026"})
    assert response.status_code == 200 and response["Content-Type"] == "application/zip"
    archive = zipfile.ZipFile(io.BytesIO(b"".join(response.streaming_content)))
    names = archive.namelist()
    assert "目录.docx" in names and any(n.startswith("信息材料/") for n in names)
    index = Document(io.BytesIO(archive.read("目录.docx")))
    assert "榜头镇工作档案" in index.paragraphs[0].text
    assert (
        bangtou.get("/dashboards/archives/download/", {"target": f"r:{LICHENG}", "period": "2026"}).status_code == 404
    )
    safety = Unit.objects.get(code=f"safety-{BANGTOU}")
    assert (
        bangtou.get("/dashboards/archives/download/", {"target": f"u:{safety.pk}", "period": "2026"}).status_code == 200
    )
    fire = people["fire"].unit_id
    assert bangtou.get("/dashboards/archives/download/", {"target": f"u:{fire}", "period": "2026"}).status_code == 404


def test_downloads_are_audited_with_the_forwarded_client_address(
    login, people, case, settings, django_capture_on_commit_callbacks
):
    """Bulletins, 信息材料 files and work archives are exports: each download writes an audit row naming who, what
    and the client's address (behind one trusted proxy, from X-Forwarded-For, not the proxy's 127.0.0.1)."""
    from gridsafe.core.models import AuditEvent
    from gridsafe.dashboards.models import Bulletin

    settings.GRIDSAFE_PROXY_COUNT = 1
    proxied = {"headers": {"X-Forwarded-For": "203.0.113.7"}, "REMOTE_ADDR": "127.0.0.1"}

    def row(action, target):
        audit = AuditEvent.objects.get(action=action, target=target)
        assert audit.ip == "203.0.113.7" and audit.outcome == "success", (action, audit.ip)
        return audit

    county = login("county")
    with django_capture_on_commit_callbacks(execute=True):
        county.post("/bulletins/generate/", {"kind": "monthly", "period": "2026-10"}, **proxied)
    bulletin = Bulletin.objects.get()
    assert row("bulletin.generate", f"bulletin:{bulletin.pk}").actor_id == people["county"].pk
    response = county.get(f"/bulletins/{bulletin.pk}/xlsx/", **proxied)
    assert response.status_code == 200
    assert row("bulletin.download", f"bulletin:{bulletin.pk}").actor_id == people["county"].pk

    bangtou = login("bangtou")
    bangtou.post("/reports/new/", {"title": "榜头镇网格化工作经验", "file": jpeg_upload()})
    report = InfoReport.objects.get()
    response = bangtou.get(f"/reports/{report.pk}/file/", **proxied)
    assert response.status_code == 200 and "attachment;" in response["Content-Disposition"]
    audit = row("inforeport.download", f"inforeport:{report.pk}")
    assert audit.actor_id == people["bangtou"].pk and audit.payload["unit"] == report.unit_id
    assert login("quanshan").get(f"/reports/{report.pk}/file/", **proxied).status_code == 404
    assert AuditEvent.objects.filter(action="inforeport.download").count() == 1  # a refused download is no export

    bangtou = login("bangtou")
    response = bangtou.get("/dashboards/archives/download/", {"target": f"r:{BANGTOU}", "period": "2026"}, **proxied)
    assert response.status_code == 200
    b"".join(response.streaming_content)
    assert row("archive.export", f"r:{BANGTOU}").actor_id == people["bangtou"].pk
