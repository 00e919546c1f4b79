from django.apps import AppConfig


class AreasConfig(AppConfig):
    name = "jiuzhu.areas"
    verbose_name = "行政区划"
