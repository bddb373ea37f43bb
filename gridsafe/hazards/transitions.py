"""The major-hazard process (16号令, 福建 挂牌督办 rules): the only list of its moves."""

from django.db import models
from django.utils.translation import gettext_lazy as _


class MajorState(models.TextChoices):
    CONFIRMED = "confirmed", _("Confirmed, not yet listed (已定级待挂牌)")
    LISTED = "listed", _("Listed for supervision (挂牌督办)")
    RECTIFYING = "rectifying", _("Under rectification (治理中)")
    EVALUATED = "evaluated", _("Evaluated, awaiting write-off (已评估待销号)")
    CLOSED = "closed", _("Written off (已销号)")
    WITHDRAWN = "withdrawn", _("Withdrawn, grade lowered (已撤销)")


class MajorAction(models.TextChoices):
    OPEN = "open", _("Open (启动重大隐患流程)")
    LIST = "listing", _("List for supervision (挂牌督办)")
    PLAN = "plan", _("Rectification plan (治理方案)")
    STOP = "stop", _("Stop order (停产停用)")
    PROGRESS = "progress", _("Progress report (进展报告)")
    FIVE = "five", _("Five implementations (五落实)")
    EVALUATE = "evaluate", _("Completion evaluation (评估)")
    CLOSE = "close", _("Write-off (销号)")
    REOPEN = "reopen", _("Back to rectification (核查不通过)")
    WITHDRAW = "withdraw", _("Withdraw (撤销)")


S, A = MajorState, MajorAction
TRANSITIONS: dict[tuple[str, str], str] = {
    (S.CONFIRMED, A.LIST): S.LISTED,  # 挂牌督办: notice number and supervising body
    (S.CONFIRMED, A.WITHDRAW): S.WITHDRAWN,  # grade lowered before listing
    (S.LISTED, A.PLAN): S.RECTIFYING,  # 治理方案 (seven parts)
    (S.RECTIFYING, A.PLAN): S.RECTIFYING,  # a revised plan
    (S.LISTED, A.STOP): S.LISTED,  # 停产停用 (full or partial), any time before the evaluation
    (S.RECTIFYING, A.STOP): S.RECTIFYING,
    (S.LISTED, A.FIVE): S.LISTED,  # 五落实 by the enterprise or the department
    (S.RECTIFYING, A.FIVE): S.RECTIFYING,
    (S.RECTIFYING, A.PROGRESS): S.RECTIFYING,  # 进展报告 with photos
    (S.RECTIFYING, A.EVALUATE): S.EVALUATED,  # 评估 (evaluation report)
    (S.EVALUATED, A.CLOSE): S.CLOSED,  # 销号: the department lead's 核查通过 of the case
    (S.EVALUATED, A.REOPEN): S.RECTIFYING,  # 核查不通过: back to work
}
PUBLISHED_STATES = (S.LISTED, S.RECTIFYING, S.EVALUATED, S.CLOSED)
SUPERVISED_STATES = (S.LISTED, S.RECTIFYING, S.EVALUATED)  # 挂牌督办中


def next_state(state: str, action: str) -> str | None:
    return TRANSITIONS.get((state, action))
