from django.apps import AppConfig


class CatalogConfig(AppConfig):
    name = "gridsafe.catalog"
    label = "catalog"
