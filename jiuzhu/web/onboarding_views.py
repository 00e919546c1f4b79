"""开通县区 page (issue 16 item 5): the checklist of what a county still lacks, and the upload
of the three onboarding files with a confirmation step that shows what will be written.

Who: the county's 系统管理员 (``accounts.manage``) for their own county; a superuser for any.
"""

from __future__ import annotations

import base64
import uuid
from typing import Any

from django import forms
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpResponse
from django.shortcuts import render

from jiuzhu.accounts.auth import AuthedRequest
from jiuzhu.accounts.scope import in_scope
from jiuzhu.areas.models import Area, full_code

from . import onboarding

MAX_FILE_BYTES = 5 * 1024 * 1024
SESSION_KEY = "onboarding:"


class OnboardingForm(forms.Form):
    areas = forms.FileField(label="区划文件 areas.csv", help_text="code,name,parent,urban_rural；UTF-8或GBK编码")
    staff = forms.FileField(label="工作人员 staff.xlsx", help_text="用户名、姓名、岗位、所属区划代码、所属部门")
    county = forms.FileField(label="县区设置 county.yaml", help_text="文书字号、部门、项目、办理流程模式、低保标准")

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        for name in ("areas", "staff", "county"):
            upload = data.get(name)
            if upload is not None and upload.size > MAX_FILE_BYTES:
                self.add_error(name, "文件超过5MB，请检查是否选错文件")
        return data


def _county_of(user: Any) -> str:
    area = getattr(user, "area", None)
    return area.code[:6] if area is not None and area.level in ("county", "town", "village") else ""


def _require_admin(request: AuthedRequest) -> None:
    user = request.user
    if not (user.is_superuser or user.has_perm_code("accounts.manage")):
        raise PermissionDenied("您的岗位无权开通县（区），请联系系统管理员")


def _county_for(request: AuthedRequest) -> str:
    """The county shown: the administrator's own; a superuser names one (``?county=``)."""
    asked = (request.GET.get("county") or "").strip()
    if not asked:
        return "" if request.user.is_superuser else _county_of(request.user)
    if not asked.isdigit() or len(asked) != 6 or not in_scope(request.user, full_code(asked)):
        raise Http404("该县（区）不存在或不在您的管辖范围内")
    return asked


@login_required
def onboarding_page(request: AuthedRequest) -> HttpResponse:
    _require_admin(request)
    county = _county_for(request)
    context: dict[str, Any] = {"county": county, "form": OnboardingForm()}
    if request.method == "POST":
        if request.POST.get("token"):
            return _confirm(request, context)
        return _preview(request, context)
    return _render(request, context)


def _render(request: AuthedRequest, context: dict[str, Any]) -> HttpResponse:
    county = context.get("county") or ""
    if county:
        items = onboarding.checklist(county)
        area = Area.objects.filter(code=full_code(county)).first()
        context.update(items=items, missing=sum(not i.ok for i in items), county_name=area.name if area else county)
    return render(request, "onboarding/page.html", context)


def _package(request: AuthedRequest, files: dict[str, bytes], context: dict[str, Any]) -> onboarding.Package | None:
    try:
        package = onboarding.read_package(files)
    except onboarding.OnboardingInvalid as exc:
        context["problems"] = exc.problems
        return None
    if not in_scope(request.user, full_code(package.county_code)):
        context["problems"] = [
            f"county.yaml“county_code”：只能开通本人所在县（区），{package.county_code}不在您的管辖范围内"
        ]
        return None
    return package


def _preview(request: AuthedRequest, context: dict[str, Any]) -> HttpResponse:
    form = OnboardingForm(request.POST, request.FILES)
    context["form"] = form
    if not form.is_valid():
        return _render(request, context)
    files = {
        onboarding.AREAS_FILE: form.cleaned_data["areas"].read(),
        onboarding.STAFF_FILE: form.cleaned_data["staff"].read(),
        onboarding.COUNTY_FILE: form.cleaned_data["county"].read(),
    }
    package = _package(request, files, context)
    if package is None:
        return _render(request, context)
    try:
        plan = onboarding.onboard(package, by=request.user, dry_run=True)
    except onboarding.OnboardingInvalid as exc:
        context["problems"] = exc.problems
        return _render(request, context)
    token = uuid.uuid4().hex
    request.session[SESSION_KEY + token] = {
        name: base64.b64encode(data).decode("ascii") for name, data in files.items()
    }
    context.update(plan=plan, token=token, county=package.county_code)
    return _render(request, context)


def _confirm(request: AuthedRequest, context: dict[str, Any]) -> HttpResponse:
    stored = request.session.pop(SESSION_KEY + request.POST["token"], None)
    if stored is None:
        context["problems"] = ["确认已过期或已执行，请重新上传开通材料"]
        return _render(request, context)
    files = {name: base64.b64decode(data) for name, data in stored.items()}
    package = _package(request, files, context)
    if package is None:
        return _render(request, context)
    try:
        report = onboarding.onboard(package, by=request.user)
    except onboarding.OnboardingInvalid as exc:
        context["problems"] = exc.problems
        return _render(request, context)
    context.update(report=report, county=package.county_code)
    response = _render(request, context)
    response["Cache-Control"] = "no-store"  # the one-time passwords are on this page
    return response
