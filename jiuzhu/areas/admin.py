from django.contrib import admin

from .models import Area


@admin.register(Area)
class AreaAdmin(admin.ModelAdmin[Area]):
    list_display = ["code", "name", "level", "urban_rural", "is_demo"]
    list_filter = ["level", "urban_rural", "is_demo"]
    search_fields = ["code", "name"]
    raw_id_fields = ["parent"]
