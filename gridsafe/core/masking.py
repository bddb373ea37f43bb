"""脱敏 — masking of personal data on display (domain.md §10, GB/T 35273-2020). Full values only through
`core.personal.personal_data_reveal`, which writes an audit row."""


def mask_phone(value: str | None) -> str:
    """13812345678 → 138****5678; a short number keeps its last two digits: 6612345 → *****45."""
    if not value:
        return ""
    digits = value.strip()
    if len(digits) >= 11:
        return digits[:3] + "*" * (len(digits) - 7) + digits[-4:]
    if len(digits) <= 2:
        return "*" * len(digits)
    return "*" * (len(digits) - 2) + digits[-2:]


def mask_id(value: str | None) -> str:
    """身份证号 350322199001011234 → 350322********1234 (region code and last four kept)."""
    if not value:
        return ""
    value = value.strip()
    if len(value) <= 10:
        return value[:1] + "*" * (len(value) - 1)
    return value[:6] + "*" * (len(value) - 10) + value[-4:]


def mask_name(value: str | None) -> str:
    """林强 → 林*, 林小强 → 林**: the first character, one * per remaining character."""
    if not value:
        return ""
    value = value.strip()
    return value[:1] + "*" * (len(value) - 1)
