"""Writes the demo county's own XLSX files (gridsafe/demo/data/*.xlsx) — what a county's project team fills in from
the templates (`gridsafe import template KIND`) — from the demo region tree and a seed. Run once after the tree or
the people change, and commit the files: `gridsafe demo` then loads 仙游县 through the same imports a county uses.

    .venv/bin/python -m gridsafe.demo.make_data

Figures from the article (domain.md §1.1): 24 township-level units, 613 grid workers (some hold two grids, a few
grids have a deputy), 18 township patrol teams with 448 members. Names are plausible, invented 莆田 names."""

from __future__ import annotations

import io
import json
import random
from dataclasses import dataclass
from pathlib import Path

DATA = Path(__file__).parent / "data"
SEED = 350322
GRID_WORKERS = 613
DEPUTIES = 12
# People and patrol members carry no phone in the demo: an invented mobile number may well be a real person's, and
# the world every test starts from then holds no sealed personal data of people (key-rotation tests reseal it all).
# The people import seals phones as a county's files give them (accounts/tests/test_importer.py).
NO_PHONE = ""  # 榜头镇's first grids have a 副网格员 as well
TEAM_MEMBERS = 448

# 莆田 surnames, most common first (林、陈、黄、郑 …), weights roughly as in the county.
SURNAMES = "林陈黄郑吴王李张刘蔡许方杨朱翁余游傅周徐卓宋柯谢"
SURNAME_WEIGHTS = [16, 14, 10, 8, 6, 6, 5, 5, 4, 4, 3, 3, 3, 2, 2, 2, 2, 2, 2, 2, 1, 1, 1, 1]
GIVEN_FIRST = "建志国文金秀丽美春永海明小玉雪德俊亚淑桂宝荣家振"
GIVEN_SECOND = "华强英明芳平辉兰燕霞峰林军珍玲清斌梅福生勇红杰坤婷"


def _names(rng: random.Random):
    used: set[str] = set()
    while True:
        surname = rng.choices(SURNAMES, weights=SURNAME_WEIGHTS)[0]
        given = rng.choice(GIVEN_FIRST) + rng.choice(GIVEN_SECOND) if rng.random() < 0.85 else rng.choice(GIVEN_SECOND)
        name = surname + given
        if name not in used:
            used.add(name)
            yield name


def _phones(rng: random.Random):
    used: set[str] = set()
    while True:
        phone = rng.choice(["138", "139", "158", "159", "187", "135", "189", "133"]) + f"{rng.randrange(10**8):08d}"
        if phone not in used:
            used.add(phone)
            yield phone


def filled_workbook(template: bytes, rows_by_sheet: dict[str, list[list]]) -> bytes:
    """The template with its example rows replaced by `rows_by_sheet`: the file a county hands back."""
    from openpyxl import load_workbook

    wb = load_workbook(io.BytesIO(template))
    for sheet, rows in rows_by_sheet.items():
        ws = wb[sheet]
        ws.delete_rows(2, ws.max_row)
        for row in rows:
            ws.append(row)
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


@dataclass(frozen=True)
class Spec:
    code: str
    name: str
    level: int
    parent_code: str | None
    geometry: dict
    center_lon: float
    center_lat: float


LEVELS = {6: 1, 9: 2, 12: 3, 15: 4}


def specs_from_geojson(path: Path) -> list[Spec]:
    """The region tree of the file the demo imports (gridsafe/demo/data/regions-350322.geojson), 管委会 included."""
    features = json.loads(path.read_text())["features"]
    out = []
    for f in features:
        p = f["properties"]
        code = str(p["code"])
        level = LEVELS[len(code)]
        parent = {1: None, 2: code[:6], 3: code[:9], 4: code[:12]}[level]
        out.append(Spec(code, p["name"], level, parent, f["geometry"], p.get("center_lon"), p.get("center_lat")))
    return sorted(out, key=lambda s: s.code)


def make(specs=None) -> dict[str, bytes]:
    """The four workbooks by file name."""
    from gridsafe.accounts.importer import (
        MEMBERS,
        PEOPLE,
        ROLE_NAMES,
        TEAMS,
        UNIT_KIND_NAMES,
        UNITS,
        template_people,
        template_teams,
        template_units,
    )
    from gridsafe.accounts.models import Role, UnitKind
    from gridsafe.demo.world import (
        COUNTY,
        COUNTY_DEPARTMENTS,
        NAMED_USERS,
        REGIONS_FILE,
        TOWNSHIP_DEPARTMENTS,
        named_station_villages,
    )
    from gridsafe.places.importer import SHEETS, template_places

    specs = specs if specs is not None else specs_from_geojson(REGIONS_FILE)
    rng = random.Random(SEED)
    names, phones = _names(rng), _phones(rng)
    townships = [s for s in specs if s.level == 2]
    villages = [s for s in specs if s.level == 3]
    grids = [s for s in specs if s.level == 4]
    grids_of: dict[str, list] = {}
    for grid in grids:
        grids_of.setdefault(grid.parent_code, []).append(grid)
    by_code = {s.code: s for s in specs}

    # ---- units
    kind = UNIT_KIND_NAMES
    units = [
        ["county-centre", "县网格化中心", kind[UnitKind.CENTRE], COUNTY, "", "在用"],
        ["county-leadership", "县安全生产网格化管理领导小组", kind[UnitKind.LEADERSHIP], COUNTY, "", "在用"],
    ]
    for suffix, name, domains in COUNTY_DEPARTMENTS:
        units.append([f"dept-{suffix}", name, kind[UnitKind.DEPARTMENT], COUNTY, "、".join(domains), "在用"])
    for t in townships:
        units.append([f"centre-{t.code}", f"{t.name}网格化中心", kind[UnitKind.CENTRE], t.code, "", "在用"])
        units.append(
            [f"command-{t.code}", f"{t.name}安全生产专项整治指挥部", kind[UnitKind.COMMAND], t.code, "", "在用"]
        )
        for suffix, name, domains in TOWNSHIP_DEPARTMENTS:
            units.append(
                [f"{suffix}-{t.code}", f"{t.name}{name}", kind[UnitKind.DEPARTMENT], t.code, "、".join(domains), "在用"]
            )
    for v in villages:
        units.append([f"station-{v.code}", f"{v.name}网格管理站", kind[UnitKind.STATION], v.code, "", "在用"])

    # ---- people: the named logins first (tests and the README use them), then the staff every desk needs
    stations = named_station_villages(specs)
    people: list[list] = []
    taken: dict[str, list[str]] = {}
    named_grids = {
        "nanxi_worker": [g.code for g in grids_of[stations["station-nanxi"]][:2]],
        "licheng_worker": [g.code for g in grids_of[stations["station-chengnei"]][:1]],
    }
    for username, display, role, unit_code in NAMED_USERS:
        if role == Role.ADMIN:
            continue  # administrators are not imported (三员分立); world.py makes the demo's one
        unit_code = f"station-{stations[unit_code]}" if unit_code in stations else unit_code
        mine = named_grids.get(username, [])
        for code in mine:
            taken[code] = [username]
        people.append(
            [username, display, NO_PHONE, ROLE_NAMES[role], unit_code, "、".join(mine), "主网格员" if mine else ""]
        )
    for t in townships:
        people.append(
            [f"t{t.code}-op", next(names), NO_PHONE, ROLE_NAMES[Role.CENTRE_OPERATOR], f"centre-{t.code}", "", ""]
        )
        people.append(
            [f"t{t.code}-lead", next(names), NO_PHONE, ROLE_NAMES[Role.CENTRE_LEAD], f"centre-{t.code}", "", ""]
        )
        people.append(
            [
                f"t{t.code}-command",
                next(names),
                NO_PHONE,
                ROLE_NAMES[Role.CENTRE_OPERATOR],
                f"command-{t.code}",
                "",
                "",
            ]
        )
        for suffix, _n, _d in TOWNSHIP_DEPARTMENTS:
            # A lead and a handler: a 重大 case is 销号 by a lead who did not handle it.
            people.append(
                [
                    f"t{t.code}-{suffix}",
                    next(names),
                    NO_PHONE,
                    ROLE_NAMES[Role.DEPT_LEAD],
                    f"{suffix}-{t.code}",
                    "",
                    "",
                ]
            )
            people.append(
                [
                    f"t{t.code}-{suffix}-h",
                    next(names),
                    NO_PHONE,
                    ROLE_NAMES[Role.DEPT_HANDLER],
                    f"{suffix}-{t.code}",
                    "",
                    "",
                ]
            )
    for v in villages:
        people.append(
            [f"v{v.code}", next(names), NO_PHONE, ROLE_NAMES[Role.STATION_OFFICER], f"station-{v.code}", "", ""]
        )
    for suffix, _name, _d in COUNTY_DEPARTMENTS:
        if suffix not in ("fire", "gas"):
            people.append(
                [f"{suffix}-staff", next(names), NO_PHONE, ROLE_NAMES[Role.DEPT_HANDLER], f"dept-{suffix}", "", ""]
            )
        if suffix != "fire":
            people.append(
                [f"{suffix}-lead", next(names), NO_PHONE, ROLE_NAMES[Role.DEPT_LEAD], f"dept-{suffix}", "", ""]
            )
    # Grid workers: 613 in all. Every grid has one main worker; so that 711 grids need only 613, some hold two
    # neighbouring grids of their village; a few of 榜头镇's grids also have a deputy.
    free = [g for g in grids if g.code not in taken]
    named_workers = len(named_grids)
    deputies = [g for g in free if g.code.startswith("350322101")][:DEPUTIES]
    mains_needed = GRID_WORKERS - named_workers - len(deputies)
    doubles = len(free) - mains_needed  # workers holding two grids
    village_free: dict[str, list] = {}
    for g in free:
        village_free.setdefault(g.parent_code, []).append(g)
    groups: list[list] = []
    for village_code in sorted(village_free):
        pending = village_free[village_code]
        while pending:
            if doubles > 0 and len(pending) >= 2 and rng.random() < 0.5:
                groups.append(pending[:2])
                pending = pending[2:]
                doubles -= 1
            else:
                groups.append(pending[:1])
                pending = pending[1:]
    while doubles > 0:  # not enough pairs chosen by chance: pair the first singles of one village
        for i, group in enumerate(groups):
            nxt = groups[i + 1] if i + 1 < len(groups) else None
            if len(group) == 1 and nxt and len(nxt) == 1 and nxt[0].parent_code == group[0].parent_code:
                groups[i] = group + nxt
                del groups[i + 1]
                doubles -= 1
                break
        else:
            raise RuntimeError("cannot pair grids to reach the article's 613 workers")
    for group in groups:
        village = by_code[group[0].parent_code]
        people.append(
            [
                f"g{group[0].code}",
                next(names),
                NO_PHONE,
                ROLE_NAMES[Role.GRID_WORKER],
                f"station-{village.code}",
                "、".join(g.code for g in group),
                "主网格员",
            ]
        )
    for g in deputies:
        people.append(
            [
                f"d{g.code}",
                next(names),
                NO_PHONE,
                ROLE_NAMES[Role.GRID_WORKER],
                f"station-{g.parent_code}",
                g.code,
                "副网格员",
            ]
        )

    # ---- patrol teams: one per 乡镇(街道) (not the 管委会), 448 members
    real_townships = [t for t in townships if int(t.code[6:]) < 900]
    teams, members = [], []
    base, extra = divmod(TEAM_MEMBERS, len(real_townships))
    for i, t in enumerate(real_townships):
        code = f"team-{t.code}"
        teams.append([code, f"{t.name}网格巡逻队", t.code, t.code])
        for n in range(1, base + (1 if i < extra else 0) + 1):
            members.append([f"p{t.code}-{n:02d}", next(names), NO_PHONE, code])

    # ---- places: every grid of 榜头镇 and the first grid of every other township, 2–4 domains each
    # (王芳's grids every domain), so every pilot domain has places wherever the demo looks.
    from gridsafe.field.demo import PLACE_KINDS, _point_in  # the names and kinds the field demo always used

    places: dict[str, list[list]] = {s.sheet.name: [] for s in SHEETS}
    sheet_of = {s.domain: s.sheet.name for s in SHEETS}
    showcase = set(named_grids["nanxi_worker"])
    chosen = [g for g in grids if g.code.startswith("350322101")]
    seen_townships: set[str] = set()
    for g in grids:
        if not g.code.startswith("350322101") and g.code[:9] not in seen_townships:
            seen_townships.add(g.code[:9])
            chosen.append(g)
    chosen += [by_code[c] for c in named_grids["licheng_worker"] if by_code[c] not in chosen]
    risks = ["红", "橙", "黄", "蓝"]
    from gridsafe.places.demo import static_facts_row

    facts_rng = random.Random(SEED + 16)  # its own stream: the places rows stay as they were
    for g in chosen:
        village = by_code[g.parent_code]
        short = village.name.removesuffix("村").removesuffix("社区")
        kinds = PLACE_KINDS if g.code in showcase else rng.sample(PLACE_KINDS, rng.randint(2, 4))
        for n, (_kind, pattern, domain, weights) in enumerate(kinds, start=1):
            surname = rng.choices(SURNAMES, weights=SURNAME_WEIGHTS)[0]
            lon, lat = _point_in(g.geometry, rng, (g.center_lon, g.center_lat))
            row = [
                f"{domain.upper()[:2]}-{g.code}-{n}",
                pattern.format(village=short, n=n, surname=surname),
                g.code,
                f"{village.name}{rng.randint(1, 120)}号",
                lon,
                lat,
                surname + rng.choice(GIVEN_FIRST) + rng.choice(GIVEN_SECOND),
                next(phones),
                rng.choices(risks, weights=weights)[0],
            ]
            if domain == "fire":
                row += [rng.choice(["人员密集场所", "三合一场所"]), "在用"]
            elif domain == "rental":
                row += [rng.choice(["严管类", "关注类"]), "在用"]
            elif domain in ("lpg", "fireworks"):
                row += [f"闽莆{rng.randint(10000, 99999)}", "在用"]
            elif domain in ("venue", "elevator"):
                row += ["", "在用"]
            else:
                row += ["在用"]
            row += static_facts_row(domain, facts_rng, len(places[sheet_of[domain]]))  # 台账 facts (issue 16)
            places[sheet_of[domain]].append(row)
    assert len([p for p in people if p[3] == ROLE_NAMES[Role.GRID_WORKER]]) == GRID_WORKERS
    return {
        "units.xlsx": filled_workbook(template_units(), {UNITS.name: units}),
        "people.xlsx": filled_workbook(template_people(), {PEOPLE.name: people}),
        "teams.xlsx": filled_workbook(template_teams(), {TEAMS.name: teams, MEMBERS.name: members}),
        "places.xlsx": filled_workbook(template_places(), {name: rows for name, rows in places.items()}),
    }


def main() -> None:
    import os

    import django

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "gridsafe.settings")
    django.setup()
    for name, data in make().items():
        (DATA / name).write_bytes(data)
        print(f"{DATA / name}: {len(data) // 1024} KB")


if __name__ == "__main__":
    main()
