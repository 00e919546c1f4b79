"""Forms of the case pages. They convert input; the actions decide."""

from __future__ import annotations

from typing import Any, cast

from django import forms

from jiuzhu.accounts.models import User
from jiuzhu.rules import EMERGENCY_EVENTS

from .actions import EXTRA_DOCUMENTS
from .models import CHANNEL_CHOICES, PROGRAM_CHOICES, TEMPORARY_KIND_CHOICES
from .workflow import SPEC_LABELS

DATE = forms.DateInput(format="%Y-%m-%d", attrs={"type": "date"})


def _staff_label(user: Any) -> str:
    return f"{user.display_name}（{user.role_info.name if user.role_info else ''}）"


class IntakeForm(forms.Form):
    programs = forms.MultipleChoiceField(label="申请项目", choices=PROGRAM_CHOICES, widget=forms.CheckboxSelectMultiple)
    channel = forms.ChoiceField(label="申请渠道", choices=CHANNEL_CHOICES, initial="window")
    alone = forms.BooleanField(
        label="单独申请（低保边缘家庭中的成年重度残疾人、重病患者，参照单人户申请低保）",
        required=False,
        help_text="申请人为户主（“本人”）；系统按全家判断是否为低保边缘家庭，再按申请人本人测算",
    )
    temporary_kind = forms.ChoiceField(label="临时救助类型", choices=TEMPORARY_KIND_CHOICES, required=False)
    emergency_event = forms.ChoiceField(label="急难事件", choices=list(EMERGENCY_EVENTS.items()), required=False)
    documents_provided = forms.MultipleChoiceField(
        label="已提交的纸质材料",
        required=False,
        widget=forms.CheckboxSelectMultiple,
        choices=[(name, name) for items in EXTRA_DOCUMENTS.values() for name, _ in items],
    )
    staff_relative_of = forms.ModelChoiceField(
        label="经办人员近亲属备案",
        queryset=User.objects.none(),
        required=False,
        help_text="申请人或家庭成员是社会救助经办人员、村（居）干部的近亲属时选择该人员（单独登记备案）",
    )
    staff_relative_note = forms.CharField(label="备案说明", max_length=200, required=False)
    remarks = forms.CharField(label="备注", required=False, widget=forms.Textarea(attrs={"rows": 2}))
    entrust_principal = forms.ChoiceField(label="委托人", required=False)
    entrust_reason = forms.CharField(
        label="委托事由", max_length=200, required=False, help_text="如：年老体弱、行动不便、长期外出务工"
    )

    def __init__(self, *args: Any, county_code: str, members: list[Any] | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        cast(forms.ChoiceField, self.fields["entrust_principal"]).choices = [("", "—")] + [
            (str(m.pk), m.name) for m in members or []
        ]
        staff = User.objects.filter(is_active=True, area__code__startswith=county_code).exclude(role="department")
        relative = cast(forms.ModelChoiceField, self.fields["staff_relative_of"])  # type: ignore[type-arg]
        relative.queryset = staff.order_by("username")
        relative.label_from_instance = _staff_label  # type: ignore[method-assign,assignment]


class InvestigationForm(forms.Form):
    visited_on = forms.DateField(label="调查日期", widget=DATE)
    investigators = forms.CharField(label="调查人员（两人，用顿号分隔）", max_length=100)
    housing = forms.CharField(label="住房情况", widget=forms.Textarea(attrs={"rows": 2}))
    living_conditions = forms.CharField(label="生活状况", widget=forms.Textarea(attrs={"rows": 2}))
    labour = forms.CharField(label="劳动就业情况", widget=forms.Textarea(attrs={"rows": 2}))
    health = forms.CharField(label="健康状况", widget=forms.Textarea(attrs={"rows": 2}))
    remarks = forms.CharField(label="调查结论及其他", required=False, widget=forms.Textarea(attrs={"rows": 2}))


class MultipleFileInput(forms.ClearableFileInput):
    allow_multiple_selected = True


class PhotosField(forms.FileField):
    widget = MultipleFileInput

    def clean(self, data: Any, initial: Any = None) -> list[Any]:
        single = super().clean
        if isinstance(data, list | tuple):
            return [single(d, initial) for d in data]
        return [single(data, initial)] if data else []


class PhotosForm(forms.Form):
    photos = PhotosField(
        label="现场照片",
        required=False,
        widget=MultipleFileInput(attrs={"accept": "image/*", "capture": "environment"}),
    )


class SpecialDeliberationForm(forms.Form):
    """一事一议 (STD-6, WF-17): what the county's collective meeting decided, as typed from the
    signed minutes. The signatures come as a scan of the signed sheet or on the signature pad."""

    held_on = forms.DateField(label="会议日期", widget=DATE)
    participants = forms.CharField(
        label="参加人员（每行一人）",
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text="如：局长、分管副局长、社会救助科科长、镇（街道）分管负责人等",
    )
    hardship = forms.CharField(label="重大生活困难情形（提高标准的理由）", widget=forms.Textarea(attrs={"rows": 3}))
    minutes = forms.CharField(label="会议纪要（集体研究意见和议定事项）", widget=forms.Textarea(attrs={"rows": 4}))
    decided_amount_yuan = forms.CharField(label="决定救助金额（元）", max_length=20)
    signature_scan = forms.FileField(label="与会人员签字页（扫描件）", required=False)

    def participant_names(self) -> list[str]:
        text = self.cleaned_data["participants"].replace("、", "\n").replace("，", "\n").replace(",", "\n")
        return [n.strip() for n in text.splitlines() if n.strip()]


class WorkflowChangeForm(forms.Form):
    """办理流程调整: one row of the county's table, its new roles, the date and the document."""

    row = forms.ChoiceField(label="状态 → 操作")
    who = forms.MultipleChoiceField(
        label="可操作岗位", required=False, widget=forms.CheckboxSelectMultiple, choices=list(SPEC_LABELS.items())
    )
    enabled = forms.BooleanField(
        label="启用本环节", required=False, initial=True, help_text="只有本流程模式下的可选环节可以停用"
    )
    valid_from = forms.DateField(label="生效日期", widget=DATE)
    source = forms.CharField(label="文件依据", max_length=200, help_text="文号和标题，如：台政字〔2026〕X号")
    reason = forms.CharField(label="调整理由", widget=forms.Textarea(attrs={"rows": 2}))

    def __init__(self, *args: Any, rows: list[Any], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        cast(forms.ChoiceField, self.fields["row"]).choices = [
            (r.key, f"{r.sources_label} → {r.row.label}") for r in rows
        ]

    def change_data(self) -> dict[str, Any]:
        name, sources, preset = self.cleaned_data["row"].split(":")
        return {
            "transition": name,
            "sources": sources.split(","),
            "preset": preset,
            "who": self.cleaned_data["who"],
            "enabled": self.cleaned_data["enabled"],
            "valid_from": self.cleaned_data["valid_from"],
            "source": self.cleaned_data["source"],
            "reason": self.cleaned_data["reason"],
        }
