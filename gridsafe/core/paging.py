"""One rule for every list endpoint's `limit` and `offset`: whatever a client sends (negative, zero, 10**20),
the answer is a page, never a 500 — a negative slice is an error in Django, and OFFSET must fit in 64 bits."""

MAX_OFFSET = 10**9  # past any real list


def page_window(limit: int, offset: int, *, max_limit: int) -> tuple[int, int]:
    """(limit, offset) clamped to 1..max_limit and 0..MAX_OFFSET."""
    return max(1, min(limit, max_limit)), max(0, min(offset, MAX_OFFSET))
