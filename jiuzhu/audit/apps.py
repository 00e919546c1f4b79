from django.apps import AppConfig


class AuditConfig(AppConfig):
    name = "jiuzhu.audit"
    verbose_name = "审计日志"

    def ready(self) -> None:
        from jiuzhu.areas.signals import areas_imported

        from .receivers import on_areas_imported

        areas_imported.connect(on_areas_imported, dispatch_uid="audit.on_areas_imported")
