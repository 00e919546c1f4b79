"""Request plumbing shared by the UI and the API."""

from __future__ import annotations

from collections.abc import Callable

from django.conf import settings
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render

from jiuzhu.audit.request_context import reset_ip, set_ip
from jiuzhu.programs.engine import one_store_per_request


def client_ip(request: HttpRequest) -> str | None:
    return request.META.get("REMOTE_ADDR") or None


def _mb(n: int) -> str:
    return f"{n / 1024 / 1024:.1f} MB"


class UploadSizeLimitMiddleware:
    """Refuse oversize request bodies before anything reads them, with a clear message.

    Also binds the client IP for audit rows written while serving the request.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        limit = settings.MAX_UPLOAD_BYTES
        try:
            length = int(request.META.get("CONTENT_LENGTH") or 0)
        except ValueError:
            length = 0
        if length > limit:
            message = f"上传内容过大（{_mb(length)}），单次上传不得超过 {_mb(limit)}，请拆分后重新上传"
            if request.path.startswith("/api/"):
                return JsonResponse({"code": "upload_too_large", "message": message}, status=413)
            return render(request, "upload_too_large.html", {"message": message}, status=413)
        token = set_ip(client_ip(request))
        try:
            return self.get_response(request)
        finally:
            reset_ip(token)


class ParameterStoreMiddleware:
    """One request reads the rules' parameters and dated settings once
    (``programs.engine.one_store_per_request``)."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        with one_store_per_request():
            return self.get_response(request)


class SecurityHeadersMiddleware:
    """Content-Security-Policy and Permissions-Policy on every response (等保: no inline script,
    nothing loaded from elsewhere). Pages declare behaviour with data- attributes read by
    ``static/js/behaviours.js``; a response that sets its own policy keeps it."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        response.headers.setdefault("Content-Security-Policy", settings.CONTENT_SECURITY_POLICY)
        response.headers.setdefault("Permissions-Policy", settings.PERMISSIONS_POLICY)
        return response


class ReadOnlyMiddleware:
    """监督/只读 (issue 14 item 10): a read-only user's unsafe request (POST, PUT, PATCH, DELETE)
    is refused before any view runs — pages, htmx actions, the API with a session, admin.
    Posts that only read (``READ_POSTS``: lookups and searches by ID number, 救助测算,
    signing out) stay open. API tokens are checked in
    ``accounts.auth``; ``audit.log.record`` refuses any write as the last line."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        from jiuzhu.accounts.permissions import READ_ONLY_MESSAGE, is_read_only, posts_to_read

        if (
            request.method not in ("GET", "HEAD", "OPTIONS")
            and is_read_only(getattr(request, "user", None))
            and not posts_to_read(request.path)
        ):
            if request.path.startswith("/api/"):
                body = {"code": "read_only", "message": READ_ONLY_MESSAGE}
                return JsonResponse(body, status=403, json_dumps_params={"ensure_ascii": False})
            return render(request, "403.html", {"message": READ_ONLY_MESSAGE}, status=403)
        return self.get_response(request)
