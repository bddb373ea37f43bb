from django.contrib import admin
from django.urls import include, path

from gridsafe.accounts.challenge import captcha_image
from gridsafe.api import api
from gridsafe.core.views import session_keepalive

admin.site.site_header = "网格安全 GridSafe 管理后台"
admin.site.site_title = "网格安全"
admin.site.index_title = "基础数据管理"

# Media is never served as public files: attachments go through the API with a jurisdiction check.
urlpatterns = [
    path("admin/", admin.site.urls),
    path("api/v1/", api.urls),
    path("session/keepalive/", session_keepalive, name="session_keepalive"),
    path("account/", include("gridsafe.accounts.urls")),
    # The login CAPTCHA's image (accounts/challenge.py), under the name django-simple-captcha's widget looks up. Not
    # the package's own URLs: its refresh view writes a challenge row for every anonymous GET, and nothing here uses
    # it or the audio.
    path("captcha/image/<str:key>/", captcha_image, name="captcha-image"),
    path("m/", include("gridsafe.field.urls")),
    path("config/checklists/", include("gridsafe.field.checklists.urls")),
    path("video/", include("gridsafe.video.urls")),
    path("hazards/", include("gridsafe.hazards.urls")),
    path("places/", include("gridsafe.places.urls")),
    path("messaging/", include("gridsafe.messaging.urls")),
    path("", include("gridsafe.channels.urls")),  # /open311/v2/ and the citizens' 随手拍 at /snap/
    path("", include("gridsafe.dashboards.urls")),
    path("map/", include("gridsafe.web.map_urls")),
    path("", include("gridsafe.web.urls")),
]
