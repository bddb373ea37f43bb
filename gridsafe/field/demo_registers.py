"""Demo registers: the objects' facts, cylinders, risk points and enterprises (places.demo), then the daily
deadline job once, so the demo opens with visit tasks for what is about to lapse and cases for what has."""

from django.utils import timezone

from gridsafe.core import clock
from gridsafe.field.deadlines import registers_tick
from gridsafe.places.demo import seed_register_facts


def seed_registers_demo(*, seed: int = 350322) -> str:
    now = clock.now()
    made = seed_register_facts(seed=seed, today=timezone.localtime(now).date())
    ticked = registers_tick(now)
    return (
        f"对象台账 {made['facts']} 份、钢瓶 {made['cylinders']} 个、风险点 {made['risk_points']} 个、"
        f"企业 {made['enterprises']} 家；到期提醒 {ticked['reminded']} 条、到期未续立案 {ticked['cases']} 件"
    )
