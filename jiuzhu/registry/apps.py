from django.apps import AppConfig


class RegistryConfig(AppConfig):
    name = "jiuzhu.registry"
    verbose_name = "一户一档"

    def ready(self) -> None:
        from . import hooks

        hooks.connect()
