"""The audit log (操作日志): append-only and hash-chained (SUP-9, 环环有痕迹、步步能倒查).

One chain per county (``chain`` = 6-digit county code, ``000000`` for system-wide events),
so counties of a province deployment never wait on each other. Each row stores the hash of
the previous row of its chain and its own hash over its content; editing or deleting any
row breaks the chain, which ``manage.py verify_audit_chain`` detects. The hash is an
HMAC keyed from the master key (kept apart from the database), so someone with database
access only cannot recompute a consistent chain; anchors of the chain heads written outside
the database (``manage.py anchor_audit_chain``) reveal a deleted tail.
"""

from __future__ import annotations

import json
from typing import Any

from django.conf import settings
from django.db import models
from django.utils import timezone


class AppendOnlyError(Exception):
    pass


class AuditChainHead(models.Model):
    """Last sequence number and hash of one chain; locked to append (serializes writers)."""

    chain = models.CharField(max_length=6, primary_key=True)
    last_seq = models.BigIntegerField(default=0)
    last_hash = models.CharField(max_length=64, default="0" * 64)

    def __str__(self) -> str:
        return f"{self.chain}#{self.last_seq}"


class AuditEntryQuerySet(models.QuerySet["AuditEntry"]):
    def visible_to(self, user: Any) -> AuditEntryQuerySet:
        if user.is_superuser:
            return self.all()
        if not user.has_perm_code("audit.view") or user.area is None:
            return self.none()
        return self.filter(chain=user.area.county_code, area_code__startswith=user.area.prefix)

    def for_object(self, obj: models.Model) -> AuditEntryQuerySet:
        return self.filter(object_type=obj._meta.label_lower, object_id=str(obj.pk))


class AuditEntry(models.Model):  # 审计日志
    chain = models.CharField("链", max_length=6)
    seq = models.BigIntegerField("序号")
    at = models.DateTimeField("时间")
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name="操作人",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        db_constraint=False,
    )
    actor_name = models.CharField("操作人姓名", max_length=64, blank=True)
    action = models.CharField("操作", max_length=64, db_index=True)
    object_type = models.CharField("对象类型", max_length=64, blank=True)
    object_id = models.CharField("对象编号", max_length=64, blank=True)
    # Area of the object (12-digit), so a town's officials see its own trail only.
    area_code = models.CharField("区划", max_length=12, blank=True)
    changes = models.JSONField("变更内容", default=dict, blank=True)
    ip = models.GenericIPAddressField("IP地址", null=True, blank=True)
    prev_hash = models.CharField(max_length=64)
    hash = models.CharField(max_length=64)

    objects = AuditEntryQuerySet.as_manager()

    class Meta:
        ordering = ["chain", "seq"]
        constraints = [models.UniqueConstraint(fields=["chain", "seq"], name="audit_chain_seq_unique")]
        indexes = [models.Index(fields=["object_type", "object_id"], name="audit_object_idx")]
        verbose_name = verbose_name_plural = "审计日志"

    def __str__(self) -> str:
        return f"{self.chain}#{self.seq} {self.action}"

    def save(self, *args: Any, **kwargs: Any) -> None:
        if self.pk is not None or not self._state.adding:
            raise AppendOnlyError("audit entries are append-only")
        super().save(*args, **kwargs)

    def delete(self, *args: Any, **kwargs: Any) -> Any:
        raise AppendOnlyError("audit entries are append-only")

    def content(self) -> dict[str, Any]:
        return {
            "chain": self.chain,
            "seq": self.seq,
            "at": self.at.isoformat(timespec="microseconds"),
            "actor": self.actor_id,
            "actor_name": self.actor_name,
            "action": self.action,
            "object_type": self.object_type,
            "object_id": self.object_id,
            "area_code": self.area_code,
            "changes": self.changes,
            "ip": self.ip,
            "prev_hash": self.prev_hash,
        }

    def compute_hash(self, *, other_profile: bool = False) -> str:
        """The row's keyed hash under the deployment's crypto profile (or, to verify rows
        written before a profile switch, under the other one)."""
        from jiuzhu.core.keyring import cipher

        canonical = json.dumps(self.content(), ensure_ascii=False, sort_keys=True, separators=(",", ":")).encode()
        return cipher().chain_mac_of_other_profile(canonical) if other_profile else cipher().chain_mac(canonical)


class SignedDocument(models.Model):  # 电子文书存证: what the public verification page answers
    """One signed PDF (a notice, a 核对报告, minutes): its short verification code (printed with
    a QR code on the document), what it is, who issued it, and the SHA-256 fingerprint of the
    signed file. No personal data: the public page shows only these fields."""

    code = models.CharField("验证码", max_length=16, unique=True)
    kind = models.CharField("文书类型", max_length=40)
    number = models.CharField("文书编号", max_length=64)
    title = models.CharField("文书名称", max_length=100)
    issuer = models.CharField("出具机关", max_length=100)
    area_code = models.CharField(max_length=12, blank=True)
    object_type = models.CharField(max_length=64, blank=True)
    object_id = models.CharField(max_length=32, blank=True)
    sha256 = models.CharField("数字指纹（SHA-256）", max_length=64)
    # 国密 profile: the SM3 fingerprint of the signed file and the county's SM2 signature
    # over it (r ‖ s, hex); empty for a document issued under the standard profile.
    sm3 = models.CharField("数字指纹（SM3）", max_length=64, blank=True)
    sm2_signature = models.CharField("SM2签名", max_length=128, blank=True)
    issued_at = models.DateTimeField("出具时间", default=timezone.now)
    revoked_at = models.DateTimeField("作废时间", null=True, blank=True)
    revoked_reason = models.CharField("作废原因", max_length=200, blank=True)

    class Meta:
        ordering = ["-issued_at", "-id"]
        verbose_name = verbose_name_plural = "电子文书存证"
        indexes = [models.Index(fields=["object_type", "object_id"], name="signed_document_object_idx")]

    def __str__(self) -> str:
        return f"{self.title} {self.number}"

    @property
    def valid(self) -> bool:
        return self.revoked_at is None
