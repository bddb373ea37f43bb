"""Counting for pages whose lists can hold millions of rows.

An exact COUNT(*) reads every matching row: at 10 M cases the case list's total cost seconds while its page of 50
rows costs milliseconds. Past a cap, what a person needs is "more than N" and the rows themselves, so the counts
here stop at the cap (COUNT over a LIMIT, still one query) and say "N+" beyond it."""

from django.core.paginator import EmptyPage, Page, PageNotAnInteger, Paginator

from gridsafe.core.paging import capped_count, page_rows

LIST_COUNT_CAP = 10_000  # the case list: totals up to this are exact
QUEUE_COUNT_CAP = 999  # 待办 cards: a queue card shows 999+ beyond this

__all__ = ["capped_count", "count_text", "page_rows", "CappedPaginator", "CappedPage"]


def count_text(count: int, cap: int) -> str:
    return f"{cap}+" if count > cap else str(count)


class CappedPaginator(Paginator):
    """A Paginator whose total is exact up to `cap` rows and a lower bound beyond it. Every page can still be
    reached: beyond the cap the pages are numbered on, and a page knows whether another follows by fetching one
    row more than it shows (so no page costs more than one query for its rows, however deep)."""

    def __init__(self, object_list, per_page, *, cap: int | None = None):
        super().__init__(object_list, per_page)
        self.cap = LIST_COUNT_CAP if cap is None else cap

    @property
    def count(self) -> int:
        if not hasattr(self, "_capped_count"):
            self._capped_count = capped_count(self.object_list, self.cap)
        return self._capped_count

    @property
    def capped(self) -> bool:
        """True when there are more rows than the cap: the total is shown as "cap+"."""
        return self.count > self.cap

    @property
    def count_text(self) -> str:
        return count_text(self.count, self.cap)

    def validate_number(self, number):
        if not self.capped:
            return super().validate_number(number)
        try:
            if isinstance(number, float) and not number.is_integer():
                raise ValueError
            number = int(number)
        except (TypeError, ValueError):
            raise PageNotAnInteger("页码须为整数") from None
        if number < 1:
            raise EmptyPage("页码须大于 0")
        return number

    def page(self, number):
        if not self.capped:
            number = self.validate_number(number)
            bottom = (number - 1) * self.per_page
            top = min(bottom + self.per_page, self.count)
            return self._get_page(page_rows(self.object_list, bottom, top - bottom), number, self)
        number = self.validate_number(number)
        bottom = (number - 1) * self.per_page
        rows = page_rows(self.object_list, bottom, self.per_page + 1)
        if not rows and number > 1:
            raise EmptyPage("该页没有结果")
        return CappedPage(rows[: self.per_page], number, self, has_more=len(rows) > self.per_page)


class CappedPage(Page):
    def __init__(self, object_list, number, paginator, *, has_more: bool):
        super().__init__(object_list, number, paginator)
        self.has_more = has_more

    def has_next(self) -> bool:
        return self.has_more

    def next_page_number(self) -> int:
        return self.number + 1

    def end_index(self) -> int:
        return (self.number - 1) * self.paginator.per_page + len(self.object_list)
