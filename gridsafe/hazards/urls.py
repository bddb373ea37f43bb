"""Pages of the hazards app."""

app_name = "hazards"
urlpatterns: list = []
