"""What the town's 受理 makes of the online signatures (issue 18 item 2, INT-22): inside the
受理 transaction, after the declared changes are adopted or declined (``declare.adopt``),

- a member declared new who signed from the number declared with him signs as himself once
  the clerk adopts him (his signing row is linked to the person the registry created);
- if the clerk does not adopt him, his signature is void: he is not a member of the family;
- a member whose removal (迁出) the clerk adopts is no longer a member: his signature no longer
  counts either.

A void signature keeps its record (who, when, which number) with the time and the reason, is
audited, and is shown on the staff case page as 已作废; it never becomes a 授权书."""

from __future__ import annotations

from dataclasses import dataclass

from django.utils import timezone

from jiuzhu.accounts.models import User
from jiuzhu.audit.log import record

from .models import OnlineApplication, OnlineSignature

NOT_ADOPTED = "新增成员的申报未被采纳，其签署不计入"
REMOVED = "成员迁出已采纳（{reason}），其签署不再计入"


@dataclass(frozen=True)
class Counted:
    """A signature that counts at 受理: the signer's person id and his signing row."""

    person_id: int
    signature: OnlineSignature


def void(sig: OnlineSignature, *, by: User, reason: str) -> None:
    """签署作废: the row stays, with when and why; audited with the number masked."""
    now = timezone.now()
    OnlineSignature.objects.filter(pk=sig.pk).update(voided_at=now, void_reason=reason[:100])
    sig.voided_at, sig.void_reason = now, reason[:100]
    record(
        by,
        "portal.signature_void",
        sig.application,
        changes={"member": sig.member_name, "phone": sig.phone_masked, "reason": reason},
    )


def signatures_after_adoption(app: OnlineApplication, *, by: User) -> list[Counted]:
    """The signed, not void signatures that count for the household as adopted; voids the rest."""
    removed: dict[int, str] = {}
    for c in app.changes.filter(kind="remove_member", state="adopted"):
        if c.person_id is not None:
            removed[c.person_id] = c.text
    counted: list[Counted] = []
    rows = app.signatures.select_related("person", "change").filter(signed_at__isnull=False, voided_at__isnull=True)
    for sig in rows:
        change = sig.change
        if change is not None:
            if change.state != "adopted" or change.person_id is None:
                void(sig, by=by, reason=NOT_ADOPTED)
                continue
            OnlineSignature.objects.filter(pk=sig.pk).update(person_id=change.person_id)
            sig.person_id = change.person_id
        elif sig.person_id is not None and sig.person_id in removed:
            void(sig, by=by, reason=REMOVED.format(reason=removed[sig.person_id]))
            continue
        if sig.person_id is not None:  # always: a row has a person or a change
            counted.append(Counted(sig.person_id, sig))
    return counted
