"""个人信息 — full values of personal data (phone, ID number, name) only through `personal_data_reveal`, which
checks the role and writes one audit row per reveal (domain.md §10: 每次查看完整信息均留痕). Lists and pages show
`core.masking` output. The caller has already checked that `obj` is in the actor's 辖区 (get_<entity>_for_user).
Here, not in core: who may see a full value is a role rule of accounts, and core imports no app."""

from gridsafe.accounts.permissions import can_reveal_personal_data
from gridsafe.core.audit import audit_record
from gridsafe.core.errors import NotPermitted


def personal_data_reveal(*, actor, obj, field: str, ip: str | None, reason: str = "") -> str:
    """Return the full value of `obj.<field>`. Raises NotPermitted (and audits the refusal) for other roles."""
    target = f"{obj._meta.label_lower}:{obj.pk}.{field}"
    if not can_reveal_personal_data(actor):
        audit_record(actor=actor, action="personal_data.reveal", target=target, outcome="failure", ip=ip)
        raise NotPermitted("无权查看完整个人信息")
    value = getattr(obj, field) or ""
    audit_record(actor=actor, action="personal_data.reveal", target=target, ip=ip, payload={"reason": reason[:200]})
    return value
