from django.apps import AppConfig


class ApplicationsConfig(AppConfig):
    name = "jiuzhu.applications"
    verbose_name = "救助申请"

    def ready(self) -> None:
        from . import hooks

        hooks.connect()
