from django.apps import AppConfig


class PlacesConfig(AppConfig):
    name = "gridsafe.places"
    label = "places"
