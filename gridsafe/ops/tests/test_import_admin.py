"""数据导入 in the admin: upload → check → preview of problems and changes → confirm → imported; the marked-up
report and the templates download; only the 系统管理员 opens it."""

import io

import pytest
from django.urls import reverse
from openpyxl import load_workbook

from gridsafe.accounts.importer import PEOPLE
from gridsafe.accounts.models import Role, User
from gridsafe.accounts.tests.test_importer import _person, xlsx
from gridsafe.core.models import AuditEvent
from gridsafe.ops.models import ImportRun, ImportStatus


def _staff(username: str, role: str) -> User:
    user = User(username=username, display_name=username, role=role, is_staff=True)
    user.set_unusable_password()
    user.save()
    return user


@pytest.fixture
def sysadmin(client):
    user = _staff("sys-imports", Role.SYSTEM_ADMIN)
    client.force_login(user)
    return user


def _upload(client, data: bytes, name="people.xlsx", kind="people", capture=None):
    upload = io.BytesIO(data)
    upload.name = name
    with capture(execute=True):
        return client.post(reverse("admin:ops_importrun_add"), {"kind": kind, "file": upload})


@pytest.mark.django_db
def test_upload_preview_confirm(client, sysadmin, django_capture_on_commit_callbacks):
    page = client.get(reverse("admin:ops_importrun_add"))
    assert page.status_code == 200 and "上传并检查" in page.content.decode()
    response = _upload(client, xlsx((PEOPLE, [_person()])), capture=django_capture_on_commit_callbacks)
    run = ImportRun.objects.get()
    assert response.status_code == 302 and response["Location"].endswith(f"/{run.pk}/change/")
    assert run.status == ImportStatus.CHECKED and run.created_by == sysadmin
    assert not User.objects.filter(username="imp_a").exists()  # checked, not written
    preview = client.get(response["Location"]).content.decode()
    assert "将要写入的变更（预览）" in preview and "imp_a" in preview and "确认导入" in preview
    with django_capture_on_commit_callbacks(execute=True):
        confirmed = client.post(reverse("admin:ops_importrun_confirm", args=[run.pk]))
    assert confirmed.status_code == 302
    run.refresh_from_db()
    assert run.status == ImportStatus.DONE
    assert User.objects.filter(username="imp_a").exists()
    event = AuditEvent.objects.filter(action="import.people").latest("seq")
    assert event.actor_id == sysadmin.pk
    done = client.get(response["Location"]).content.decode()
    assert "已写入的变更" in done and "确认导入" not in done
    progress = client.get(reverse("admin:ops_importrun_progress", args=[run.pk])).json()
    assert progress["status"] == "done" and not progress["busy"]
    # A second confirmation does nothing.
    with django_capture_on_commit_callbacks(execute=True):
        client.post(reverse("admin:ops_importrun_confirm", args=[run.pk]))
    assert User.objects.filter(username="imp_a").count() == 1


@pytest.mark.django_db
def test_problems_are_shown_and_downloadable_and_cannot_be_confirmed(
    client, sysadmin, django_capture_on_commit_callbacks
):
    response = _upload(client, xlsx((PEOPLE, [_person(phone="12")])), capture=django_capture_on_commit_callbacks)
    run = ImportRun.objects.get()
    assert run.status == ImportStatus.REJECTED
    page = client.get(response["Location"]).content.decode()
    assert "手机号" in page and "下载标注了问题的文件" in page and "确认导入" not in page
    marked = client.get(reverse("admin:ops_importrun_report", args=[run.pk]))
    sheet = load_workbook(io.BytesIO(marked.content))["导入问题"]
    assert (sheet["A2"].value, sheet["B2"].value, sheet["C2"].value) == ("人员", 2, "手机号")
    with django_capture_on_commit_callbacks(execute=True):
        client.post(reverse("admin:ops_importrun_confirm", args=[run.pk]))
    assert not User.objects.filter(username="imp_a").exists()


@pytest.mark.django_db
def test_wrong_file_type_and_unreadable_file(client, sysadmin, django_capture_on_commit_callbacks):
    page = _upload(client, b"a,b", name="people.csv", capture=django_capture_on_commit_callbacks)
    assert page.status_code == 200 and "需要 .xlsx 文件" in page.content.decode()
    _upload(client, b"not a workbook", capture=django_capture_on_commit_callbacks)
    run = ImportRun.objects.get()
    assert run.status == ImportStatus.FAILED and "无法读取文件" in run.report["error"]


@pytest.mark.django_db
@pytest.mark.parametrize("kind", ["units", "people", "teams", "places"])
def test_templates_download(client, sysadmin, kind):
    response = client.get(reverse("admin:ops_importrun_template", args=[kind]))
    assert response.status_code == 200
    assert load_workbook(io.BytesIO(response.content)).sheetnames


@pytest.mark.django_db
@pytest.mark.parametrize("role", [Role.AUDIT_ADMIN, Role.SECURITY_ADMIN, Role.CENTRE_OPERATOR])
def test_only_the_system_administrator_imports(client, role):
    client.force_login(_staff(f"x-{role}", role))
    assert client.get(reverse("admin:ops_importrun_add")).status_code in (302, 403)
