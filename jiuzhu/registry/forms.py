"""Forms of the registry UI. They convert input; the actions validate and decide."""

from __future__ import annotations

from typing import Any, cast

from django import forms

from jiuzhu.areas.models import Area
from jiuzhu.core.errors import DomainError, InvalidInput
from jiuzhu.core.money import yuan_to_fen

from . import models as m


def _blank(choices: list[tuple[Any, str]], label: str = "——") -> list[tuple[Any, str]]:
    return [("", label), *choices]


class HouseholdForm(forms.Form):
    area_code = forms.ChoiceField(label="所在村（社区）", choices=())
    address = forms.CharField(label="家庭住址", max_length=200)
    poverty_cause = forms.ChoiceField(label="主要致贫原因", choices=_blank(m.POVERTY_CAUSE_CHOICES), required=False)
    hardship_degree = forms.ChoiceField(label="困难程度", choices=m.HARDSHIP_DEGREE_CHOICES, required=False)
    rigid_expense_yuan = forms.CharField(
        label="年刚性支出（元）", required=False, help_text="医疗、教育等必需支出，按年填写"
    )
    categories = forms.MultipleChoiceField(label="对象类别", required=False, widget=forms.CheckboxSelectMultiple)
    remarks = forms.CharField(label="备注", required=False, widget=forms.Textarea(attrs={"rows": 2}))
    version = forms.IntegerField(required=False, widget=forms.HiddenInput)

    def __init__(self, *args: Any, user: Any, editing: bool = False, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        villages = Area.objects.visible_to(user).filter(level="village").select_related("parent")
        cast(forms.ChoiceField, self.fields["area_code"]).choices = _blank(
            [(a.code, f"{a.parent.name if a.parent else ''} {a.name}") for a in villages], "请选择村（社区）"
        )
        cast(forms.ChoiceField, self.fields["categories"]).choices = list(
            m.TargetCategory.objects.exclude(code__in=m.DECIDED_CATEGORIES).values_list("code", "name")
        )
        self.fields["categories"].help_text = "低保对象、特困供养人员经申请审批认定，不在此勾选"
        if editing:
            del self.fields["area_code"]

    def clean_rigid_expense_yuan(self) -> int:
        raw = self.cleaned_data.get("rigid_expense_yuan") or "0"
        try:
            fen = yuan_to_fen(raw)
        except InvalidInput as exc:
            raise forms.ValidationError(exc.message) from None
        if fen < 0:
            raise forms.ValidationError("金额不能为负数")
        return fen

    def action_kwargs(self) -> dict[str, Any]:
        data = dict(self.cleaned_data)
        data["rigid_expense_yearly_fen"] = data.pop("rigid_expense_yuan")
        data.pop("version", None)
        return data


class MemberForm(forms.Form):
    name = forms.CharField(label="姓名", max_length=32)
    id_number = forms.CharField(label="身份证号码", max_length=24)
    relation = forms.ChoiceField(label="与户主关系", choices=_blank(m.RELATION_CHOICES))
    phone = forms.CharField(label="联系电话", max_length=20, required=False)
    labour_capacity = forms.ChoiceField(label="劳动能力", choices=m.LABOUR_CHOICES, initial="full")
    health_status = forms.ChoiceField(label="健康状况", choices=m.HEALTH_CHOICES, initial="healthy")
    disability_category = forms.ChoiceField(
        label="残疾类别", choices=_blank(m.DISABILITY_CATEGORY_CHOICES, "无"), required=False
    )
    disability_grade = forms.ChoiceField(
        label="残疾等级", choices=_blank(m.DISABILITY_GRADE_CHOICES, "无"), required=False
    )
    marital_status = forms.ChoiceField(label="婚姻状况", choices=_blank(m.MARITAL_CHOICES), required=False)
    school_status = forms.ChoiceField(label="在校情况", choices=m.SCHOOL_CHOICES, initial="none")
    employment_status = forms.ChoiceField(label="就业状况", choices=_blank(m.EMPLOYMENT_CHOICES), required=False)
    bank_name = forms.CharField(label="开户银行", max_length=64, required=False)
    bank_account = forms.CharField(label="银行账号", max_length=40, required=False)

    def member_data(self) -> dict[str, Any]:
        return {k: v for k, v in self.cleaned_data.items() if v not in (None, "") and k != "DELETE"}


class MemberEditForm(MemberForm):
    """Editing: PII fields left blank keep their stored value."""

    death_date = forms.DateField(
        label="死亡日期", required=False, widget=forms.DateInput(format="%Y-%m-%d", attrs={"type": "date"})
    )
    version = forms.IntegerField(widget=forms.HiddenInput)

    def __init__(self, *args: Any, temp_number: str | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for key in ("id_number", "phone", "bank_account"):
            self.fields[key].required = False
            self.fields[key].help_text = "留空表示不修改"
        if temp_number:  # 身份不明人员 (INT-24): no ID number here; it comes by 认定身份 on the field report
            field = self.fields["id_number"]
            field.label, field.disabled, field.initial = "临时编号", True, temp_number
            field.help_text = "身份不明人员无身份证号码；身份查明后请在现场发现报告中“认定身份”"

    def member_data(self) -> dict[str, Any]:
        data = {k: v for k, v in self.cleaned_data.items() if k != "version"}
        for key in ("id_number", "phone", "bank_account"):
            if not data.get(key):
                data.pop(key, None)
        data["disability_grade"] = int(data["disability_grade"]) if data.get("disability_grade") else None
        return data


MemberFormSet = forms.formset_factory(MemberForm, extra=0, min_num=1, validate_min=True, can_delete=True)


class MoveForm(forms.Form):
    to_household_id = forms.IntegerField(label="目标家庭编号")
    relation = forms.ChoiceField(label="与目标家庭户主关系", choices=_blank(m.RELATION_CHOICES))
    reason = forms.CharField(label="迁移原因", max_length=100)


class RemoveForm(forms.Form):
    reason = forms.CharField(label="迁出原因", max_length=100, help_text="如：死亡、婚出、户口迁出")
    left_on = forms.DateField(
        label="迁出日期", required=False, widget=forms.DateInput(format="%Y-%m-%d", attrs={"type": "date"})
    )


class DocumentForm(forms.Form):
    file = forms.FileField(label="文件", help_text="PDF、JPG、PNG，单个不超过10MB")
    kind = forms.ChoiceField(label="材料类型", choices=m.DOCUMENT_KIND_CHOICES)
    title = forms.CharField(label="材料名称", max_length=100, required=False)
    person = forms.ChoiceField(label="所属成员", required=False)

    def __init__(self, *args: Any, household: m.Household, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        cast(forms.ChoiceField, self.fields["person"]).choices = [("", "家庭")] + [
            (p.pk, p.name) for p in household.members.all()
        ]


class ImportForm(forms.Form):
    file = forms.FileField(label="导入文件", help_text="Excel（.xlsx）或CSV（UTF-8或GBK编码）")


def apply_errors(
    exc: DomainError, form: forms.Form | None, formset: Any = None, field_map: dict[str, str] | None = None
) -> None:
    """Put each error of a ``DomainError`` next to the field it names."""
    field_map = field_map or {}
    for err in exc.errors:
        path = err.field or ""
        if path.startswith("members[") and formset is not None:
            index = int(path[8 : path.index("]")])
            name = path.split(".", 1)[1] if "." in path else None
            target = formset.forms[index] if index < len(formset.forms) else None
            if target is not None:
                target.add_error(name if name in target.fields else None, err.message)
                continue
        name = field_map.get(path.split(".")[-1], path.split(".")[-1])
        if form is not None:
            form.add_error(name if name in form.fields else None, err.message)
