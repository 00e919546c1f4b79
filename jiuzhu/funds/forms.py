"""Forms of 资金预算与统筹: amounts are typed in 元 and handed to actions in fen; the actions'
errors come back onto the field they name (``apply_errors`` with ``FIELD_MAP``)."""

from __future__ import annotations

from typing import Any

from django import forms

from jiuzhu.core.errors import DomainError
from jiuzhu.core.money import yuan_to_fen

from .models import FUND_PROGRAM_CHOICES, FUND_SOURCES, INCENTIVE_KINDS, MONTHS, SHARE_LEVELS

# action field → form field
FIELD_MAP = {"amount_fen": "amount_yuan", **{str(m): f"m{m}" for m in MONTHS}}


def action_args(data: dict[str, Any]) -> dict[str, Any]:
    """A valid form's data under the action's argument names (``amount_yuan`` → ``amount_fen``:
    the field has already turned 元 into fen), for ``action(by=user, **action_args(data))``."""
    names = {form_field: action_field for action_field, form_field in FIELD_MAP.items()}
    return {names.get(name, name): value for name, value in data.items()}


DATE = forms.DateInput(format="%Y-%m-%d", attrs={"type": "date"})


class YuanField(forms.CharField):
    """An amount in 元 (``1,234.50``) → integer fen."""

    def clean(self, value: Any) -> int | None:
        text = super().clean(value)
        if text in (None, ""):
            return None
        try:
            fen = yuan_to_fen(text)
        except DomainError as exc:
            raise forms.ValidationError(exc.message) from None
        if fen < 0:
            raise forms.ValidationError("金额不能为负数")
        return fen


def _area_choices(areas: list[Any]) -> list[tuple[str, str]]:
    return [(a.code, ("　" if a.level == "town" else "") + a.name) for a in areas]


def _choice_field(form: forms.Form, name: str) -> forms.ChoiceField:
    """The form's (declared) choice field ``name``, whose choices depend on the user."""
    field = form.fields[name]
    assert isinstance(field, forms.ChoiceField)
    return field


class LineForm(forms.Form):
    year = forms.IntegerField(label="预算年度", min_value=2000, max_value=2100)
    area_code = forms.ChoiceField(label="预算单位")
    program = forms.ChoiceField(label="救助项目", choices=FUND_PROGRAM_CHOICES)
    source = forms.ChoiceField(label="资金来源", choices=FUND_SOURCES)
    amount_yuan = YuanField(label="年度预算（元）")
    tilted = forms.BooleanField(label="财政困难县倾斜", required=False)
    tilt_note = forms.CharField(label="倾斜说明", max_length=200, required=False)
    note = forms.CharField(label="预算文号或说明", max_length=200, required=False)

    def __init__(self, *args: Any, areas: list[Any], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        _choice_field(self, "area_code").choices = _area_choices(areas)


class LineEditForm(forms.Form):
    amount_yuan = YuanField(label="年度预算（元）")
    tilted = forms.BooleanField(label="财政困难县倾斜", required=False)
    tilt_note = forms.CharField(label="倾斜说明", max_length=200, required=False)
    note = forms.CharField(label="预算文号或说明", max_length=200, required=False)


class PlanForm(forms.Form):
    """月度用款计划: twelve amounts in 元; blank means nothing planned that month."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for m in MONTHS:
            self.fields[f"m{m}"] = YuanField(label=f"{m}月（元）", required=False)

    def months(self) -> dict[int, int]:
        return {m: self.cleaned_data.get(f"m{m}") or 0 for m in MONTHS}


class PowerForm(forms.Form):
    program = forms.ChoiceField(label="救助项目", choices=FUND_PROGRAM_CHOICES)
    department = forms.CharField(label="支出责任部门", max_length=64)
    legal_basis = forms.CharField(label="政策依据", widget=forms.Textarea(attrs={"rows": 2}))
    note = forms.CharField(label="说明", max_length=200, required=False)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for level, label in SHARE_LEVELS:
            self.fields[level] = forms.IntegerField(label=f"{label}承担（%）", min_value=0, max_value=100, initial=0)

    def shares(self) -> dict[str, int]:
        return {level: self.cleaned_data.get(level) or 0 for level, _ in SHARE_LEVELS}


class FundPlanForm(forms.Form):
    name = forms.CharField(label="规划名称", max_length=64, initial="十四五社会救助资金规划")
    start_year = forms.IntegerField(label="起始年度", initial=2021)
    end_year = forms.IntegerField(label="截止年度", initial=2025)
    note = forms.CharField(label="说明", max_length=200, required=False)


class TargetsForm(forms.Form):
    program = forms.ChoiceField(label="救助项目", choices=FUND_PROGRAM_CHOICES)

    def __init__(self, *args: Any, years: list[int], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.years = years
        for y in years:
            self.fields[f"y{y}"] = YuanField(label=f"{y}年（元）", required=False)

    def targets(self) -> dict[int, int]:
        return {y: self.cleaned_data[f"y{y}"] for y in self.years if self.cleaned_data.get(f"y{y}") is not None}


class IncentiveForm(forms.Form):
    area_code = forms.ChoiceField(label="登记区划")
    kind = forms.ChoiceField(label="激励方式", choices=INCENTIVE_KINDS)
    organisation = forms.CharField(label="受益社会组织或企业", max_length=100)
    credit_code = forms.CharField(label="统一社会信用代码", max_length=18, required=False)
    amount_yuan = YuanField(label="金额（元）")
    granted_on = forms.DateField(label="日期", widget=DATE)
    basis = forms.CharField(label="政策依据", max_length=200)
    note = forms.CharField(label="说明", max_length=200, required=False)

    def __init__(self, *args: Any, areas: list[Any], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        _choice_field(self, "area_code").choices = _area_choices(areas)


class ContractForm(forms.Form):
    line = forms.ChoiceField(label="预算科目")
    number = forms.CharField(label="合同编号", max_length=48, required=False)
    provider = forms.CharField(label="服务承接方", max_length=100)
    provider_credit_code = forms.CharField(label="统一社会信用代码", max_length=18, required=False)
    content = forms.CharField(label="服务内容", max_length=300)
    amount_yuan = YuanField(label="合同金额（元）")
    start_on = forms.DateField(label="服务期起", widget=DATE)
    end_on = forms.DateField(label="服务期止", widget=DATE)

    def __init__(self, *args: Any, lines: list[Any], area_names: dict[str, str], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        _choice_field(self, "line").choices = [
            (str(x.pk), f"{area_names.get(x.area_code, x.area_code)} {x}") for x in lines
        ]


class AccountForm(forms.Form):
    area_code = forms.ChoiceField(label="区划")
    name = forms.CharField(label="账户名称", max_length=64, required=False, help_text="不填则为“区划名称+慈善救助资金”")
    manager = forms.CharField(label="管理单位", max_length=64, required=False)
    note = forms.CharField(label="说明", max_length=200, required=False)

    def __init__(self, *args: Any, areas: list[Any], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        _choice_field(self, "area_code").choices = _area_choices(areas)


class InflowForm(forms.Form):
    amount_yuan = YuanField(label="捐赠金额（元）")
    donor = forms.CharField(label="捐赠人", max_length=100)
    restricted_purpose = forms.CharField(label="限定用途", max_length=200, required=False)
    received_on = forms.DateField(label="到账日期", widget=DATE, required=False)
    note = forms.CharField(label="说明", max_length=200, required=False)


class OutflowForm(forms.Form):
    amount_yuan = YuanField(label="支出金额（元）")
    purpose = forms.CharField(label="支出用途", max_length=200)
    application_id = forms.IntegerField(label="救助申请编号（内部ID，可不填）", required=False, min_value=1)
    paid_on = forms.DateField(label="支出日期", widget=DATE, required=False)
    note = forms.CharField(label="说明", max_length=200, required=False)
