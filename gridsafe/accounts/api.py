from datetime import datetime

from ninja import Router, Schema

from gridsafe.accounts.services import token_issue
from gridsafe.cases.permissions import jurisdiction_of
from gridsafe.core.problem import Problem

router = Router(tags=["auth"])


class TokenIn(Schema):
    username: str
    password: str


class TokenOut(Schema):
    token: str
    token_type: str = "Bearer"
    expires_at: datetime


@router.post("/auth/token", auth=None, response={200: TokenOut, 401: Problem, 422: Problem}, operation_id="token_issue")
def issue_token(request, body: TokenIn):
    """Log in: username and password → a bearer token for `Authorization: Bearer …`."""
    key, token = token_issue(username=body.username, password=body.password, ip=request.META.get("REMOTE_ADDR"))
    return {"token": key, "expires_at": token.expires_at}


class MeOut(Schema):
    id: int
    username: str
    display_name: str
    role: str
    role_label: str
    unit_id: int | None
    unit_name: str | None
    unit_kind: str | None
    region_code: str | None
    jurisdiction_paths: list[str]
    department_id: int | None
    grids: list[str]


@router.get("/me", response={200: MeOut, 401: Problem}, operation_id="me_detail")
def me(request):
    """Who I am, my unit and my 辖区."""
    user = request.user
    scope = jurisdiction_of(user)
    unit = user.unit
    return {
        "id": user.pk,
        "username": user.username,
        "display_name": user.display_name or user.username,
        "role": user.role,
        "role_label": user.get_role_display(),
        "unit_id": user.unit_id,
        "unit_name": unit.name if unit else None,
        "unit_kind": unit.kind if unit else None,
        "region_code": unit.region.code if unit else None,
        "jurisdiction_paths": list(scope.paths),
        "department_id": scope.department_id,
        "grids": list(user.grids.values_list("code", flat=True)),
    }
