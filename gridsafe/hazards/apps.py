from django.apps import AppConfig


class HazardsConfig(AppConfig):
    name = "gridsafe.hazards"
    label = "hazards"
    verbose_name = "重大隐患与企业"

    def ready(self) -> None:
        from gridsafe.cases.hooks import on_case_event
        from gridsafe.hazards.services import case_event_heard

        # In the case's transaction: 定级 重大 opens the process, 核查通过 is its 销号 (and waits for the 评估).
        on_case_event(case_event_heard)
