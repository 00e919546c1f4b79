"""Users, departments and API tokens."""

from __future__ import annotations

import hashlib
import secrets
from typing import ClassVar

from django.contrib.auth.models import AbstractUser, UserManager
from django.db import models
from django.utils import timezone

from jiuzhu.areas.models import Area

from .roles import ROLE_CHOICES, ROLES, Role


class Department(models.Model):  # 部门 (医保局, 教体局, 住建局 …)
    code = models.CharField("部门代码", max_length=32)
    name = models.CharField("部门名称", max_length=64)
    area = models.ForeignKey(Area, verbose_name="所属区划", on_delete=models.PROTECT, related_name="departments")
    contact = models.CharField("联系方式", max_length=100, blank=True, help_text="办公地址和电话")

    class Meta:
        ordering = ["area_id", "code"]
        constraints = [models.UniqueConstraint(fields=["area", "code"], name="department_unique_code")]
        verbose_name = verbose_name_plural = "部门"

    def __str__(self) -> str:
        return self.name


class User(AbstractUser):  # 用户 (工作人员或对接系统)
    full_name = models.CharField("姓名", max_length=32, blank=True)
    area = models.ForeignKey(
        Area,
        verbose_name="所属区划",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="users",
    )
    department = models.ForeignKey(
        Department,
        verbose_name="所属部门",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="users",
    )
    role = models.CharField("角色", max_length=32, choices=ROLE_CHOICES, blank=True)

    objects: ClassVar[UserManager[User]] = UserManager()  # type: ignore[assignment]

    class Meta:
        verbose_name = verbose_name_plural = "用户"

    def __str__(self) -> str:
        return self.full_name or self.username

    @property
    def role_info(self) -> Role | None:
        return ROLES.get(self.role)

    @property
    def display_name(self) -> str:
        return self.full_name or self.username

    def has_perm_code(self, code: str) -> bool:
        """Jiuzhu permission (see ``roles.py``), distinct from Django model permissions."""
        if not self.is_active:
            return False
        role = self.role_info
        return role is not None and code in role.permissions

    @property
    def is_read_only(self) -> bool:
        """监督/只读: may look at everything of the jurisdiction and change nothing."""
        role = self.role_info
        return role is not None and role.read_only and not self.is_superuser

    @property
    def is_department_user(self) -> bool:
        return self.role == "department"


def hash_token(token: str) -> str:
    # Tokens are 256-bit random strings, so a plain SHA-256 is enough (no key stretching).
    return hashlib.sha256(token.encode("ascii", "replace")).hexdigest()


class ApiTokenQuerySet(models.QuerySet["ApiToken"]):
    def usable(self) -> ApiTokenQuerySet:
        now = timezone.now()
        return self.filter(revoked_at__isnull=True).filter(
            models.Q(expires_at__isnull=True) | models.Q(expires_at__gt=now)
        )


class ApiToken(models.Model):  # 接口令牌: for department systems calling the API
    user = models.ForeignKey(User, verbose_name="用户", on_delete=models.CASCADE, related_name="api_tokens")
    name = models.CharField("用途说明", max_length=64, blank=True)
    prefix = models.CharField("令牌前缀", max_length=12, db_index=True)
    token_hash = models.CharField(max_length=64, unique=True)
    created_at = models.DateTimeField("创建时间", default=timezone.now)
    expires_at = models.DateTimeField("过期时间", null=True, blank=True)
    revoked_at = models.DateTimeField("吊销时间", null=True, blank=True)
    last_used_at = models.DateTimeField("最近使用", null=True, blank=True)

    objects = ApiTokenQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at"]
        verbose_name = verbose_name_plural = "接口令牌"

    def __str__(self) -> str:
        return f"{self.prefix}… ({self.user})"

    @staticmethod
    def generate() -> str:
        return "jz_" + secrets.token_urlsafe(32)

    @property
    def status(self) -> str:
        if self.revoked_at:
            return "已吊销"
        if self.expires_at and self.expires_at <= timezone.now():
            return "已过期"
        return "有效"
