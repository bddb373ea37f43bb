"""Running one planned case through the real services: `case_report`, `attachment_add` and the action
services, each inside `clock.frozen(t)` at back-dated instants that only move forward within the case, so events,
deadlines, frozen overdue facts, 督办 rows and notifications are all real. Step durations are fractions of the
step's own time limit on the working calendar (a few are late). Also the texts and photos the cases carry."""

from __future__ import annotations

import io
import random
import uuid
from collections.abc import Callable
from datetime import datetime, timedelta
from decimal import Decimal

from django.core.files.base import ContentFile
from django.utils import timezone
from PIL import Image, ImageDraw, ImageFont

from gridsafe.cases.services import (
    attachment_add,
    case_approve_extension,
    case_assign,
    case_dispatch,
    case_escalate,
    case_merge,
    case_reject_extension,
    case_reopen,
    case_reply_supervision,
    case_report,
    case_request_extension,
    case_resume,
    case_return,
    case_start,
    case_submit,
    case_supervise,
    case_suspend,
    case_transfer,
    case_urge,
    case_verify_fail,
    case_verify_pass,
    case_void,
)
from gridsafe.catalog.calendar import current_calendar
from gridsafe.catalog.limits import limit_for
from gridsafe.core import clock
from gridsafe.demo.history.actors import World
from gridsafe.demo.history.plan import CLOSURES, CasePlan
from gridsafe.demo.world import TOWNSHIP_DEPARTMENTS

# ---------------------------------------------------------------- texts

# One report in eight reaches the village station by another channel and is registered there (隐患登记), so the
# dashboards' 来源 counts and 漏报率 have something to show (domain.md §5).
DESK_SHARE = 0.125
DESK_CHANNELS = ("hotline", "hotline", "video", "walk_in", "department")

_PLACES = {
    "fire": ["沿街店面", "村民自建房", "出租房", "小作坊", "农贸市场", "小区楼道"],
    "rental": ["出租房", "外来务工人员租住点", "城中村出租楼"],
    "lpg": ["餐饮店", "小吃店", "民房", "沿街商铺"],
    "fireworks": ["杂货店", "小卖部", "民房"],
    "venue": ["KTV", "网吧", "游艺厅", "酒吧"],
    "elevator": ["小区", "商场", "医院", "酒店"],
    "road": ["村道", "县道", "乡道交叉口", "学校门口路段"],
    "hazmat": ["废弃厂房", "原化工作坊", "仓库"],
}
_DETAILS = {
    "fire": ["现场拍照上传，请研判处置", "经营户称近期整改", "周边人员密集，存在火灾风险", "群众反映多次"],
    "rental": ["租住人员较多，消防设施不足", "房东未落实安全管理责任", "电线老化、私拉乱接"],
    "lpg": ["钢瓶无检验标识", "钢瓶与灶具间距不足", "无燃气经营许可证"],
    "fireworks": ["临近春节销售旺季", "储存量较大，周边为居民区", "无烟花爆竹经营许可证"],
    "venue": ["营业期间安全出口上锁", "消防设施无法正常启动", "疏散指示标志损坏"],
    "elevator": ["检验合格标志过期", "维保单位未按期维保", "电梯运行有异响"],
    "road": ["夜间照明不足", "路面坑洼积水", "标志标线模糊", "事故多发"],
    "hazmat": ["遗留桶装化学品，标识不清", "部分包装破损渗漏", "无人看管"],
}
_MEASURES = {
    "fire": ("rectified", "已清理杂物、疏通通道，配齐灭火器并张贴警示标识"),
    "rental": ("rectified", "已督促房东整改：清退超员人员，规范线路敷设"),
    "lpg": ("rectified", "已更换合格钢瓶并移至通风处，加装燃气泄漏报警器"),
    "fireworks": ("removed", "已将烟花爆竹清运至合法仓储点，责令停止无证经营"),
    "venue": ("rectified", "已打开安全出口，修复消防设施并组织员工培训"),
    "elevator": ("rectified", "已完成检验并张贴合格标志，落实维保记录"),
    "road": ("rectified", "已修补路面、补设标志标线并增设警示桩"),
    "hazmat": ("removed", "已由有资质单位清运处置遗留危险物品"),
}
_MAJOR_MEASURES = {
    "lpg-illegal-filling": ("banned", "依法取缔非法充装点，钢瓶全部暂扣转移"),
    "fire-major": ("stopped", "责令停业整改，拆除违规隔断，增设疏散通道和自动喷淋"),
    "hazmat-legacy": ("removed", "委托有资质单位转运处置，现场清洗并设置警戒"),
}
_TRANSFER_BODIES = [
    ("莆田市12345政务服务便民热线", "12345-"),
    ("市生态环境局仙游分局", "HB"),
    ("国网仙游县供电公司", "GD"),
    ("县自然资源局", "ZR"),
    ("永春县网格化服务管理中心", "YC"),
]
_VOID = [
    ("not_hazard", "经现场核实，不属于安全隐患"),
    ("false_report", "上报信息与现场情况不符"),
    ("out_of_scope", "属民事纠纷，不属于安全生产网格受理范围"),
]


_FONT = []


def _jpeg(text: str, rng: random.Random) -> bytes:
    """A tiny real photo: 320×240, one colour, the capture time burned in (bitmap font: twice as fast)."""
    if not _FONT:
        _FONT.append(ImageFont.load_default_imagefont())
    image = Image.new("RGB", (320, 240), (rng.randint(40, 200), rng.randint(40, 200), rng.randint(40, 200)))
    ImageDraw.Draw(image).text((10, 210), text, fill=(255, 255, 255), font=_FONT[0])
    buf = io.BytesIO()
    image.save(buf, "JPEG", quality=60)
    return buf.getvalue()


# ---------------------------------------------------------------- running one case


class _Op:
    __slots__ = ("name", "run", "timing")

    def __init__(self, name: str, run: Callable[[], None], timing: tuple):
        self.name, self.run, self.timing = name, run, timing


class PathRejected(RuntimeError):
    pass


class CaseRun:
    LATE = 0.04  # chance that a step is left after its deadline (4× for 重大, whose limits are short)

    def __init__(self, world: World, plan: CasePlan, now: datetime, case_ids: dict[int, int], ns: uuid.UUID):
        self.w, self.p, self.now, self.case_ids, self.ns = world, plan, now, case_ids, ns
        self.cap = now - timedelta(minutes=2)
        self.rng = random.Random(plan.seed)
        self.cal = current_calendar()
        self.tz = timezone.get_default_timezone()
        self.case = None
        self.t: datetime | None = None
        self.calls = 0
        self.grid = world.grids[plan.grid]
        self.worker = world.worker_of[self.grid.id]
        self.category = world.categories[plan.category]
        R = world.Role
        self.station = world.unit(f"station-{self.grid.village}")
        self.centre = world.unit(f"centre-{self.grid.township}")
        self.county = world.unit("county-centre")
        self.officers = world.people(self.station, R.STATION_OFFICER)
        self.centre_ops = world.people(self.centre, R.CENTRE_OPERATOR)
        self.centre_leads = world.people(self.centre, R.CENTRE_LEAD)
        self.county_ops = world.people(self.county, R.CENTRE_OPERATOR)
        self.county_leads = world.people(self.county, R.CENTRE_LEAD)
        suffix = next(s for s, _n, domains in TOWNSHIP_DEPARTMENTS if plan.domain in domains)
        self.township_dept = world.unit(f"{suffix}-{self.grid.township}")
        self.county_dept = next(u for u in world.county_departments if u.pk == self.category.department_id)
        self.handler = None

    # -- people

    def pick(self, people: list, exclude: tuple = ()):
        ids = {u.pk for u in exclude if u is not None}
        pool = [u for u in people if u.pk not in ids]
        if not pool:
            raise PathRejected(f"case {self.p.index}: nobody left to act ({[u.username for u in people]})")
        return self.rng.choice(pool)

    def dept_staff(self, unit):
        R = self.w.Role
        return self.w.people(unit, R.DEPT_HANDLER) or self.w.people(unit, R.DEPT_LEAD)

    def level_unit_people(self, *, leads: bool = False) -> list:
        """Reviewers (or leads) of the tier that owns the case's review."""
        path, level = self.p.path, self.case.level
        if path == "village" or (not path and level == 1):
            return self.officers
        if path in ("township_assign", "township_dept") or (not path and level == 2):
            return self.centre_leads if leads else self.centre_ops + self.centre_leads
        return self.county_leads if leads else self.county_ops + self.county_leads

    def above(self) -> list:
        """Who may 督办/催办: leaders, and a higher centre (or the dispatching one while a department holds it)."""
        path = self.p.path
        if path == "village":
            return self.w.leaders + self.centre_ops + self.centre_leads + self.county_ops
        if path == "township_assign":
            return self.w.leaders + self.county_ops + self.county_leads
        if path == "township_dept":
            return self.w.leaders + self.centre_ops + self.centre_leads + self.county_ops
        return self.w.leaders + self.county_ops + self.county_leads

    def verifier(self):
        excluded = (self.handler, self.w.users.get(self.case.last_handler_id))
        if self.p.is_major:
            return self.pick(self.w.people(self.county_dept, self.w.Role.DEPT_LEAD), excluded)
        ids = {u.pk for u in excluded if u is not None}
        reviewers = [u for u in self.level_unit_people() if u.pk not in ids]
        if self.worker.pk not in ids and (not reviewers or self.rng.random() < 0.35):
            return self.worker  # a grid worker of the grid checks on site
        return self.pick(reviewers)

    # -- time

    def _fit(self, t: datetime, cap: datetime) -> datetime:
        floor = self.t + timedelta(seconds=1)
        if t <= floor:
            t = floor + timedelta(minutes=self.rng.uniform(1, 10))
        if t > cap:
            t = self.t + (cap - self.t) * self.rng.uniform(0.2, 0.5)
        return max(t, floor)

    def _office(self, t: datetime) -> datetime:
        """Some time in office hours on the first working day from `t`'s date."""
        local = t.astimezone(self.tz)
        for _ in range(15):
            if self.cal.is_workday(local.date()):
                break
            local += timedelta(days=1)
        minute = self.rng.choice((self.rng.randint(8 * 60 + 30, 11 * 60 + 45), self.rng.randint(14 * 60 + 40, 17 * 60)))
        return local.replace(hour=minute // 60, minute=minute % 60, second=self.rng.randint(0, 59), microsecond=0)

    def when(self, timing: tuple) -> datetime:
        kind = timing[0]
        c = self.case
        if kind == "step" and c.step_started_at and c.due_at and c.limit_unit:
            lo, hi = timing[1], timing[2]
            late_ok = timing[3] if len(timing) > 3 else True
            late = late_ok and self.rng.random() < (self.LATE * (4 if self.p.is_major else 1))
            f = self.rng.uniform(1.15, 2.6) if late else self.rng.uniform(lo, hi)
            span = self.cal.elapsed(c.step_started_at, c.due_at, c.limit_unit)
            return self.cal.add(c.step_started_at, Decimal(f"{max(span, 0) * f:.4f}"), c.limit_unit)
        if kind == "days":
            return self._office(self.t + timedelta(days=self.rng.randint(timing[1], timing[2])))
        low, high = (timing[1], timing[2]) if kind == "hours" else (1, 24)
        return self.cal.add(self.t, Decimal(f"{self.rng.uniform(low, high):.3f}"), "work_hours")

    def solve_start(self, step: str, fraction: float) -> datetime:
        """The latest start of `step` at which `fraction` of its limit is used up by now."""
        limit = limit_for(category_id=self.category.pk, urgent=self.p.urgent or self.p.is_major, step=step)
        if limit is None:
            return self.cap
        amount, unit = limit
        target = float(amount) * fraction
        lo, hi = self.now - timedelta(days=150), self.cap
        for _ in range(32):
            mid = lo + (hi - lo) / 2
            if self.cal.elapsed(mid, self.now, unit) >= target:
                lo = mid
            else:
                hi = mid
        return lo

    # -- service calls

    def call(self, service, actor, **kwargs) -> None:
        self.calls += 1
        request_id = uuid.uuid5(self.ns, f"{self.p.index}:{self.calls}")
        self.case = service(
            case=self.case, actor=actor, expected_version=self.case.version, request_id=request_id, **kwargs
        )

    def photo(self, actor, role: str):

        self.calls += 1
        lon, lat = self.w.point_in(self.grid, self.rng)
        stamp = self.t.astimezone(self.tz).strftime("%Y-%m-%d %H:%M")
        upload = ContentFile(_jpeg(f"{stamp}  {self.grid.code}", self.rng), name=f"{role}.jpg")
        attachment, _ = attachment_add(
            case=self.case,
            actor=actor,
            client_id=uuid.uuid5(self.ns, f"{self.p.index}:photo:{self.calls}"),
            upload=upload,
            role=role,
            captured_at=self.t - timedelta(minutes=self.rng.randint(1, 20)),
            lon=lon,
            lat=lat,
            accuracy_m=round(self.rng.uniform(4, 25), 1),
        )
        return attachment.pk

    # -- the ops

    def report(self) -> None:
        p, g = self.p, self.grid
        lon, lat = self.w.point_in(g, self.rng)
        poor = self.rng.random() < 0.03
        place = self.rng.choice(_PLACES[p.domain])
        detail = self.rng.choice(_DETAILS[p.domain])
        reporter, desk = self.worker, {}
        if not (p.major_proposal or p.is_major) and self.officers and self.rng.random() < DESK_SHARE:
            # Registered at the village station (隐患登记): a call to 12345, a video patrol, a walk-in, a transfer.
            reporter = self.pick(self.officers)
            source = self.rng.choice(DESK_CHANNELS)
            caller = (
                {}
                if source in ("video", "department")
                else {
                    "caller_name": self.rng.choice("陈林黄郑吴王李张刘蔡")
                    + self.rng.choice(("先生", "女士", "阿姨", "师傅")),
                    "caller_phone": f"13{self.rng.randint(0, 9)}{self.rng.randint(10_000_000, 99_999_999)}",
                }
            )
            desk = {"channel": "desk", "source": source, "start_level": 1, **caller}
        self.case, _created = case_report(
            actor=reporter,
            client_id=uuid.UUID(p.client_id),
            category_code=p.category,
            description=f"{g.village_name}{place}：{self.category.name}。{detail}",
            lon=lon,
            lat=lat,
            accuracy_m=None if desk else round(self.rng.uniform(60, 90) if poor else self.rng.uniform(4, 30), 1),
            severity="major" if (p.major_proposal or p.is_major) else None,
            address=f"{g.township_name}{g.village_name}{g.name}",
            **desk,
        )
        # Photos are optional for the services and cost a decoded image, a thumbnail and four fsyncs each: every
        # open case (the ones a demo user opens) and one closed case in five get their report photo.
        if p.outcome not in CLOSURES or self.rng.random() < 0.2:
            self.photo(reporter, "report")

    def escalate(self) -> None:
        if self.case.level == 1:
            actor, reason = self.pick(self.officers), "村级力量不能消除，提请乡镇网格化中心研判"
        elif self.p.is_major:
            actor, reason = (
                self.pick(self.centre_ops + self.centre_leads),
                "重大隐患，提请县网格化中心转县直部门依法处置",
            )
        else:
            actor, reason = self.pick(self.centre_ops + self.centre_leads), "乡镇执法力量不能消除，提请县网格化中心转派"
        self.call(case_escalate, actor, reason=reason)

    def dispatch(self, department) -> None:
        ops = self.county_ops if self.case.level == 3 else self.centre_ops
        self.call(case_dispatch, self.pick(ops), department_id=department.pk, comment=f"请{department.name}签收处置")

    def wrong_department(self):
        if self.p.path == "county":
            return self.rng.choice([u for u in self.w.county_departments if u.pk != self.county_dept.pk])
        other = next(s for s, _n, _d in TOWNSHIP_DEPARTMENTS if f"{s}-" not in self.township_dept.code)
        return self.w.unit(f"{other}-{self.grid.township}")

    def give_back(self) -> None:
        actor = self.pick(self.dept_staff(self.w.units_by_pk[self.case.department_id]))
        self.call(case_return, actor, reason_code="not_our_duty", reason="经核查不属于本单位职责，请重新派遣")

    def start(self) -> None:
        unit = self.county_dept if self.case.level == 3 else self.township_dept
        self.handler = self.pick(self.dept_staff(unit))
        self.call(case_start, self.handler, comment="已签收，安排人员到场处置")

    def assign(self) -> None:
        if self.p.path == "village":
            actor = self.pick(self.officers)
            self.handler = self.worker if self.p.handler_mode == "worker" else actor
        else:
            actor = self.pick(self.centre_ops)
            self.handler = actor if self.rng.random() < 0.5 else self.pick(self.officers)
        self.call(case_assign, actor, handler_id=self.handler.pk, comment="请于时限内整改到位")

    def urge(self) -> None:
        self.call(case_urge, self.pick(self.above()), comment="请加快处置进度，按时反馈整改情况")

    def supervise(self) -> None:
        level = "yellow" if self.rng.random() < 0.2 else "normal"
        self.call(case_supervise, self.pick(self.above()), level=level, instruction="请主要负责人亲自督办，限期整改")

    def reply(self) -> None:
        R = self.w.Role
        holder = self.w.units_by_pk[self.case.holder_unit_id]
        people = self.w.people(holder, R.STATION_OFFICER, R.CENTRE_OPERATOR, R.CENTRE_LEAD, R.DEPT_HANDLER, R.DEPT_LEAD)
        self.call(case_reply_supervision, self.pick(people), reply="已落实督办要求，正在组织整改")

    def request_extension(self) -> None:
        c = self.case
        extra = Decimal(f"{float(c.limit_amount) * self.rng.uniform(0.8, 2.5):.2f}")
        due = self.cal.add(c.due_at, extra, c.limit_unit)
        self.call(case_request_extension, self.handler, requested_due=due, reason="需采购设备、协调施工，申请延期")

    def decide_extension(self, approve: bool) -> None:
        actor = self.pick(self.level_unit_people(leads=True), (self.handler,))
        if approve:
            self.call(case_approve_extension, actor, comment="同意延期，请按新期限完成")
        else:
            self.call(case_reject_extension, actor, reason="整改难度不大，请按原期限完成")

    def suspend(self) -> None:
        review = (self.t.astimezone(self.tz) + timedelta(days=self.rng.choice((30, 60, 90)))).date()
        reason = self.rng.choice(("需列入年度整改资金计划", "涉及规划调整，需县政府协调", "产权纠纷，待司法程序终结"))
        actor = self.pick(self.level_unit_people(leads=True), (self.handler,))
        self.call(case_suspend, actor, reason=reason, review_date=review)

    def resume(self) -> None:
        self.call(
            case_resume, self.pick(self.level_unit_people(leads=True), (self.handler,)), comment="条件具备，恢复处置"
        )

    def submit(self) -> None:
        handler = self.w.users[self.case.handler_id] if self.case.handler_id else self.handler
        self.handler = handler
        photo = self.photo(handler, "after")
        method, measures = _MAJOR_MEASURES.get(self.p.category) or _MEASURES[self.p.domain]
        extra = {}
        if self.case.is_major:
            deadline = (self.t.astimezone(self.tz) + timedelta(days=self.rng.randint(20, 60))).date()
            extra["five_implementations"] = {
                "measures": measures,
                "responsibility": f"{self.county_dept.name}牵头，{self.grid.township_name}、{self.grid.village_name}配合",
                "funds": f"整改资金{self.rng.randint(2, 40)}万元，由责任单位自筹",
                "deadline": deadline.isoformat(),
                "plan": "制定应急处置预案，设置警戒区并落实专人值守",
            }
        self.call(
            case_submit,
            handler,
            method=method,
            measures=measures,
            attachment_ids=[photo],
            completed_at=self.t - timedelta(minutes=self.rng.randint(5, 90)),
            **extra,
        )

    def verify(self, passed: bool) -> None:
        actor = self.verifier()
        lon, lat = self.w.point_in(self.grid, self.rng)
        if passed:
            self.call(case_verify_pass, actor, comment="现场核查，隐患已消除", lon=lon, lat=lat)
        else:
            reason = self.rng.choice(("现场复查整改不到位", "整改后照片与现场不符", "隐患仍存在，需重新整改"))
            self.call(case_verify_fail, actor, reason=reason)

    def reopen(self) -> None:
        people = self.level_unit_people() + self.above()
        actor = self.pick(people, (self.handler,))
        self.call(case_reopen, actor, reason=self.rng.choice(("回访发现隐患复现", "群众反映问题反弹，需重新整改")))

    def close_other(self, outcome: str) -> None:
        if outcome == "invalid":
            code, reason = self.rng.choice(_VOID)
            self.call(case_void, self.pick(self.level_unit_people(leads=True)), reason_code=code, reason=reason)
        elif outcome == "duplicate":
            master = self.case_ids[self.p.master]
            self.call(
                case_merge, self.pick(self.level_unit_people()), master_id=master, comment="同一隐患重复上报，并单处理"
            )
        else:
            body, prefix = self.rng.choice(_TRANSFER_BODIES)
            ref = f"{prefix}{self.t.astimezone(self.tz):%Y%m%d}{self.rng.randint(100, 999)}"
            actor = self.pick(self.level_unit_people())
            comment = "不属于本系统处置范围，移交相关单位"
            self.call(case_transfer, actor, external_body=body, external_ref=ref, comment=comment)

    # -- the plan as ops

    def build(self) -> tuple[list[_Op], int, str]:
        """The ops after the report, the index of the op that enters the final state (-1: the report itself)
        and the clocked step of that state ("" for none)."""
        p = self.p
        ops: list[_Op] = []
        step = ("step", 0.1, 0.8)

        def add(name, run, timing=step):
            ops.append(_Op(name, run, timing))

        target = p.level if p.outcome in ("pending_review", "invalid", "transferred", "duplicate") else 0
        if p.path:
            target = {"village": 1, "township_assign": 2, "township_dept": 2, "county": 3}[p.path]
        for _ in range(max(0, target - p.report_level)):
            add("escalate", self.escalate)
        enter = len(ops) - 1
        review_step = {1: "review_village", 2: "review_township", 3: "review_county"}.get(target, "")
        if p.outcome == "pending_review":
            return ops, enter, review_step
        if p.outcome in ("invalid", "duplicate", "transferred"):
            add(p.outcome, lambda: self.close_other(p.outcome), ("step", 0.1, 0.9))
            return ops, len(ops) - 1, ""
        if p.path in ("township_dept", "county"):
            right = self.county_dept if p.path == "county" else self.township_dept
            if p.misdispatch:
                wrong = self.wrong_department()
                add("dispatch-wrong", lambda: self.dispatch(wrong))
                add("return", self.give_back, ("step", 0.2, 0.9))
            add("dispatch", lambda: self.dispatch(right))
            if p.outcome == "dispatched":
                return ops, len(ops) - 1, "sign"
            add("start", self.start)
        else:
            add("assign", self.assign)
        handling_enter = len(ops) - 1
        if p.urge:
            add("urge", self.urge, ("step", 0.4, 0.75, False))
        if p.supervise:
            add("supervise", self.supervise, ("step", 0.5, 0.9, False))
            add("reply", self.reply, ("hours", 0.5, 4))
        if p.outcome == "handling" and not p.reopened_open:
            if p.extension == "pending":
                add("request_extension", self.request_extension, ("step", 0.5, 0.8, False))
            return ops, handling_enter, "handle"
        if p.outcome == "suspended":
            add("suspend", self.suspend, ("step", 0.3, 0.8, False))
            return ops, len(ops) - 1, ""
        if p.suspend_resume:
            add("suspend", self.suspend, ("step", 0.3, 0.8, False))
            add("resume", self.resume, ("days", 5, 25))
        if p.extension in ("approve", "reject"):
            add("request_extension", self.request_extension, ("step", 0.6, 0.9, False))
            add("decide_extension", lambda: self.decide_extension(p.extension == "approve"), ("hours", 0.5, 5))
        add("submit", self.submit)
        for _ in range(p.rework):
            add("verify_fail", lambda: self.verify(False))
            add("submit", self.submit)
        if p.outcome == "pending_verification":
            return ops, len(ops) - 1, "verify"
        add("verify_pass", lambda: self.verify(True))
        if p.reopen or p.reopened_open:
            add("reopen", self.reopen, ("days", 1, 20))
            if p.reopened_open:
                return ops, len(ops) - 1, ""
            add("submit", self.submit)
            add("verify_pass", lambda: self.verify(True))
        return ops, len(ops) - 1, ""

    def run(self) -> None:
        p = self.p
        ops, enter, enter_step = self.build()
        day = self.now.astimezone(self.tz).date() - timedelta(days=p.day_offset)
        t0 = datetime(day.year, day.month, day.day, tzinfo=self.tz) + timedelta(
            minutes=p.minute, seconds=self.rng.randint(0, 59)
        )
        t0 = min(t0, self.cap - timedelta(minutes=self.rng.uniform(10, 90)) * (len(ops) + 1))
        start = None
        if enter_step and p.light in ("green", "yellow"):
            fraction = self.rng.uniform(0.15, 0.6) if p.light == "green" else self.rng.uniform(0.84, 0.95)
            start = self.solve_start(enter_step, fraction)
            if enter < 0:
                t0 = start
            elif t0 > start - timedelta(hours=enter + 1):
                t0 = start - timedelta(hours=self.rng.uniform(1, 3) * (enter + 1))
        self.t = t0
        with clock.frozen(t0):
            self.report()
        for i, op in enumerate(ops):
            cap = start if (start is not None and i < enter) else self.cap
            if i == enter and start is not None:
                t = max(start, self.t + timedelta(seconds=1))
            else:
                t = self._fit(self.when(op.timing), cap)
                if i == enter and enter_step and p.light == "red":
                    t = self._redden(t, enter_step)
            self.t = t
            with clock.frozen(t):
                op.run()
        state, closure = p.expected
        level = p.level if p.outcome == "pending_review" else self.case.level
        if (self.case.state, self.case.closure, self.case.level) != (state, closure, level):
            raise PathRejected(
                f"case {p.index} ended {self.case.state}/{self.case.closure}@{self.case.level}, "
                f"planned {state}/{closure}@{level}"
            )

    def _redden(self, t: datetime, step: str) -> datetime:
        """Move the start of the final step back far enough that it is overdue now, if the plan allows it."""
        limit = limit_for(category_id=self.category.pk, urgent=self.p.urgent or self.p.is_major, step=step)
        if limit is None or self.cal.elapsed(t, self.now, limit[1]) >= float(limit[0]) * 1.1:
            return t
        earlier = self.solve_start(step, self.rng.uniform(1.3, 3.0))
        return earlier if earlier > self.t else t
