"""Pages of the channels app."""

app_name = "channels"
urlpatterns: list = []
