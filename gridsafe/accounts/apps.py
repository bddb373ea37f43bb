from django.apps import AppConfig


class AccountsConfig(AppConfig):
    name = "gridsafe.accounts"
    label = "accounts"
