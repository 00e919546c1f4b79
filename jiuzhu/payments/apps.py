from django.apps import AppConfig


class PaymentsConfig(AppConfig):
    name = "jiuzhu.payments"
    verbose_name = "资金发放"

    def ready(self) -> None:
        from . import hooks

        hooks.connect()
