"""problem+json (RFC 9457) for every error the API returns."""

from django.conf import settings
from django.core.exceptions import RequestDataTooBig
from django.db.utils import DataError
from django.http import HttpRequest, HttpResponse
from ninja import NinjaAPI, Schema
from ninja.errors import AuthenticationError, HttpError
from ninja.errors import ValidationError as NinjaValidationError

from gridsafe.core.errors import DomainError

PROBLEM_TYPE = "https://gridsafe.invalid/problems/"


class Problem(Schema):
    type: str
    title: str
    status: int
    detail: str
    code: str
    errors: list[dict] | None = None


def problem_response(
    api: NinjaAPI, request: HttpRequest, *, status: int, code: str, title: str, detail: str, errors=None, **extra
) -> HttpResponse:
    body = {"type": PROBLEM_TYPE + code, "title": title, "status": status, "detail": detail, "code": code}
    if errors is not None:
        body["errors"] = errors
    body.update(extra)
    response = api.create_response(request, body, status=status)
    response["Content-Type"] = "application/problem+json"
    return response


def install_problem_handlers(api: NinjaAPI) -> None:
    def invalid(request, detail: str, **extra):
        """Every kind of bad input gets the same answer: 422 validation_failed, saying what is wrong."""
        return problem_response(
            api, request, status=422, code="validation_failed", title="请求内容不合法", detail=detail, **extra
        )

    @api.exception_handler(DomainError)
    def domain_error(request, exc: DomainError):
        response = problem_response(
            api, request, status=exc.status, code=exc.code, title=str(exc.title), detail=exc.detail, **exc.extra
        )
        for name, value in getattr(exc, "headers", {}).items():
            response[name] = value
        return response

    @api.exception_handler(NinjaValidationError)
    def validation_error(request, exc: NinjaValidationError):
        errors = [
            {"loc": [str(part) for part in e.get("loc", [])], "msg": str(e.get("msg", "")), "type": e.get("type", "")}
            for e in exc.errors
        ]
        return invalid(request, "; ".join(f"{'.'.join(e['loc'])}: {e['msg']}" for e in errors), errors=errors)

    @api.exception_handler(AuthenticationError)
    def auth_error(request, exc):
        return problem_response(
            api, request, status=401, code="authentication_required", title="需要登录", detail="请先登录或提供有效令牌"
        )

    @api.exception_handler(HttpError)
    def http_error(request, exc: HttpError):
        if exc.status_code == 400 and isinstance(exc.__cause__, ValueError):
            # django-ninja's only 400: the body is not JSON (json.JSONDecodeError is a ValueError). For the client
            # that is one more invalid request, so it gets the same 422 validation_failed as a wrong field.
            return invalid(
                request,
                "请求体不是合法的 JSON 对象",
                errors=[{"loc": ["body"], "msg": str(exc.__cause__), "type": "json_invalid"}],
            )
        return problem_response(
            api, request, status=exc.status_code, code="http_error", title=str(exc), detail=str(exc)
        )

    @api.exception_handler(RequestDataTooBig)
    def too_big(request, exc):
        # A body over DATA_UPLOAD_MAX_MEMORY_SIZE (a 5 MB comment): one more invalid request, not a bare 400 page.
        limit = settings.DATA_UPLOAD_MAX_MEMORY_SIZE // (1024 * 1024)
        return invalid(
            request, f"请求体超过 {limit} MB 上限", errors=[{"loc": ["body"], "msg": "too big", "type": "too_big"}]
        )

    @api.exception_handler(ValueError)
    @api.exception_handler(DataError)
    def nul_in_text(request, exc: Exception):
        # PostgreSQL text cannot hold NUL: psycopg refuses such a parameter (a DataError through Django; SQLite
        # stores it). That is bad input, answered like any other invalid field; any other such error is a bug.
        if "NUL (0x00)" not in str(exc):
            raise exc
        return invalid(request, "文本中不能含有 NUL (0x00) 字符")
