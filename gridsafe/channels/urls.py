"""Pages of the channels app: Open311 GeoReport v2 (/open311/v2/), the citizens' 随手拍 (/snap/) and the desk's
review of citizens' requests (/channels/review/)."""

from django.urls import path, re_path

from gridsafe.channels import open311, review_views, snap_views

app_name = "channels"
FMT = r"(?P<fmt>json|xml)"
urlpatterns = [
    path("open311/v2/", open311.open311_root, name="open311_root"),
    re_path(rf"^open311/v2/discovery\.{FMT}$", open311.discovery, name="open311_discovery"),
    re_path(rf"^open311/v2/services\.{FMT}$", open311.services, name="open311_services"),
    re_path(rf"^open311/v2/services/(?P<code>[\w-]+)\.{FMT}$", open311.service_definition, name="open311_service"),
    re_path(rf"^open311/v2/requests\.{FMT}$", open311.requests_list, name="open311_requests"),
    re_path(rf"^open311/v2/requests/(?P<number>[\w-]+)\.{FMT}$", open311.request_detail, name="open311_request"),
    re_path(rf"^open311/v2/tokens/(?P<token>[\w-]+)\.{FMT}$", open311.token_detail, name="open311_token"),
    path("channels/review/", review_views.review_queue, name="review"),
    path("channels/review/<int:request_id>/", review_views.review_decide, name="review_decide"),
    path("snap/", snap_views.snap_form, name="snap"),
    path("snap/code/", snap_views.snap_code, name="snap_code"),
    path("snap/ticket/", snap_views.snap_ticket_lookup, name="snap_ticket_lookup"),
    path("snap/ticket/<str:number>/", snap_views.snap_ticket, name="snap_ticket"),
]
