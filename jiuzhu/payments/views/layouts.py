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
from jiuzhu.web.files import file_response

from .. import bankfiles
from ..actions.layouts import preview, preview_layout, sample_results, save_layout
from ..models import DELIMITERS, FIELD_CHOICES, FILE_FORMATS, RESULT_FORMATS, BankLayout
from ._common import _viewer

FIELD_BY_LABEL = {label: code for code, label in FIELD_CHOICES}
RESULT_LABELS = {
    "reference": "业务编号所在列",
    "account": "账号所在列",
    "amount": "金额所在列",
    "status": "处理结果所在列",
    "message": "失败原因所在列",
}
RESULT_KEY_BY_LABEL = {label: key for key, label in bankfiles.RESULT_KEY_LABELS.items()}
ALIGN_BY_LABEL = {label: key for key, label in bankfiles.ALIGNS.items()}
PAD_BY_LABEL = {label: key for key, label in bankfiles.PADS.items()}
PLACEHOLDER_HELP = "、".join("{" + k + "}" + label for k, label in bankfiles.PLACEHOLDERS.items())


def _parts(line: str) -> list[str]:
    return [p.strip() for p in line.replace("|", "｜").split("｜")]


def _width(text: str) -> int | str:
    return int(text) if text.isdigit() else text


class LayoutForm(forms.Form):
    code = forms.CharField(
        label="格式代码", max_length=32, help_text="字母、数字和下划线，如 icbc_csv；同一代码再次保存即为修改"
    )
    name = forms.CharField(label="格式名称", max_length=64, help_text="如：工商银行代发（CSV）")
    file_format = forms.ChoiceField(label="文件类型", choices=FILE_FORMATS)
    encoding = forms.ChoiceField(label="文件编码", choices=[("gb18030", "GBK/GB18030"), ("utf-8-sig", "UTF-8")])
    delimiter = forms.ChoiceField(label="分隔符（文本格式）", choices=DELIMITERS, required=False)
    columns = forms.CharField(
        label="导出列",
        widget=forms.Textarea(attrs={"rows": 8}),
        help_text="每行一列，写“表头｜内容”；定长文本写“表头｜内容｜宽度（字节）｜左或右｜空格或0”，"
        "GBK编码下一个汉字占2字节。内容可选：" + "、".join(label for _, label in FIELD_CHOICES),
    )
    no_column_header = forms.BooleanField(label="不写列名行（银行要求明细前不带列名时勾选）", required=False)
    header_rows = forms.CharField(
        label="表头行",
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text="每行一行文字，写在明细之前（如汇总行），可用占位符：" + PLACEHOLDER_HELP,
    )
    footer_rows = forms.CharField(
        label="表尾行", required=False, widget=forms.Textarea(attrs={"rows": 2}), help_text="写在明细之后，占位符同上"
    )
    file_name = forms.CharField(
        label="文件命名",
        required=False,
        max_length=128,
        help_text="如 {county_code}_{bank}_{month}_{batch_no}.txt；不填则为“银行发放文件-批次号”",
    )
    amount_grouping = forms.BooleanField(label="金额加千分位（如1,520.00）", required=False)
    result_format = forms.ChoiceField(label="回盘文件类型", choices=RESULT_FORMATS, required=False)
    reference = forms.CharField(label=RESULT_LABELS["reference"], required=False, max_length=32)
    account = forms.CharField(label=RESULT_LABELS["account"], required=False, max_length=32)
    amount = forms.CharField(label=RESULT_LABELS["amount"], required=False, max_length=32)
    status = forms.CharField(label=RESULT_LABELS["status"], required=False, max_length=32)
    message = forms.CharField(label=RESULT_LABELS["message"], required=False, max_length=32)
    result_fields = forms.CharField(
        label="回盘文件各列（文本格式）",
        required=False,
        widget=forms.Textarea(attrs={"rows": 5}),
        help_text="按文件中的顺序每行一列，写“内容｜宽度（字节）”（分隔符文本不写宽度），内容可选："
        + "、".join(bankfiles.RESULT_KEY_LABELS.values()),
    )
    result_skip_head = forms.IntegerField(label="回盘表头行数", min_value=0, max_value=20, required=False)
    result_skip_tail = forms.IntegerField(label="回盘表尾行数", min_value=0, max_value=20, required=False)
    success_values = forms.CharField(label="表示成功的处理结果", help_text="多个用顿号或逗号分隔，如：成功、0000")
    amount_unit = forms.ChoiceField(label="回盘金额单位", choices=[("yuan", "元"), ("fen", "分")])
    is_default = forms.BooleanField(label="设为默认格式", required=False)

    def parsed_columns(self) -> list[dict[str, Any]]:
        fixed = self.cleaned_data["file_format"] == "fixed"
        out: list[dict[str, Any]] = []
        for n, line in enumerate(self.cleaned_data["columns"].splitlines(), 1):
            if not line.strip():
                continue
            parts = _parts(line)
            field = FIELD_BY_LABEL.get(parts[1]) if len(parts) > 1 else None
            if len(parts) < 2 or not parts[0] or field is None:
                raise DomainError(
                    "invalid_layout",
                    f"导出列第{n}行应写“表头｜内容”，内容可选：{'、'.join(FIELD_BY_LABEL)}",
                    field="columns",
                )
            column: dict[str, Any] = {"header": parts[0], "field": field}
            if fixed:
                if len(parts) < 3 or not parts[2].isdigit():
                    raise DomainError(
                        "invalid_width", f"导出列第{n}行（{parts[0]}）须写宽度，如“户名｜姓名｜20”", field="columns"
                    )
                column["width"] = int(parts[2])
                if len(parts) > 3 and parts[3]:
                    column["align"] = ALIGN_BY_LABEL.get(parts[3], parts[3])
                if len(parts) > 4 and parts[4]:
                    column["pad"] = PAD_BY_LABEL.get(parts[4], parts[4])
            out.append(column)
        return out

    def parsed_result_fields(self) -> list[dict[str, Any]]:
        out: list[dict[str, Any]] = []
        for n, line in enumerate(self.cleaned_data["result_fields"].splitlines(), 1):
            if not line.strip():
                continue
            parts = _parts(line)
            key = RESULT_KEY_BY_LABEL.get(parts[0])
            if key is None:
                raise DomainError(
                    "invalid_layout",
                    f"回盘文件各列第{n}行的内容应为：{'、'.join(RESULT_KEY_BY_LABEL)}",
                    field="result_fields",
                )
            item: dict[str, Any] = {"key": key}
            if len(parts) > 1 and parts[1]:
                item["width"] = _width(parts[1])
            out.append(item)
        return out

    def action_kwargs(self) -> dict[str, Any]:
        data = self.cleaned_data
        return {
            "code": data["code"],
            "name": data["name"],
            "file_format": data["file_format"],
            "encoding": data["encoding"],
            "delimiter": data["delimiter"] or "comma",
            "columns": self.parsed_columns(),
            "column_header": not data["no_column_header"],
            "header_rows": data["header_rows"].splitlines(),
            "footer_rows": data["footer_rows"].splitlines(),
            "file_name": data["file_name"],
            "amount_grouping": data["amount_grouping"],
            "result_format": data["result_format"] or "table",
            "result_columns": {k: data[k] for k in RESULT_LABELS if data[k].strip()}
            if (data["result_format"] or "table") == "table"
            else {},
            "result_fields": self.parsed_result_fields() if (data["result_format"] or "table") != "table" else [],
            "result_skip_head": data["result_skip_head"] or 0,
            "result_skip_tail": data["result_skip_tail"] or 0,
            "success_values": [v for v in data["success_values"].replace("，", "、").replace(",", "、").split("、")],
            "amount_unit": data["amount_unit"],
            "is_default": data["is_default"],
        }


def column_line(c: dict[str, Any]) -> str:
    labels = dict(FIELD_CHOICES)
    parts = [c["header"], labels.get(c["field"], c["field"])]
    if "width" in c:
        parts += [
            str(c["width"]),
            bankfiles.ALIGNS.get(c.get("align", "left"), "左"),
            bankfiles.PADS.get(c.get("pad", " "), "空格"),
        ]
    return "｜".join(parts)


def initial_of(layout: BankLayout) -> dict[str, Any]:
    return {
        "code": layout.code,
        "name": layout.name,
        "file_format": layout.file_format,
        "encoding": layout.encoding,
        "delimiter": layout.delimiter,
        "columns": "\n".join(column_line(c) for c in layout.columns),
        "no_column_header": not layout.column_header,
        "header_rows": "\n".join(layout.header_rows),
        "footer_rows": "\n".join(layout.footer_rows),
        "file_name": layout.file_name,
        "amount_grouping": layout.amount_grouping,
        "result_format": layout.result_format,
        **{k: layout.result_columns.get(k, "") for k in RESULT_LABELS},
        "result_fields": "\n".join(
            "｜".join([bankfiles.RESULT_KEY_LABELS[f["key"]], *([str(f["width"])] if "width" in f else [])])
            for f in layout.result_fields
        ),
        "result_skip_head": layout.result_skip_head,
        "result_skip_tail": layout.result_skip_tail,
        "success_values": "、".join(layout.success_values),
        "amount_unit": layout.amount_unit,
        "is_default": layout.is_default,
    }


def _county(request: AuthedRequest) -> str:
    area = request.user.area
    if area is None or not area.county_code:
        raise Http404
    return area.county_code


def _show_errors(exc: DomainError, form: LayoutForm) -> None:
    for err in exc.errors:
        name = (err.field or "").split("[")[0]
        if name == "result_columns":
            name = "status"
        form.add_error(name if name in form.fields else None, err.message)


@login_required
def layouts(request: AuthedRequest) -> HttpResponse:
    """The county's layouts with a preview of each on sample rows; a GET only reads."""
    _viewer(request)
    county = _county(request)
    rows = bankfiles.layouts_of(county)
    editing = next((x for x in rows if str(x.pk) == request.GET.get("edit")), None)
    form = LayoutForm(request.POST or None, initial=initial_of(editing) if editing else None)
    can_edit = request.user.has_perm_code("payments.roster")
    if request.method == "POST" and form.is_valid():
        try:
            layout = save_layout(by=request.user, county_code=county, **form.action_kwargs())
        except DomainError as exc:
            _show_errors(exc, form)
        else:
            messages.success(request, f"已保存银行文件格式“{layout.name}”，请下载样例与银行核对")
            return redirect("payments:layouts")
    labels = dict(FIELD_CHOICES)
    return render(
        request,
        "payments/layouts.html",
        {
            "layouts": [(x, preview(x)) for x in rows],
            "form": form,
            "can_edit": can_edit,
            "labels": labels,
            "result_labels": RESULT_LABELS,
            "result_key_labels": bankfiles.RESULT_KEY_LABELS,
        },
    )


@login_required
def layout_sample(request: AuthedRequest, pk: int) -> HttpResponse:
    _viewer(request)
    layout = get_object_or_404(BankLayout, pk=pk, county_code=_county(request))
    try:
        content, name = preview_layout(layout)
    except DomainError as exc:
        messages.error(request, exc.message)
        return redirect("payments:layouts")
    return file_response(content, name)


@login_required
def layout_sample_result(request: AuthedRequest, pk: int) -> HttpResponse:
    """The sample 回盘 file (all paid) in the layout's result format."""
    _viewer(request)
    layout = get_object_or_404(BankLayout, pk=pk, county_code=_county(request))
    content, name = sample_results(layout)
    return file_response(content, name)
