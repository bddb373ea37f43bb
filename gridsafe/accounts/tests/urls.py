"""The project's URLs plus /account/ (until gridsafe/urls.py includes gridsafe.accounts.urls itself)."""

from django.urls import include, path

from gridsafe.urls import urlpatterns as project_urlpatterns

urlpatterns = [path("account/", include("gridsafe.accounts.urls")), *project_urlpatterns]
