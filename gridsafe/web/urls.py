from django.urls import path

from gridsafe.web import desk_views, downloads, report_views, views

app_name = "web"
urlpatterns = [
    path("login/", views.LoginView.as_view(), name="login"),
    path("logout/", views.LogoutView.as_view(), name="logout"),
    path("", views.home, name="home"),
    path("cases/", views.case_list, name="case_list"),
    path("cases/export.xlsx", views.case_export_xlsx, name="case_export_xlsx"),
    path("cases/export.csv", views.case_export_csv, name="case_export_csv"),
    path("cases/export/", views.case_export_start, name="case_export_start"),
    path("downloads/", downloads.downloads, name="downloads"),
    path("downloads/<int:job_id>/", downloads.download_detail, name="download_detail"),
    path("downloads/<int:job_id>/progress/", downloads.download_progress, name="download_progress"),
    path("downloads/<int:job_id>/file/", downloads.download_file, name="download_file"),
    path("cases/new/", desk_views.case_register, name="case_register"),
    path("cases/new/nearby/", desk_views.case_register_nearby, name="case_register_nearby"),
    path("cases/new/search/", desk_views.case_register_search, name="case_register_search"),
    path("cases/<int:case_id>/", views.case_detail, name="case_detail"),
    path("cases/<int:case_id>/actions/<slug:action>/", views.case_action, name="case_action"),
    path("my-reports/", report_views.my_reports, name="my_reports"),
    path("notifications/", views.notifications, name="notifications"),
    path("notifications/poll/", views.notification_poll, name="notification_poll"),
    path("notifications/read-all/", views.notification_read_all, name="notification_read_all"),
    path("notifications/<int:notification_id>/read/", views.notification_read, name="notification_read"),
    path("notifications/<int:notification_id>/open/", views.notification_open, name="notification_open"),
]
