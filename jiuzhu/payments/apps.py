from django.apps import AppConfig


class PaymentsConfig(AppConfig):
    name = "jiuzhu.payments"
    verbose_name = "资金发放"

    def ready(self) -> None:
        from jiuzhu.applications.signals import advance_paid, approved

        from .handlers import on_advance_paid, on_approved

        approved.connect(on_approved, dispatch_uid="payments.on_approved")
        advance_paid.connect(on_advance_paid, dispatch_uid="payments.on_advance_paid")
