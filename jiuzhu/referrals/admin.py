from typing import Any

from django.contrib import admin
from django.http import HttpRequest

from jiuzhu.core.admin_scope import ScopedAdmin

from .models import ReferralPolicy


@admin.register(ReferralPolicy)
class ReferralPolicyAdmin(ScopedAdmin[ReferralPolicy]):
    """派单配置: the county administrator sets each program's time limit or switches it off."""

    area_field = "county_code"
    area_label = "县级区划"
    list_display = ["county_code", "program_shown", "days", "enabled"]
    list_filter = ["enabled", "county_code"]
    autocomplete_fields = ["program"]

    @admin.display(description="救助项目", ordering="program__name")
    def program_shown(self, obj: ReferralPolicy) -> str:
        return str(obj.program)

    def formfield_for_foreignkey(self, db_field: Any, request: HttpRequest, **kwargs: Any) -> Any:
        if db_field.name == "program":
            kwargs["label"] = "救助项目"
        return super().formfield_for_foreignkey(db_field, request, **kwargs)
