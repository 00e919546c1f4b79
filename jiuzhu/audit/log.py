"""``record()``: write one audit row in the caller's transaction."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from typing import Any

from django.conf import settings
from django.db import models, transaction
from django.utils import timezone

from jiuzhu.accounts.permissions import READ_ONLY_MESSAGE, READ_VERBS, is_read_only
from jiuzhu.core.errors import Forbidden
from jiuzhu.core.masking import MASKERS

from .models import AuditChainHead, AuditEntry
from .request_context import current_ip

SYSTEM_CHAIN = "000000"


def _jsonable(value: Any) -> Any:
    if isinstance(value, dict):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple | set):
        return [_jsonable(v) for v in value]
    if isinstance(value, dt.datetime | dt.date):
        return value.isoformat()
    if isinstance(value, models.Model):
        return str(value.pk)
    if value is None or isinstance(value, str | int | float | bool):
        return value
    return str(value)


def mask_changes(changes: dict[str, Any]) -> dict[str, Any]:
    """Mask PII values (ID number, phone, bank account) wherever they appear by key."""
    out: dict[str, Any] = {}
    for key, value in changes.items():
        base = key.split(".")[-1]
        if base in MASKERS and isinstance(value, str):
            out[key] = MASKERS[base](value)
        elif base in MASKERS and isinstance(value, list | tuple) and len(value) == 2:
            out[key] = [MASKERS[base](v) if isinstance(v, str) else v for v in value]
        elif isinstance(value, dict):
            out[key] = mask_changes(value)
        elif isinstance(value, list):
            out[key] = [mask_changes(v) if isinstance(v, dict) else v for v in value]
        else:
            out[key] = value
    return out


def record(
    actor: Any,
    action: str,
    obj: models.Model | None = None,
    *,
    area_code: str = "",
    changes: dict[str, Any] | None = None,
    object_type: str = "",
    object_id: str = "",
) -> AuditEntry:
    """Append an audit row; must run inside the transaction of the change it records.

    ``area_code`` (12 digits) decides the chain (its county) and who may read the row;
    when omitted it is taken from ``obj.area_code`` or the actor's area.
    """
    if not transaction.get_connection().in_atomic_block:
        raise RuntimeError("audit.record() must be called inside transaction.atomic()")
    if is_read_only(actor) and action.rsplit(".", 1)[-1] not in READ_VERBS:
        # The backstop of read-only (issue 14 item 10): whatever path a write took, it is not audited, so it fails.
        raise Forbidden("read_only", READ_ONLY_MESSAGE)
    if obj is not None:
        object_type = object_type or obj._meta.label_lower
        object_id = object_id or str(obj.pk)
        area_code = area_code or getattr(obj, "area_code", "") or ""
    actor_area = getattr(getattr(actor, "area", None), "code", "")
    area_code = area_code or actor_area or ""
    chain = area_code[:6] if area_code else SYSTEM_CHAIN

    # The head row is created once per chain; the lock on it serializes appends so the
    # chain never forks (PostgreSQL: row lock; SQLite: IMMEDIATE transactions).
    head = AuditChainHead.objects.select_for_update().filter(chain=chain).first()
    if head is None:  # a chain's first entry (before, a get_or_create on every entry)
        AuditChainHead.objects.get_or_create(chain=chain)
        head = AuditChainHead.objects.select_for_update().get(chain=chain)
    entry = AuditEntry(
        chain=chain,
        seq=head.last_seq + 1,
        at=timezone.now(),
        actor=actor if getattr(actor, "pk", None) else None,
        actor_name=str(getattr(actor, "display_name", "") or getattr(actor, "username", "") or "系统"),
        action=action,
        object_type=object_type,
        object_id=object_id,
        area_code=area_code,
        changes=_jsonable(mask_changes(changes or {})),
        ip=current_ip(),
        prev_hash=head.last_hash,
    )
    entry.hash = entry.compute_hash()
    entry.save()
    AuditChainHead.objects.filter(chain=chain).update(last_seq=entry.seq, last_hash=entry.hash)
    return entry


# ---- anchors: chain heads written outside the database --------------------------------------


def _anchor_mac(chain: str, seq: int, hash_: str, at: str, *, other_profile: bool = False) -> str:
    from jiuzhu.core.keyring import cipher

    data = f"anchor|{chain}|{seq}|{hash_}|{at}".encode()
    return cipher().chain_mac_of_other_profile(data) if other_profile else cipher().chain_mac(data)


def anchor_path() -> Path:
    return Path(settings.AUDIT_ANCHOR_FILE)


def write_anchors(path: Path | None = None) -> list[dict[str, Any]]:
    """Append the head of every chain (keyed) to the anchor file; return what was written.

    Run periodically (deploy/jiuzhu-anchor.timer); the file belongs on other storage than
    the database (another host, write-once media), so a deleted tail or a chain rebuilt
    from scratch no longer matches the last anchor."""
    path = path or anchor_path()
    at = timezone.now().isoformat(timespec="seconds")
    lines = []
    for chain, seq, hash_ in AuditChainHead.objects.order_by("chain").values_list("chain", "last_seq", "last_hash"):
        if seq:
            lines.append(
                {"chain": chain, "seq": seq, "hash": hash_, "at": at, "mac": _anchor_mac(chain, seq, hash_, at)}
            )
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "a", encoding="utf-8") as out:
        for line in lines:
            out.write(json.dumps(line, ensure_ascii=False) + "\n")
    return lines


class AnchorError(Exception):
    pass


def read_anchors(path: Path | None = None) -> dict[str, dict[int, str]]:
    """``{chain: {seq: hash}}`` from the anchor file (empty when there is none yet)."""
    path = path or anchor_path()
    anchors: dict[str, dict[int, str]] = {}
    if not path.exists():
        return anchors
    for number, text in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        if not text.strip():
            continue
        try:
            a = json.loads(text)
            parts = (a["chain"], int(a["seq"]), a["hash"], a["at"])
            valid = a["mac"] in (_anchor_mac(*parts), _anchor_mac(*parts, other_profile=True))
        except (ValueError, KeyError, TypeError):
            valid = False
        if not valid:
            raise AnchorError(f"锚点文件第 {number} 行校验失败（锚点被篡改或密钥不符）")
        anchors.setdefault(a["chain"], {})[int(a["seq"])] = a["hash"]
    return anchors


def verify_chain(
    chain: str | None = None, anchors: Path | None = None, *, with_anchors: bool = True
) -> tuple[int, AuditEntry | None, str]:
    """Walk the chain(s) and compare them with the anchors; return (rows checked, first bad
    row or None, reason). ``with_anchors=False`` after a restore, whose tail is lost on purpose."""
    checked = 0
    try:
        anchored = read_anchors(anchors) if with_anchors else {}
    except AnchorError as exc:
        return 0, None, str(exc)
    names = set(AuditEntry.objects.order_by().values_list("chain", flat=True).distinct())
    chains = [chain] if chain else sorted(names | set(anchored))
    for name in chains:
        expected = anchored.get(name, {})
        prev_hash = "0" * 64
        expected_seq = 1
        for entry in AuditEntry.objects.filter(chain=name).order_by("seq").iterator(chunk_size=2000):
            checked += 1
            if entry.seq != expected_seq:
                return checked, entry, f"序号不连续：应为 {expected_seq}，实为 {entry.seq}（可能有记录被删除）"
            if entry.prev_hash != prev_hash:
                return checked, entry, "前序哈希与上一条记录不符（上一条记录被修改或删除）"
            if entry.hash not in (entry.compute_hash(), entry.compute_hash(other_profile=True)):
                return checked, entry, "记录内容与其哈希不符（该记录被篡改，或整条链被重新计算）"
            if expected.get(entry.seq, entry.hash) != entry.hash:
                return checked, entry, "记录与链外锚点不符（整条链被重新计算）"
            prev_hash = entry.hash
            expected_seq += 1
        last = expected_seq - 1
        head = AuditChainHead.objects.filter(chain=name).first()
        if head and head.last_seq != last:
            return checked, None, f"链 {name} 末尾记录缺失：链头序号 {head.last_seq}，实际 {last}"
        if expected and max(expected) > last:
            return checked, None, f"链 {name} 末尾记录缺失：链外锚点已记录到第 {max(expected)} 条，实际只有 {last} 条"
    return checked, None, ""


def record_job_death(job: Any) -> AuditEntry:
    """A long job found with its worker dead and marked failed (issue 19 item 3)."""
    from jiuzhu.accounts.system import SystemActor

    return record(
        SystemActor("系统（任务恢复）"),
        f"{job._meta.app_label}.job.dead",
        job,
        area_code=getattr(job, "area_code", ""),
        changes={"job": str(job._meta.verbose_name), "worker": job.worker, "status": job.status},
    )
