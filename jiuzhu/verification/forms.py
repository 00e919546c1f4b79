"""Forms of the verification UI. They convert input; the actions validate and decide."""

from __future__ import annotations

from typing import Any

from django import forms

from jiuzhu.areas.models import Area
from jiuzhu.rules import PROGRAMS

from .ingest import ENCODING_CHOICES
from .models import BATCH_KIND_CHOICES

PROGRAM_CHOICES = [(code, p.name) for code, p in PROGRAMS.items()]


class UploadForm(forms.Form):
    file = forms.FileField(
        label="数据文件",
        help_text="CSV（UTF-8或GBK）、Excel（.xlsx）或 JSON Lines，可先压缩为 .gz；"
        "超过20MB的文件在浏览器中自动分段上传并显示进度（单批不超过4GB）",
    )
    kind = forms.ChoiceField(label="批次类型", choices=BATCH_KIND_CHOICES)
    encoding = forms.ChoiceField(label="文件编码", choices=ENCODING_CHOICES, initial="auto")
    period_start = forms.DateField(label="数据期间起", required=False, widget=forms.DateInput(attrs={"type": "date"}))
    period_end = forms.DateField(label="数据期间止", required=False, widget=forms.DateInput(attrs={"type": "date"}))
    expected_rows = forms.IntegerField(label="数据行数（可选，用于检查文件是否完整）", required=False, min_value=0)

    def __init__(self, *args: Any, mode: str = "snapshot", **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["kind"].initial = "full" if mode == "snapshot" else "increment"


class VerifyForm(forms.Form):
    # a verifier seldom knows our household number; a member's ID card is what the window has
    household_id = forms.CharField(label="家庭编号或成员身份证号", max_length=20)
    program = forms.ChoiceField(label="核对项目", choices=PROGRAM_CHOICES, initial="dibao")


class RefuseForm(forms.Form):
    reason = forms.CharField(label="不予核对理由", max_length=200)


class HandleForm(forms.Form):
    note = forms.CharField(label="处理说明", max_length=300)


class RunForm(forms.Form):
    area_code = forms.ChoiceField(label="复核范围", choices=())

    def __init__(self, *args: Any, user: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        areas = Area.objects.visible_to(user).filter(level__in=["county", "town"]).order_by("code")
        area_code = self.fields["area_code"]
        assert isinstance(area_code, forms.ChoiceField)
        area_code.choices = [(a.code, ("　" if a.level == "town" else "") + a.name) for a in areas]
