from django.apps import AppConfig


class PaymentsConfig(AppConfig):
    name = "jiuzhu.payments"
    verbose_name = "资金发放"

    def ready(self) -> None:
        from jiuzhu.applications.signals import approved

        from . import hooks
        from .handlers import on_approved

        hooks.connect()
        approved.connect(on_approved, dispatch_uid="payments.on_approved")
