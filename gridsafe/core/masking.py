"""脱敏 — masking of personal data on display (domain.md §10, GB/T 35273-2020): the one set of rules for every page,
API answer and admin list. Full values only through an audited reveal (`accounts.personal.personal_data_reveal`,
`places.services.place_contact_reveal`)."""

import re

_NOT_DIGIT = re.compile(r"\D")


def mask_phone(value: str | None) -> str:
    """13812345678 → 138****5678; 0594-7654321 → 059****4321; +86 is dropped; a shorter number shows only its last
    four digits (7654321 → ***4321), one of four or fewer none."""
    digits = _NOT_DIGIT.sub("", value or "")
    if len(digits) == 13 and digits.startswith("86"):
        digits = digits[2:]  # +86 country code
    if not digits:
        return ""
    if len(digits) <= 4:
        return "*" * len(digits)
    prefix = digits[:3] if len(digits) >= 11 else ""
    return prefix + "*" * (len(digits) - len(prefix) - 4) + digits[-4:]


def mask_id(value: str | None) -> str:
    """身份证号 350322199001011234 → 350322********1234 (region code and last four kept); a short number is all stars."""
    value = (value or "").strip()
    if len(value) < 10:
        return "*" * len(value)
    return value[:6] + "*" * (len(value) - 10) + value[-4:]


def mask_name(value: str | None) -> str:
    """林强 → 林*, 欧阳明华 → 欧***: the first character, then stars (at least one, so 林 → 林* hides the length)."""
    value = (value or "").strip()
    if not value:
        return ""
    return value[0] + "*" * max(1, len(value) - 1)
