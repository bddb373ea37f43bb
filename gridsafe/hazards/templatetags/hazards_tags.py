"""`{% hazard_panel case %}` on the case page: the link to its 重大隐患 process, and what the enterprise recorded
(evidence, 五落实, its self-inspection findings reported at the case's place). Three small queries."""

from django import template

from gridsafe.hazards.models import EnterpriseRecord, MajorHazard, SelfFinding

register = template.Library()


@register.inclusion_tag("hazards/_case_panel.html")
def hazard_panel(case):
    major = MajorHazard.objects.filter(case_id=case.pk).first()
    records = list(EnterpriseRecord.objects.filter(case_id=case.pk))
    findings = []
    if case.place_id is not None:
        findings = list(
            SelfFinding.objects.filter(place_id=case.place_id, reported=True)
            .select_related("inspection")
            .order_by("-id")[:10]
        )
    return {"case": case, "major": major, "records": records, "findings": findings}
