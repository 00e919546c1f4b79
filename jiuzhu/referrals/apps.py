from django.apps import AppConfig


class ReferralsConfig(AppConfig):
    name = "jiuzhu.referrals"
    verbose_name = "一体联动"

    def ready(self) -> None:
        from jiuzhu.applications import lookups
        from jiuzhu.applications.signals import decided

        from . import hooks, providers
        from .handlers import on_decided

        decided.connect(on_decided, dispatch_uid="referrals.on_decided")
        hooks.connect()
        lookups.provide(receiving=providers.receiving, suggestions=providers.suggestions)
