from django.apps import AppConfig


class PortalConfig(AppConfig):  # 掌上办: the applicant site (issue 18)
    name = "jiuzhu.portal"
    verbose_name = "掌上办"

    def ready(self) -> None:
        from . import hooks

        hooks.connect()
