from django.apps import AppConfig


class ComplaintsConfig(AppConfig):
    name = "jiuzhu.complaints"
    verbose_name = "投诉举报"

    def ready(self) -> None:
        from . import hooks

        hooks.connect()
