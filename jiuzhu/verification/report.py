"""The content of a 核对报告: facts of every member from every source, totals, the
comparison with the program's thresholds (by the rules engine), findings, and what could
not be checked. Facts and comparisons only: the report never decides (只核对、不认定).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from typing import Any

from django.db.models import Max
from django.utils import timezone

from jiuzhu.areas.models import Area
from jiuzhu.core.dates import month_label
from jiuzhu.core.errors import InvalidInput
from jiuzhu.core.money import format_yuan
from jiuzhu.programs.engine import parameter_store, rules_error
from jiuzhu.programs.facts import household_facts
from jiuzhu.registry.models import Household, Person
from jiuzhu.rules import INCOME_TYPES, PROGRAMS, RulesInputError, evaluate_one, household_from_dict
from jiuzhu.rules.core import MONEY_VARIABLE_UNITS

from .catalog import EXPENSE_MEASURES, STATUS_MEASURES
from .effects import Catalog, FactRow, Measures, fetch_current, measure_person
from .models import Authorization, Batch, PeerQuery, person_key
from .verified import content_part as verified_part

STATEMENT = (
    "本报告依据核对对象的书面授权，仅记载有关部门提供的数据及其与救助标准的比对结果，"
    "不作是否符合救助条件的认定（只核对、不认定）；认定由审核确认机关依法作出。"
)
# Tests that are not about income or assets are left to the case worker.
NOT_ECONOMIC = {"no_labour_capacity", "no_capable_supporter", "not_dibao_eligible", "emergency_event"}
FINDING_OF_TEST = {
    "income_below_standard": ("income", "收入超过标准"),
    "income_within_edge_line": ("income", "收入超过低保边缘标准"),
    "income_below_disposable": ("income", "人均收入超过上年人均可支配收入"),
    "no_income_source": ("income", "有收入来源"),
    "deposits_within_limit": ("deposits", "存款超过标准"),
    "vehicles_within_limit": ("vehicle", "车辆超过规定"),
    "houses_within_limit": ("house", "住房超过规定"),
    "no_registered_business": ("business", "登记有企业"),
}
RELATION_LABELS = dict(Person._meta.get_field("relation").choices or [])
ADULT_AGE = 18


def canonical(content: dict[str, Any]) -> str:
    return json.dumps(content, ensure_ascii=False, sort_keys=True, separators=(",", ":"), default=str)


def content_digest(content: dict[str, Any]) -> str:
    return hashlib.sha256(canonical(content).encode("utf-8")).hexdigest()


def _period(f: FactRow) -> str:
    if f.period_start and f.period_end and f.period_start != f.period_end:
        if (
            f.period_start.day == 1
            and (f.period_end + dt.timedelta(days=1)).day == 1
            and (f.period_start.month == f.period_end.month)
        ):
            return month_label(f.period_start)
        return f"{f.period_start:%Y-%m-%d}至{f.period_end:%Y-%m-%d}"
    if f.period_start:
        return f.period_start.isoformat()
    if f.period_end:
        return f"至{f.period_end:%Y-%m-%d}"
    return "—"


def engine_facts(
    household: Household, members: list[Person], measures: dict[int, Measures], program: str, temporary_kind: str
) -> dict[str, Any]:
    """The rules engine's JSON form of the household, with incomes, assets and costs from
    department data (and nothing asked of the family)."""
    base = household_facts(household)
    out_members = []
    for person, facts in zip(members, base, strict=True):
        m = measures.get(person.pk, Measures())
        facts = dict(facts)
        facts["incomes"] = {k: v for k, v in m.incomes.items() if v}
        facts["assets"] = {k: v for k, v in m.assets.items() if v}
        facts["medical_oop_fen"] = m.expenses.get("medical", 0)
        facts["education_oop_fen"] = m.expenses.get("education", 0)
        out_members.append(facts)
    data: dict[str, Any] = {"urban": household.urban_rural == "urban", "members": out_members}
    if program == "temporary":
        kind = temporary_kind or "illness"
        data["temporary"] = {"kind": kind, **({"event": "other"} if kind == "emergency" else {})}
    return data


def _value(unit: str, value: Any) -> str:
    if isinstance(value, bool):  # before int: a bool is an int
        return "是" if value else "否"
    if unit in MONEY_VARIABLE_UNITS and isinstance(value, int):
        return format_yuan(value)
    if unit == "count":
        return f"{value}"
    if unit == "months":
        return f"{value}个月"
    if unit == "persons":
        return f"{value}人"
    return str(value)


def unchecked_sources(catalog: Catalog, county: str, on: dt.datetime) -> list[dict[str, Any]]:
    """Data types with no loaded batch for the county (or its city/province), or whose
    latest batch is older than the data type's freshness limit."""
    scopes = [county, county[:4] + "00", county[:2] + "0000"]
    latest = dict(
        Batch.objects.filter(status="loaded", county_code__in=scopes)
        .values("source_id")
        .annotate(last=Max("loaded_at"))
        .order_by()
        .values_list("source_id", "last")
    )
    out = []
    for source in catalog.sources.values():
        if not source.active:
            continue
        last = latest.get(source.pk)
        label = f"{source.provider.name}·{source.name}"
        if last is None:
            out.append(
                {"source": source.code, "name": label, "reason": "missing", "message": "本县尚无该类数据，未能核对"}
            )
        elif (on - last).days > source.stale_after_days:
            out.append(
                {
                    "source": source.code,
                    "name": label,
                    "reason": "stale",
                    "message": f"数据已过期：最近一次入库为{timezone.localtime(last):%Y-%m-%d}，"
                    f"超过{source.stale_after_days}天未更新",
                }
            )
    return out


def build(household: Household, program: str, *, temporary_kind: str = "", on: dt.date | None = None) -> dict[str, Any]:
    """Gather and compare; return the report content (without number) plus internals."""
    if program not in PROGRAMS:
        known = "、".join(f"{c}（{p.name}）" for c, p in PROGRAMS.items())
        raise InvalidInput("unknown_program", f"未知救助项目“{program}”，可选：{known}", field="program")
    now = timezone.now()
    on = on or timezone.localdate()
    members = list(household.current_members().filter(death_date__isnull=True))
    if not members:
        raise InvalidInput("no_members", "该家庭没有在册成员，无法核对", field="household_id")
    catalog = Catalog()
    by_key = {person_key(p.id_number_index): p for p in members}
    facts = fetch_current((p.id_number_index for p in members), household.county_code)
    batches = {
        b.pk: b
        for b in Batch.objects.filter(pk__in={f.batch_id for f in facts}).only("id", "loaded_at", "period_end", "kind")
    }
    per_person: dict[int, list[FactRow]] = {}
    for f in facts:
        per_person.setdefault(by_key[f.person].pk, []).append(f)
    measures = {pid: measure_person(fs, catalog, on) for pid, fs in per_person.items()}

    area = Area.objects.filter(code=household.area_id).select_related("parent").first()
    auths = {}
    for a in Authorization.objects.valid().filter(household=household).order_by("signed_at", "id"):
        auths[a.person_id] = a
    member_rows = []
    for i, p in enumerate(members):
        a = auths.get(p.pk)
        member_rows.append(
            {
                "index": i,
                "person_id": p.pk,
                "name": p.name,
                "id_masked": p.id_number_masked,
                "relation": RELATION_LABELS.get(p.relation, p.relation),
                "age": p.age_on(on),
                "authorization": (
                    {
                        "id": a.pk,
                        "reference": f"SQ{a.pk:08d}",
                        "signed_at": timezone.localtime(a.signed_at).date().isoformat(),
                        "method": a.get_method_display(),
                    }
                    if a
                    else None
                ),
            }
        )
    index_of = {p.pk: i for i, p in enumerate(members)}

    fact_rows = []
    for f in facts:
        source = catalog.sources[f.source_id]
        rules = [r for r in catalog.matching(f.source_id, f.category) if r.kind != "info"]
        batch = batches.get(f.batch_id)
        fact_rows.append(
            {
                "member": index_of[by_key[f.person].pk],
                "source": source.code,
                "source_name": f"{source.provider.name}·{source.name}",
                "category": f.category,
                "detail": f.detail,
                "period": _period(f),
                "amount_fen": f.amount_fen,
                "amount": format_yuan(f.amount_fen) if f.amount_fen is not None else "",
                "active": f.active,
                "counted_as": "、".join(r.label for r in rules) if f.active else "已失效，不计入",
                "batch": f.batch_id,
                "loaded_at": timezone.localtime(batch.loaded_at).strftime("%Y-%m-%d %H:%M")
                if batch and batch.loaded_at
                else "",
                "row": f.row_number,
            }
        )

    # totals over members
    totals_income: dict[str, int] = {}
    totals_assets: dict[str, int] = {}
    totals_expenses: dict[str, int] = {}
    for member_measures in measures.values():
        for k, v in member_measures.incomes.items():
            totals_income[k] = totals_income.get(k, 0) + v
        for k, v in member_measures.assets.items():
            totals_assets[k] = totals_assets.get(k, 0) + v
        for k, v in member_measures.expenses.items():
            totals_expenses[k] = totals_expenses.get(k, 0) + v

    data = engine_facts(household, members, measures, program, temporary_kind)
    try:
        result = evaluate_one(program, household_from_dict(data), household.area_id, on, parameter_store())
    except RulesInputError as exc:
        raise rules_error(exc) from None
    variables = result.trace.get("variables", {})
    comparisons = [
        {"code": t["code"], "within": t["passed"], "message": t["message"]}
        for t in result.trace["tests"]
        if t["applicable"] and t["code"] not in NOT_ECONOMIC
    ]
    thresholds = [
        {"name": name, "label": v["label"], "value": _value(v["unit"], v["value"])}
        for name, v in variables.items()
        if not name.startswith("member.") and not isinstance(v["value"], list)
    ]

    unchecked = unchecked_sources(catalog, household.county_code, now)
    skipped = {u["source"] for u in unchecked}
    covered = {
        (r.kind, r.measure)
        for pk, source in catalog.sources.items()
        if source.active and source.code not in skipped
        for r in catalog.rules.get(pk, [])
    }

    findings = []
    for p in members:
        m = measures.get(p.pk)
        if m is None:
            continue
        who = p.name
        for measure, fs in m.assets_facts.items():
            if measure == "vehicles":
                plates = "、".join(f.record_key for f in fs)
                findings.append({"kind": "vehicle", "member": who, "message": f"{who}名下车辆{len(fs)}辆（{plates}）"})
            elif measure == "houses":
                findings.append({"kind": "house", "member": who, "message": f"{who}名下住房{len(fs)}套"})
            elif measure == "businesses":
                findings.append({"kind": "business", "member": who, "message": f"{who}登记企业或个体工商户{len(fs)}个"})
            elif measure == "deposits" and m.assets.get("deposits"):
                findings.append(
                    {
                        "kind": "deposits",
                        "member": who,
                        "message": f"{who}名下存款合计{format_yuan(m.assets['deposits'])}",
                    }
                )
            elif measure == "securities" and m.assets.get("securities"):
                findings.append(
                    {
                        "kind": "deposits",
                        "member": who,
                        "message": f"{who}名下理财、证券等金融资产合计{format_yuan(m.assets['securities'])}",
                    }
                )
        for kind, amount in m.incomes.items():
            if amount:
                findings.append(
                    {
                        "kind": "income",
                        "member": who,
                        "message": f"{who}{INCOME_TYPES.get(kind, kind)}月均{format_yuan(amount)}",
                    }
                )
        for kind, amount in m.expenses.items():
            if amount:
                findings.append(
                    {"kind": "expense", "member": who, "message": f"{who}{EXPENSE_MEASURES[kind]}{format_yuan(amount)}"}
                )
        for measure, fs in m.statuses.items():
            label = STATUS_MEASURES.get(measure, measure)
            first = fs[0]
            when = _period(first)
            if measure == "death":
                findings.append(
                    {
                        "kind": "death",
                        "member": who,
                        "message": f"{who}有死亡记录（{when}，{first.detail or '部门数据'}）",
                    }
                )
            elif measure == "moved_out":
                findings.append(
                    {"kind": "moved_out", "member": who, "message": f"{who}户籍已迁出（{when}，{first.detail}）"}
                )
            elif measure == "assistance":
                findings.append(
                    {"kind": "assistance", "member": who, "message": f"{who}正在享受社会救助（{first.detail}）"}
                )
            else:
                kind = (
                    "employment" if measure in ("employed", "payroll", "employee_insured", "fund_deposit") else "status"
                )
                findings.append({"kind": kind, "member": who, "message": f"{who}{label}（{first.detail}）"})
    for c in comparisons:
        if not c["within"] and c["code"] in FINDING_OF_TEST:
            kind, title = FINDING_OF_TEST[c["code"]]
            findings.append({"kind": kind, "member": "", "message": f"{title}：{c['message']}"})

    peer_results: list[dict[str, Any]] = []
    for q in (
        PeerQuery.objects.filter(person__in=members, status="answered").select_related("peer", "person").order_by("-id")
    ):
        if any(r["person_id"] == q.person_id and r["peer"] == q.peer.code for r in peer_results):
            continue
        peer_results.append(
            {
                "person_id": q.person_id,
                "member": q.person.name,
                "peer": q.peer.code,
                "peer_name": q.peer.name,
                "asked_at": timezone.localtime(q.asked_at).strftime("%Y-%m-%d %H:%M"),
                "summary": q.answer.get("summary", ""),
                "facts": q.answer.get("facts", [])[:50],
            }
        )

    content = {
        "program": program,
        "program_name": PROGRAMS[program].name,
        "generated_at": timezone.localtime(now).strftime("%Y-%m-%d %H:%M:%S"),
        "date": on.isoformat(),
        "household": {
            "id": household.pk,
            "head_name": household.head_name,
            "address": household.address,
            "area_code": household.area_id,
            "area_name": f"{area.parent.name if area and area.parent else ''}{area.name if area else ''}",
            "urban": household.urban_rural == "urban",
            "member_count": len(members),
        },
        "members": member_rows,
        "facts": fact_rows,
        "totals": {
            "income": [
                {"code": k, "label": INCOME_TYPES.get(k, k), "monthly_fen": v, "monthly": format_yuan(v)}
                for k, v in totals_income.items()
                if v
            ],
            "assets": [
                {"code": k, "value": v, "display": format_yuan(v) if k in ("deposits", "securities") else str(v)}
                for k, v in totals_assets.items()
                if v
            ],
            "expenses": [
                {"code": k, "label": EXPENSE_MEASURES[k], "fen": v, "display": format_yuan(v)}
                for k, v in totals_expenses.items()
                if v
            ],
        },
        "comparisons": comparisons,
        "thresholds": thresholds,
        "parameters": [
            {k: p.get(k) for k in ("name", "description", "value", "area", "valid_from", "source")}
            for p in result.trace.get("parameters", [])
        ],
        "findings": findings,
        "unchecked": unchecked,
        "verified": verified_part(members, measures, covered, on),
        "peer_results": peer_results,
        "rules_version": result.trace.get("rules_version"),
        "parameters_digest": result.trace.get("parameters_digest"),
        "statement": STATEMENT,
    }
    snapshot = {
        "income_fen": sum(totals_income.values()),
        "deposits_fen": totals_assets.get("deposits", 0),
        "securities_fen": totals_assets.get("securities", 0),
        "vehicles": totals_assets.get("vehicles", 0),
        "houses": totals_assets.get("houses", 0),
        "businesses": totals_assets.get("businesses", 0),
        "employed": sum(
            1
            for m in measures.values()
            if any(k in m.statuses for k in ("employed", "payroll", "employee_insured", "fund_deposit"))
        ),
        "deceased": sum(1 for m in measures.values() if "death" in m.statuses),
        "moved_out": sum(1 for m in measures.values() if "moved_out" in m.statuses),
        "assistance": sum(1 for m in measures.values() if "assistance" in m.statuses),
        "failed_tests": ",".join(c["code"] for c in comparisons if not c["within"]),
    }
    return {"content": content, "snapshot": snapshot, "facts_read": len(facts), "persons": [p.pk for p in members]}


def pdf_bytes(report: Any) -> bytes:
    """The 核对报告 as a signed PDF, rendered once from its frozen content and kept: every
    download is the same file with the same verification code (issue 19 item 9)."""
    from jiuzhu.areas.models import Area
    from jiuzhu.web.seal import render_signed, signed_once

    names = {m["index"]: m["name"] for m in report.content.get("members", [])}
    facts = [dict(f, member_name=names.get(f["member"], "")) for f in report.content.get("facts", [])]
    county = Area.objects.filter(code=report.county_code.ljust(12, "0")).first()
    issuer = f"{county.name if county else ''}家庭经济状况核对中心"

    def make() -> tuple[bytes, Any]:
        context = {"report": report, "c": report.content, "facts": facts, "issuer": issuer}
        return render_signed(
            "verification/report_pdf.html",
            context,
            kind="report",
            number=report.number,
            title="家庭经济状况核对报告",
            issuer=issuer,
            area_code=report.area_code,
            obj=report,
        )

    return signed_once(report, make)
