"""Exports of the filtered list: the same rows as the page, stable columns, the closure named, an audit row."""

import csv
import io

from openpyxl import load_workbook

from gridsafe.core.models import AuditEvent
from gridsafe.web.exports import EXPORT_COLUMNS
from gridsafe.web.tests.helpers import act, jpeg, new_case


def _closed_resolved(people):
    from uuid import uuid4

    from gridsafe.cases.services import attachment_add

    case = new_case(people["nanxi_worker"], description='=HYPERLINK("http://x")楼道堆放杂物')
    case = act(case, people["nanxi"], "assign")
    att, _ = attachment_add(case=case, actor=people["nanxi"], client_id=uuid4(), upload=jpeg(), role="after")
    case = act(case, people["nanxi"], "submit", method="rectified", measures="已清理", attachment_ids=[att.pk])
    return act(case, people["nanxi_worker"], "verify_pass", comment="已整改")


def _voided(people):
    case = new_case(people["nanxi_worker"], description="误报：已核实不是隐患")
    return act(case, people["nanxi"], "void", reason_code="not_hazard", reason="现场核实不是隐患")


def test_xlsx_has_the_filtered_rows_and_writes_an_audit_row(client, people):
    resolved, voided = _closed_resolved(people), _voided(people)
    open_case = new_case(people["nanxi_worker"])
    client.force_login(people["nanxi"])
    response = client.get("/cases/export.xlsx", {"state": "closed", "order": "oldest"})
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/vnd.openxmlformats")
    assert "attachment;" in response["Content-Disposition"]
    sheet = load_workbook(io.BytesIO(b"".join(response.streaming_content))).active
    rows = list(sheet.iter_rows(values_only=True))
    assert list(rows[0]) == EXPORT_COLUMNS
    body = {row[0]: dict(zip(EXPORT_COLUMNS, row, strict=True)) for row in rows[1:]}
    assert set(body) == {resolved.pk, voided.pk}  # the open case is filtered out
    assert open_case.pk not in body
    assert body[resolved.pk]["状态"] == "已结案·已整改销号" and body[resolved.pk]["计入已整改"] == "是"
    assert body[voided.pk]["状态"] == "已结案·已作废" and body[voided.pk]["结案方式"] == "已作废"
    assert body[voided.pk]["计入已整改"] == "否"
    for stamp in ("上报时间", "签收时间", "处置(提交整改)时间", "核查时间", "结案时间"):
        assert body[resolved.pk][stamp], stamp
    assert not body[voided.pk]["签收时间"]
    # a description that looks like a formula is written as text
    assert body[resolved.pk]["隐患描述"].startswith("'=HYPERLINK")

    audit = AuditEvent.objects.get(action="cases.export", actor=people["nanxi"])
    assert audit.payload["rows"] == 2 and audit.payload["format"] == "xlsx"
    assert audit.payload["filters"] == {"state": "closed", "order": "oldest"}


def test_csv_is_utf8_with_bom_and_has_the_list_rows(client, people):
    cases = [new_case(people["nanxi_worker"]) for _ in range(3)]
    new_case(people["nanxi_worker"], category="lpg-no-inspection", description="液化气钢瓶超期")
    client.force_login(people["nanxi"])
    listed = client.get("/cases/", {"domain": cases[0].domain.code})
    response = client.get("/cases/export.csv", {"domain": cases[0].domain.code})
    assert response.status_code == 200 and response["Content-Type"] == "text/csv; charset=utf-8"
    raw = b"".join(response.streaming_content)
    assert raw.startswith(b"\xef\xbb\xbf")  # the BOM Excel needs to read UTF-8
    rows = list(csv.reader(io.StringIO(raw.decode("utf-8-sig"))))
    assert rows[0] == EXPORT_COLUMNS
    assert sorted(int(r[0]) for r in rows[1:]) == sorted(r["case"].pk for r in listed.context["rows"])
    assert len(rows) - 1 == 3
    assert all(r[EXPORT_COLUMNS.index("状态")] == "待研判" for r in rows[1:])
    audit = AuditEvent.objects.get(action="cases.export", actor=people["nanxi"], target="csv")
    assert audit.payload["rows"] == 3 and audit.payload["filters"] == {"domain": cases[0].domain.code}


def test_export_is_limited_to_the_jurisdiction(client, people):
    new_case(people["nanxi_worker"])
    client.force_login(people["quanshan"])
    raw = b"".join(client.get("/cases/export.csv").streaming_content)
    rows = list(csv.reader(io.StringIO(raw.decode("utf-8-sig"))))
    assert rows == [EXPORT_COLUMNS]
    assert AuditEvent.objects.get(action="cases.export", actor=people["quanshan"]).payload["rows"] == 0


def test_export_queries_do_not_grow_with_rows(client, people):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    client.force_login(people["bangtou"])
    new_case(people["nanxi_worker"])
    with CaptureQueriesContext(connection) as one:
        b"".join(client.get("/cases/export.xlsx").streaming_content)
    for _ in range(5):
        new_case(people["nanxi_worker"])
    with CaptureQueriesContext(connection) as many:
        b"".join(client.get("/cases/export.xlsx").streaming_content)
    assert len(many) == len(one)


# ---------------------------------------------------------------- the address in the audit row, behind nginx

PROXIED = {"X-Forwarded-For": "203.0.113.7"}  # what our one trusted proxy appended: the client's real address


def test_exports_record_the_forwarded_client_address(client, people, settings):
    """Behind GRIDSAFE_PROXY_COUNT=1 the audit row names the client, not the proxy on 127.0.0.1."""
    settings.GRIDSAFE_PROXY_COUNT = 1
    new_case(people["nanxi_worker"])
    client.force_login(people["nanxi"])
    for fmt in ("csv", "xlsx"):
        response = client.get(f"/cases/export.{fmt}", headers=PROXIED, REMOTE_ADDR="127.0.0.1")
        assert response.status_code == 200
        b"".join(response.streaming_content)
        audit = AuditEvent.objects.get(action="cases.export", actor=people["nanxi"], target=fmt)
        assert audit.ip == "203.0.113.7", fmt


def test_without_a_trusted_proxy_the_forwarded_header_is_ignored(client, people, settings):
    """GRIDSAFE_PROXY_COUNT=0: X-Forwarded-For is the client's own claim and is not believed."""
    settings.GRIDSAFE_PROXY_COUNT = 0
    client.force_login(people["nanxi"])
    b"".join(client.get("/cases/export.csv", headers=PROXIED, REMOTE_ADDR="198.51.100.20").streaming_content)
    assert AuditEvent.objects.get(action="cases.export", actor=people["nanxi"]).ip == "198.51.100.20"


def test_an_attachment_original_download_is_audited_with_the_client_address(client, people, settings, tmp_path):
    """The case page links each photo to its original (the API's attachment file): every download is an export."""
    from uuid import uuid4

    from gridsafe.cases.services import attachment_add

    settings.MEDIA_ROOT = tmp_path / "media"
    settings.GRIDSAFE_PROXY_COUNT = 1
    case = new_case(people["nanxi_worker"])
    att, _ = attachment_add(case=case, actor=people["nanxi_worker"], client_id=uuid4(), upload=jpeg(), role="report")
    client.force_login(people["nanxi"])
    url = f"/api/v1/cases/{case.pk}/attachments/{att.pk}/file"
    assert url in client.get(f"/cases/{case.pk}/").content.decode()
    response = client.get(url, headers=PROXIED)
    assert response.status_code == 200 and "attachment;" in response["Content-Disposition"]
    assert b"".join(response.streaming_content).startswith(b"\xff\xd8")
    audit = AuditEvent.objects.get(action="attachment.download")
    assert (audit.actor_id, audit.target, audit.ip, audit.outcome) == (
        people["nanxi"].pk,
        f"attachment:{att.pk}",
        "203.0.113.7",
        "success",
    )
    assert audit.payload["case"] == case.pk and audit.payload["sha256"] == att.sha256
    # The thumbnail shown on the page is not an export; an attachment outside the 辖区 is a 404 and no download.
    client.get(f"/api/v1/cases/{case.pk}/attachments/{att.pk}/thumbnail", headers=PROXIED)
    client.force_login(people["quanshan"])
    assert client.get(url, headers=PROXIED).status_code == 404
    assert AuditEvent.objects.filter(action="attachment.download").count() == 1
