"""The county's numbers for the registers of supervised objects (台账), kept apart from the code that reads them so a
county decision is a one-line change. The inspection interval per risk grade is `schedule.RISK_INTERVAL_DAYS`
(红 weekly, 橙 fortnightly, 黄 monthly, 蓝 quarterly); the domain's own cadence is `schedule._domain_interval`."""

from gridsafe.places.models import DeadlineKind, RiskLevel

# A licence or statutory inspection this many days ahead puts a visit on the grid worker's list.
EXPIRY_REMIND_DAYS = 30

# 群租: more tenants than rooms × this (住建部《商品房屋租赁管理办法》: a room is let to no more than two people
# unless they are family — counties set their own number).
GROUP_RENTAL_PER_ROOM = 2

# A venue with more people than this needs at least two safety exits (GB 50016 §5.5.8 in spirit).
VENUE_TWO_EXITS_ABOVE = 50

# Worst first: the place's risk_level is the worst grade of its active risk points.
RISK_ORDER = [RiskLevel.RED, RiskLevel.ORANGE, RiskLevel.YELLOW, RiskLevel.BLUE]
RISK_COLOURS = {
    RiskLevel.RED: "#d9342b",
    RiskLevel.ORANGE: "#f08c00",
    RiskLevel.YELLOW: "#f5c400",
    RiskLevel.BLUE: "#2f80ed",
}
RISK_NAMES = {
    RiskLevel.RED: "重大风险",
    RiskLevel.ORANGE: "较大风险",
    RiskLevel.YELLOW: "一般风险",
    RiskLevel.BLUE: "低风险",
}

# An expired deadline opens a case in the first of these categories that exists and is active, else the first
# active category of the place's domain.
DEADLINE_CATEGORIES = {
    DeadlineKind.ELEVATOR_INSPECTION: ["elevator-no-mark", "elevator-no-inspection"],
    DeadlineKind.FIREWORKS_LICENCE: ["fireworks-unlicensed"],
    DeadlineKind.VENUE_LICENCE: ["venue-unlicensed", "venue-fire-system"],
    DeadlineKind.LPG_LICENCE: ["lpg-unlicensed", "lpg-illegal-filling"],
    DeadlineKind.CYLINDER_INSPECTION: ["lpg-no-inspection"],
}

# Domain code → map layer colour of its places.
DOMAIN_COLOURS = {
    "fire": "#c0392b",
    "rental": "#8e44ad",
    "lpg": "#16a085",
    "fireworks": "#d35400",
    "venue": "#2c3e50",
    "elevator": "#2980b9",
    "road": "#7f8c8d",
}
