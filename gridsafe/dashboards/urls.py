from django.urls import path

from gridsafe.dashboards import display, supervision_views, views

app_name = "dashboards"
urlpatterns = [
    path("screen/", views.screen, name="screen"),
    path("screen/display/<str:secret>/", display.display_enter, name="screen_display"),
    path("dashboards/", views.dashboard_home, name="home"),
    path("dashboards/cockpit/", views.cockpit, name="cockpit"),
    path("dashboards/r/<str:code>/", views.region_dashboard, name="region"),
    path("dashboards/d/<int:unit_id>/", views.department_dashboard, name="department"),
    path("dashboards/drill/", views.drill, name="drill"),
    path("dashboards/archives/", views.archive, name="archives"),
    path("dashboards/archives/download/", views.archive_download, name="archive_download"),
    path("bulletins/", views.bulletin_list, name="bulletins"),
    path("bulletins/generate/", views.bulletin_generate, name="bulletin_generate"),
    path("bulletins/<int:bulletin_id>/<str:fmt>/", views.bulletin_download, name="bulletin_download"),
    path("inspections/", views.inspection_list, name="inspections"),
    path("inspections/new/", views.inspection_new, name="inspection_new"),
    path("inspections/<int:activity_id>/", views.inspection_detail, name="inspection_detail"),
    path("inspections/photos/<int:photo_id>/", views.inspection_photo, name="inspection_photo"),
    path("reports/", views.report_list, name="reports"),
    path("reports/new/", views.report_new, name="report_new"),
    path("reports/<int:report_id>/file/", views.report_file, name="report_file"),
    path("supervision/coverage/", supervision_views.coverage, name="sv_coverage"),
    path("supervision/patrols/", supervision_views.patrol_list, name="sv_patrols"),
    path("supervision/patrols/now/", supervision_views.patrols_now, name="sv_now"),
    path("supervision/patrols/now.json", supervision_views.patrols_now_json, name="sv_now_json"),
    path("supervision/patrols/<uuid:client_id>/", supervision_views.patrol_detail, name="sv_patrol"),
    path("supervision/places/", supervision_views.place_list, name="sv_places"),
    path("supervision/places/<int:place_id>/", supervision_views.place_detail, name="sv_place"),
    path("supervision/publicity/", supervision_views.publicity, name="sv_publicity"),
]
