"""Refuse to serve with unsafe settings (production is the default; see settings.py).

The WSGI/ASGI entry points (gunicorn, and runserver through them) call ``refuse_unsafe_start``
before building the application, and the same rules run as a deployment check
(``manage.py check --deploy``), so a server never starts outside DEBUG with a missing or
built-in secret key; commands that do not serve (migrate, imports) run without one.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core import checks
from django.core.exceptions import ImproperlyConfigured

MIN_SECRET_LENGTH = 50


def problems() -> list[str]:
    """What makes the current settings unsafe to serve with (empty in DEBUG and in tests)."""
    if settings.DEBUG or getattr(settings, "TESTING", False):
        return []
    try:
        key = settings.SECRET_KEY or ""
    except ImproperlyConfigured:  # Django refuses to hand out an empty key
        key = ""
    if not key:
        return ["生产模式必须设置环境变量 DJANGO_SECRET_KEY（不少于50个随机字符）；本地演示请使用 make run"]
    if key == settings.DEV_SECRET_KEY or len(key) < MIN_SECRET_LENGTH or len(set(key)) < 5:
        return ["DJANGO_SECRET_KEY 过短或为开发用默认值，请设置不少于50个随机字符的密钥"]
    return []


def refuse_unsafe_start() -> None:
    found = problems()
    if found:
        raise ImproperlyConfigured("拒绝启动：" + "；".join(found))


@checks.register(checks.Tags.security, deploy=True)
def check_secret_key(app_configs: Any = None, **kwargs: Any) -> list[checks.CheckMessage]:
    return [checks.Error(p, id="jiuzhu.E001") for p in problems()]
