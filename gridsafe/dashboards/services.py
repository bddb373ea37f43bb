"""Writes of the oversight settings a county keeps in the admin: KPI weights (综合指标权重), the cadence of leader-led
inspections and meetings (检查/例会频次), and the information-report quotas (信息材料报送要求). One service per action;
each checks its rule and refuses bad input with a Chinese ValidationFailed, writing nothing. These rows feed no
in-process cache (dashboards.config reads them on each use), so a saved change counts from the next computation.
The admin (dashboards.admin, an AuditedAdmin) calls these and writes the audit row of each change."""

from collections.abc import Iterable
from decimal import Decimal
from typing import Any

from django.db import transaction

from gridsafe.accounts.models import UnitKind
from gridsafe.core.errors import ValidationFailed
from gridsafe.dashboards.config import weights as kpi_weights
from gridsafe.dashboards.kpis import KPIS
from gridsafe.dashboards.models import (
    BANDED_TERMS,
    RULE_LEVELS,
    CadenceRule,
    KpiWeight,
    Profile,
    ReportQuota,
    kpi_label,
    level_name,
)

WEIGHT_TOTAL = Decimal(100)
MAX_TIMES = 31  # activities per period a rule may ask for
MAX_QUOTA = 50  # reports a month a quota may ask for


def bands_problem(bands: Any) -> str | None:
    """Why `bands` ([[upper_bound_exclusive, score], …, [None, score]]) is not a valid count banding, or None."""
    if bands is None:
        return None
    if not isinstance(bands, list) or not bands:
        return "分档须至少有一档"
    previous: Decimal | None = None
    for index, band in enumerate(bands):
        if not isinstance(band, list | tuple) or len(band) != 2:
            return "每一档须写成“上限:分值”"
        bound, score = band
        last = index == len(bands) - 1
        if not isinstance(score, int | float | Decimal) or not 0 <= score <= 100:
            return "每档分值须在 0 到 100 之间"
        if last:
            if bound is not None:
                return "最后一档须为“以上”（不设上限）"
            continue
        if not isinstance(bound, int | float | Decimal) or bound < 0:
            return "分档上限须为非负数"
        if previous is not None and Decimal(str(bound)) <= previous:
            return "分档上限须逐档增大"
        previous = Decimal(str(bound))
    return None


def kpi_weights_check(changed: Iterable[KpiWeight]) -> None:
    """The weights of each profile a change touches add up to 100 %, counting the changed rows as changed and the
    others as stored. Raises ValidationFailed naming the profile and the sum."""
    changed = list(changed)
    profiles = {w.profile for w in changed}
    if not profiles:
        return
    ours = {w.pk for w in changed if w.pk is not None}
    totals: dict[str, Decimal] = dict.fromkeys(profiles, Decimal(0))
    for profile, weight in (
        KpiWeight.objects.filter(profile__in=profiles).exclude(pk__in=ours).values_list("profile", "weight")
    ):
        totals[profile] += Decimal(weight)
    for w in changed:
        totals[w.profile] += Decimal(w.weight)
    for profile, total in sorted(totals.items()):
        if total != WEIGHT_TOTAL:
            raise ValidationFailed(
                f"“{Profile(profile).label}”各项权重合计须为 100%，现为 {total.normalize():f}%。"
                "请在列表页同时调整几项权重，使合计为 100%（新增指标可先以 0 权重保存）。"
            )


def kpi_weight_check(weight: KpiWeight) -> None:
    """One weight row on its own: a known term, 0–100 %, valid bands, once per profile."""
    if weight.profile not in Profile.values:
        raise ValidationFailed("请选择考核对象")
    if weight.kpi not in KPIS and weight.kpi not in BANDED_TERMS:
        raise ValidationFailed(f"没有这个考核指标：{weight.kpi}")
    if weight.weight is None or not Decimal(0) <= Decimal(weight.weight) <= WEIGHT_TOTAL:
        raise ValidationFailed("权重须在 0 到 100 之间")
    if weight.kpi in BANDED_TERMS and not weight.bands:
        raise ValidationFailed(f"“{kpi_label(weight.kpi)}”须设置分档")
    problem = bands_problem(weight.bands)
    if problem:
        raise ValidationFailed(problem)
    clash = KpiWeight.objects.filter(profile=weight.profile, kpi=weight.kpi).exclude(pk=weight.pk)
    if clash.exists():
        raise ValidationFailed(f"“{Profile(weight.profile).label}”已有“{kpi_label(weight.kpi)}”这一项")


def kpi_weights_save(weights: Iterable[KpiWeight]) -> list[KpiWeight]:
    """Saves several weights at once (a profile's weights are changed together): each row is checked, and every
    profile touched must still add up to 100 %."""
    weights = list(weights)
    for weight in weights:
        kpi_weight_check(weight)
    kpi_weights_check(weights)
    with transaction.atomic():
        for weight in weights:
            weight.save()
        kpi_weights.invalidate()
    return weights


def kpi_weight_delete(weight: KpiWeight) -> None:
    """A term leaves the score only once its weight is 0 (the others then still add up to 100 %)."""
    if Decimal(weight.weight) != 0:
        raise ValidationFailed(
            f"“{kpi_label(weight.kpi)}”的权重为 {Decimal(weight.weight).normalize():f}%：请先在列表页把它调为 0、"
            "其余各项合计 100%，再删除"
        )
    with transaction.atomic():
        weight.delete()
        kpi_weights.invalidate()


def cadence_rule_check(rule: CadenceRule) -> None:
    """One rule per level and kind: a second rule for the same level and kind would count the same activities
    twice (an overlap), so it is refused."""
    if rule.region_level not in RULE_LEVELS:
        raise ValidationFailed("区划层级须为县、乡镇(街道)或村(居)")
    if not 1 <= (rule.times or 0) <= MAX_TIMES:
        raise ValidationFailed(f"每个周期的次数须在 1 到 {MAX_TIMES} 之间")
    if not (rule.title or "").strip():
        raise ValidationFailed("请填写名称")
    clash = CadenceRule.objects.filter(region_level=rule.region_level, kind=rule.kind).exclude(pk=rule.pk).first()
    if clash is not None:
        raise ValidationFailed(
            f"{level_name(rule.region_level)}级已有“{clash.get_kind_display()}”频次规则“{clash.title}”，"
            "同一层级同一类活动只能有一条规则：请修改原规则"
        )


def cadence_rule_save(rule: CadenceRule) -> CadenceRule:
    cadence_rule_check(rule)
    with transaction.atomic():
        rule.save()
    return rule


def cadence_rule_delete(rule: CadenceRule) -> None:
    with transaction.atomic():
        rule.delete()


def report_quota_check(quota: ReportQuota) -> None:
    """One quota per unit kind and level, each at least one report a month."""
    if quota.unit_kind not in UnitKind.values:
        raise ValidationFailed("请选择单位类型")
    if quota.region_level not in RULE_LEVELS:
        raise ValidationFailed("单位所在层级须为县、乡镇(街道)或村(居)")
    if not 1 <= (quota.minimum or 0) <= MAX_QUOTA:
        raise ValidationFailed(f"每月最少篇数须在 1 到 {MAX_QUOTA} 之间（不需报送的单位请删除该要求）")
    clash = ReportQuota.objects.filter(unit_kind=quota.unit_kind, region_level=quota.region_level).exclude(pk=quota.pk)
    if clash.exists():
        raise ValidationFailed(
            f"{level_name(quota.region_level)}级的{UnitKind(quota.unit_kind).label}已有报送要求：请修改原要求"
        )


def report_quota_save(quota: ReportQuota) -> ReportQuota:
    report_quota_check(quota)
    with transaction.atomic():
        quota.save()
    return quota


def report_quota_delete(quota: ReportQuota) -> None:
    with transaction.atomic():
        quota.delete()
