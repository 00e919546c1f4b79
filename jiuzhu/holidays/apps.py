from django.apps import AppConfig


class HolidaysConfig(AppConfig):
    name = "jiuzhu.holidays"
    verbose_name = "节假日安排"
