"""Pages of the hazards app."""

from django.urls import path

from gridsafe.hazards import views

app_name = "hazards"
urlpatterns = [
    path("", views.hazard_list, name="list"),
    path("public/", views.public_list, name="public"),
    path("statistics/", views.statistics, name="statistics"),
    path("stock/", views.stock, name="stock"),
    path("open/<int:case_id>/", views.hazard_open, name="open"),
    path("<int:hazard_id>/", views.hazard_detail, name="detail"),
    path("<int:hazard_id>/steps/<str:action>/", views.hazard_step, name="step"),
    path("<int:hazard_id>/documents/<str:kind>.docx", views.hazard_document, name="document"),
    path("findings/", views.findings, name="findings"),
    path("findings/<int:finding_id>/register/", views.finding_register, name="finding_register"),
    path("enterprise/", views.enterprise_home, name="enterprise"),
    path("enterprise/places/<int:place_id>/inspect/", views.enterprise_inspect, name="enterprise_inspect"),
    path("enterprise/cases/<int:case_id>/", views.enterprise_case, name="enterprise_case"),
    path("enterprise/findings/<int:finding_id>/rectify/", views.enterprise_finding_rectify, name="enterprise_rectify"),
]
