from django.urls import path

from gridsafe.places import views

app_name = "places"

urlpatterns = [
    path("registers/", views.registers_index, name="registers"),
    path("registers/<slug:domain>/", views.register_list, name="register_list"),
    path("registers/<slug:domain>/<int:place_id>/", views.register_place, name="register_place"),
    path("registers/<slug:domain>/<int:place_id>/facts/", views.register_facts_edit, name="register_facts_edit"),
    path("map/objects.geojson", views.objects_geojson, name="map_objects"),
    path("map/risk.geojson", views.risk_geojson, name="map_risk"),
]
