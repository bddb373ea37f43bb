"""core.input: the one input base. Unit checks of the shared types, and a sweep over every API operation and every
web form proving each client-supplied value goes through them (a new endpoint with a bare `datetime` or `int`
fails here before a probe finds it)."""

import types
import typing
from datetime import UTC, date, datetime, timedelta, timezone

import pytest
from django import forms
from pydantic import BaseModel, ValidationError, create_model

from gridsafe.core import clock
from gridsafe.core.input import (
    INT64_MAX,
    FutureDay,
    FutureMoment,
    InputForm,
    InputSchema,
    Moment,
    clean_xml_text,
    secure_form_field,
)

FAR = timezone(timedelta(hours=23, minutes=59))
FAR_WEST = timezone(-timedelta(hours=23, minutes=59))
EDGE_MOMENTS = [
    datetime(1, 1, 1, 0, 0, tzinfo=FAR),
    datetime(9999, 12, 31, 23, 59, tzinfo=FAR_WEST),
    datetime(1999, 12, 31, 23, 59, tzinfo=UTC),
    datetime(2026, 1, 1, 12, 0, tzinfo=timezone(timedelta(hours=15))),  # an offset no place uses
]


class Probe(InputSchema):
    when: Moment | None = None
    due: FutureMoment | None = None
    day: FutureDay | None = None
    text: str = ""
    long_text: str = ""
    number: int = 0
    ratio: float = 0.0
    extra: dict[str, typing.Any] = {}


def _refused(**fields):
    with pytest.raises(ValidationError) as info:
        Probe(**fields)
    return info.value


@pytest.mark.parametrize("value", EDGE_MOMENTS + [datetime(9999, 1, 1)], ids=str)
def test_moments_outside_the_window_are_refused(value):
    error = _refused(when=value)
    assert error.errors()[0]["loc"] == ("when",)
    _refused(due=value)


def test_moments_inside_the_window_pass_and_naive_ones_are_read_in_shanghai():
    now = clock.now()
    assert Probe(when=now).when == now
    assert Probe(when=now + timedelta(hours=20)).when is not None  # a phone clock a little ahead
    naive = Probe(when=datetime(2026, 1, 1, 8, 0)).when
    assert naive.utcoffset() == timedelta(hours=8)
    assert Probe(due=now + timedelta(days=365 * 4)).due is not None  # a deadline years ahead is fine …
    _refused(when=now + timedelta(days=2))  # … a past-facing moment two days ahead is not
    _refused(due=now + timedelta(days=366 * 6))


def test_days_outside_the_window_are_refused():
    for value in (date(1, 1, 1), date(1999, 12, 31), date(9999, 12, 31)):
        _refused(day=value)
    assert Probe(day=date(2000, 1, 1)).day == date(2000, 1, 1)


@pytest.mark.parametrize("char", ["\x1b", "\x00", "\x07", "\x7f", "\x85", "\r", "\ud800", "\uffff"])
def test_control_characters_are_refused_in_text_and_nested_values(char):
    _refused(text=f"楼道{char}有电动车")
    _refused(extra={"name": f"a{char}b"})
    _refused(extra={f"k{char}": "v"})
    _refused(extra={"list": ["ok", {"deep": char}]})


def test_tab_newline_and_crlf_are_text():
    value = "第一行\r\n第二行\n\t缩进"
    assert Probe(text=value).text == value


def test_every_string_has_a_length_limit():
    assert Probe(text="x" * 2000).text
    _refused(text="x" * 2001)
    _refused(extra={"k": "x" * 5_000_000})


def test_integers_beyond_64_bits_and_non_finite_floats_are_refused():
    assert Probe(number=INT64_MAX).number == INT64_MAX
    for value in (2**63, 2**64, -(2**64)):
        _refused(number=value)
        _refused(extra={"n": value})
    for value in (float("nan"), float("inf"), float("-inf")):
        _refused(ratio=value)
        _refused(extra={"n": [value]})


def test_clean_xml_text_keeps_text_and_drops_what_xml_cannot_hold():
    assert clean_xml_text("楼道\x1b电动车\t\n") == "楼道电动车\t\n"
    assert clean_xml_text(5) == 5


# ---------------------------------------------------------------- every API operation uses the shared types


def _unwrap(annotation):
    """The base types inside Optional/Union/Annotated/list."""
    origin = typing.get_origin(annotation)
    if origin is typing.Annotated:
        return _unwrap(typing.get_args(annotation)[0])
    if origin in (typing.Union, types.UnionType, list, tuple, set, dict):
        out = []
        for arg in typing.get_args(annotation):
            out.extend(_unwrap(arg))
        return out
    return [annotation]


def _operations():
    from gridsafe.api import api

    for prefix, router in api._routers:
        for path, path_view in router.path_operations.items():
            for op in path_view.operations:
                for model in op.models:
                    yield f"{prefix}{path}", model


def _schemas_inside(model: type[BaseModel], seen: set) -> list:
    found = []
    for field in model.model_fields.values():
        for kind in _unwrap(field.annotation):
            if isinstance(kind, type) and issubclass(kind, BaseModel) and kind not in seen:
                seen.add(kind)
                found.append(kind)
                found.extend(_schemas_inside(kind, seen))
    return found


def test_every_api_input_schema_derives_from_the_input_base():
    loose = []
    for where, model in _operations():
        for schema in _schemas_inside(model, set()):
            if not issubclass(schema, InputSchema):
                loose.append(f"{where}: {schema.__name__}")
    assert not loose, loose


PROBES = {
    int: 2**64,
    float: float("nan"),
    datetime: datetime(9999, 12, 31, 23, 59, tzinfo=FAR_WEST),
    date: date(9999, 12, 31),
}


def test_every_loose_parameter_is_bounded():
    """Path ids, multipart form fields and plain query values (outside any schema) refuse the edge values too."""
    unbounded = []
    for where, model in _operations():
        for name, field in model.model_fields.items():
            kinds = _unwrap(field.annotation)
            if any(isinstance(k, type) and issubclass(k, BaseModel) for k in kinds):
                continue
            probe_model = create_model("P", x=(field.annotation, field))
            for kind in kinds:
                if kind is bool or kind not in PROBES and not (kind is str and "Form" in model.__name__):
                    continue
                value = PROBES.get(kind, "x\x1b" * 10000)
                try:
                    probe_model.model_validate({"x": value})
                except ValidationError:
                    continue
                unbounded.append(f"{where} {name}: {kind.__name__}")
    assert not unbounded, unbounded


# ---------------------------------------------------------------- web forms


def test_input_form_fields_get_the_same_rules():
    class Sample(InputForm):
        note = forms.CharField(required=False)
        when = forms.DateTimeField(required=False)
        due = forms.DateField(required=False)
        count = forms.IntegerField(required=False)
        future_fields = ("due",)
        ranges = (("when", "due"),)

    assert Sample({"note": "一切正常\r\n"}).is_valid()
    for data, field in [
        ({"note": "a\x1bb"}, "note"),
        ({"note": "x" * 2001}, "note"),
        ({"when": "0001-01-01 00:00"}, "when"),
        ({"when": "9999-12-31 23:59"}, "when"),
        ({"due": "9999-12-31"}, "due"),
        ({"count": str(2**64)}, "count"),
    ]:
        form = Sample(data)
        assert not form.is_valid() and field in form.errors, (data, form.errors)


def _subclasses(cls):
    for sub in cls.__subclasses__():
        yield sub
        yield from _subclasses(sub)


def test_every_web_form_uses_the_input_base():
    """Every plain form of the project (found, not listed: the URLconf imports every view module), so a new form
    that forgets the base fails here. The sign-in form extends Django's and takes the rules in its __init__."""
    from django.urls import get_resolver

    from gridsafe.accounts.forms import LoginForm
    from gridsafe.web.forms import ACTION_FORMS

    get_resolver().url_patterns  # noqa: B018 - imports every view module and with it every form
    ours = {
        c
        for c in _subclasses(forms.Form)
        if c.__module__.startswith("gridsafe.") and ".tests." not in c.__module__ and c not in (InputForm, LoginForm)
    }
    assert len(ours) >= 6 + len(ACTION_FORMS), sorted(c.__name__ for c in ours)
    assert all(issubclass(c, InputForm) for c in ours), [c for c in ours if not issubclass(c, InputForm)]
    login = LoginForm(data={"username": "nanxi\x1b", "password": "x"})
    assert not login.is_valid() and "username" in login.errors


def test_secure_form_field_bounds_a_model_form_field():
    field = forms.CharField()
    secure_form_field(field)
    with pytest.raises(forms.ValidationError):
        field.clean("a\x1bb")
