"""The NinjaAPI: one router per app under /api/v1/, problem+json errors, bearer-token or session auth."""

from ninja import NinjaAPI
from ninja.renderers import JSONRenderer
from ninja.security import django_auth

from gridsafe.api_auth import BearerAuth
from gridsafe.core.problem import install_problem_handlers


class Utf8JSONRenderer(JSONRenderer):
    """Chinese text as UTF-8, not \\uXXXX escapes: half the bytes on a phone's connection, and a name in an answer
    is the same string a reader (or a test looking for a leaked name) searches for."""

    json_dumps_params = {"ensure_ascii": False}


api = NinjaAPI(
    renderer=Utf8JSONRenderer(),
    title="GridSafe 网格安全 API",
    version="1",
    description="网格化+安全生产监管: regions, catalog, hazard cases and their closed loop.",
    auth=[BearerAuth(), django_auth],
    docs_url="/docs",
    urls_namespace="api",
)
install_problem_handlers(api)

from gridsafe.accounts.api import router as accounts_router  # noqa: E402
from gridsafe.cases.api import router as cases_router  # noqa: E402
from gridsafe.catalog.api import router as catalog_router  # noqa: E402
from gridsafe.channels.api import router as channels_router  # noqa: E402
from gridsafe.dashboards.api import router as stats_router  # noqa: E402
from gridsafe.field.api import router as field_router  # noqa: E402
from gridsafe.hazards.api import router as hazards_router  # noqa: E402
from gridsafe.messaging.api import router as messaging_router  # noqa: E402
from gridsafe.notifications.api import router as notifications_router  # noqa: E402
from gridsafe.regions.api import router as regions_router  # noqa: E402
from gridsafe.video.api import router as video_router  # noqa: E402

api.add_router("/", accounts_router)
api.add_router("/catalog", catalog_router)
api.add_router("/regions", regions_router)
api.add_router("/cases", cases_router)
api.add_router("/notifications", notifications_router)
api.add_router("/field", field_router)
api.add_router("/stats", stats_router)
api.add_router("/video", video_router)
api.add_router("/channels", channels_router)
api.add_router("/messaging", messaging_router)
api.add_router("/hazards", hazards_router)
