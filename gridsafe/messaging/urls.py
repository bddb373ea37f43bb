"""Pages of the messaging app."""

from django.urls import path

from gridsafe.messaging import views

app_name = "messaging"
urlpatterns: list = [
    path("preferences/", views.preferences, name="preferences"),
]
