"""Forms of the 救助测算 page and of parameter changes. Amounts are entered in 元."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils import timezone

from jiuzhu.accounts.models import Department
from jiuzhu.areas.models import Area
from jiuzhu.core.errors import InvalidInput
from jiuzhu.core.money import yuan_to_fen
from jiuzhu.rules import (
    APPROVAL_LEVELS,
    DISABILITY_TYPES,
    EMERGENCY_EVENTS,
    INCOME_TYPES,
    LABOUR_CAPACITY,
    PROGRAMS,
    RELATIONS,
    SCHOOL,
    SELF_CARE_ITEMS,
    TEMPORARY_KINDS,
)
from jiuzhu.rules.parameters import CODE_LABELS

# Every income type the rules engine knows (issue 14 item 5): a 基础养老金 is not a 退休金.
INCOME_FIELDS = list(INCOME_TYPES.items())  # monthly, 元
ASSET_MONEY = [("deposits", "存款（元）"), ("securities", "理财等金融资产（元）")]
ASSET_COUNT = [("vehicles", "机动车（辆）"), ("houses", "住房（套）"), ("businesses", "登记企业（个）")]


def _yuan(value: str, label: str) -> int:
    try:
        fen = yuan_to_fen(value or "0")
    except InvalidInput as exc:
        raise forms.ValidationError(f"{label}：{exc.message}") from None
    if fen < 0:
        raise forms.ValidationError(f"{label}不能为负数")
    return fen


def _choice_field(form: forms.Form, name: str) -> forms.ChoiceField:
    """The form's (declared) choice field ``name``, whose choices are set per request."""
    field = form.fields[name]
    assert isinstance(field, forms.ChoiceField)
    return field


class FamilyForm(forms.Form):
    area_code = forms.ChoiceField(label="所在村（社区）")
    date = forms.DateField(label="测算日期", widget=forms.DateInput(format="%Y-%m-%d", attrs={"type": "date"}))
    programs = forms.MultipleChoiceField(
        label="测算项目",
        widget=forms.CheckboxSelectMultiple,
        choices=[(code, p.name) for code, p in PROGRAMS.items()],
        initial=[code for code in PROGRAMS if code != "temporary"],
    )
    temporary_kind = forms.ChoiceField(label="临时救助类型", choices=list(TEMPORARY_KINDS.items()), required=False)
    approval_level = forms.ChoiceField(label="审批层级", choices=list(APPROVAL_LEVELS.items()), required=False)
    emergency_event = forms.ChoiceField(label="急难事件", choices=list(EMERGENCY_EVENTS.items()), required=False)
    alone = forms.BooleanField(
        label="单独申请（低保边缘家庭中的成年重度残疾人、重病患者，参照单人户）",
        required=False,
        help_text="申请人为成员中“本人（申请人）”；系统按全家测算是否为低保边缘家庭，再按申请人本人测算低保",
    )

    def __init__(self, *args: Any, user: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        villages = Area.objects.visible_to(user).filter(level="village").select_related("parent")
        if not villages.exists():  # county-wide roles without a village list still need one
            villages = Area.objects.filter(level="village").select_related("parent")
        _choice_field(self, "area_code").choices = [
            (a.code, f"{a.parent.name if a.parent else ''} {a.name}（{a.get_urban_rural_display()}）") for a in villages
        ]
        self.fields["date"].initial = timezone.localdate()

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if "temporary" in (data.get("programs") or []) and not data.get("temporary_kind"):
            self.add_error("temporary_kind", "测算临时救助时请选择临时救助类型")
        return data

    def temporary(self) -> dict[str, str] | None:
        kind = self.cleaned_data.get("temporary_kind")
        if not kind:
            return None
        return {
            "kind": kind,
            "approval_level": self.cleaned_data.get("approval_level") or "town",
            "event": self.cleaned_data.get("emergency_event") or "",
        }


class FinancesForm(forms.Form):
    """A member's monthly incomes by type and assets, in 元 — the same fields the window's
    救助测算 asks (``MemberFactsForm``) and the family declares on the 掌上办."""

    yuan_fields: list[str] = []

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for key, label in INCOME_FIELDS:
            self.fields[f"income_{key}"] = forms.CharField(label=f"月{label}（元）", required=False)
        for key, label in ASSET_MONEY:
            self.fields[f"asset_{key}"] = forms.CharField(label=label, required=False)
        for key, label in ASSET_COUNT:
            self.fields[f"asset_{key}"] = forms.IntegerField(label=label, required=False, min_value=0)

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        for key in (
            self.yuan_fields + [f"income_{k}" for k, _ in INCOME_FIELDS] + [f"asset_{k}" for k, _ in ASSET_MONEY]
        ):
            if key in data:
                try:
                    data[key] = _yuan(data.get(key) or "", str(self.fields[key].label))
                except forms.ValidationError as exc:
                    self.add_error(key, exc)
        return data

    def finances(self) -> dict[str, dict[str, int]]:
        """``{"incomes": {type: 分}, "assets": {kind: 分 or count}}``, zero values left out."""
        d = self.cleaned_data
        return {
            "incomes": {k: d[f"income_{k}"] for k, _ in INCOME_FIELDS if d.get(f"income_{k}")},
            "assets": {k: d[f"asset_{k}"] for k, _ in ASSET_MONEY + ASSET_COUNT if d.get(f"asset_{k}")},
        }


class MemberFactsForm(FinancesForm):
    relation = forms.ChoiceField(label="与申请人关系", choices=list(RELATIONS.items()))
    birth_date = forms.DateField(label="出生日期", widget=forms.DateInput(format="%Y-%m-%d", attrs={"type": "date"}))
    labour_capacity = forms.ChoiceField(label="劳动能力", choices=list(LABOUR_CAPACITY.items()), initial="unassessed")
    disability_type = forms.ChoiceField(label="残疾类别", choices=list(DISABILITY_TYPES.items()), required=False)
    disability_grade = forms.TypedChoiceField(
        label="残疾等级",
        coerce=int,
        choices=[(0, "无"), (1, "一级"), (2, "二级"), (3, "三级"), (4, "四级")],
        required=False,
        empty_value=0,  # type: ignore[arg-type]  # the stubs allow only str | None; Django takes any value
    )
    school = forms.ChoiceField(label="在学情况", choices=list(SCHOOL.items()), initial="none")
    self_care_unable = forms.MultipleChoiceField(
        label="不能自理的项目",
        choices=list(SELF_CARE_ITEMS.items()),
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    serious_illness = forms.BooleanField(label="重病患者", required=False)
    medical_oop = forms.CharField(label="近12个月自付医疗费（元）", required=False)
    education_oop = forms.CharField(label="近12个月自付教育费（元）", required=False)

    yuan_fields = ["medical_oop", "education_oop"]

    def facts(self) -> dict[str, Any]:
        d = self.cleaned_data
        out: dict[str, Any] = {
            "relation": d["relation"],
            "birth_date": d["birth_date"].isoformat(),
            "labour_capacity": d["labour_capacity"],
            "school": d["school"],
            **self.finances(),
        }
        if d.get("disability_type"):
            out["disability_type"] = d["disability_type"]
            out["disability_grade"] = d.get("disability_grade") or 0
        if d.get("self_care_unable"):
            out["self_care_unable"] = list(d["self_care_unable"])
        if d.get("serious_illness"):
            out["serious_illness"] = True
        if d.get("medical_oop"):
            out["medical_oop_fen"] = d["medical_oop"]
        if d.get("education_oop"):
            out["education_oop_fen"] = d["education_oop"]
        return out


def initial_from_facts(members: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The member forms' initial values from the engine's JSON form (amounts back in 元)."""
    out = []
    for m in members:
        row = {k: v for k, v in m.items() if k not in ("incomes", "assets", "medical_oop_fen", "education_oop_fen")}
        for k, v in (m.get("incomes") or {}).items():
            row[f"income_{k}"] = f"{v / 100:.2f}"
        for k, v in (m.get("assets") or {}).items():
            row[f"asset_{k}"] = f"{v / 100:.2f}" if k in ("deposits", "securities") else v
        if m.get("medical_oop_fen"):
            row["medical_oop"] = f"{m['medical_oop_fen'] / 100:.2f}"
        if m.get("education_oop_fen"):
            row["education_oop"] = f"{m['education_oop_fen'] / 100:.2f}"
        out.append(row)
    return out


MemberFactsFormSet = forms.formset_factory(MemberFactsForm, extra=0, min_num=1, validate_min=True, can_delete=True)


class ChangeForm(forms.Form):
    name = forms.ChoiceField(label="参数")
    area_code = forms.ChoiceField(label="适用区划", help_text="本县（区）或下级镇（街道）、村（社区）")
    valid_from = forms.DateField(label="生效日期", widget=forms.DateInput(format="%Y-%m-%d", attrs={"type": "date"}))
    valid_to = forms.DateField(
        label="失效日期",
        required=False,
        help_text="依据文件有有效期的填其最后一日；不填为长期有效",
        widget=forms.DateInput(format="%Y-%m-%d", attrs={"type": "date"}),
    )
    value = forms.CharField(
        label="新值",
        help_text=(
            "金额填元；倍数填小数（如1.5）；是否填“是/否”；审批层级填“镇（街道）审批”或“县级民政部门审批”；"
            "出具单位、复议机关、法院等文字照文件填写"
        ),
    )
    source = forms.CharField(label="文件依据", max_length=200)
    reason = forms.CharField(label="调整理由", widget=forms.Textarea(attrs={"rows": 2}))

    def __init__(self, *args: Any, store: Any, areas: list[tuple[str, str]], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.store = store
        _choice_field(self, "name").choices = [(n, store.definition(n).description) for n in store.names()]
        _choice_field(self, "area_code").choices = areas

    def internal_value(self) -> Any:
        """The entered value in the parameter's internal unit."""
        unit = self.store.definition(self.cleaned_data["name"]).unit
        raw = self.cleaned_data["value"].strip()
        if unit in ("fen", "fen_per_year", "fen_once"):
            return yuan_to_fen(raw, field="value")
        if unit == "bool":
            if raw not in ("是", "否", "true", "false"):
                raise InvalidInput("invalid_parameter", "请填写“是”或“否”", field="value")
            return raw in ("是", "true")
        if unit == "code":
            by_label = {label: code for code, label in CODE_LABELS.items()}
            return by_label.get(raw, raw)
        if unit in ("ratio", "text"):  # 文字: 出具单位、行政复议机关等，原样录入
            return raw
        if not raw.isdigit():
            raise InvalidInput("invalid_parameter", "请填写不小于0的整数", field="value")
        return int(raw)


# ---- 本县救助项目 (PRG-2, INT-16, INT-18) ---------------------------------------------------------

PROOF_SEPARATORS = ("｜", "|")


def _lines(text: str) -> list[str]:
    return [line.strip() for line in (text or "").splitlines() if line.strip()]


class CountyProgramForm(forms.Form):
    """One program as the county runs it; materials and abolished proofs one per line."""

    runs = forms.BooleanField(label="本县开展此项目", required=False)
    department = forms.ModelChoiceField(
        label="承办部门（本县已登记的部门）", queryset=Department.objects.none(), required=False
    )
    department_name = forms.CharField(
        label="承办部门名称", max_length=64, required=False, help_text="不选部门时填写；都不填则用项目库的主管部门"
    )
    contact_person = forms.CharField(label="联系人", max_length=32, required=False)
    contact_phone = forms.CharField(
        label="联系电话", max_length=32, required=False, help_text="手机号码或带区号的固定电话，如0632-6611234"
    )
    materials = forms.CharField(
        label="申请材料（每行一项）",
        required=False,
        widget=forms.Textarea(attrs={"rows": 8}),
        help_text="留空则使用救助项目库的申请材料",
    )
    abolished_proofs = forms.CharField(
        label="取消的证明事项（每行一项：证明名称｜取消依据文号）",
        required=False,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text="如：户籍不在申请地成员的未享受低保证明｜台政办字〔2020〕12号",
    )
    note = forms.CharField(label="备注", required=False, widget=forms.Textarea(attrs={"rows": 2}), max_length=500)

    def __init__(self, *args: Any, departments: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["department"]
        assert isinstance(field, forms.ModelChoiceField)
        field.queryset = departments
        field.empty_label = "（不选）"

    def proofs(self) -> list[dict[str, str]]:
        out = []
        for line in _lines(self.cleaned_data.get("abolished_proofs", "")):
            name, document = line, ""
            for sep in PROOF_SEPARATORS:
                if sep in line:
                    name, document = (x.strip() for x in line.split(sep, 1))
                    break
            out.append({"name": name, "document": document})
        return out

    def action_kwargs(self) -> dict[str, Any]:
        d = self.cleaned_data
        return {
            "is_active": d["runs"],
            "department_id": d["department"].pk if d["department"] else None,
            "department_name": d["department_name"],
            "contact_person": d["contact_person"],
            "contact_phone": d["contact_phone"],
            "materials": _lines(d["materials"]),
            "abolished_proofs": self.proofs(),
            "note": d["note"],
        }


class LocalProgramForm(forms.Form):
    """本县自设救助项目."""

    code = forms.CharField(
        label="项目代码", max_length=48, help_text="小写英文字母、数字和下划线，如 taierzhuang_heating"
    )
    name = forms.CharField(label="项目名称", max_length=64)
    layer = forms.ChoiceField(label="类别", choices=[])
    department_name = forms.CharField(label="主管部门", max_length=64)
    target_group = forms.CharField(label="救助对象", widget=forms.Textarea(attrs={"rows": 2}))
    conditions = forms.CharField(label="主要条件", widget=forms.Textarea(attrs={"rows": 2}))
    benefits = forms.CharField(label="救助内容", widget=forms.Textarea(attrs={"rows": 2}))
    documents = forms.CharField(label="申请材料（每行一项）", widget=forms.Textarea(attrs={"rows": 5}))
    procedure = forms.CharField(label="办理流程", required=False, widget=forms.Textarea(attrs={"rows": 2}))
    time_limit_working_days = forms.IntegerField(label="办理时限（工作日）", required=False)
    approval_level = forms.ChoiceField(label="审批层级", choices=[], initial="county")
    legal_basis = forms.CharField(
        label="政策依据（每行一项）", required=False, widget=forms.Textarea(attrs={"rows": 2})
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        from .models import APPROVAL_LEVEL_CHOICES, LAYER_CHOICES

        super().__init__(*args, **kwargs)
        self.fields["layer"].choices = LAYER_CHOICES  # type: ignore[attr-defined]
        self.fields["approval_level"].choices = APPROVAL_LEVEL_CHOICES  # type: ignore[attr-defined]
        for f in self.fields.values():
            f.error_messages["required"] = f"请填写{f.label}"

    def action_kwargs(self) -> dict[str, Any]:
        d = dict(self.cleaned_data)
        d["documents"] = _lines(d["documents"])
        d["legal_basis"] = _lines(d["legal_basis"])
        return d
