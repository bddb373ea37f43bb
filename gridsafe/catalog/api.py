from ninja import Router, Schema

from gridsafe.catalog.models import Category, Domain
from gridsafe.core.problem import Problem

router = Router(tags=["catalog"])


class DomainOut(Schema):
    code: str
    name: str
    name_en: str
    pilot: bool


class CategoryOut(Schema):
    code: str
    name: str
    name_en: str
    domain: str
    default_grade: str
    urgent: bool
    department_id: int | None
    keywords: str
    legal_basis: str


@router.get("/domains", response={200: list[DomainOut], 401: Problem}, operation_id="domain_list")
def domain_list(request):
    """Supervised sectors (领域): the six pilot domains, road traffic and any added later."""
    return list(Domain.objects.filter(is_active=True))


@router.get("/categories", response={200: list[CategoryOut], 401: Problem}, operation_id="category_list")
def category_list(request, domain: str | None = None):
    """Hazard categories with their default grade and responsible department."""
    qs = Category.objects.filter(is_active=True, domain__is_active=True).select_related("domain")
    if domain:
        qs = qs.filter(domain__code=domain)
    return [
        {
            "code": c.code,
            "name": c.name,
            "name_en": c.name_en,
            "domain": c.domain.code,
            "default_grade": c.default_grade,
            "urgent": c.urgent,
            "department_id": c.department_id,
            "keywords": c.keywords,
            "legal_basis": c.legal_basis,
        }
        for c in qs
    ]
