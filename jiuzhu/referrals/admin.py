from django.contrib import admin

from .models import ReferralPolicy


@admin.register(ReferralPolicy)
class ReferralPolicyAdmin(admin.ModelAdmin[ReferralPolicy]):
    """派单配置: the county administrator sets each program's time limit or switches it off."""

    list_display = ["county_code", "program", "days", "enabled"]
    list_filter = ["enabled", "county_code"]
    autocomplete_fields = ["program"]
