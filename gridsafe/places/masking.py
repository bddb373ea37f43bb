"""Display masks for personal data (domain.md §10, GB/T 35273): phone 138****5678, name 林*, ID 350322********1234.
Full values only through the audited reveal in `places.services.place_contact_reveal`."""

import re

_DIGITS = re.compile(r"\D")


def mask_phone(phone: str) -> str:
    """13812345678 → 138****5678; 05941234567 → 059****4567; shorter numbers show only their last four digits."""
    digits = _DIGITS.sub("", phone or "")
    if len(digits) == 13 and digits.startswith("86"):
        digits = digits[2:]  # +86 country code
    if not digits:
        return ""
    if len(digits) <= 4:
        return "*" * len(digits)
    prefix = digits[:3] if len(digits) >= 11 else ""
    return prefix + "*" * (len(digits) - len(prefix) - 4) + digits[-4:]


def mask_name(name: str) -> str:
    """林强 → 林*, 欧阳明华 → 欧***; a Latin name keeps its first letter."""
    name = (name or "").strip()
    if not name:
        return ""
    return name[0] + "*" * max(1, len(name) - 1)


def mask_id_number(number: str) -> str:
    number = (number or "").strip()
    if len(number) < 10:
        return "*" * len(number)
    return number[:6] + "*" * (len(number) - 10) + number[-4:]


def is_masked(value: str) -> bool:
    """A value the client got masked and sent back unchanged: never written over the real one."""
    return "*" in (value or "")
