"""Forms of 投诉举报: the public form (also used by staff logging a phone call) and the lookup."""

from __future__ import annotations

from typing import Any

from django import forms

from jiuzhu.areas.models import Area

from .models import CATEGORIES


def area_choices(county: str | None = None) -> list[tuple[str, Any]]:
    """Towns and their villages, grouped by county (区/县), a town's villages indented under it."""
    qs = Area.objects.filter(level__in=("town", "village")).order_by("code")
    if county:
        qs = qs.filter(code__startswith=county)
    counties = dict(Area.objects.filter(level="county").values_list("code", "name"))
    groups: dict[str, list[tuple[str, str]]] = {}
    for code, name, level in qs.values_list("code", "name", "level"):
        group = groups.setdefault(code[:6], [])
        group.append((code, name if level == "town" else f"　{name}"))
    out: list[tuple[str, Any]] = [("", "请选择")]
    for code, options in groups.items():
        out.append((counties.get(code.ljust(12, "0"), code), options))
    return out


class ComplaintForm(forms.Form):
    category = forms.ChoiceField(label="类别", choices=CATEGORIES, widget=forms.RadioSelect)
    area_code = forms.ChoiceField(label="涉及的乡镇（街道）或村（社区）", choices=())
    subject = forms.CharField(label="事项", max_length=100)
    recipient_name = forms.CharField(label="被举报救助对象姓名（举报救助对象时填写）", max_length=32, required=False)
    recipient_village = forms.CharField(label="被举报救助对象所在村（社区）", max_length=64, required=False)
    text = forms.CharField(label="具体内容", max_length=2000, widget=forms.Textarea(attrs={"rows": 5}))
    anonymous = forms.BooleanField(label="匿名（不留姓名）", required=False)
    reporter_name = forms.CharField(label="您的姓名", max_length=32, required=False)
    reporter_phone = forms.CharField(label="联系电话", max_length=20, required=False)

    def __init__(self, *args: Any, county: str | None = None, **kwargs: Any) -> None:
        kwargs.setdefault("label_suffix", "")
        super().__init__(*args, **kwargs)
        self.fields["area_code"].choices = area_choices(county)  # type: ignore[attr-defined]


class LookupForm(forms.Form):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("label_suffix", "")
        super().__init__(*args, **kwargs)

    tracking_number = forms.CharField(label="受理编号", max_length=24)
    secret = forms.CharField(label="联系电话或查询码", max_length=20)
