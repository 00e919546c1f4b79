from typing import Any

from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin
from django.contrib.auth.forms import AdminUserCreationForm, SetUnusablePasswordMixin
from django.http import HttpRequest

from jiuzhu.core.admin_scope import ScopedAdmin

from .models import ApiToken, Department, User

# Who may grant what: only a superuser sees and changes superuser status, groups and model
# permissions (a county administrator cannot widen their own or anyone's powers beyond a role).
GRANTS = ("is_superuser", "groups", "user_permissions")
POST: Any = ("岗位", {"fields": ["full_name", "role", "area", "department"]})


class UserCreationForm(AdminUserCreationForm):
    # Django 5.2's Chinese catalogue lacks this help text (it names SSO and LDAP in English).
    usable_password = SetUnusablePasswordMixin.create_usable_password_field(
        "是否允许该用户使用密码登录。选择“禁用”时，该用户只能通过其他认证方式登录。"
    )


@admin.register(User)
class UserAdmin(ScopedAdmin[User], BaseUserAdmin[User]):
    add_form = UserCreationForm
    list_display = ["username", "full_name", "role", "area", "department", "is_active"]
    list_filter = ["role", "is_active"]
    fieldsets = [*(BaseUserAdmin.fieldsets or ()), POST]
    add_fieldsets = [*(BaseUserAdmin.add_fieldsets or ()), POST]  # a new account is in an area at once
    raw_id_fields = ["area"]

    def get_fieldsets(self, request: HttpRequest, obj: Any = None) -> Any:
        fieldsets = super().get_fieldsets(request, obj)
        if request.user.is_superuser:
            return fieldsets
        return [
            (name, {**options, "fields": [f for f in options["fields"] if f not in GRANTS]})
            for name, options in fieldsets
        ]


@admin.register(Department)
class DepartmentAdmin(ScopedAdmin[Department]):
    list_display = ["code", "name", "area"]


@admin.register(ApiToken)
class ApiTokenAdmin(ScopedAdmin[ApiToken]):
    area_field = "user__area__code"
    area_label = "令牌所属用户的区划"
    list_display = ["prefix", "user", "name", "created_at", "expires_at", "revoked_at", "last_used_at"]
    readonly_fields = ["prefix", "hash_shown", "created_at", "last_used_at"]
    exclude = ["token_hash"]

    @admin.display(description="令牌散列值")
    def hash_shown(self, obj: ApiToken) -> str:
        return obj.token_hash
