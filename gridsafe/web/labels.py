"""Chinese display labels for the pages. The model choices carry English msgids with the Chinese term in brackets
(until the zh-hans catalogue exists); screens and exports need the short Chinese term alone. A test checks that
every choice value has a label here, so a new state or action cannot ship without one."""

from gridsafe.cases.models import AttachmentRole, Level, Light, Source, SupervisionLevel
from gridsafe.cases.transitions import Action, Closure, State
from gridsafe.catalog.models import Grade

STATE = {
    State.PENDING_REVIEW: "待研判",
    State.DISPATCHED: "待签收",
    State.HANDLING: "处置中",
    State.SUSPENDED: "挂账",
    State.PENDING_VERIFICATION: "待核查",
    State.CLOSED: "已结案",
}

# "Closed" never means "fixed": every closed case shows how it closed.
CLOSURE = {
    Closure.RESOLVED: "已整改",
    Closure.INVALID: "作废",
    Closure.DUPLICATE: "重复并单",
    Closure.TRANSFERRED: "移交",
}

ACTION = {
    Action.ASSIGN: "受理自处理",
    Action.ESCALATE: "上报上级",
    Action.DISPATCH: "派遣",
    Action.START: "签收",
    Action.RETURN: "回退",
    Action.SUBMIT: "提交整改",
    Action.VERIFY_PASS: "核查通过",
    Action.VERIFY_FAIL: "核查不通过",
    Action.REQUEST_EXTENSION: "申请延期",
    Action.APPROVE_EXTENSION: "同意延期",
    Action.REJECT_EXTENSION: "驳回延期",
    Action.SUSPEND: "挂账",
    Action.RESUME: "挂账恢复",
    Action.VOID: "作废",
    Action.MERGE: "并单",
    Action.TRANSFER: "移交",
    Action.REOPEN: "重新打开",
    Action.SUPERVISE: "督办",
    Action.REPLY_SUPERVISION: "督办回复",
    Action.URGE: "催办",
    Action.COMMENT: "备注",
    Action.REGRADE: "定级",
}

LEVEL = {Level.VILLAGE: "村居", Level.TOWNSHIP: "乡镇", Level.COUNTY: "县级"}

SOURCE = {
    Source.GRID_WORKER: "网格员上报",
    Source.PATROL: "巡查",
    Source.HOTLINE: "12345 热线",
    Source.VIDEO: "视频监控",
    Source.DEPARTMENT: "部门检查",
    Source.LEADER: "领导交办",
}

GRADE = {Grade.GENERAL: "一般隐患", Grade.MAJOR: "重大隐患"}

LIGHT = {Light.GREEN: "绿灯", Light.YELLOW: "黄灯", Light.RED: "红灯", Light.NONE: "不计时"}

SUPERVISION = {
    SupervisionLevel.NONE: "",
    SupervisionLevel.NORMAL: "普通督办",
    SupervisionLevel.YELLOW: "黄牌督办",
    SupervisionLevel.RED: "红牌督办",
}

ATTACHMENT_ROLE = {
    AttachmentRole.REPORT: "上报照片",
    AttachmentRole.BEFORE: "整改前",
    AttachmentRole.AFTER: "整改后",
    AttachmentRole.VERIFICATION: "核查照片",
    AttachmentRole.DOCUMENT: "文书",
}

LOCATION_FLAG = {
    "outside_own_grid": "不在上报人网格内",
    "outside_county_edge": "位于县界附近",
    "poor_accuracy": "定位精度较差",
}


def state_text(state: str, closure: str = "") -> str:
    """已结案·已整改, 已结案·作废 … never a bare 已结案."""
    text = STATE.get(state, state)
    if state == State.CLOSED and closure:
        return f"{text}·{CLOSURE.get(closure, closure)}"
    return text
