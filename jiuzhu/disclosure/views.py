"""Public pages (no login): status query, village 公示, policy pages and their PDFs."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django import forms
from django.conf import settings
from django.core.cache import cache
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_http_methods

from jiuzhu.core.errors import DomainError
from jiuzhu.web.pdf import render_pdf

from . import policy, services

NOINDEX = "noindex, nofollow"


def _ip(request: HttpRequest) -> str:
    return str(request.META.get("REMOTE_ADDR", ""))


def _village(code: str) -> str:
    if len(code) != 12 or not code.isdigit():
        raise Http404("村（社区）代码应为12位数字")
    return code


def _qr(url: str) -> str:
    import segno

    return str(segno.make(url, error="m").svg_data_uri(scale=3, border=1))


def _page(request: HttpRequest, template: str, context: dict[str, Any], status: int = 200) -> HttpResponse:
    response = render(request, template, context, status=status)
    response["X-Robots-Tag"] = NOINDEX
    return response


class StatusForm(forms.Form):
    receipt_number = forms.CharField(label="回执编号", max_length=32)
    id_number = forms.CharField(label="申请人身份证号码", max_length=20)


@require_http_methods(["GET", "POST"])
def status(request: HttpRequest) -> HttpResponse:
    """办理进度查询 (INT-23): the same answer for an unknown receipt and a wrong ID number."""
    form = StatusForm(request.POST or None)
    context: dict[str, Any] = {"form": form, "lines": None, "error": ""}
    code = 200
    if request.method == "POST":
        try:
            services.check_rate("status", _ip(request))
            if form.is_valid():
                context["lines"] = services.status_of(
                    form.cleaned_data["receipt_number"], form.cleaned_data["id_number"]
                )
                context["not_found"] = services.NOT_FOUND
        except DomainError as exc:
            context["error"], code = exc.message, exc.status
    return _page(request, "disclosure/status.html", context, code)


class ObjectionForm(forms.Form):  # 在线异议
    number = forms.CharField(widget=forms.HiddenInput)
    name = forms.CharField(label="姓名（可不填，匿名提出）", max_length=32, required=False)
    phone = forms.CharField(label="联系电话（可不填）", max_length=20, required=False)
    reason = forms.CharField(label="异议理由", max_length=2000, widget=forms.Textarea(attrs={"rows": 4}))


def _public_url(path: str) -> str:
    return str(settings.PUBLIC_BASE_URL).rstrip("/") + path


def home(request: HttpRequest) -> HttpResponse:
    """社会救助信息公开 home: every public service on one page, with the county's hotline."""
    context = {"hotline": policy.hotline(policy.default_county(), timezone.localdate())}
    return _page(request, "disclosure/home.html", context, 200)


def gongshi_index(request: HttpRequest) -> HttpResponse:
    """社会救助公示: the villages with entries in their period; a village code goes to its page."""
    code = request.GET.get("village_code", "").strip()
    if code:
        if len(code) == 12 and code.isdigit():
            return redirect("disclosure:gongshi", village_code=code)
        error = "村（社区）代码：应为12位数字"
    else:
        error = ""
    context = {"villages": services.villages_in_publicity(), "error": error, "code": code}
    return _page(request, "disclosure/gongshi_index.html", context, 422 if error else 200)


@require_http_methods(["GET", "POST"])
def gongshi(request: HttpRequest, village_code: str) -> HttpResponse:
    """村（社区）公示栏: recipients in their 公示 period, masked; online objection."""
    village_code = _village(village_code)
    today = timezone.localdate()
    context: dict[str, Any] = {"village_code": village_code, "error": "", "done": None, "form": ObjectionForm()}
    code = 200
    if request.method == "POST":
        form = ObjectionForm(request.POST)
        context["form"] = form
        try:
            services.check_rate("objection", _ip(request))
            if form.is_valid():
                data = form.cleaned_data
                services.file_objection(
                    village_code, data["number"], name=data["name"], phone=data["phone"], reason=data["reason"]
                )
                context["done"] = data["number"]
                context["form"] = ObjectionForm()
            else:
                field, errors = next(iter(form.errors.items()))
                label = form.fields[field].label if field in form.fields else ""
                context["error"] = f"{label or '异议'}：{errors[0]}"
                code = 422
        except DomainError as exc:
            context["error"], code = exc.message, exc.status
    context.update(_board(village_code, today))
    return _page(request, "disclosure/gongshi.html", context, code)


# How long a village's board (entries, standards, hotline) is reused while its cases do not
# change: 200 people reading a 500-line board at once would otherwise each rebuild it.
BOARD_SECONDS = 60


def _board(village_code: str, today: dt.date) -> dict[str, Any]:
    key = f"disclosure:board:{village_code}:{today:%Y%m%d}:{services.publicity_version(village_code)}"
    board: dict[str, Any] | None = cache.get(key)
    if board is None:
        county = village_code[:6]
        board = {
            "entries": services.gongshi_entries(village_code, today),
            "village_name": _area_name(village_code),
            "county_code": county,
            "hotline": policy.hotline(county, today),
            "programs": policy.board_lines(policy.program_pages(county, today)),
            "today": today,
        }
        cache.set(key, board, BOARD_SECONDS)
    return {**board, "board_key": key}


def _area_name(code: str) -> str:
    from jiuzhu.areas.models import Area

    area = Area.objects.filter(code=code).first()
    return area.name if area is not None else code


def gongshi_pdf(request: HttpRequest, village_code: str) -> HttpResponse:
    """公示栏 A4 sheet with the QR code of the page."""
    village_code = _village(village_code)
    url = _public_url(reverse("disclosure:gongshi", args=[village_code]))
    context = {**_board(village_code, timezone.localdate()), "village_code": village_code, "url": url, "qr": _qr(url)}
    response = HttpResponse(render_pdf("disclosure/gongshi_pdf.html", context), content_type="application/pdf")
    response["Content-Disposition"] = f'inline; filename="gongshi-{village_code}.pdf"'
    response["X-Robots-Tag"] = NOINDEX
    return response


def policy_home(request: HttpRequest) -> HttpResponse:
    return redirect("disclosure:policy", county_code=policy.default_county())


def _county(code: str) -> str:
    if len(code) != 6 or not code.isdigit():
        raise Http404("县级代码应为6位数字")
    return code


def policy_county(request: HttpRequest, county_code: str) -> HttpResponse:
    """政策公开: every program the county runs, its standards in force and materials."""
    county_code, today = _county(county_code), timezone.localdate()
    context = {
        "county_code": county_code,
        "county_name": _area_name(county_code + "000000"),
        "programs": policy.program_pages(county_code, today),
        "hotline": policy.hotline(county_code, today),
        "today": today,
    }
    return _page(request, "disclosure/policy.html", context)


def _program(county_code: str, code: str) -> policy.ProgramPage:
    page = policy.program_page(_county(county_code), code, timezone.localdate())
    if page is None:
        raise Http404("未找到该救助项目")
    return page


def policy_program(request: HttpRequest, county_code: str, code: str) -> HttpResponse:
    page = _program(county_code, code)
    today = timezone.localdate()
    context = {"page": page, "county_code": county_code, "hotline": policy.hotline(county_code, today), "today": today}
    return _page(request, "disclosure/program.html", context)


def mingbaizhi_pdf(request: HttpRequest, county_code: str, code: str) -> HttpResponse:
    """明白纸: one program on one page, from the catalog and the settings in force today."""
    page = _program(county_code, code)
    today = timezone.localdate()
    url = _public_url(reverse("disclosure:program", args=[county_code, code]))
    context = {
        "page": page,
        "county_name": _area_name(county_code + "000000"),
        "hotline": policy.hotline(county_code, today),
        "today": today,
        "url": url,
        "qr": _qr(url),
    }
    response = HttpResponse(render_pdf("disclosure/mingbaizhi_pdf.html", context), content_type="application/pdf")
    response["Content-Disposition"] = f'inline; filename="mingbaizhi-{code}.pdf"'
    return response
