from django.apps import AppConfig


class OpsConfig(AppConfig):
    """Operations: the `gridsafe` commands that run, check, back up and audit a deployment (worker, check_deploy,
    backup/restore, audit, media_sweep, export_openapi, serve, reseal_personal_data). The top layer: it may import
    any app, and none imports it. No models of its own."""

    name = "gridsafe.ops"
    label = "ops"
    verbose_name = "GridSafe operations"
