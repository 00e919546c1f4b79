from django.apps import AppConfig


class VerificationConfig(AppConfig):
    name = "jiuzhu.verification"
    verbose_name = "家庭经济状况核对"

    def ready(self) -> None:
        from . import hooks

        hooks.connect()
