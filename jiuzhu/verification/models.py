"""家庭经济状况核对: authorizations and verification requests.

先授权、后核对；无委托、不核对；只核对、不认定. An adult member's signed 授权书 is the only
key to department data about the household; a request is answered by a 核对报告.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.db import models
from django.utils import timezone

from jiuzhu.registry.models import AreaScopedQuerySet

METHOD_CHOICES = [("pad", "电子签名"), ("scan", "纸质签字扫描件")]


class AuthorizationQuerySet(AreaScopedQuerySet):
    def valid(self) -> AuthorizationQuerySet:
        return self.filter(revoked_at__isnull=True)


class Authorization(models.Model):  # 家庭经济状况核对授权书 (one per adult member)
    person = models.ForeignKey("registry.Person", on_delete=models.PROTECT, related_name="authorizations")
    household = models.ForeignKey("registry.Household", on_delete=models.PROTECT, related_name="authorizations")
    application = models.ForeignKey(
        "applications.Application", null=True, blank=True, on_delete=models.PROTECT, related_name="authorizations"
    )
    area_code = models.CharField(max_length=12, db_index=True)
    method = models.CharField("签署方式", max_length=8, choices=METHOD_CHOICES)
    document = models.ForeignKey("registry.Document", on_delete=models.PROTECT, related_name="+")
    signed_at = models.DateTimeField("签署时间", default=timezone.now)
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.PROTECT, related_name="+")
    revoked_at = models.DateTimeField("撤销时间", null=True, blank=True)

    objects = AuthorizationQuerySet.as_manager()

    class Meta:
        ordering = ["-signed_at", "-id"]
        verbose_name = verbose_name_plural = "核对授权书"

    def __str__(self) -> str:
        return f"{self.person} 授权书 {self.signed_at:%Y-%m-%d}"


REQUEST_STATUS = [("pending", "待核对"), ("done", "已出具报告"), ("refused", "不予核对")]


class VerificationRequestQuerySet(AreaScopedQuerySet):
    def visible_to(self, user: Any) -> Any:
        # The county verification centre sees the requests of its county.
        return super().visible_to(user)


class VerificationRequest(models.Model):  # 核对申请 (委托核对)
    application = models.ForeignKey(
        "applications.Application",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="verification_requests",
    )
    household = models.ForeignKey("registry.Household", on_delete=models.PROTECT, related_name="verification_requests")
    program = models.CharField("核对项目", max_length=32)
    area_code = models.CharField(max_length=12, db_index=True)
    county_code = models.CharField(max_length=6, db_index=True)
    status = models.CharField("状态", max_length=12, choices=REQUEST_STATUS, default="pending")
    requested_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.PROTECT, related_name="+")
    requested_at = models.DateTimeField("委托时间", default=timezone.now)
    completed_at = models.DateTimeField("完成时间", null=True, blank=True)
    refusal_code = models.CharField(max_length=32, blank=True)
    refusal_message = models.CharField(max_length=200, blank=True)

    objects = VerificationRequestQuerySet.as_manager()

    class Meta:
        ordering = ["-requested_at", "-id"]
        verbose_name = verbose_name_plural = "核对申请"

    def __str__(self) -> str:
        return f"核对申请#{self.pk} {self.program}"
