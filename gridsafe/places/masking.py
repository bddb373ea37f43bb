"""Masked values sent back by a client (the masks themselves are core.masking's)."""


def is_masked(value: str) -> bool:
    """A value the client got masked and sent back unchanged: never written over the real one."""
    return "*" in (value or "")
