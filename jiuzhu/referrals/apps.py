from django.apps import AppConfig


class ReferralsConfig(AppConfig):
    name = "jiuzhu.referrals"
    verbose_name = "一体联动"
