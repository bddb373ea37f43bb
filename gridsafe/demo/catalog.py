"""The county's reference data for the demo: domains, hazard categories and the proposed time limits
(domain.md §1.3, §4, §8). Real deployments edit these in the admin; they are data, not code."""

from decimal import Decimal

from gridsafe.catalog.models import Category, Domain, TimeLimit

DOMAINS = [
    # code, name, English, pilot
    ("fire", "消防安全", "Fire safety", True),
    ("rental", "出租房安全", "Rental housing", True),
    ("lpg", "液化气", "LPG", True),
    ("fireworks", "烟花爆竹", "Fireworks", True),
    ("venue", "文化娱乐场所", "Entertainment venues", True),
    ("elevator", "特种设备(电梯安全)", "Special equipment (elevators)", True),
    ("road", "道路交通安全", "Road traffic", False),
    ("hazmat", "危险化学品", "Hazardous chemicals", False),
]

# code, domain, name, English, default grade, urgent, legal basis, keywords
CATEGORIES = [
    (
        "fire-ebike-indoor",
        "fire",
        "电动车室内或楼道充电",
        "E-bike charged indoors or in corridors",
        "general",
        False,
        "GB 35181-2025",
        "电瓶车 充电 楼道",
    ),
    (
        "fire-escape-blocked",
        "fire",
        "疏散通道、安全出口堵塞",
        "Blocked escape route or exit",
        "general",
        False,
        "消防法 第二十八条",
        "通道 出口 堵塞",
    ),
    (
        "fire-three-in-one",
        "fire",
        "三合一场所住人",
        "Living space combined with production or storage",
        "general",
        False,
        "GB 35181-2025",
        "三合一 住人",
    ),
    (
        "fire-window-bars",
        "fire",
        "防盗窗未留逃生口",
        "Fixed window bars with no escape opening",
        "general",
        False,
        "",
        "防盗网 逃生口",
    ),
    (
        "fire-extinguisher",
        "fire",
        "消防器材缺失或过期",
        "Missing or expired extinguishers",
        "general",
        False,
        "消防法 第十六条",
        "灭火器 过期",
    ),
    ("fire-major", "fire", "重大火灾隐患", "Major fire hazard", "major", True, "GB 35181-2025", "重大 火灾"),
    ("rental-overcrowded", "rental", "出租房人员超员居住", "Overcrowded rental housing", "general", False, "", "群租"),
    (
        "rental-wiring",
        "rental",
        "出租房私拉乱接电线",
        "Illegal wiring in rental housing",
        "general",
        False,
        "",
        "电线 乱接",
    ),
    (
        "lpg-no-inspection",
        "lpg",
        "液化气钢瓶未检验或超期",
        "Cylinder without valid inspection",
        "general",
        False,
        "城镇燃气经营安全重大隐患判定标准",
        "钢瓶 检验",
    ),
    (
        "lpg-basement",
        "lpg",
        "液化气钢瓶存放于地下室",
        "Cylinders stored in a basement",
        "general",
        False,
        "",
        "地下室 钢瓶",
    ),
    (
        "lpg-illegal-filling",
        "lpg",
        "非法充装、售卖燃气",
        "Unlicensed gas filling or sale",
        "major",
        True,
        "城镇燃气管理条例",
        "黑气 充装 非法",
    ),
    (
        "fireworks-unlicensed",
        "fireworks",
        "无证经营烟花爆竹",
        "Fireworks sold without a licence",
        "general",
        True,
        "烟花爆竹安全管理条例",
        "无证 鞭炮",
    ),
    (
        "fireworks-stored-home",
        "fireworks",
        "烟花爆竹存放于居民住宅",
        "Fireworks stored in a dwelling",
        "general",
        False,
        "烟花爆竹安全管理条例",
        "存放 住宅",
    ),
    ("venue-exit", "venue", "娱乐场所安全出口不足", "Insufficient exits in a venue", "general", False, "", "KTV 出口"),
    (
        "venue-fire-system",
        "venue",
        "娱乐场所消防设施故障",
        "Venue fire system out of order",
        "general",
        False,
        "",
        "喷淋 报警",
    ),
    (
        "elevator-no-mark",
        "elevator",
        "电梯无有效检验合格标志",
        "Elevator without a valid inspection mark",
        "general",
        False,
        "特种设备安全法",
        "电梯 检验 标志",
    ),
    (
        "elevator-no-maintenance",
        "elevator",
        "电梯无维保记录",
        "Elevator without maintenance records",
        "general",
        False,
        "特种设备安全法",
        "维保",
    ),
    ("road-damaged", "road", "道路破损、坑洼", "Damaged road surface", "general", False, "", "坑洼 路面"),
    ("road-signs", "road", "交通标志标线缺失", "Missing traffic signs", "general", False, "", "标志 标线"),
    ("road-blackspot", "road", "事故多发路段隐患", "Accident black spot", "general", False, "", "黑点"),
    ("hazmat-legacy", "hazmat", "历史遗留危险物品", "Legacy hazardous materials", "major", True, "", "危险物品 遗留"),
]

# step, normal (amount, unit), urgent/重大 (amount, unit) — domain.md §4 "Proposed GridSafe defaults"
DEFAULT_LIMITS = [
    ("review_village", ("4", "work_hours"), ("30", "minutes")),
    ("review_township", ("4", "work_hours"), ("30", "minutes")),
    ("review_county", ("1", "work_days"), ("1", "work_hours")),
    ("sign", ("2", "work_hours"), ("30", "minutes")),
    ("handle", ("3", "work_days"), ("1", "work_days")),
    ("verify", ("1", "work_days"), ("4", "work_hours")),
    ("supervision_reply", ("1", "work_days"), ("4", "work_hours")),
]
# Category-specific 处置 limits (1/3/7 工作日 by category).
HANDLE_OVERRIDES = {
    "road-damaged": ("7", "work_days"),
    "road-blackspot": ("7", "work_days"),
    "fire-extinguisher": ("1", "work_days"),
    "fire-ebike-indoor": ("1", "work_days"),
}


def load_catalog(department_for_domain: dict[str, int]) -> dict[str, Category]:
    """Idempotent: update_or_create by code."""
    domains = {}
    for sort, (code, name, name_en, pilot) in enumerate(DOMAINS):
        domains[code], _ = Domain.objects.update_or_create(
            code=code, defaults={"name": name, "name_en": name_en, "pilot": pilot, "sort": sort}
        )
    categories = {}
    for sort, (code, domain, name, name_en, grade, urgent, basis, keywords) in enumerate(CATEGORIES):
        categories[code], _ = Category.objects.update_or_create(
            code=code,
            defaults={
                "domain": domains[domain],
                "name": name,
                "name_en": name_en,
                "default_grade": grade,
                "urgent": urgent,
                "legal_basis": basis,
                "keywords": keywords,
                "sort": sort,
                "department_id": department_for_domain.get(domain),
            },
        )
    for step, normal, urgent in DEFAULT_LIMITS:
        for urgency, (amount, unit) in (("normal", normal), ("urgent", urgent)):
            TimeLimit.objects.update_or_create(
                category=None, urgency=urgency, step=step, defaults={"amount": Decimal(amount), "unit": unit}
            )
    for code, (amount, unit) in HANDLE_OVERRIDES.items():
        TimeLimit.objects.update_or_create(
            category=categories[code],
            urgency="normal",
            step="handle",
            defaults={"amount": Decimal(amount), "unit": unit},
        )
    return categories
