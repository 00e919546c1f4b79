from django.contrib import admin

from jiuzhu.core.admin_scope import ScopedAdmin

from .models import Area


@admin.register(Area)
class AreaAdmin(ScopedAdmin[Area]):
    area_field = "code"
    area_label = "区划代码"
    list_display = ["code", "name", "level", "urban_rural", "is_demo"]
    list_filter = ["level", "urban_rural", "is_demo"]
    search_fields = ["code", "name"]
    raw_id_fields = ["parent"]
