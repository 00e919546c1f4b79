"""银行文件格式 page: the county's bank layouts, a sample file in each, and a form to add or
change one (issue 16 item 4)."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render

from jiuzhu.accounts.auth import AuthedRequest
from jiuzhu.core.errors import DomainError
from jiuzhu.registry.forms import apply_errors
from jiuzhu.web.files import file_response

from .. import bankfiles
from ..actions.layouts import preview_layout, save_layout
from ..models import FIELD_CHOICES, BankLayout
from ._common import _viewer

FIELD_BY_LABEL = {label: code for code, label in FIELD_CHOICES}
RESULT_LABELS = {
    "reference": "业务编号所在列",
    "account": "账号所在列",
    "amount": "金额所在列",
    "status": "处理结果所在列",
    "message": "失败原因所在列",
}


class LayoutForm(forms.Form):
    code = forms.CharField(
        label="格式代码", max_length=32, help_text="字母、数字和下划线，如 icbc_csv；同一代码再次保存即为修改"
    )
    name = forms.CharField(label="格式名称", max_length=64, help_text="如：工商银行代发（CSV）")
    file_format = forms.ChoiceField(label="文件类型", choices=[("csv", "CSV"), ("xlsx", "Excel（.xlsx）")])
    encoding = forms.ChoiceField(label="CSV编码", choices=[("gb18030", "GBK/GB18030"), ("utf-8-sig", "UTF-8")])
    columns = forms.CharField(
        label="导出列",
        widget=forms.Textarea(attrs={"rows": 8}),
        help_text="每行一列，写“表头｜内容”，内容可选：" + "、".join(label for _, label in FIELD_CHOICES),
    )
    reference = forms.CharField(label=RESULT_LABELS["reference"], required=False, max_length=32)
    account = forms.CharField(label=RESULT_LABELS["account"], required=False, max_length=32)
    amount = forms.CharField(label=RESULT_LABELS["amount"], max_length=32)
    status = forms.CharField(label=RESULT_LABELS["status"], max_length=32)
    message = forms.CharField(label=RESULT_LABELS["message"], required=False, max_length=32)
    success_values = forms.CharField(label="表示成功的处理结果", help_text="多个用顿号或逗号分隔，如：成功、0000")
    amount_unit = forms.ChoiceField(label="回盘金额单位", choices=[("yuan", "元"), ("fen", "分")])
    is_default = forms.BooleanField(label="设为默认格式", required=False)

    def parsed_columns(self) -> list[dict[str, str]]:
        out = []
        for n, line in enumerate(self.cleaned_data["columns"].splitlines(), 1):
            if not line.strip():
                continue
            header, sep, content = line.replace("|", "｜").partition("｜")
            field = FIELD_BY_LABEL.get(content.strip())
            if not sep or not header.strip() or field is None:
                raise DomainError(
                    "invalid_layout",
                    f"导出列第{n}行应写“表头｜内容”，内容可选：{'、'.join(FIELD_BY_LABEL)}",
                    field="columns",
                )
            out.append({"header": header.strip(), "field": field})
        return out

    def action_kwargs(self) -> dict[str, Any]:
        data = self.cleaned_data
        return {
            "code": data["code"],
            "name": data["name"],
            "file_format": data["file_format"],
            "encoding": data["encoding"],
            "columns": self.parsed_columns(),
            "result_columns": {k: data[k] for k in RESULT_LABELS if data[k].strip()},
            "success_values": [v for v in data["success_values"].replace("，", "、").replace(",", "、").split("、")],
            "amount_unit": data["amount_unit"],
            "is_default": data["is_default"],
        }


def initial_of(layout: BankLayout) -> dict[str, Any]:
    labels = dict(FIELD_CHOICES)
    return {
        "code": layout.code,
        "name": layout.name,
        "file_format": layout.file_format,
        "encoding": layout.encoding,
        "columns": "\n".join(f"{c['header']}｜{labels.get(c['field'], c['field'])}" for c in layout.columns),
        **{k: layout.result_columns.get(k, "") for k in RESULT_LABELS},
        "success_values": "、".join(layout.success_values),
        "amount_unit": layout.amount_unit,
        "is_default": layout.is_default,
    }


def _county(request: AuthedRequest) -> str:
    area = request.user.area
    if area is None or not area.county_code:
        raise Http404
    return area.county_code


@login_required
def layouts(request: AuthedRequest) -> HttpResponse:
    _viewer(request)
    county = _county(request)
    rows = bankfiles.ensure_layouts(county)
    editing = next((x for x in rows if str(x.pk) == request.GET.get("edit")), None)
    form = LayoutForm(request.POST or None, initial=initial_of(editing) if editing else None)
    can_edit = request.user.has_perm_code("payments.roster")
    if request.method == "POST" and form.is_valid():
        try:
            layout = save_layout(by=request.user, county_code=county, **form.action_kwargs())
        except DomainError as exc:
            apply_errors(exc, form)
        else:
            messages.success(request, f"已保存银行文件格式“{layout.name}”，请下载样例与银行核对")
            return redirect("payments:layouts")
    labels = dict(FIELD_CHOICES)
    return render(
        request,
        "payments/layouts.html",
        {"layouts": rows, "form": form, "can_edit": can_edit, "labels": labels, "result_labels": RESULT_LABELS},
    )


@login_required
def layout_sample(request: AuthedRequest, pk: int) -> HttpResponse:
    _viewer(request)
    layout = get_object_or_404(BankLayout, pk=pk, county_code=_county(request))
    content, name = preview_layout(layout)
    return file_response(content, name)
