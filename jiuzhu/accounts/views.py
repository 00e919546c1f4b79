from __future__ import annotations

from typing import Any

from django import forms
from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.validators import MaxValueValidator
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_POST

from jiuzhu.core.errors import DomainError

from . import actions
from .auth import AuthedRequest
from .models import ApiToken


class TokenForm(forms.Form):
    name = forms.CharField(label="用途说明", max_length=64, help_text="如：医保局系统对接")
    days = forms.IntegerField(label="有效天数", min_value=1, required=False)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        days = self.fields["days"]
        assert isinstance(days, forms.IntegerField)
        days.widget.attrs["max"] = settings.API_TOKEN_MAX_DAYS
        days.validators.append(MaxValueValidator(settings.API_TOKEN_MAX_DAYS))
        days.help_text = f"留空为{settings.API_TOKEN_DEFAULT_DAYS}天，最长{settings.API_TOKEN_MAX_DAYS}天"


@login_required
def tokens(request: AuthedRequest) -> HttpResponse:
    form = TokenForm(request.POST or None)
    new_token = None
    if request.method == "POST" and form.is_valid():
        try:
            _, new_token = actions.create_api_token(
                request.user, by=request.user, name=form.cleaned_data["name"], days=form.cleaned_data["days"]
            )
        except DomainError as exc:
            form.add_error(None, exc.message)
        else:
            form = TokenForm()
    rows = ApiToken.objects.filter(user=request.user)
    return render(request, "accounts/tokens.html", {"form": form, "tokens": rows, "new_token": new_token})


@login_required
@require_POST
def token_revoke(request: AuthedRequest, pk: int) -> HttpResponse:
    token = get_object_or_404(ApiToken, pk=pk, user=request.user)
    try:
        actions.revoke_api_token(token, by=request.user)
    except DomainError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, f"令牌 {token.prefix}… 已吊销")
    return redirect("tokens")
