"""The applicant's sign-in, separate from staff auth (issue 18 item 1): the site keeps its
own cookie (``jiuzhu_my``, HttpOnly, SameSite=Lax, path /my/); the API takes the bearer token
issued by ``POST /api/v1/my/login``. Neither ever sets ``request.user``: staff pages stay
behind the staff login and an applicant session reaches none of them."""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.http.response import HttpResponseBase
from django.shortcuts import redirect
from django.utils.cache import add_never_cache_headers
from ninja.security import HttpBearer

from jiuzhu.accounts.auth import TokenRejected
from jiuzhu.registry.models import Person

from .actions import session_for
from .models import ApplicantSession

COOKIE = "jiuzhu_my"
COOKIE_PATH = "/my/"


def client_ip(request: HttpRequest) -> str | None:
    return request.META.get("REMOTE_ADDR") or None


def web_session(request: HttpRequest) -> ApplicantSession | None:
    session = session_for(request.COOKIES.get(COOKIE, ""))
    return session if session is not None and session.channel == "web" else None


def set_cookie(response: HttpResponse, token: str) -> None:
    response.set_cookie(
        COOKIE,
        token,
        max_age=settings.JIUZHU_MY_SESSION_HOURS * 3600,
        path=COOKIE_PATH,
        secure=settings.SESSION_COOKIE_SECURE,
        httponly=True,
        samesite="Lax",
    )


def applicant_required(view: Callable[..., HttpResponseBase]) -> Callable[..., HttpResponseBase]:
    """The page needs a signed-in family member: ``request.applicant`` is that person."""

    @functools.wraps(view)
    def wrapped(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
        session = web_session(request)
        if session is None:
            return redirect("portal:login")
        request.applicant = session.person  # type: ignore[attr-defined]
        request.applicant_session = session  # type: ignore[attr-defined]
        response = view(request, *args, **kwargs)
        add_never_cache_headers(response)  # a family's case and notices stay out of shared caches
        return response

    return wrapped


class ApplicantBearer(HttpBearer):
    """``Authorization: Bearer <token>`` from ``POST /api/v1/my/login`` (channel api only)."""

    def authenticate(self, request: HttpRequest, token: str) -> Person | None:
        session = session_for(token)
        if session is None or session.channel != "api":
            raise TokenRejected("invalid_token", "登录已失效或令牌无效，请重新用身份证号和验证码登录")
        return session.person


def applicant(request: HttpRequest) -> Person:
    person: Person = request.auth  # type: ignore[attr-defined]
    return person
