from django.apps import AppConfig


class MonitoringConfig(AppConfig):
    name = "jiuzhu.monitoring"
    verbose_name = "动态管理"

    def ready(self) -> None:
        from . import handlers

        handlers.connect()
