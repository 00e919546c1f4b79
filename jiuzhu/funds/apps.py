from django.apps import AppConfig


class FundsConfig(AppConfig):
    name = "jiuzhu.funds"
    label = "funds"
    verbose_name = "资金预算与统筹"
