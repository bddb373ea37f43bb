"""The registry of case event kinds. Stored strings: add, never rename."""

from django.db import models


class EventKind(models.TextChoices):
    CASE_REPORTED = "case.reported", "上报隐患"
    CASE_ASSIGNED = "case.assigned", "受理/交办"
    CASE_ESCALATED = "case.escalated", "上报上级"
    CASE_DISPATCHED = "case.dispatched", "派遣"
    CASE_STARTED = "case.started", "签收"
    CASE_RETURNED = "case.returned", "回退"
    CASE_SUBMITTED = "case.submitted", "提交整改"
    CASE_VERIFIED = "case.verified", "核查通过"
    CASE_REWORK = "case.rework", "核查不通过(返工)"
    EXTENSION_REQUESTED = "case.extension_requested", "延期申请"
    EXTENSION_APPROVED = "case.extension_approved", "同意延期"
    EXTENSION_REJECTED = "case.extension_rejected", "驳回延期"
    CASE_SUSPENDED = "case.suspended", "挂账"
    CASE_RESUMED = "case.resumed", "挂账恢复"
    CASE_VOIDED = "case.voided", "作废"
    CASE_MERGED = "case.merged", "并单"
    CASE_TRANSFERRED = "case.transferred", "移交"
    CASE_REOPENED = "case.reopened", "重新打开"
    CASE_SUPERVISED = "case.supervised", "督办"
    SUPERVISION_REPLIED = "case.supervision_replied", "督办回复"
    CASE_URGED = "case.urged", "催办"
    CASE_COMMENTED = "case.commented", "备注"
    CASE_REGRADED = "case.regraded", "定级"
    ATTACHMENT_ADDED = "case.attachment_added", "添加附件"
    CASE_INFO_REQUESTED = "case.info_requested", "退回核实/补充"
    CASE_INFO_SUPPLIED = "case.info_supplied", "核实补充"
    PART_STARTED = "case.part_started", "协办签收"
    PART_REPORTED = "case.part_reported", "协办反馈"
    CASE_CORRECTED = "case.corrected", "更正"
    CASE_DUE_SOON = "case.due_soon", "临期预警"
    CASE_OVERDUE = "case.overdue", "超期"


ACTION_EVENT: dict[str, EventKind] = {
    "assign": EventKind.CASE_ASSIGNED,
    "escalate": EventKind.CASE_ESCALATED,
    "dispatch": EventKind.CASE_DISPATCHED,
    "start": EventKind.CASE_STARTED,
    "return": EventKind.CASE_RETURNED,
    "submit": EventKind.CASE_SUBMITTED,
    "verify_pass": EventKind.CASE_VERIFIED,
    "verify_fail": EventKind.CASE_REWORK,
    "request_extension": EventKind.EXTENSION_REQUESTED,
    "approve_extension": EventKind.EXTENSION_APPROVED,
    "reject_extension": EventKind.EXTENSION_REJECTED,
    "suspend": EventKind.CASE_SUSPENDED,
    "resume": EventKind.CASE_RESUMED,
    "void": EventKind.CASE_VOIDED,
    "merge": EventKind.CASE_MERGED,
    "transfer": EventKind.CASE_TRANSFERRED,
    "reopen": EventKind.CASE_REOPENED,
    "supervise": EventKind.CASE_SUPERVISED,
    "reply_supervision": EventKind.SUPERVISION_REPLIED,
    "urge": EventKind.CASE_URGED,
    "comment": EventKind.CASE_COMMENTED,
    "regrade": EventKind.CASE_REGRADED,
    "request_info": EventKind.CASE_INFO_REQUESTED,
    "supply_info": EventKind.CASE_INFO_SUPPLIED,
    "assist_start": EventKind.PART_STARTED,
    "assist_report": EventKind.PART_REPORTED,
    "correct": EventKind.CASE_CORRECTED,
}
