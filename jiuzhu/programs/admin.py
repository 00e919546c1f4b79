from django.contrib import admin

from jiuzhu.core.admin_scope import NationalAdmin

from .models import AssistanceProgram


@admin.register(AssistanceProgram)
class AssistanceProgramAdmin(NationalAdmin[AssistanceProgram]):
    """救助项目库: shared by every county; a county chooses its programs on its own page."""

    list_display = ["code", "name", "layer", "department_name", "approval_level", "referral", "is_active"]
    list_filter = ["layer", "approval_level", "referral", "is_active"]
    search_fields = ["code", "name"]
