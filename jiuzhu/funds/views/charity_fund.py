"""The charity fund (FND-15): accounts and their entries."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render

from .. import actions, forms, queries
from ..models import (
    CharityAccount,
    CharityEntry,
)
from ._common import _areas, _can_edit, _submit, _viewer

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
            done = _submit(request, inflow, lambda d: actions.charity_inflow(account, by=user, **d), "已登记捐赠收入")
        else:
            done = _submit(request, outflow, lambda d: actions.charity_outflow(account, by=user, **d), "已登记救助支出")
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
