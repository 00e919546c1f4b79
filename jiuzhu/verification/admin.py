"""Django admin for the 核对数据目录 and the cross-county peers (role permission
``sources.manage``). Schemas are versioned: a version already used by a batch is read-only;
a change is a new version."""

from __future__ import annotations

from typing import Any, TypeVar

from django import forms
from django.conf import settings
from django.contrib import admin
from django.db import models, transaction
from django.http import HttpRequest

from jiuzhu.audit.log import record
from jiuzhu.core import sm2
from jiuzhu.core.admin_scope import ScopedAdmin

from .catalog import SCHEMA_KEYS, CatalogError, check_effect, check_schema
from .models import Batch, Peer, Provider, Source, SourceSchema
from .peers import seal_key

_M = TypeVar("_M", bound=models.Model)


class ManagedAdmin(admin.ModelAdmin[_M]):
    """Visible and editable for users whose role grants ``sources.manage``."""

    def _may(self, request: HttpRequest) -> bool:
        user = request.user
        return bool(user.is_active and user.is_staff and (user.is_superuser or user.has_perm_code("sources.manage")))

    def has_module_permission(self, request: HttpRequest) -> bool:
        return self._may(request)

    def has_view_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return self._may(request)

    def has_add_permission(self, request: HttpRequest) -> bool:
        return self._may(request)

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return self._may(request)

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def save_model(self, request: HttpRequest, obj: Any, form: Any, change: bool) -> None:
        with transaction.atomic():
            super().save_model(request, obj, form, change)
            record(
                request.user,
                f"verification.catalog.{'change' if change else 'add'}",
                None,
                object_type=obj._meta.label_lower,
                object_id=str(obj.pk),
                changes={"fields": sorted(form.changed_data)},
            )


class SourceInline(admin.TabularInline[Source, Provider]):
    model = Source
    fields = ["code", "name", "mode", "stale_after_days", "active"]
    extra = 0
    show_change_link = True

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(Provider)
class ProviderAdmin(ManagedAdmin[Provider]):
    list_display = ["name", "code", "seed_item", "active"]
    search_fields = ["code", "name"]
    inlines = [SourceInline]


class SourceForm(forms.ModelForm[Source]):
    class Meta:
        model = Source
        fields = [
            "code",
            "provider",
            "name",
            "description",
            "mode",
            "effect",
            "stale_after_days",
            "bank_data",
            "approval",
            "active",
            "order",
        ]

    def clean_effect(self) -> Any:
        effect = self.cleaned_data.get("effect") or []
        schema = self.instance.current_schema if self.instance.pk else None
        try:
            check_effect(self.cleaned_data.get("code", ""), effect, bool(schema and schema.amount_field))
        except CatalogError as exc:
            raise forms.ValidationError(str(exc)) from None
        return effect


class SchemaInline(admin.StackedInline[SourceSchema, Source]):
    model = SourceSchema
    extra = 0
    fields = ["version", *SCHEMA_KEYS, "note"]

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False  # a schema change is a new version

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(Source)
class SourceAdmin(ManagedAdmin[Source]):
    form = SourceForm
    list_display = ["code", "name", "provider", "mode", "stale_after_days", "bank_data", "active"]
    list_filter = ["provider", "mode", "active"]
    search_fields = ["code", "name"]
    inlines = [SchemaInline]


class SchemaForm(forms.ModelForm[SourceSchema]):
    class Meta:
        model = SourceSchema
        fields = ["source", "version", *SCHEMA_KEYS, "note"]

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        payload = {
            k: data.get(k)
            for k in (
                "fields",
                "id_field",
                "period",
                "record_key",
                "category_field",
                "amount_field",
                "state_field",
                "detail_fields",
            )
        }
        try:
            check_schema(str(data.get("source") or ""), payload)
        except CatalogError as exc:
            raise forms.ValidationError(str(exc)) from None
        return data


@admin.register(SourceSchema)
class SourceSchemaAdmin(ManagedAdmin[SourceSchema]):
    form = SchemaForm
    list_display = ["source", "version", "note", "created_at"]
    list_filter = ["source__provider"]

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        if obj is not None and Batch.objects.filter(schema=obj).exists():
            return False  # used by a batch: add a new version instead
        return super().has_change_permission(request, obj)


@admin.register(Batch)
class BatchAdmin(ScopedAdmin[Batch], ManagedAdmin[Batch]):
    area_field = "county_code"
    area_label = "县级区划"
    list_display = ["id", "source", "county_code", "status", "rows_loaded", "error_count", "received_at", "loaded_at"]
    list_filter = ["status", "source__provider"]
    readonly_fields = [f.name for f in Batch._meta.fields]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


class PeerForm(forms.ModelForm[Peer]):
    base_url = forms.URLField(label="对端地址", assume_scheme="https")
    key = forms.CharField(
        label="共享密钥", required=False, widget=forms.PasswordInput, help_text="至少32个字符；留空则不修改"
    )
    # wider than the stored 128 digits: the 04-prefixed form and spaces are accepted and normalized
    sm2_public_key = forms.CharField(
        label="对端SM2公钥", required=False, max_length=300, help_text="对端县提供的本系统签名公钥（十六进制）"
    )

    class Meta:
        model = Peer
        fields = ["code", "name", "base_url", "our_code", "sm2_public_key", "active"]

    def clean_key(self) -> str:
        key: str = self.cleaned_data.get("key", "")
        if key and len(key) < 32:
            raise forms.ValidationError("共享密钥至少32个字符")
        return key

    def clean_sm2_public_key(self) -> str:
        text: str = self.cleaned_data.get("sm2_public_key", "")
        if not text.strip():
            return ""
        try:
            return sm2.normalized_public_key(text)
        except sm2.Sm2KeyError:
            raise forms.ValidationError(
                "SM2公钥格式不正确：应为对端 manage.py peer_public_key 输出的十六进制公钥"
            ) from None

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        has_key = bool(data.get("key")) or bool(self.instance.pk and self.instance.key_enc)
        if settings.JIUZHU_CRYPTO_PROFILE == "gm":
            if not data.get("sm2_public_key") and not has_key:
                raise forms.ValidationError("国密配置下请填写对端的SM2公钥（或两地约定的共享密钥）")
        elif not has_key:
            raise forms.ValidationError("请填写共享密钥")
        return data

    def save(self, commit: bool = True) -> Peer:
        peer = super().save(commit=False)
        if self.cleaned_data.get("key"):
            peer.key_enc = seal_key(self.cleaned_data["key"])
        if commit:
            peer.save()
        return peer


@admin.register(Peer)
class PeerAdmin(ManagedAdmin[Peer]):
    form = PeerForm
    list_display = ["code", "name", "base_url", "our_code", "active"]
