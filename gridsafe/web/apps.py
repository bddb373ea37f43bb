from django.apps import AppConfig


class WebConfig(AppConfig):
    name = "gridsafe.web"
    label = "web"

    def ready(self) -> None:
        # The case list's background export and the 消息 a finished job sends (core/jobs.py).
        from gridsafe.core.jobs import on_job_done
        from gridsafe.web import exports
        from gridsafe.web.downloads import notify_job_done

        exports.register()
        on_job_done(notify_job_done)
