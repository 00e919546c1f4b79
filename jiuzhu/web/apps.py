from django.apps import AppConfig


class WebConfig(AppConfig):
    name = "jiuzhu.web"
    verbose_name = "界面"

    def ready(self) -> None:
        from . import startup  # noqa: F401 (registers the unsafe-settings check)
