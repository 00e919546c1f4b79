from django.apps import AppConfig


class ProgramsConfig(AppConfig):
    name = "jiuzhu.programs"
    verbose_name = "救助项目与参数"
