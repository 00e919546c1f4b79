from django.apps import AppConfig


class FundsConfig(AppConfig):
    name = "jiuzhu.funds"
    label = "funds"
    verbose_name = "资金预算与统筹"

    def ready(self) -> None:
        from jiuzhu.applications.signals import advance_paid

        from .handlers import on_advance_paid

        advance_paid.connect(on_advance_paid, dispatch_uid="funds.on_advance_paid")
