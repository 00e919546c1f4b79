"""Pages of 资金预算与统筹: execution (FND-5), budget lines and monthly plans (FND-1, FND-11),
forecast (FND-7), sources, fiscal powers (FND-6), fund plans (FND-9), incentives (FND-10),
contracts (FND-12) and the charity fund (FND-15). Views call actions and queries only."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.views.decorators.http import require_POST

from jiuzhu.accounts.auth import AuthedRequest
from jiuzhu.accounts.permissions import require
from jiuzhu.areas.models import Area
from jiuzhu.core.errors import DomainError
from jiuzhu.core.money import yuan_to_fen
from jiuzhu.registry.forms import apply_errors
from jiuzhu.web.files import file_response
from jiuzhu.web.pagination import IdPaginator

from . import actions, forms, queries
from .models import (
    FUND_PROGRAM_CHOICES,
    MONTHS,
    RESERVE_SOURCES,
    SHARE_LEVELS,
    BudgetLine,
    CharityAccount,
    CharityEntry,
    FiscalPower,
    FundPlan,
    Incentive,
    MonthlyPlan,
    ReserveEntry,
    ReserveFund,
    ServiceContract,
)


def _viewer(request: HttpRequest, perm: str = "funds.view") -> Any:
    try:
        require(request.user, perm)
    except DomainError:
        raise Http404 from None
    return request.user


def _can_edit(user: Any) -> bool:
    return bool(user.is_superuser or user.has_perm_code("funds.edit"))


def _submit(request: HttpRequest, form: Any, fn: Callable[[dict[str, Any]], Any], ok: str) -> Any:
    """Run an action with a valid form's data; its refusal goes onto the field it names."""
    if not form.is_valid():
        return None
    try:
        result = fn(form.cleaned_data)
    except DomainError as exc:
        apply_errors(exc, form, field_map=forms.FIELD_MAP)
        return None
    messages.success(request, ok)
    return result


def _areas(user: Any) -> list[Area]:
    return list(Area.objects.visible_to(user).filter(level__in=("county", "town")).order_by("code"))


def _year(request: HttpRequest) -> int:
    raw = request.GET.get("year", "")
    return int(raw) if raw.isdigit() and 2000 <= int(raw) <= 2100 else timezone.localdate().year


def _years() -> list[int]:
    this = timezone.localdate().year
    return list(range(this + 1, this - 6, -1))


def _root(request: HttpRequest, user: Any) -> Area | None:
    try:
        return queries.root_area(user, request.GET.get("area", ""))
    except DomainError:
        raise Http404 from None


def _filters(request: HttpRequest, user: Any) -> dict[str, Any]:
    return {"year": _year(request), "years": _years(), "areas": _areas(user), "root": _root(request, user)}


# ---- execution ------------------------------------------------------------------------------------


@login_required
def home(request: HttpRequest) -> HttpResponse:
    user = _viewer(request)
    f = _filters(request, user)
    program = request.GET.get("program", "")
    report = queries.execution(user, year=f["year"], root=f["root"], program=program)
    if request.GET.get("format") == "xlsx":
        return file_response(queries.execution_xlsx(report), f"预算执行-{f['year']}.xlsx")
    return render(
        request,
        "funds/home.html",
        {**f, "report": report, "program": program, "programs": FUND_PROGRAM_CHOICES, "months": list(MONTHS)},
    )


# ---- budget lines ------------------------------------------------------------------------------------


@login_required
def lines(request: HttpRequest) -> HttpResponse:
    user = _viewer(request)
    f = _filters(request, user)
    form = forms.LineForm(
        request.POST or None,
        areas=f["areas"],
        initial={"year": f["year"], "area_code": f["root"].code if f["root"] else ""},
    )
    if request.method == "POST":
        line = _submit(
            request,
            form,
            lambda d: actions.create_budget_line(
                by=user,
                year=d["year"],
                area_code=d["area_code"],
                program=d["program"],
                source=d["source"],
                amount_fen=d["amount_yuan"],
                tilted=d["tilted"],
                tilt_note=d["tilt_note"],
                note=d["note"],
            ),
            "已新增预算科目",
        )
        if line is not None:
            return redirect("funds:line", line.pk)
    qs = BudgetLine.objects.visible_to(user).filter(year=f["year"]).order_by("area_code", "program", "source")
    names = {a.code: a.name for a in f["areas"]}
    return render(
        request, "funds/lines.html", {**f, "lines": qs, "names": names, "form": form, "can_edit": _can_edit(user)}
    )


@login_required
def line_view(request: HttpRequest, pk: int) -> HttpResponse:
    user = _viewer(request)
    line = get_object_or_404(BudgetLine.objects.visible_to(user), pk=pk)
    plan = dict(MonthlyPlan.objects.filter(line=line).values_list("month", "amount_fen"))
    edit = forms.LineEditForm(
        request.POST if request.POST.get("op") == "update" else None,
        initial={
            "amount_yuan": f"{line.amount_fen / 100:.2f}",
            "tilted": line.tilted,
            "tilt_note": line.tilt_note,
            "note": line.note,
        },
    )
    plan_form = forms.PlanForm(
        request.POST if request.POST.get("op") == "plan" else None,
        initial={f"m{m}": f"{v / 100:.2f}" for m, v in plan.items()},
    )
    if request.method == "POST":
        if request.POST.get("op") == "update":
            done = _submit(
                request,
                edit,
                lambda d: actions.update_budget_line(
                    line,
                    by=user,
                    amount_fen=d["amount_yuan"],
                    tilted=d["tilted"],
                    tilt_note=d["tilt_note"],
                    note=d["note"],
                ),
                "已调整预算",
            )
        else:
            done = _submit(
                request,
                plan_form,
                lambda d: actions.set_monthly_plan(line, by=user, months=plan_form.months()),
                "已保存月度用款计划",
            )
        if done is not None:
            return redirect("funds:line", line.pk)
    area = Area.objects.filter(code=line.area_code).first()
    return render(
        request,
        "funds/line.html",
        {
            "line": line,
            "area": area,
            "edit": edit,
            "plan_form": plan_form,
            "planned_fen": sum(plan.values()),
            "contracts": ServiceContract.objects.filter(line=line),
            "can_edit": _can_edit(user),
        },
    )


# ---- reports -------------------------------------------------------------------------------------------


@login_required
def forecast(request: HttpRequest) -> HttpResponse:
    user = _viewer(request)
    f = _filters(request, user)
    return render(
        request, "funds/forecast.html", {**f, "result": queries.forecast(user, year=f["year"], root=f["root"])}
    )


@login_required
def sources(request: HttpRequest) -> HttpResponse:
    user = _viewer(request)
    f = _filters(request, user)
    return render(
        request, "funds/sources.html", {**f, "report": queries.by_source(user, year=f["year"], root=f["root"])}
    )


# ---- fiscal powers ----------------------------------------------------------------------------------


@login_required
def powers(request: HttpRequest) -> HttpResponse:
    user = _viewer(request)
    form = forms.PowerForm(request.POST or None)
    county = user.area.county_code if user.area else "370405"
    if request.method == "POST":
        done = _submit(
            request,
            form,
            lambda d: actions.set_fiscal_power(
                by=user,
                county_code=county,
                program=d["program"],
                shares=form.shares(),
                department=d["department"],
                legal_basis=d["legal_basis"],
                note=d["note"],
            ),
            "已保存财政事权清单",
        )
        if done is not None:
            return redirect("funds:powers")
    return render(
        request,
        "funds/powers.html",
        {
            "powers": FiscalPower.objects.visible_to(user),
            "levels": SHARE_LEVELS,
            "form": form,
            "can_edit": _can_edit(user),
        },
    )


# ---- fund plans -----------------------------------------------------------------------------------------


@login_required
def plans(request: HttpRequest) -> HttpResponse:
    user = _viewer(request)
    form = forms.FundPlanForm(request.POST or None)
    if request.method == "POST":
        plan = _submit(
            request,
            form,
            lambda d: actions.create_fund_plan(by=user, county_code=user.area.county_code if user.area else "", **d),
            "已新建资金规划",
        )
        if plan is not None:
            return redirect("funds:plan", plan.pk)
    return render(
        request,
        "funds/plans.html",
        {"plans": FundPlan.objects.visible_to(user), "form": form, "can_edit": _can_edit(user)},
    )


@login_required
def plan_view(request: HttpRequest, pk: int) -> HttpResponse:
    user = _viewer(request)
    plan = get_object_or_404(FundPlan.objects.visible_to(user), pk=pk)
    form = forms.TargetsForm(request.POST or None, years=plan.years)
    if request.method == "POST":
        done = _submit(
            request,
            form,
            lambda d: actions.set_plan_targets(plan, by=user, program=d["program"], targets=form.targets()),
            "已保存规划目标",
        )
        if done is not None:
            return redirect("funds:plan", plan.pk)
    return render(
        request,
        "funds/plan.html",
        {"plan": plan, "result": queries.plan_comparison(user, plan), "form": form, "can_edit": _can_edit(user)},
    )


# ---- incentives and contracts ----------------------------------------------------------------------------


@login_required
def incentives(request: HttpRequest) -> HttpResponse:
    user = _viewer(request)
    areas = _areas(user)
    form = forms.IncentiveForm(request.POST or None, areas=areas)
    if request.method == "POST":
        done = _submit(
            request,
            form,
            lambda d: actions.record_incentive(
                by=user,
                area_code=d["area_code"],
                kind=d["kind"],
                organisation=d["organisation"],
                credit_code=d["credit_code"],
                amount_fen=d["amount_yuan"],
                granted_on=d["granted_on"],
                basis=d["basis"],
                note=d["note"],
            ),
            "已登记激励记录",
        )
        if done is not None:
            return redirect("funds:incentives")
    return render(
        request,
        "funds/incentives.html",
        {"incentives": Incentive.objects.visible_to(user)[:500], "form": form, "can_edit": _can_edit(user)},
    )


@login_required
def contracts(request: HttpRequest) -> HttpResponse:
    user = _viewer(request)
    visible_lines = list(BudgetLine.objects.visible_to(user).order_by("-year", "area_code", "program", "source")[:500])
    names = {a.code: a.name for a in _areas(user)}
    form = forms.ContractForm(
        request.POST or None, lines=visible_lines, area_names=names, initial={"line": request.GET.get("line", "")}
    )
    if request.method == "POST":

        def create(d: dict[str, Any]) -> Any:
            line = get_object_or_404(BudgetLine.objects.visible_to(user), pk=int(d["line"]))
            return actions.create_contract(
                line,
                by=user,
                provider=d["provider"],
                content=d["content"],
                amount_fen=d["amount_yuan"],
                start_on=d["start_on"],
                end_on=d["end_on"],
                number=d["number"],
                provider_credit_code=d["provider_credit_code"],
            )

        done = _submit(request, form, create, "已登记政府购买服务合同")
        if done is not None:
            return redirect("funds:contracts")
    return render(
        request,
        "funds/contracts.html",
        {
            "contracts": ServiceContract.objects.visible_to(user).select_related("line")[:500],
            "names": names,
            "form": form,
            "can_edit": _can_edit(user),
        },
    )


# ---- charity fund ------------------------------------------------------------------------------------------


@login_required
def charity(request: HttpRequest) -> HttpResponse:
    user = _viewer(request)
    accounts = list(CharityAccount.objects.visible_to(user))
    opened = {a.area_code for a in accounts}
    form = forms.AccountForm(request.POST or None, areas=[a for a in _areas(user) if a.code not in opened])
    if request.method == "POST":
        account = _submit(request, form, lambda d: actions.open_charity_account(by=user, **d), "已设立慈善救助资金账户")
        if account is not None:
            return redirect("funds:account", account.pk)
    return render(
        request,
        "funds/charity.html",
        {"rows": queries.charity_summary(accounts), "form": form, "can_edit": _can_edit(user)},
    )


@login_required
def account_view(request: HttpRequest, pk: int) -> HttpResponse:
    user = _viewer(request)
    account = get_object_or_404(CharityAccount.objects.visible_to(user), pk=pk)
    op = request.POST.get("op")
    inflow = forms.InflowForm(request.POST if op == "inflow" else None)
    outflow = forms.OutflowForm(request.POST if op == "outflow" else None)
    if request.method == "POST":
        if op == "inflow":
            done = _submit(
                request,
                inflow,
                lambda d: actions.charity_inflow(
                    account,
                    by=user,
                    amount_fen=d["amount_yuan"],
                    donor=d["donor"],
                    restricted_purpose=d["restricted_purpose"],
                    received_on=d["received_on"],
                    note=d["note"],
                ),
                "已登记捐赠收入",
            )
        else:
            done = _submit(
                request,
                outflow,
                lambda d: actions.charity_outflow(
                    account,
                    by=user,
                    amount_fen=d["amount_yuan"],
                    purpose=d["purpose"],
                    application_id=d["application_id"],
                    paid_on=d["paid_on"],
                    note=d["note"],
                ),
                "已登记救助支出",
            )
        if done is not None:
            return redirect("funds:account", account.pk)
    entries = CharityEntry.objects.filter(account=account).select_related("application", "created_by").order_by("-id")
    return render(
        request,
        "funds/account.html",
        {
            "account": account,
            "row": queries.charity_summary([account])[0],
            "entries": entries[:500],
            "inflow": inflow,
            "outflow": outflow,
            "can_edit": _can_edit(user),
        },
    )


# ---- town reserve funds (备用金): pages at /payments/reserves/, read with payments.view ------------


def _post(request: HttpRequest, act: Callable[[], Any], ok: str) -> None:
    """Read the form and run the action; a refusal of either is shown as a message, never a 500."""
    try:
        act()
        messages.success(request, ok)
    except DomainError as exc:
        messages.error(request, exc.message)


@login_required
def reserves(request: HttpRequest) -> HttpResponse:
    user = _viewer(request, "payments.view")
    funds = queries.reserve_summary(list(ReserveFund.objects.visible_to(user)))
    towns = [a for a in Area.objects.visible_to(user).filter(level="town").order_by("code")]
    opened = {f["fund"].area_code for f in funds}
    return render(
        request,
        "funds/reserves.html",
        {"funds": funds, "towns": [t for t in towns if t.code not in opened], "sources": RESERVE_SOURCES},
    )


@login_required
@require_POST
def reserve_open(request: AuthedRequest) -> HttpResponse:
    p = request.POST

    def act() -> None:
        low = yuan_to_fen(p["low_balance_yuan"], field="low_balance_yuan") if p.get("low_balance_yuan") else None
        actions.open_reserve(
            by=request.user,
            town_code=p.get("town_code", ""),
            low_balance_fen=low,
            account_note=p.get("account_note", ""),
        )

    _post(request, act, "已设立备用金账户")
    return redirect("payments:reserves")


@login_required
def reserve_view(request: HttpRequest, pk: int) -> HttpResponse:
    fund = get_object_or_404(ReserveFund.objects.visible_to(_viewer(request, "payments.view")), pk=pk)
    entries = ReserveEntry.objects.filter(fund=fund).select_related("application", "created_by").order_by("-id")
    page = IdPaginator(
        entries,
        50,
        fetch=lambda ids: ReserveEntry.objects.filter(pk__in=ids).select_related("application", "created_by"),
    ).get_page(request.GET.get("page"))
    return render(
        request,
        "funds/reserve.html",
        {"fund": fund, "row": queries.reserve_summary([fund])[0], "page": page, "sources": RESERVE_SOURCES},
    )


@login_required
@require_POST
def reserve_top_up(request: AuthedRequest, pk: int) -> HttpResponse:
    fund = get_object_or_404(ReserveFund.objects.visible_to(_viewer(request, "payments.view")), pk=pk)
    p = request.POST

    def act() -> None:
        amount = yuan_to_fen(p.get("amount_yuan", ""), field="amount_yuan")
        actions.top_up_reserve(
            fund, by=request.user, amount_fen=amount, source=p.get("source", "fiscal"), note=p.get("note", "")
        )

    _post(request, act, "已拨付备用金")
    return redirect("payments:reserve", fund.pk)
