"""检查表配置 pages with the Django test client: who gets the editor (and the menu entry), writing a draft with
htmx, problems shown on their row, publish → frozen → revise, the phone preview, and XLSX export/import round trip
with bad rows reported by row and column."""

import io

import pytest
from openpyxl import load_workbook

from gridsafe.catalog.models import Domain
from gridsafe.field.checklists.services import ItemSpec, checklist_draft_create, checklist_publish
from gridsafe.field.demo import _seed_checklists
from gridsafe.field.models import ChecklistStatus, ChecklistTemplate

HTMX = {"HX-Request": "true"}


@pytest.fixture
def as_user(client, people):
    def login(name):
        client.force_login(people[name])
        return client

    return login


@pytest.fixture
def draft(people):
    return checklist_draft_create(
        actor=people["county_lead"],
        domain=Domain.objects.get(code="lpg"),
        place_kind="other",
        title="其他液化气场所检查表",
        items=[
            ItemSpec("P01", "钢瓶均在检验有效期内", "lpg-no-inspection", legal_basis="TSG 23-2021", weight=2),
            ItemSpec(
                "P02",
                "钢瓶未存放于地下室",
                "lpg-basement",
                severity="possibly_major",
                legal_basis="《城镇燃气经营安全重大隐患判定标准》第六条",
                na_allowed=True,
                photo_required_on_fail=False,
            ),
        ],
    )


def editor_post(draft, rows, **extra):
    """The items form as the page posts it: one `row` key per row, its fields suffixed with the key."""
    data = {"revision": draft.revision, "row": [], **extra}
    for key, row in rows:
        data["row"].append(key)
        for name, value in row.items():
            data[f"{name}_{key}"] = value
    return data


def test_only_the_configuration_roles_get_the_editor_and_its_menu_entry(as_user, draft):
    urls = [
        "/config/checklists/",
        "/config/checklists/new/",
        "/config/checklists/template.xlsx",
        f"/config/checklists/{draft.pk}/",
        f"/config/checklists/{draft.pk}/preview/",
        f"/config/checklists/{draft.pk}/export.xlsx",
    ]
    for name in ("nanxi_worker", "bangtou_lead", "county", "fire_lead", "leader"):
        client = as_user(name)
        for url in urls:
            assert client.get(url).status_code == 404, (name, url)
        assert client.post(f"/config/checklists/{draft.pk}/publish/", {"revision": draft.revision}).status_code == 404
        assert "检查表配置" not in client.get("/").content.decode()
    ChecklistTemplate.objects.get(pk=draft.pk, status=ChecklistStatus.DRAFT)  # nobody published it
    for name in ("county_lead", "admin"):
        client = as_user(name)
        home = client.get("/").content.decode()
        assert 'id="nav-checklists"' in home and "检查表配置" in home
        for url in urls:
            assert client.get(url).status_code == 200, (name, url)


def test_the_list_shows_every_checklist_with_its_current_version(as_user, people, draft):
    _seed_checklists()
    page = as_user("county_lead").get("/config/checklists/").content.decode()
    assert "人员密集场所/三合一场所消防检查表" in page and "第 3 版" in page  # two earlier versions in the demo
    assert "液化气供应点检查表" in page and "第 1 版草稿" in page  # the draft of the fixture


def test_write_a_draft_with_htmx_then_publish_and_it_is_frozen(as_user, draft):
    client = as_user("county_lead")
    page = client.get(f"/config/checklists/{draft.pk}/").content.decode()
    assert 'id="items-form"' in page and "发布第 1 版" in page and "钢瓶均在检验有效期内" in page

    row = client.get(f"/config/checklists/{draft.pk}/items/row/", headers=HTMX).content.decode()
    assert row.startswith('<tr class="cl-row"') and 'name="row"' in row

    # A bad save: problems on their rows, nothing written.
    bad = editor_post(
        draft,
        [
            ("a", {"code": "P01", "question": "钢瓶均在检验有效期内", "category": "lpg-no-inspection", "weight": "2"}),
            ("b", {"code": "P01", "question": "", "category": "", "severity": "possibly_major", "weight": "x"}),
        ],
    )
    response = client.post(f"/config/checklists/{draft.pk}/items/", bad, headers=HTMX)
    assert response.status_code == 422
    html = response.content.decode()
    assert 'data-row="b"' in html and "与第 1 项重复" in html and "权重应为整数" in html
    assert [i.code for i in draft.items.all()] == ["P01", "P02"]

    # A good save: P02 first, P01 changed, P03 added, the old P02 fields kept.
    good = editor_post(
        draft,
        [
            (
                "x",
                {
                    "code": "P02",
                    "question": "钢瓶未存放于地下室",
                    "category": "lpg-basement",
                    "severity": "possibly_major",
                    "basis": "《城镇燃气经营安全重大隐患判定标准》第六条",
                    "na": "1",
                    "weight": "3",
                },
            ),
            (
                "y",
                {
                    "code": "P01",
                    "question": "钢瓶检验合格",
                    "category": "lpg-no-inspection",
                    "photo": "1",
                    "weight": "2",
                },
            ),
            (
                "z",
                {"code": "P03", "question": "有灭火器", "category": "fire-extinguisher", "photo": "1", "weight": "1"},
            ),
            ("gone", {"code": "P09", "question": "删掉的", "category": "fire-extinguisher", "weight": "1"}),
        ],
        delete=["gone"],
    )
    response = client.post(f"/config/checklists/{draft.pk}/items/", good, headers=HTMX)
    assert response.status_code == 200, response.content.decode()
    assert "已保存 3 个检查项" in response.content.decode()
    items = list(draft.items.all())
    assert [(i.code, i.weight, i.na_allowed, i.photo_required_on_fail) for i in items] == [
        ("P02", 3, True, False),
        ("P01", 2, False, True),
        ("P03", 1, False, True),
    ]
    draft.refresh_from_db()
    stale = client.post(f"/config/checklists/{draft.pk}/publish/", {"revision": draft.revision - 1})
    assert stale.status_code == 409  # the page was older than the last save

    published = client.post(f"/config/checklists/{draft.pk}/publish/", {"revision": draft.revision})
    assert published.status_code == 302
    draft.refresh_from_db()
    assert draft.status == ChecklistStatus.PUBLISHED and draft.active
    page = client.get(f"/config/checklists/{draft.pk}/").content.decode()
    assert 'id="items-form"' not in page and 'id="cl-revise"' in page and "已发布" in page

    # The published version refuses the editor (the page no longer offers it; a replayed post is 409).
    replay = client.post(f"/config/checklists/{draft.pk}/items/", {**good, "revision": draft.revision}, headers=HTMX)
    assert replay.status_code == 409 and "不能修改" in replay.content.decode()

    # 修订: a new draft version, a copy of the published items.
    revised = client.post(f"/config/checklists/{draft.pk}/revise/")
    v2 = ChecklistTemplate.objects.get(domain=draft.domain, place_kind="other", version=2)
    assert revised["Location"] == f"/config/checklists/{v2.pk}/" and v2.status == ChecklistStatus.DRAFT
    assert [i.code for i in v2.items.all()] == ["P02", "P01", "P03"]
    again = client.post(f"/config/checklists/{draft.pk}/revise/")  # a second click opens the same draft
    assert again["Location"] == f"/config/checklists/{v2.pk}/"


def test_new_checklist_page_creates_a_draft(as_user):
    client = as_user("admin")
    response = client.post(
        "/config/checklists/new/",
        {"domain": Domain.objects.get(code="lpg").pk, "place_kind": "other", "title": "新检查表", "source": ""},
    )
    template = ChecklistTemplate.objects.get(title="新检查表")
    assert response.status_code == 302 and template.status == ChecklistStatus.DRAFT and template.version == 1


def test_preview_draws_the_items_as_the_phone_does(as_user, draft):
    client = as_user("county_lead")
    html = client.get(f"/config/checklists/{draft.pk}/preview/").content.decode()
    assert "field/app.css" in html  # the field app's own stylesheet
    p01 = html[html.index('data-code="P01"') : html.index('data-code="P02"')]
    assert "<b>P01 </b>钢瓶均在检验有效期内" in p01 and '<span class="tag">一般</span>' in p01
    assert '<span class="tag grey">不合格须拍照</span>' in p01 and "依据：TSG 23-2021" in p01
    assert 'data-answer="na"' not in p01  # N/A not allowed: two buttons, as on the phone
    p02 = html[html.index('data-code="P02"') :]
    assert '<span class="tag red">可能重大</span>' in p02 and "不合格须拍照" not in p02.split("</div>")[1]
    assert 'data-answer="na"' in p02.split('class="item"')[0]


def test_preview_leaves_out_items_that_do_not_apply_to_the_kind(as_user, people):
    _seed_checklists()
    fire = ChecklistTemplate.objects.get(domain__code="fire", place_kind="", active=True)
    draft = checklist_draft_create(actor=people["county_lead"], from_version=fire)
    from gridsafe.field.checklists.services import checklist_items_save, item_spec_of

    specs = [item_spec_of(i) for i in draft.items.select_related("category")]
    specs[0] = ItemSpec(**{**specs[0].__dict__, "applies_to": ("crowded_place",)})
    draft = checklist_items_save(actor=people["county_lead"], template=draft, items=specs, expected_revision=1)
    client = as_user("county_lead")
    first = specs[0].code
    assert (
        f'data-code="{first}"'
        in client.get(f"/config/checklists/{draft.pk}/preview/?kind=crowded_place").content.decode()
    )
    assert (
        f'data-code="{first}"'
        not in client.get(f"/config/checklists/{draft.pk}/preview/?kind=lpg_point").content.decode()
    )


def test_xlsx_round_trip_into_a_new_version(as_user, people, draft):
    client = as_user("county_lead")
    lead = people["county_lead"]
    v1 = checklist_publish(actor=lead, template=draft, expected_revision=draft.revision)
    exported = client.get(f"/config/checklists/{v1.pk}/export.xlsx")
    assert exported.status_code == 200 and exported["Content-Type"].startswith("application/vnd.openxmlformats")
    wb = load_workbook(io.BytesIO(exported.content))
    ws = wb["检查项"]
    assert [c.value for c in ws[1]][:3] == ["编号", "检查内容", "隐患类别"]
    assert ws["A2"].value == "P01" and ws["D3"].value == "可能重大" and ws["H3"].value == "是"
    assert wb["说明"]["B4"].value == "第 1 版"

    v2 = checklist_draft_create(actor=lead, from_version=v1)
    ws["B2"] = "钢瓶均在检验有效期内（含备用瓶）"
    ws.append(["P03", "店内配有灭火器", "消防器材缺失或过期（fire-extinguisher）", "一般", "", "", "是", "否", 1])
    out = io.BytesIO()
    wb.save(out)
    upload = io.BytesIO(out.getvalue())
    upload.name = "checklist.xlsx"
    checked = client.post(
        f"/config/checklists/{v2.pk}/import/", {"file": upload, "action": "check", "revision": v2.revision}
    )
    assert checked.status_code == 200 and "文件检查通过" in checked.content.decode()
    assert v2.items.count() == 2  # a check writes nothing
    upload.seek(0)
    imported = client.post(
        f"/config/checklists/{v2.pk}/import/", {"file": upload, "action": "import", "revision": v2.revision}
    )
    assert imported.status_code == 302, imported.content.decode()
    items = list(v2.items.select_related("category"))
    assert [i.code for i in items] == ["P01", "P02", "P03"]
    assert items[0].question == "钢瓶均在检验有效期内（含备用瓶）" and items[2].category.code == "fire-extinguisher"
    assert (items[1].severity, items[1].na_allowed, items[1].photo_required_on_fail) == ("possibly_major", True, False)
    assert [i.question for i in v1.items.all()][0] == "钢瓶均在检验有效期内"  # v1 untouched


def test_bad_xlsx_rows_are_reported_by_row_and_column(as_user, draft):
    client = as_user("county_lead")
    template = client.get("/config/checklists/template.xlsx")
    wb = load_workbook(io.BytesIO(template.content))
    ws = wb["检查项"]
    assert ws["A2"].value.startswith("示例")  # the example row, skipped on import
    ws.append(["B01", "第一项", "不存在的类别", "一般", "", "", "是", "否", 1])
    ws.append(["B01", "", "消防器材缺失或过期（fire-extinguisher）", "严重", "", "城堡", "也许", "否", "很多"])
    ws.append(["B03", "重大但无依据", "fire-extinguisher", "可能重大", "", "", "是", "否", 1])
    out = io.BytesIO()
    wb.save(out)
    upload = io.BytesIO(out.getvalue())
    upload.name = "bad.xlsx"
    response = client.post(
        f"/config/checklists/{draft.pk}/import/", {"file": upload, "action": "import", "revision": draft.revision}
    )
    assert response.status_code == 422
    html = response.content.decode()
    assert "未写入任何数据" in html
    for row, column in [
        (3, "隐患类别"),
        (4, "检查内容"),
        (4, "严重程度"),
        (4, "适用对象类型"),
        (4, "不合格须拍照"),
        (4, "权重"),
    ]:
        assert f"<td>第 {row} 行</td><td>{column}</td>" in html, (row, column)
    assert [i.code for i in draft.items.all()] == ["P01", "P02"]  # nothing written

    upload.seek(0)
    marked = client.post(f"/config/checklists/{draft.pk}/import/", {"file": upload, "action": "marked"})
    assert marked.status_code == 200
    marked_wb = load_workbook(io.BytesIO(marked.content))
    assert marked_wb.sheetnames[0] == "导入问题" and marked_wb["检查项"]["C3"].comment is not None

    # Cells that read well but break the checklist's rules: reported on the row of the item.
    wb2 = load_workbook(io.BytesIO(template.content))
    ws2 = wb2["检查项"]
    ws2.append(["C01", "第一项", "fire-extinguisher", "一般", "", "", "是", "否", 1])
    ws2.append(["C01", "重复编号", "fire-extinguisher", "可能重大", "", "", "是", "否", 1])
    out2 = io.BytesIO()
    wb2.save(out2)
    upload2 = io.BytesIO(out2.getvalue())
    upload2.name = "rules.xlsx"
    html = client.post(
        f"/config/checklists/{draft.pk}/import/", {"file": upload2, "action": "check", "revision": draft.revision}
    ).content.decode()
    assert "<td>第 4 行</td><td>编号</td>" in html and "<td>第 4 行</td><td>判定依据（标准及条款）</td>" in html


def test_new_checklist_from_an_xlsx_file_and_a_bad_file_writes_nothing(as_user):
    client = as_user("county_lead")
    wb = load_workbook(io.BytesIO(client.get("/config/checklists/template.xlsx").content))
    ws = wb["检查项"]
    ws.append(
        [
            "N01",
            "气瓶直立存放",
            "液化气钢瓶未检验或超期（lpg-no-inspection）",
            "一般",
            "",
            "液化气点、其他",
            "是",
            "否",
            2,
        ]
    )
    out = io.BytesIO()
    wb.save(out)
    good = io.BytesIO(out.getvalue())
    good.name = "new.xlsx"
    domain = Domain.objects.get(code="lpg").pk
    response = client.post(
        "/config/checklists/new/", {"domain": domain, "place_kind": "other", "title": "导入的检查表", "file": good}
    )
    assert response.status_code == 302
    template = ChecklistTemplate.objects.get(title="导入的检查表")
    item = template.items.get()
    assert (item.code, item.weight, item.applies_to) == ("N01", 2, ["lpg_point", "other"])

    bad = io.BytesIO(b"not a workbook")
    bad.name = "bad.xlsx"
    response = client.post(
        "/config/checklists/new/", {"domain": domain, "place_kind": "", "title": "坏文件", "file": bad}
    )
    assert response.status_code == 200 and "无法读取该文件" in response.content.decode()
    assert not ChecklistTemplate.objects.filter(title="坏文件").exists()


def test_draft_header_is_edited_and_a_stale_form_is_refused(as_user, draft):
    client = as_user("county_lead")
    form = {"title": "改名后的检查表", "source": "县应急局", "note": "首版", "revision": draft.revision}
    assert client.post(f"/config/checklists/{draft.pk}/header/", form).status_code == 302
    draft.refresh_from_db()
    assert (draft.title, draft.source, draft.note) == ("改名后的检查表", "县应急局", "首版")
    stale = client.post(f"/config/checklists/{draft.pk}/header/", {**form, "title": "又改", "revision": 1})
    assert stale.status_code == 409 and "刷新" in stale.content.decode()


def test_the_list_reads_in_a_fixed_number_of_queries(as_user, django_assert_max_num_queries):
    _seed_checklists()
    client = as_user("county_lead")
    client.get("/config/checklists/")  # warm the session and the reference caches
    with django_assert_max_num_queries(12):
        assert client.get("/config/checklists/").status_code == 200
