"""Public pages, no login: verification of a signed document by its code (issue 19 item 9)."""

from __future__ import annotations

from typing import Any

from django import forms
from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render

from jiuzhu.audit.models import SignedDocument

from . import seal

_CODE_CHARS = set("23456789ABCDEFGHJKMNPQRSTUVWXYZ")


def _normal(code: str) -> str:
    return "".join(ch for ch in code.upper() if ch.isalnum())


class CopyForm(forms.Form):
    file = forms.FileField(label="选择要核验的PDF文件")

    def clean_file(self) -> Any:
        upload = self.cleaned_data["file"]
        if upload.size > settings.MAX_UPLOAD_BYTES:
            raise forms.ValidationError("文件过大")
        return upload


def verify_lookup(request: HttpRequest) -> HttpResponse:
    """Enter a verification code by hand (from the paper notice)."""
    code = _normal(request.GET.get("code", ""))
    if code:
        return redirect("public_verify", code=code)
    return render(request, "public/verify.html", {"record": None, "looked_up": False})


def verify(request: HttpRequest, code: str) -> HttpResponse:
    """电子文书核验: what was issued under this code, whether it is still valid, and — for an
    uploaded copy — whether it is exactly that signed file. Shows no personal data."""
    code = _normal(code)
    record = SignedDocument.objects.filter(code=code).first() if set(code) <= _CODE_CHARS else None
    form = CopyForm(request.POST or None, request.FILES or None)
    check = None
    if record is not None and request.method == "POST" and form.is_valid():
        check = seal.check_copy(record, form.cleaned_data["file"].read())
    sm2_ok = seal.sm2_valid(record) if record is not None else None
    context = {"record": record, "code": code, "looked_up": True, "form": form, "check": check, "sm2_valid": sm2_ok}
    return render(request, "public/verify.html", context, status=200 if record is not None else 404)
