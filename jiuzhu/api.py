"""The HTTP API (django-ninja) at /api/v1/: one error format for every failure.

Every error answers ``{"code": ..., "message": <Chinese>, "field"?: ..., "errors"?: [...]}``.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any

from django.conf import settings
from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import BadRequest
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.http.multipartparser import MultiPartParserError
from ninja import NinjaAPI
from ninja.errors import AuthenticationError, HttpError, ValidationError
from ninja.operation import Operation
from ninja.renderers import JSONRenderer

from jiuzhu.accounts.api import router as accounts_router
from jiuzhu.accounts.auth import API_AUTH, TokenRejected
from jiuzhu.applications.api import router as applications_router
from jiuzhu.applications.api import workflow_router
from jiuzhu.areas.api import router as areas_router
from jiuzhu.complaints.api import router as complaints_router
from jiuzhu.core.errors import DomainError
from jiuzhu.disclosure.api import router as disclosure_router
from jiuzhu.funds.api import reserve_router
from jiuzhu.funds.api import router as funds_router
from jiuzhu.monitoring.api import router as monitoring_router
from jiuzhu.monitoring.api_campaigns import router as campaigns_router
from jiuzhu.monitoring.api_discovery import rules_router, tasks_router, warnings_router
from jiuzhu.monitoring.api_emergency import router as emergency_router
from jiuzhu.monitoring.api_field import router as field_reports_router
from jiuzhu.monitoring.api_oversight import router as oversight_router
from jiuzhu.monitoring.api_spot_checks import router as spot_checks_router
from jiuzhu.monitoring.api_suspected import router as suspected_router
from jiuzhu.payments.api import router as payments_router
from jiuzhu.portal.api import router as my_router
from jiuzhu.portal.api_staff import router as online_intake_router
from jiuzhu.programs.api import eligibility as eligibility_router
from jiuzhu.programs.api import parameters as parameters_router
from jiuzhu.programs.api import programs as programs_router
from jiuzhu.programs.api import settings as settings_router
from jiuzhu.referrals.api import households as referral_households_router
from jiuzhu.referrals.api import router as referrals_router
from jiuzhu.registry.api import documents as documents_router
from jiuzhu.registry.api import households as households_router
from jiuzhu.registry.api import persons as persons_router
from jiuzhu.registry.api import population as population_router
from jiuzhu.verification.api import router as verification_router
from jiuzhu.verification.api import sources_router
from jiuzhu.web.api import router as work_router


def docs_need_login(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """Outside DEBUG the API description (docs page and openapi.json) is for signed-in users
    only: it maps every operation of the system (issue 19 item 5)."""

    @functools.wraps(view)
    def wrapped(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if settings.DEBUG or request.user.is_authenticated:
            return view(request, *args, **kwargs)
        if request.path.endswith(".json"):
            body = {"code": "unauthorized", "message": "请先登录后查看接口说明"}
            return JsonResponse(body, status=401, json_dumps_params={"ensure_ascii": False})
        return redirect_to_login(request.get_full_path())

    return wrapped


class ChineseJSONRenderer(JSONRenderer):
    """UTF-8 JSON with Chinese left readable (no \\uXXXX escapes)."""

    json_dumps_params = {"ensure_ascii": False}


# Endpoints that moved between modules keep the OpenAPI operationId they were published with
# (clients generated from openapi.json name their methods after it): the id names the app's
# ``api`` module, not the room inside it, and reviews and stops keep payments' ids.
PUBLISHED_MODULE = {"jiuzhu.monitoring.api": "jiuzhu.payments.api"}


class JiuzhuAPI(NinjaAPI):
    def get_openapi_operation_id(self, operation: Operation) -> str:
        module = operation.view_func.__module__
        head, _, _ = module.partition(".api.")  # jiuzhu.payments.api.rosters → jiuzhu.payments.api
        module = head + ".api" if module.startswith(head + ".api.") else module
        module = PUBLISHED_MODULE.get(module, module)
        return f"{module}_{operation.view_func.__name__}".replace(".", "_")


api = JiuzhuAPI(
    renderer=ChineseJSONRenderer(),
    title="救助 jiuzhu 社会救助综合管理信息平台 API",
    version="1",
    description="县域社会救助：一门受理、一证申请、一键核对、一体联动。"
    "系统调用请使用 `Authorization: Bearer <token>`（`python manage.py create_api_token 用户名` 生成）。",
    auth=API_AUTH,
    urls_namespace="api",
    docs_decorator=docs_need_login,
)

api.add_router("/areas", areas_router)
api.add_router("/households", households_router)
api.add_router("/persons", persons_router)
api.add_router("/population", population_router)
api.add_router("/documents", documents_router)
api.add_router("/programs", programs_router)
api.add_router("/parameters", parameters_router)
api.add_router("/settings", settings_router)
api.add_router("/eligibility", eligibility_router)
api.add_router("/applications", applications_router)
api.add_router("/workflow", workflow_router)
api.add_router("/verifications", verification_router)
api.add_router("/sources", sources_router)
api.add_router("/referrals", referrals_router)
api.add_router("/households", referral_households_router)
api.add_router("/payments", payments_router)
api.add_router("/payments", reserve_router)  # the towns' 备用金, moved to funds at the same address
api.add_router("/payments", monitoring_router)  # reviews and stops keep their /payments/ paths
api.add_router("/monitoring", oversight_router)  # life events (DYN-7) and staff conduct (DIS-10)
api.add_router("/funds", funds_router)
api.add_router("/warnings", warnings_router)  # 政策找人 (issue 17)
api.add_router("/tasks", tasks_router)
api.add_router("/monitoring", rules_router)
api.add_router("/monitoring", campaigns_router)  # 摸底排查 (DIS-2)
api.add_router("/monitoring", spot_checks_router)  # 抽查 (SUP-5)
api.add_router("/monitoring", suspected_router)  # 疑似困难人员名单 (DIS-3)
api.add_router("/monitoring", emergency_router)  # 应急期 (WF-12, LNK-9, PRG-12)
api.add_router("/monitoring", field_reports_router)  # 现场发现报告 (DIS-5, INT-24)

api.add_router("/public", disclosure_router)  # no auth: status, 公示, policy (issue 18)
api.add_router("/complaints", complaints_router)  # 投诉举报 (issue 18 item 6)
api.add_router("/my", my_router)  # 掌上办: the applicant's own API and auth (issue 18)
api.add_router("/online-applications", online_intake_router)  # 掌上办申请 at the town window (staff)
api.add_router("", accounts_router)
api.add_router("", work_router)

_PYDANTIC_MESSAGES = {
    "missing": "缺少必填字段",
    "string_type": "应为字符串",
    "int_type": "应为整数",
    "int_parsing": "应为整数",
    "list_type": "应为列表",
    "dict_type": "应为对象",
    "bool_type": "应为布尔值",
    "bool_parsing": "应为布尔值",
    "date_from_datetime_parsing": "日期格式应为“2026-01-31”",
    "date_parsing": "日期格式应为“2026-01-31”",
    "model_attributes_type": "应为对象",
    "json_invalid": "请求内容不是合法的JSON",
    "extra_forbidden": "不支持的字段",
    "string_too_long": "内容过长",
}


def field_path(loc: list[Any] | tuple[Any, ...]) -> str:
    """``("body", "body", "members", 0, "id_number")`` → ``members[0].id_number``."""
    parts = list(loc)
    while parts and parts[0] in ("body", "query", "path", "form", "file"):
        parts.pop(0)
        if parts and parts[0] in ("body", "payload", "data"):
            parts.pop(0)
    out = ""
    for part in parts:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out


@api.exception_handler(DomainError)
def domain_error(request: HttpRequest, exc: DomainError) -> HttpResponse:
    return api.create_response(request, exc.as_dict(), status=exc.status)


@api.exception_handler(ValidationError)
def validation_error(request: HttpRequest, exc: ValidationError) -> HttpResponse:
    errors = []
    for err in exc.errors:
        path = field_path(err.get("loc", ()))
        text = _PYDANTIC_MESSAGES.get(err.get("type", ""), "格式不正确")
        errors.append({"code": "invalid_input", "field": path, "message": f"{path or '请求'}：{text}"})
    first = errors[0] if errors else {"code": "invalid_input", "field": "", "message": "请求格式不正确"}
    body: dict[str, Any] = dict(first)
    if len(errors) > 1:
        body["errors"] = errors
    return api.create_response(request, body, status=422)


@api.exception_handler(AuthenticationError)
def authentication_error(request: HttpRequest, exc: AuthenticationError) -> HttpResponse:
    if isinstance(exc, TokenRejected):
        body = {"code": exc.code, "message": exc.message}
    else:
        body = {"code": "unauthorized", "message": "未登录或未提供有效的访问令牌（Authorization: Bearer <token>）"}
    return api.create_response(request, body, status=401)


@api.exception_handler(Http404)
def not_found(request: HttpRequest, exc: Http404) -> HttpResponse:
    return api.create_response(request, {"code": "not_found", "message": "对象不存在或不在您的管辖范围内"}, status=404)


@api.exception_handler(MultiPartParserError)
def malformed_multipart(request: HttpRequest, exc: MultiPartParserError) -> HttpResponse:
    body = {"code": "malformed_multipart", "message": "上传内容格式不正确（表单损坏或缺少分隔符），请重新上传"}
    return api.create_response(request, body, status=400)


@api.exception_handler(BadRequest)
def bad_request(request: HttpRequest, exc: BadRequest) -> HttpResponse:
    return api.create_response(request, {"code": "bad_request", "message": "请求格式不正确"}, status=400)


@api.exception_handler(HttpError)
def http_error(request: HttpRequest, exc: HttpError) -> HttpResponse:
    return api.create_response(request, {"code": "http_error", "message": str(exc)}, status=exc.status_code)
