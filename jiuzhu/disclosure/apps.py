from django.apps import AppConfig


class DisclosureConfig(AppConfig):  # 公开: status query, 公示 pages, policy pages (no login)
    name = "jiuzhu.disclosure"
    verbose_name = "信息公开"
