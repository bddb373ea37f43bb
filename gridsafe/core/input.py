"""One input base for everything a client sends: every API schema derives from `InputSchema`, every web form from
`InputForm`, and loose parameters (path ids, multipart form fields, plain query values) use the types below.

Why: a value the database accepts but cannot give back breaks every later read of that row for everyone. A year-1
or year-9999 moment with a ±23:59 offset is stored by PostgreSQL and then fails to load (a 500 on the case page, the
place list, the inspections page); an ESC character makes the XLSX export and the DOCX bulletin fail; a 5 MB comment
sits forever on an append-only timeline; an integer past 64 bits or a NaN coordinate is a 500 on the write. So each
is refused at the door as a 422 naming the field:

- text: no control characters except tab, newline and the CR of a CRLF (nor C1 controls, lone surrogates, U+FFFE/F),
  and a length limit on every string (DEFAULT_MAX_LENGTH unless the field sets its own), nested values included;
- integers within a signed 64-bit column; floats finite;
- moments: timezone-aware (a naive one is read in settings.TIME_ZONE, as Django does), UTC offset within ±14 h,
  not before 2000-01-01 and not more than a day ahead (`Moment`) or, for deadlines and review dates that are about the
  future, at most FUTURE_YEARS ahead (`FutureMoment`, `FutureDay`); query bounds (`QueryDay`, `QueryMoment`) share
  the future window and `check_range` keeps from ≤ to and the span within MAX_RANGE_YEARS.

The checks run on every report, so they are a handful of comparisons and one precompiled regular expression."""

import math
import re
from datetime import UTC, date, datetime, timedelta
from typing import Annotated, Any

from annotated_types import Interval
from django import forms
from django.core.exceptions import ValidationError as DjangoValidationError
from django.core.validators import MaxLengthValidator
from django.utils import timezone
from ninja import Schema
from pydantic import AfterValidator, AllowInfNan, ConfigDict, StringConstraints, field_validator

from gridsafe.core import clock

INT64_MAX = 2**63 - 1
DEFAULT_MAX_LENGTH = 2000  # comments, reasons, notes; short names set their own (e.g. 200), descriptions 4000
EARLIEST = datetime(2000, 1, 1, tzinfo=UTC)
EARLIEST_DAY = date(2000, 1, 1)
MAX_OFFSET = timedelta(hours=14)  # the widest offset in use anywhere (UTC+14, Kiribati; UTC−12)
PAST_SLACK = timedelta(days=1)  # a phone's clock may run ahead; a day covers every time zone and then some
FUTURE_YEARS = 5
MAX_RANGE_YEARS = 10

# One compiled pattern for the whole class: C0 controls but tab and newline, a CR not followed by a newline, DEL and
# C1, lone surrogates (PostgreSQL cannot encode them) and the non-characters U+FFFE/U+FFFF (illegal in XML).
CONTROL_RE = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ud800-\udfff\ufffe\uffff]|\r(?!\n)")
# What XML 1.0 (XLSX, DOCX) cannot hold at all: used to clean text stored before this check existed.
XML_ILLEGAL_RE = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")

TEXT_MESSAGE = "不能包含控制字符（仅允许制表符和换行）"
INT_MESSAGE = f"数值超出范围（绝对值不能超过 {INT64_MAX}）"
FLOAT_MESSAGE = "必须是有限的数字（不能是 NaN 或无穷大）"


def clean_xml_text(value: str) -> str:
    """Text for an XLSX cell or a DOCX paragraph: characters XML cannot carry are dropped, not fatal."""
    return XML_ILLEGAL_RE.sub("", value) if isinstance(value, str) else value


# ---------------------------------------------------------------- the checks (each raises ValueError in Chinese)


def check_text(value: str) -> str:
    if CONTROL_RE.search(value):
        raise ValueError(TEXT_MESSAGE)
    return value


def check_int(value: int) -> int:
    if not -INT64_MAX <= value <= INT64_MAX:
        raise ValueError(INT_MESSAGE)
    return value


def _future_limit(now: datetime) -> datetime:
    return now + timedelta(days=366 * FUTURE_YEARS + 1)


def _aware(value: datetime) -> datetime:
    if timezone.is_naive(value):
        try:
            return timezone.make_aware(value)  # settings.TIME_ZONE (Asia/Shanghai), as forms and the ORM read it
        except (OverflowError, ValueError) as exc:
            raise ValueError("时间不合法") from exc
    offset = value.utcoffset()
    if offset is not None and abs(offset) > MAX_OFFSET:
        raise ValueError("时区偏移超出 ±14 小时")
    return value


def check_moment(value: datetime, *, future: bool = False) -> datetime:
    """Aware, offset within ±14 h, from 2000-01-01 to a day ahead (or FUTURE_YEARS ahead for `future`)."""
    value = _aware(value)
    now = clock.now()
    latest = _future_limit(now) if future else now + PAST_SLACK
    if value < EARLIEST:
        raise ValueError("时间不能早于 2000-01-01")
    if value > latest:
        raise ValueError(f"时间不能晚于 {timezone.localtime(latest):%Y-%m-%d %H:%M}")
    return value


def check_day(value: date, *, future: bool = False) -> date:
    today = timezone.localdate(clock.now())
    latest = _future_limit(clock.now()).date() if future else today + PAST_SLACK
    if value < EARLIEST_DAY:
        raise ValueError("日期不能早于 2000-01-01")
    if value > latest:
        raise ValueError(f"日期不能晚于 {latest:%Y-%m-%d}")
    return value


def check_range(start, end, *, label: str = "查询范围", names: tuple[str, str] | None = None):
    """from ≤ to and a span of at most MAX_RANGE_YEARS (both ends optional). Raises ValueError; `names` are the two
    bounds' labels, for a message a person reads on a form ("开始日期不能晚于结束日期")."""
    if start is not None and end is not None:
        if start > end:
            raise ValueError(f"{names[0]}不能晚于{names[1]}" if names else f"{label}的开始不能晚于结束")
        if end - start > timedelta(days=366 * MAX_RANGE_YEARS):
            raise ValueError(f"{label}不能超过 {MAX_RANGE_YEARS} 年")
    return start, end


def _future_moment(value: datetime) -> datetime:
    return check_moment(value, future=True)


def _future_day(value: date) -> date:
    return check_day(value, future=True)


# ---------------------------------------------------------------- the shared types (schemas and loose parameters)

Moment = Annotated[datetime, AfterValidator(check_moment)]  # something that happened: capture, visit, start, end
FutureMoment = Annotated[datetime, AfterValidator(_future_moment)]  # a deadline asked for, within FUTURE_YEARS
QueryMoment = FutureMoment  # a query bound: within the window; pair them with check_range
Day = Annotated[date, AfterValidator(check_day)]
FutureDay = Annotated[date, AfterValidator(_future_day)]  # a review date, within FUTURE_YEARS
QueryDay = FutureDay
# Constraints as annotated-types metadata, not `Field(...)`: a FieldInfo inside the alias would drop the default of
# a parameter written `role: Form[ShortText] = "report"` (django-ninja then calls it required).
Id = Annotated[int, Interval(ge=1, le=INT64_MAX)]  # a row id in a path, body or form field
BigInt = Annotated[int, Interval(ge=-INT64_MAX, le=INT64_MAX)]  # limit, offset: page_window clamps the rest
Number = Annotated[float, AllowInfNan(False)]
Text = Annotated[str, StringConstraints(max_length=DEFAULT_MAX_LENGTH), AfterValidator(check_text)]
ShortText = Annotated[str, StringConstraints(max_length=200), AfterValidator(check_text)]


def _check_nested(value: Any, nested: bool = False) -> Any:
    """Strings, integers, floats and moments anywhere in a value (dict keys and values, list items). A string inside
    a free-form value (`dict[str, Any]`) has no field of its own to carry a limit, so it gets the default one."""
    if isinstance(value, str):
        check_text(value)
        if nested and len(value) > DEFAULT_MAX_LENGTH:
            raise ValueError(f"文本不能超过 {DEFAULT_MAX_LENGTH} 个字符")
    elif isinstance(value, bool):
        pass
    elif isinstance(value, int):
        check_int(value)
    elif isinstance(value, float):
        if not math.isfinite(value):
            raise ValueError(FLOAT_MESSAGE)
    elif isinstance(value, datetime):
        # A moment field without a narrower type of its own still cannot break a read.
        check_moment(value, future=True)
    elif isinstance(value, date):
        check_day(value, future=True)
    elif isinstance(value, dict):
        for key, item in value.items():
            _check_nested(key, True)
            _check_nested(item, True)
    elif isinstance(value, list | tuple | set | frozenset):
        for item in value:
            _check_nested(item, True)
    return value


class InputSchema(Schema):
    """The base of every API input schema (bodies and query schemas). Pydantic's own config bounds every string's
    length (a field may set a larger `max_length`, like a 4000-character description) and refuses NaN/∞ in every
    float field; one validator over every field refuses control characters, integers past 64 bits and moments
    outside the window, however deeply nested. Nested schemas derive from it too."""

    model_config = ConfigDict(str_max_length=DEFAULT_MAX_LENGTH, allow_inf_nan=False)

    @field_validator("*", mode="after")
    @classmethod
    def _refuse_unreadable(cls, value):
        return _check_nested(value)


# ---------------------------------------------------------------- web forms


def _form_text(value):
    if isinstance(value, str) and CONTROL_RE.search(value):
        raise DjangoValidationError(TEXT_MESSAGE, code="control_characters")


def _form_moment(future: bool):
    def check(value):
        if value is None:
            return
        try:
            if isinstance(value, datetime):
                check_moment(value, future=future)
            elif isinstance(value, date):
                check_day(value, future=future)
        except ValueError as exc:
            raise DjangoValidationError(str(exc), code="out_of_window") from exc

    return check


def _form_int(value):
    if value is not None and not -INT64_MAX <= value <= INT64_MAX:
        raise DjangoValidationError(INT_MESSAGE, code="out_of_range")


class InputForm(forms.Form):
    """The base of every web form: the same rules as `InputSchema`, as form errors on the field. Text fields without
    a `max_length` get DEFAULT_MAX_LENGTH; date and time fields are past-facing (`Moment`) unless listed in
    `future_fields` (a requested deadline, a review date); integers stay within 64 bits; floats must be finite."""

    future_fields: tuple[str, ...] = ()
    ranges: tuple[tuple[str, str], ...] = ()  # (from, to) pairs of query bounds: from ≤ to, span bounded

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for name, field in self.fields.items():
            secure_form_field(field, future=name in self.future_fields)

    def clean(self):
        data = super().clean()
        for start, end in self.ranges:
            names = (self.fields[start].label or start, self.fields[end].label or end)
            try:
                check_range(data.get(start), data.get(end), label=f"{names[0]}至{names[1]}", names=names)
            except ValueError as exc:
                self.add_error(end, str(exc))
        return data


def secure_form_field(field: forms.Field, *, future: bool = False, default_length: bool = True) -> None:
    """Adds the input rules to one form field (also usable on a ModelForm's fields in its __init__). Without
    `default_length`, a text field without a limit of its own stays unlimited (the admin's long model texts)."""
    if isinstance(field, forms.UUIDField | forms.JSONField):
        return  # CharFields by inheritance, but their values are a UUID and JSON (escaped, any length it needs)
    if isinstance(field, forms.CharField):
        if field.max_length is None and default_length:
            field.max_length = DEFAULT_MAX_LENGTH
            field.validators.append(MaxLengthValidator(DEFAULT_MAX_LENGTH))
            field.widget.attrs.setdefault("maxlength", str(DEFAULT_MAX_LENGTH))
        field.validators.append(_form_text)
    elif isinstance(field, forms.DateTimeField | forms.DateField):
        field.validators.append(_form_moment(future))
    elif isinstance(field, forms.IntegerField):
        field.validators.append(_form_int)
    elif isinstance(field, forms.FloatField | forms.DecimalField):
        field.validators.append(_form_finite)


def _form_finite(value):
    if value is not None and not math.isfinite(float(value)):
        raise DjangoValidationError(FLOAT_MESSAGE, code="not_finite")
