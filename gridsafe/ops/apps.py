from django.apps import AppConfig


class OpsConfig(AppConfig):
    """Operations: the `gridsafe` commands that run, check, back up and audit a deployment (worker, check_deploy,
    backup/restore, audit, media_sweep, export_openapi, serve, reseal_personal_data). The top layer: it may import
    any app, and none imports it. Its one model is a run of the admin's 数据导入 (ops.models.ImportRun)."""

    name = "gridsafe.ops"
    label = "ops"
    verbose_name = "运维与数据导入"

    def ready(self) -> None:
        from gridsafe.ops import import_admin  # noqa: F401  the 数据导入 admin (admin.py is the audit log's)
