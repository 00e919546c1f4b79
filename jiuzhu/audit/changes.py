"""An audit entry's changes in words (issue 14 item 9): ``{"program": "dibao"}`` is stored for
machines; the trail says ``救助项目：最低生活保障``. Keys are named here, code values are named
from the models' own choices, money in 元, lists joined with 、, true/false as 是/否."""

from __future__ import annotations

import datetime as dt
import functools
import re
from collections.abc import Callable, Iterable, Iterator
from typing import Any

from jiuzhu.core.dates import month_label
from jiuzhu.core.money import format_yuan

KEY_LABELS: dict[str, str] = {
    "decided_from": "审批日期起",
    "decided_to": "审批日期止",
    "drawn": "抽取件数",
    "matched": "匹配本县在册人员",
    "percent": "抽查比例（%）",
    "population": "可抽查案件数",
    "problem_found": "发现的问题",
    "seed": "抽样种子",
    "unknown": "一户一档中无此人数（身份证号未匹配）",
    "outside": "非本县人员",
    "handler": "承办人",
    "reply": "答复",
    "text": "内容",
    "town_code": "乡镇（街道）",
    "tracking_number": "投诉举报编号",
    "by_rule": "按规则",
    "campaign": "摸底排查",
    "category": "类别",
    "death_date_set": "登记死亡日期",
    "ends_on": "结束日期",
    "escalated": "上报乡镇",
    "event": "事件",
    "event_on": "事件日期",
    "hits": "命中",
    "key_id": "密钥编号",
    "on": "日期",
    "referred_to": "转介至",
    "result": "结果",
    "rules": "规则",
    "skipped": "跳过",
    "standard": "标准",
    "starts_on": "开始日期",
    "task": "核查任务",
    "today": "当日",
    "towns": "乡镇（街道）",
    "villages": "村（社区）",
    "abolished_proofs": "取消的证明事项",
    "address": "家庭住址",
    "amount_after_fen": "调整后金额",
    "amount_before_fen": "调整前金额",
    "amount_fen": "金额",
    "applicant": "申请人",
    "application": "申请",
    "area": "区划",
    "attempts": "尝试次数",
    "authorization": "授权书",
    "balance_fen": "余额",
    "bank_account": "银行账号",
    "bank_name": "开户银行",
    "batch": "数据批次",
    "before": "变更前",
    "budget_fen": "预算金额",
    "by_id_number": "按身份证号",
    "bytes": "字节数",
    "cases": "案件数",
    "categories": "对象类别",
    "ceiling_fen": "上限金额",
    "changed": "变化数",
    "channel": "渠道",
    "code": "代码",
    "committed_fen": "已承诺金额",
    "contact_person": "联系人",
    "contact_phone": "联系电话",
    "content": "内容",
    "count": "数量",
    "created": "新建数",
    "date": "日期",
    "death_date": "死亡日期",
    "decided_amount_fen": "决定金额",
    "deliberation": "民主评议",
    "department": "部门",
    "department_name": "承办部门",
    "disability_category": "残疾类别",
    "disability_grade": "残疾等级",
    "document": "材料编号",
    "document_sha256": "文件摘要",
    "done": "已完成",
    "donor": "捐赠方",
    "due_on": "截止日期",
    "effective_month": "生效月份",
    "employment_status": "就业状况",
    "end_year": "截止年度",
    "entitlements": "待遇",
    "emergency": "应急期",
    "error": "错误",
    "errors": "错误数",
    "exceptions": "异常",
    "expires_at": "到期时间",
    "fact_groups_read": "读取数据组数",
    "facts": "家庭情况",
    "facts_changed": "家庭情况有变化",
    "facts_read": "读取数据条数",
    "facts_updated": "更新家庭情况",
    "failed": "失败",
    "failed_fen": "失败金额",
    "field": "查看字段",
    "fields": "字段",
    "file": "文件",
    "finding": "预警",
    "findings": "预警数",
    "first_household": "首户编号",
    "force": "强制",
    "found": "查到",
    "fraud": "骗取",
    "from": "变更前",
    "from_month": "起始月份",
    "gradual_ended": "渐退结束",
    "hardship_degree": "困难程度",
    "health_status": "健康状况",
    "held_on": "会议日期",
    "household": "家庭编号",
    "household_ids": "家庭编号",
    "households": "户数",
    "id_number": "身份证号码",
    "import": "导入",
    "investigation": "入户调查",
    "is_active": "启用",
    "items": "事项",
    "job": "任务",
    "kind": "类型",
    "labour_capacity": "劳动能力",
    "last_household": "末户编号",
    "last_month": "最后发放月份",
    "layer": "项目类别",
    "layout": "文件格式",
    "ledger_fen": "台账金额",
    "left_fen": "剩余金额",
    "line": "明细",
    "lines": "明细数",
    "low_balance": "余额不足",
    "low_balance_fen": "余额预警线",
    "marital_status": "婚姻状况",
    "materials": "申请材料",
    "member": "成员",
    "members": "成员",
    "missing": "待补材料",
    "month": "月份",
    "months": "月份",
    "moved": "调整数",
    "name": "姓名",
    "note": "说明",
    "notice": "文书",
    "number": "编号",
    "objection": "异议",
    "office": "承办单位",
    "ordinary_max_fen": "常规上限",
    "organization": "组织",
    "outcome": "结论",
    "paid": "已发放",
    "paid_fen": "已发放金额",
    "parameters_digest": "参数版本",
    "participants": "参加人员",
    "payee": "领款人",
    "payment": "发放",
    "peer": "协查方",
    "person": "成员编号",
    "person_name": "人员姓名",
    "place": "发现地点",
    "temp_number": "临时编号",
    # 现场发现报告 follow-up (issue 17 item 4)
    "birth_date": "出生日期",
    "gender": "性别",
    "field_report": "现场发现报告",
    "merged_into": "并入人员",
    "origin_county_code": "来源地（县级区划）",
    "photo": "照片",
    "referral": "转介单号",
    "urgency": "紧急程度",
    "persons": "人数",
    "phone": "联系电话",
    "pii": "个人信息",
    "plan": "计划",
    "poverty_cause": "致贫原因",
    "prefix": "区划范围",
    "profile": "密码配置",
    "program": "救助项目",
    "proposed_amount_fen": "测算金额",
    "provider": "提供部门",
    "pulled_fen": "撤出金额",
    "pulled_lines": "撤出明细数",
    "purpose": "用途",
    "q": "查询条件",
    "raised_by": "异议人",
    "reason": "理由",
    "reasons": "理由",
    "records": "记录数",
    "refresh": "重新生成",
    "registered": "登记",
    "relation": "与户主关系",
    "remarks": "备注",
    "report": "核对报告",
    "replaced": "替换记录数",
    "reports": "核对报告数",
    "request": "核对申请",
    "request_id": "请求编号",
    "requested_by": "申请人",
    "restored_months": "恢复发放的月份",
    "restricted_purpose": "限定用途",
    "review": "复核",
    "rigid_expense_yearly_fen": "年刚性支出",
    "roster": "花名册",
    "rows": "行数",
    "run": "批次",
    "schema_version": "格式版本",
    "scheme": "签名方式",
    "school_status": "在校情况",
    "sha256": "文件摘要",
    "shares": "分配",
    "since": "起始日期",
    "size": "大小",
    "source": "数据来源",
    "special_deliberation": "一事一议",
    "staff_relative_of": "经办人员近亲属",
    "start_year": "起始年度",
    "status": "状态",
    "step": "处理环节",
    "still_missing": "仍待补",
    "supplied": "已补充",
    "suspended_from": "暂停起始",
    "targets": "目标",
    "temporary_kind": "临时救助类型",
    "tilted": "倾斜",
    "title": "材料名称",
    "to": "变更后",
    "total_fen": "合计金额",
    "town_limit_fen": "镇级审批限额",
    "trigger": "触发方式",
    "unchanged": "未变化",
    "unresolved": "未处理",
    "updated": "更新数",
    "url": "地址",
    "user": "用户",
    "valid_from": "生效日期",
    "valid_to": "失效日期",
    "preset": "办理流程模式",
    "value": "取值",
    "verification_request": "核对申请",
    "visit": "入户调查",
    "visited_on": "调查日期",
    "votes": "表决",
    "was": "原值",
    "worker": "处理进程",
    "year": "年度",
    "already": "已在名单中",
    "loaded": "导入户数",
    "planned_end_on": "计划结束日期",
    "relieved": "已先行救助户数",
    "advance_fen": "先行救助金额",
    "registered_on_time": "按期补办登记户数",
    "registered_late": "逾期补办登记户数",
    "overdue": "逾期未补办户数",
    "pending": "待补办户数",
    "transition_households": "过渡期生活救助户数",
    "transition_fen": "过渡期生活救助应发金额",
    "transition_paid_fen": "过渡期生活救助实发金额",
    "unknown_ids": "未匹配身份证号数",
    "source_document": "依据文件",
    "area_code": "区划",
    "item": "材料",
    "receipt": "回执编号",
    "programs": "救助项目",
    "state": "状态",
    "documents": "签署文书",
    "finances": "收入和财产",
    "phone_source": "验证手机来源",
    "declared": "申报事项",
    "question": "需要补充的信息",
    "answer": "补充的信息",
    "granted": "是否给予救助",
    "recipients": "受助成员",
    "person_id": "成员编号",
    "person_ids": "被核对成员编号",
    "granted_from": "救助开始日期",
    "granted_to": "救助结束日期",
    "withdrawn_months": "撤出的月份",
    "exported_months": "已导出银行文件的月份",
    "reconfirm_rosters": "须重新确认的花名册",
}
# Keys whose values are codes of a model's choices.
CODED = ("program", "channel", "temporary_kind", "from", "to", "status", "outcome", "kind", "trigger", "source")


# The higher apps name their coded values here, from their ``AppConfig.ready`` (audit sits below
# them): (rank, choices). A code named twice takes the label of the higher rank.
_CHOICES: list[tuple[int, Iterable[tuple[Any, Any]]]] = []


class LoadedLabels:
    """Codes named by data a higher app reads later (a catalog file): ``load`` runs when the trail
    first needs its words (the audit caches them), not at start-up."""

    def __init__(self, load: Callable[[], Iterable[tuple[str, str]]]) -> None:
        self.load = load

    def __iter__(self) -> Iterator[tuple[str, str]]:
        return iter(list(self.load()))


def register_value_labels(rank: int, *choices: Iterable[tuple[Any, Any]]) -> None:
    """Name the codes of a model's ``choices`` in the trail (``rank`` orders overlapping codes)."""
    for c in choices:
        if not any(c is known for _, known in _CHOICES):
            _CHOICES.append((rank, c))
    _value_labels.cache_clear()


# Codes of one key whatever the object (a stop's or suspension's ``reason``), named by the app
# that records them.
_KEY_CHOICES: dict[str, dict[str, str]] = {}


def register_key_labels(key: str, *choices: Iterable[tuple[Any, Any]]) -> None:
    """Name the codes recorded under ``key`` (after the object's own field, before the common table)."""
    named = _KEY_CHOICES.setdefault(key, {})
    for c in choices:
        named.update({str(code): str(label) for code, label in c})


_MONTH = re.compile(r"^(\d{4})-(0[1-9]|1[0-2])(?:-01)?$")


@functools.cache
def _field_labels(object_type: str, key: str) -> dict[str, str] | None:
    """The names of a code on one kind of audited object: the choices of its model's field of
    that name (a 派单's channel "online" is 系统派单, an application's 网上申请（掌上办）)."""
    from django.apps import apps
    from django.core.exceptions import FieldDoesNotExist

    try:
        field = apps.get_model(object_type)._meta.get_field(key)
    except (LookupError, ValueError, FieldDoesNotExist):
        return None
    choices = getattr(field, "flatchoices", None)
    return {str(code): str(label) for code, label in choices} if choices else None


@functools.cache
def _value_labels() -> dict[str, str]:
    out: dict[str, str] = {}
    for _, choices in sorted(_CHOICES, key=lambda rc: rc[0]):
        out.update({str(code): str(label) for code, label in choices if code})
    out["monthly"] = "按月"
    return out


# Keys whose values are ids of other objects (申请 13, 成员 478), named by the app that owns them:
# key → resolver(ids) → {id: words}. ``name_references`` looks them up once for a page of entries.
Resolver = Callable[[set[int]], dict[int, str]]
_REFERENCES: dict[str, Resolver] = {}


def register_reference(resolver: Resolver, *keys: str) -> None:
    """Name the objects whose ids are recorded under ``keys`` (``resolver`` takes a set of ids)."""
    for key in keys:
        _REFERENCES[key] = resolver


Names = dict[str, dict[int, str]]


def _referenced(value: Any, key: str, wanted: dict[str, set[int]]) -> None:
    if isinstance(value, dict):
        for k, v in value.items():
            _referenced(v, str(k), wanted)
    elif isinstance(value, list):
        for v in value:
            _referenced(v, key, wanted)
    elif key in _REFERENCES and isinstance(value, int) and not isinstance(value, bool):
        wanted.setdefault(key, set()).add(value)


def name_references(entries: Iterable[Any]) -> list[Any]:
    """The entries, each with ``names``: the objects their changes refer to by id, named with one
    query per kind for all of them (a trail shows 申请：SQ…, 成员：常**, not 申请：13)."""
    rows = list(entries)
    wanted: dict[str, set[int]] = {}
    for e in rows:
        _referenced(e.changes, "", wanted)
    by_resolver: dict[Resolver, set[int]] = {}
    for key, ids in wanted.items():
        by_resolver.setdefault(_REFERENCES[key], set()).update(ids)
    resolved = {resolver: resolver(ids) for resolver, ids in by_resolver.items()}
    names: Names = {key: resolved[_REFERENCES[key]] for key in wanted}
    for e in rows:
        e.names = names
    return rows


def value_text(value: Any, key: str = "", object_type: str = "", names: Names | None = None) -> str:
    from jiuzhu.web.labels import DEPARTMENT_NAMES

    if isinstance(value, bool):
        return "是" if value else "否"
    if names and isinstance(value, int) and value in names.get(key, {}):
        return names[key][value]
    if value is None or value == "":
        return "（空）"
    if key.endswith("_fen") and isinstance(value, int):
        return format_yuan(value)
    if isinstance(value, str):
        if key == "department":
            return DEPARTMENT_NAMES.get(value, value)
        own = _field_labels(object_type, key) if object_type else None
        if own is not None and value in own:
            return own[value]
        if value in _KEY_CHOICES.get(key, {}):
            return _KEY_CHOICES[key][value]
        if key.endswith(("month", "months")) and (month := _MONTH.match(value)):
            return month_label(dt.date(int(month.group(1)), int(month.group(2)), 1))
        if key in CODED:
            return _value_labels().get(value, value)
        return value
    if isinstance(value, list):
        return "、".join(value_text(v, key, object_type, names) for v in value) or "（无）"
    if isinstance(value, dict):
        if isinstance(value.get("message"), str):  # a refusal's reason: {"code", "message"}
            return str(value["message"])
        return "，".join(f"{_key_label(str(k), names)}{value_text(v, str(k), names=names)}" for k, v in value.items())
    return str(value)


# What a key that holds an id is called once the id is named (成员编号 478 → 成员 常**).
NAMED_KEY_LABELS = {"person": "成员", "person_id": "成员", "person_ids": "被核对成员", "household": "家庭"}


def _key_label(key: str, names: Names | None, object_type: str = "") -> str:
    if names and key in names and key in NAMED_KEY_LABELS:
        return NAMED_KEY_LABELS[key]
    return OBJECT_KEY_LABELS.get((object_type, key)) or KEY_LABELS.get(key, key)


# A key that means something else on one kind of object ("name" is 姓名 on a person).
OBJECT_KEY_LABELS = {
    ("monitoring.campaign", "name"): "排查名称",
    ("monitoring.campaign", "targets"): "排查对象",
    ("monitoring.spotcheck", "name"): "抽查名称",
}


def changes_text(changes: dict[str, Any] | None, object_type: str = "", names: Names | None = None) -> str:
    """An entry's changes in words; ``object_type`` (the audited object's) names the codes that
    mean something else on that kind of object; ``names`` (from ``name_references``) the objects
    referred to by id."""
    parts = []
    for key, value in (changes or {}).items():
        label = _key_label(key, names, object_type)
        if (
            isinstance(value, list)
            and len(value) == 2
            and not any(isinstance(v, (dict, list)) for v in value)
            and (
                key
                not in (
                    "missing",
                    "supplied",
                    "still_missing",
                    "participants",
                    "reasons",
                    "items",
                    "categories",
                    "person_ids",
                )
            )
        ):
            before, after = value_text(value[0], key, object_type, names), value_text(value[1], key, object_type, names)
            parts.append(f"{label}：{before} → {after}")
        else:
            parts.append(f"{label}：{value_text(value, key, object_type, names)}")
    return "；".join(parts)


OBJECT_LABELS = {
    "holidays.calendar": "节假日安排",
    # rows audited before the reserve moved from payments to funds (issue 15 item 1)
    "payments.reservefund": "临时救助备用金",
    "payments.reserveentry": "备用金收支",
}


def object_label(object_type: str) -> str:
    """An audited object's kind in words: the model's verbose name, never its code."""
    from django.apps import apps

    if object_type in OBJECT_LABELS:
        return OBJECT_LABELS[object_type]
    try:
        return str(apps.get_model(object_type)._meta.verbose_name)
    except (LookupError, ValueError):
        return "对象"
