from django.contrib import admin

from .models import AssistanceProgram


@admin.register(AssistanceProgram)
class AssistanceProgramAdmin(admin.ModelAdmin[AssistanceProgram]):
    list_display = ["code", "name", "layer", "department_name", "approval_level", "referral", "is_active"]
    list_filter = ["layer", "approval_level", "referral", "is_active"]
    search_fields = ["code", "name"]
