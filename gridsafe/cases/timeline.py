"""How a case event reads on a timeline, wherever a timeline is shown (pages, field app)."""

from datetime import datetime

from django.utils import timezone

from gridsafe.cases.models import CaseEvent, SupervisionLevel


def event_detail(event: CaseEvent) -> str:
    """The payload facts worth a line on a case timeline (department, reason, method, new deadline …): the same words
    on the desk's case page and in the worker's 我的上报."""
    p = event.payload or {}
    parts = []
    if p.get("department"):
        parts.append(f"派遣至 {p['department']}")
    if p.get("reason_label"):
        parts.append(f"原因：{p['reason_label']}")
    if p.get("method_label"):
        parts.append(f"整改方式：{p['method_label']}")
    if p.get("handler"):
        parts.append(f"处置人：{p['handler']}")
    if p.get("skip_level"):
        parts.append("越级上报")
    if p.get("level") and p["level"] in SupervisionLevel.values:
        parts.append(str(SupervisionLevel(p["level"]).label))
    if p.get("external_body"):
        parts.append(f"移交 {p['external_body']}（{p.get('external_ref', '')}）")
    if p.get("master_id"):
        parts.append(f"并入 #{p['master_id']}")
    if p.get("co_departments"):
        parts.append(f"协办：{'、'.join(p['co_departments'])}")
    if p.get("handle_due_at"):
        parts.append(f"处置期限 {timezone.localtime(datetime.fromisoformat(str(p['handle_due_at']))):%Y-%m-%d %H:%M}")
    if p.get("part_department"):
        parts.append(f"协办单位：{p['part_department']}")
    if p.get("worker") and event.kind == "case.info_requested":
        parts.append(f"退回给 {p['worker']}")
    if p.get("paused_minutes") is not None:
        parts.append(f"计时暂停 {p['paused_minutes']} 分钟")
    if event.kind == "case.corrected":
        before, after = p.get("from") or {}, p.get("to") or {}
        if after.get("category_name"):
            parts.append(f"类别更正为 {after['category_name']}")
        if after.get("grid"):
            parts.append(f"位置更正：{before.get('grid', '')} → {after['grid']}")
    return "；".join(parts)
