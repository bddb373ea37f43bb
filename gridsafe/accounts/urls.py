"""Account security pages, under /account/ (include in gridsafe/urls.py: path("account/", include(...)))."""

from django.urls import path

from gridsafe.accounts import reset_views, views

app_name = "accounts"
urlpatterns = [
    path("password/", views.PasswordChangeView.as_view(), name="password_change"),
    path("password/done/", views.PasswordChangeDoneView.as_view(), name="password_change_done"),
    path("2fa/", views.otp_verify, name="otp_verify"),
    path("2fa/setup/", views.otp_setup, name="otp_setup"),
    path("reset/", reset_views.password_reset, name="password_reset"),
]
