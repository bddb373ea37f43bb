from django.urls import path

from gridsafe.web import map_views

app_name = "map"
urlpatterns = [
    path("", map_views.map_page, name="index"),
    path("regions.json", map_views.regions_json, name="regions"),
    path("cases.geojson", map_views.cases_geojson, name="cases"),
    path("grid/<str:code>/", map_views.grid_panel, name="grid_panel"),
]
