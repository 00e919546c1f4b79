"""掌上办 pages under /my/ (issue 18 items 1 and 3): sign-in with ID number and SMS code, the
household's cases in plain words, notices to read and download (each delivery logged), and
补正 photos for a returned case. Mobile first; its own base template without staff menus."""

from __future__ import annotations

import functools
import time
from collections.abc import Callable
from typing import Any

from django.conf import settings
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.http.response import HttpResponseBase
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from jiuzhu.core.errors import DomainError
from jiuzhu.registry import storage

from . import actions, queries
from .auth import COOKIE, COOKIE_PATH, applicant_required, client_ip, set_cookie, web_session

PREFS = {"large": "jiuzhu_my_large", "contrast": "jiuzhu_my_contrast"}


def pace(started: float) -> None:
    """Answer a code request no sooner than the floor, known ID number or not (no timing leak)."""
    left = settings.JIUZHU_MY_CODE_MIN_SECONDS - (time.monotonic() - started)
    if left > 0:
        time.sleep(left)


def not_found_page(view: Callable[..., HttpResponseBase]) -> Callable[..., HttpResponseBase]:
    """Another household's object is simply not found: the portal's own 404 page."""

    @functools.wraps(view)
    def wrapped(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
        try:
            return view(request, *args, **kwargs)
        except Http404:
            return render(request, "portal/not_found.html", {"code": "not_found"}, status=404)

    return wrapped


def login_view(request: HttpRequest) -> HttpResponse:
    if web_session(request) is not None:
        return redirect("portal:home")
    context: dict[str, Any] = {"id_number": "", "errors": {}, "sent": ""}
    status = 200
    if request.method == "POST":
        id_number = request.POST.get("id_number", "").strip()
        context["id_number"] = id_number
        try:
            if request.POST.get("step") == "send":
                started = time.monotonic()
                try:
                    context["sent"] = actions.request_code(id_number, ip=client_ip(request))
                finally:
                    pace(started)
            else:
                signed = actions.sign_in(id_number, request.POST.get("code", ""), ip=client_ip(request), channel="web")
                response = redirect("portal:home")
                set_cookie(response, signed.token)
                return response
        except DomainError as e:
            context["errors"] = {e.field or "form": e.message}
            status = e.status if isinstance(e, actions.TooManyRequests) else 200
    return render(request, "portal/login.html", context, status=status)


@require_POST
def logout_view(request: HttpRequest) -> HttpResponse:
    session = web_session(request)
    if session is not None:
        actions.sign_out(session)
    response = redirect("portal:login")
    response.delete_cookie(COOKIE, path=COOKIE_PATH)
    return response


@require_POST
def display_view(request: HttpRequest) -> HttpResponse:
    """大字 and 高对比 switches (适老化): remembered in a cookie, no script needed."""
    name = request.POST.get("pref", "")
    response = redirect(request.POST.get("next") or "portal:login")
    if not str(response["Location"]).startswith("/my/"):
        response = redirect("portal:login")
    if name in PREFS:
        if request.COOKIES.get(PREFS[name]) == "1":
            response.delete_cookie(PREFS[name], path=COOKIE_PATH)
        else:
            response.set_cookie(PREFS[name], "1", max_age=365 * 86400, path=COOKIE_PATH, samesite="Lax")
    return response


@applicant_required
@not_found_page
def home_view(request: HttpRequest) -> HttpResponse:
    person = request.applicant  # type: ignore[attr-defined]
    context = {
        "person": person,
        "cases": queries.cases_for(person),
        "referrals": queries.referrals_for(person),
        "online": queries.online_for(person),
    }
    return render(request, "portal/home.html", context)


@applicant_required
@not_found_page
def case_view(request: HttpRequest, pk: int) -> HttpResponse:
    person = request.applicant  # type: ignore[attr-defined]
    app = queries.case_for(person, pk)
    errors: dict[str, str] = {}
    done = ""
    if request.method == "POST":
        upload = request.FILES.get("file")
        try:
            if upload is None:
                raise DomainError("required", "请拍照或选择要上传的材料", field="file")
            supplement = actions.upload_supplement(
                app,
                by=actions.applicant_actor(person),
                person=person,
                item=request.POST.get("item", ""),
                upload=upload,
            )
            done = f"“{supplement.item}”已上传，窗口工作人员会尽快查看。"
            app.refresh_from_db()
        except DomainError as e:
            errors[e.field or "form"] = e.message
    from .models import Supplement

    context = {
        "person": person,
        "case": queries.case_view(app),
        "notices": queries.notices_of(app),
        "uploaded": Supplement.objects.filter(application=app),
        "errors": errors,
        "done": done,
    }
    return render(request, "portal/case.html", context, status=422 if errors else 200)


def _notice_response(request: HttpRequest, pk: int, mode: str) -> FileResponse:
    person = request.applicant  # type: ignore[attr-defined]
    notice = queries.notice_for(person, pk)
    actions.record_delivery(notice, person=person, channel="web", mode=mode, ip=client_ip(request))
    return FileResponse(
        open(storage.path_of(notice.document.storage_name), "rb"),
        content_type="application/pdf",
        as_attachment=mode == "download",
        filename=f"{notice.get_kind_display()}-{notice.number}.pdf",
    )


@applicant_required
@not_found_page
def notice_view(request: HttpRequest, pk: int) -> FileResponse:
    return _notice_response(request, pk, "view")


@applicant_required
@not_found_page
def notice_download(request: HttpRequest, pk: int) -> FileResponse:
    return _notice_response(request, pk, "download")
