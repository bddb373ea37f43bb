"""End to end in real headless Chromium: 王芳 logs in, walks a patrol with a checklist that fails an item, goes
offline, takes a quick report with a photo, comes back online, and the server holds both hazards exactly once."""

import io
import re

import pytest
from PIL import Image, ImageDraw

pytestmark = pytest.mark.browser

NETWORK_NOISE = re.compile(r"net::ERR_INTERNET_DISCONNECTED|Failed to fetch|Failed to load resource")


def photo(color=(180, 60, 40), size=(1800, 1350)) -> bytes:
    """A large phone-like photo, so the app's downscaling has something to do."""
    image = Image.new("RGB", size, color)
    draw = ImageDraw.Draw(image)
    for x in range(0, size[0], 120):
        draw.line([(x, 0), (x, size[1])], fill=(240, 240, 240), width=6)
    out = io.BytesIO()
    image.save(out, "JPEG", quality=92)
    return out.getvalue()


def login(page, base_url, username):
    page.goto(f"{base_url}/m/", wait_until="domcontentloaded", timeout=60_000)
    if "/login/" in page.url:
        page.fill("input[name=username]", username)
        page.fill("input[name=password]", "gridsafe-demo")
        page.click("button[type=submit]", no_wait_after=True)
    page.wait_for_url(re.compile(r"/m/(#.*)?$"), wait_until="domcontentloaded", timeout=60_000)


def wait_images(page, selector, timeout=15):
    """Every image matched has loaded (polled with evaluate, which the page's CSP allows)."""
    import time

    deadline = time.monotonic() + timeout
    script = "els => els.every(img => img.complete && img.naturalWidth > 0)"
    while not page.eval_on_selector_all(selector, script):
        assert time.monotonic() < deadline, f"images did not load: {selector}"
        time.sleep(0.1)


def wait_for_db(check, timeout=30):
    """Poll the database until `check()` is true: the outbox sends in the background, after the click returned."""
    import time

    deadline = time.monotonic() + timeout
    while not check():
        assert time.monotonic() < deadline, "the server did not receive the record in time"
        time.sleep(0.2)


def wait_synced(page, timeout=30_000):
    # Selectors, not wait_for_function: the page's CSP forbids the eval that wait_for_function needs.
    page.wait_for_selector("body[data-pending='0']", state="attached", timeout=timeout)


def test_patrol_checklist_offline_quick_report_then_sync(committed_world, pwa_server, browser_page):
    from gridsafe.cases.models import Attachment, Case
    from gridsafe.field.demo import seed_field_demo
    from gridsafe.field.models import FieldPhoto, Patrol, PlaceVisit

    seed_field_demo()
    worker = committed_world["nanxi_worker"]
    grid = worker.grids.order_by("code").first()
    page = browser_page
    context = page.context
    page.set_viewport_size({"width": 390, "height": 844})
    context.grant_permissions(["geolocation"], origin=pwa_server)
    context.set_geolocation({"latitude": grid.center_lat, "longitude": grid.center_lon, "accuracy": 8})
    before = set(Case.objects.values_list("pk", flat=True))

    login(page, pwa_server, "nanxi_worker")
    page.wait_for_selector("#app[data-ready='1']")
    page.wait_for_selector("body[data-bundle]", state="attached")
    lpg_id = page.evaluate(
        "code => window.GridsafeField.state.bundle.places.find(p => p.grid_code === code && p.kind === 'lpg_point').id",
        grid.code,
    )

    # 巡查: start, check in at the LPG point, fail L02 (cylinders out of inspection) with a photo, submit, end.
    page.click("a[data-tab=patrol]")
    page.click("#patrol-start")
    page.click(f"a[data-place='{lpg_id}']")
    page.wait_for_selector(".item[data-code=L02]")
    for code in page.eval_on_selector_all(".item", "els => els.map(e => e.dataset.code)"):
        page.click(f".item[data-code={code}] button[data-answer={'fail' if code == 'L02' else 'pass'}]")
    page.fill(".item[data-code=L02] textarea.desc", "店内 3 只钢瓶超期未检")
    page.set_input_files(
        ".item[data-code=L02] input[type=file]", {"name": "l02.jpg", "mimeType": "image/jpeg", "buffer": photo()}
    )
    page.wait_for_selector(".item[data-code=L02] .thumbs img")
    page.screenshot(path="/tmp/field_checklist.png", full_page=True)
    page.click("#visit-submit")
    page.wait_for_selector("#patrol-end")
    wait_synced(page)
    assert not page.is_checked("#nothing-found")  # a hazard was found: not "已巡查无隐患"
    assert "计入覆盖需网格内 ≥20 分钟且 ≥500 米" in page.text_content("#patrol-progress")
    warned = []  # a walk of a minute falls short of the county's rule: the worker is told before ending it
    page.once("dialog", lambda dialog: (warned.append(dialog.message), dialog.accept()))
    page.click("#patrol-end")
    page.wait_for_url(re.compile(r"#week$"))  # the end is in the outbox
    assert warned and "不计入本周巡查覆盖" in warned[0]
    wait_synced(page)

    # 随手拍, offline: the record and its photo wait in the outbox.
    context.set_offline(True)
    page.click("a[data-tab=snap]")
    page.set_input_files(
        "#app input[type=file]", {"name": "snap.jpg", "mimeType": "image/jpeg", "buffer": photo((40, 90, 160))}
    )
    page.wait_for_selector("#app .thumbs img")
    page.fill("#cat-search", "充电")
    page.click(".pick[data-code=fire-ebike-indoor]")
    page.fill("#snap-desc", "3 号楼楼道内有电动车充电，飞线从窗户拉出")
    page.screenshot(path="/tmp/field_snap.png", full_page=True)
    page.click("#snap-next")
    page.wait_for_selector("body[data-pending='1']", state="attached")
    assert page.text_content("#net") == "离线"
    assert "待上传 1" in page.text_content("#outbox-chip")
    assert Case.objects.exclude(pk__in=before).count() == 1  # nothing reached the server yet

    context.set_offline(False)
    wait_synced(page)

    new = Case.objects.exclude(pk__in=before).order_by("pk")
    assert new.count() == 2
    from_visit = new.get(source="patrol")
    assert from_visit.category.code == "lpg-no-inspection" and from_visit.place_id == lpg_id
    assert from_visit.checklist_answers["item"]["code"] == "L02"
    assert from_visit.description == "店内 3 只钢瓶超期未检"
    quick = new.get(source="grid_worker")
    assert quick.category.code == "fire-ebike-indoor" and quick.reporter == worker
    assert quick.gps_accuracy_m == 8 and "outside_own_grid" not in quick.location_flags
    for case in (from_visit, quick):
        attachments = Attachment.objects.filter(case=case)
        assert attachments.count() == 1, case
        assert max(attachments[0].width, attachments[0].height) == 1600  # downscaled on the phone
        assert FieldPhoto.objects.filter(attachment=attachments[0]).exists()
    visit = PlaceVisit.objects.get(place_id=lpg_id, result="hazards")
    assert visit.case_ids == {"L02": from_visit.pk}
    patrol = Patrol.objects.filter(worker=worker).order_by("-started_at").first()
    assert patrol.status == "ended" and patrol.nothing_found is False and patrol.point_count >= 1
    assert visit.patrol_id == patrol.pk

    page.click("a[data-tab=week]")
    page.locator("#app").get_by_text("店内 3 只钢瓶超期未检").wait_for()
    page.locator("#app").get_by_text("飞线从窗户拉出").wait_for()
    page.screenshot(path="/tmp/field.png", full_page=True)
    errors = [e for e in page.console_errors if not NETWORK_NOISE.search(e)]
    assert errors == []


def test_verify_returned_place_conflict_and_publicity_screens(committed_world, pwa_server, browser_page):
    import uuid

    from django.core.files.uploadedfile import SimpleUploadedFile

    from gridsafe.cases.models import Case
    from gridsafe.cases.services import attachment_add, case_assign, case_report, case_submit, case_void
    from gridsafe.field.demo import seed_field_demo
    from gridsafe.field.models import PublicityActivity
    from gridsafe.places.models import Place
    from gridsafe.places.services import place_update

    seed_field_demo()
    worker, station = committed_world["nanxi_worker"], committed_world["nanxi"]
    grid = worker.grids.order_by("code").first()
    at = dict(lon=grid.center_lon, lat=grid.center_lat)
    # A rectified case waiting for 核查, and a report the station voided with a comment.
    case, _ = case_report(
        actor=worker, client_id=uuid.uuid4(), category_code="fire-ebike-indoor", description="楼道内电动车充电", **at
    )
    attachment_add(
        case=case,
        actor=worker,
        client_id=uuid.uuid4(),
        role="report",
        upload=SimpleUploadedFile("b.jpg", photo((200, 60, 60), (800, 600)), content_type="image/jpeg"),
    )
    case = case_assign(case=case, actor=station, expected_version=case.version, request_id=uuid.uuid4())
    after, _ = attachment_add(
        case=case,
        actor=station,
        client_id=uuid.uuid4(),
        role="after",
        upload=SimpleUploadedFile("a.jpg", photo((60, 160, 60), (800, 600)), content_type="image/jpeg"),
    )
    case = case_submit(
        case=case,
        actor=station,
        expected_version=case.version,
        request_id=uuid.uuid4(),
        method="rectified",
        measures="已设置集中充电点",
        attachment_ids=[after.pk],
    )
    voided, _ = case_report(
        actor=worker, client_id=uuid.uuid4(), category_code="fire-escape-blocked", description="门口堆放纸箱", **at
    )
    case_void(
        case=voided,
        actor=station,
        expected_version=voided.version,
        request_id=uuid.uuid4(),
        reason_code="not_hazard",
        reason="纸箱已当场清走，不构成隐患",
    )

    page = browser_page
    page.set_viewport_size({"width": 390, "height": 844})
    page.context.grant_permissions(["geolocation"], origin=pwa_server)
    page.context.set_geolocation({"latitude": grid.center_lat, "longitude": grid.center_lon, "accuracy": 10})
    login(page, pwa_server, "nanxi_worker")
    page.wait_for_selector("body[data-bundle]", state="attached")

    # 复查: before and after side by side, pass.
    page.click("a[data-tab=verify]")
    page.wait_for_selector(f"button[data-pass='{case.pk}']")
    assert page.locator(".pair img").count() == 2
    wait_images(page, ".pair img")
    page.screenshot(path="/tmp/field_verify.png", full_page=True)
    page.click(f"button[data-pass='{case.pk}']")
    wait_for_db(lambda: Case.objects.get(pk=case.pk).state == "closed")
    wait_synced(page)
    # Uploaded: the screen no longer says "等待上传" (it used to until the worker left it).
    page.wait_for_selector("#verify-waiting", state="detached", timeout=5_000)
    assert "等待上传" not in page.locator("#app").inner_text()
    case.refresh_from_db()
    assert (case.state, case.closure) == ("closed", "resolved")

    # 退回: the reviewer's comment, and a new report prefilled from the voided one.
    page.click("a[data-tab=returned]")
    page.locator("#app").get_by_text("纸箱已当场清走，不构成隐患").wait_for()
    page.click(f"button[data-resubmit='{voided.pk}']")
    assert page.input_value("#snap-desc") == "门口堆放纸箱"

    # 监管对象: my offline-style edit of a place someone changed meanwhile is refused, then kept on my decision.
    place = Place.objects.filter(region=grid, kind="lpg_point").first()
    theirs = "orange" if place.risk_level == "red" else "red"  # a real change, whatever the imported level is
    place_update(
        actor=station, place=place, request_id=uuid.uuid4(), base_version=place.version, changes={"risk_level": theirs}
    )
    page.click("a[data-tab=places]")
    page.click(f"a[href='#places/{place.pk}']")
    page.select_option("#place-risk_level", "blue")
    page.click("#place-save")
    page.wait_for_selector("body[data-refused='1']", state="attached")
    page.click("#outbox-chip")
    page.wait_for_selector("table.diff")
    assert "risk_level" in page.text_content("table.diff")
    page.click("button[data-overwrite]")
    wait_synced(page)
    place.refresh_from_db()
    assert (place.risk_level, place.version) == ("blue", 3)

    # 宣传: a record with a photo.
    page.click("a[data-tab=publicity]")
    page.fill("#pub-title", "冬季防火入户宣传")
    page.fill("#pub-head_count", "25")
    page.set_input_files("#app input[type=file]", {"name": "pub.jpg", "mimeType": "image/jpeg", "buffer": photo()})
    page.wait_for_selector("#app .thumbs img")
    page.click("#pub-save")
    wait_for_db(lambda: PublicityActivity.objects.filter(worker=worker, photos__isnull=False).exists())
    wait_synced(page)
    activity = PublicityActivity.objects.get(worker=worker, title="冬季防火入户宣传")
    assert activity.head_count == 25 and activity.photos.count() == 1
    assert Case.objects.filter(reporter=worker).count() == 2
    errors = [e for e in page.console_errors if not NETWORK_NOISE.search(e)]
    assert errors == []
