"""The workflow table of a complaint (投诉举报办理流程): which step each state allows and the
permission it needs. Pages show the buttons this table allows; actions check it."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Step:
    name: str
    label: str
    from_states: tuple[str, ...]
    permissions: tuple[str, ...]  # any of them (town and county staff; a department it was routed to)


STEPS: dict[str, Step] = {
    s.name: s
    for s in [
        Step("assign", "转办", ("received", "assigned"), ("registry.edit",)),  # 转办 to a town or department
        Step("note", "办理记录", ("received", "assigned", "replied"), ("registry.edit", "referrals.handle")),
        Step("reply", "答复投诉人", ("received", "assigned"), ("registry.edit", "referrals.handle")),
        Step("close", "办结", ("replied",), ("registry.edit", "referrals.handle")),
        Step("open_review", "启动复核", ("received", "assigned", "replied"), ("payments.review",)),
    ]
}


def allowed(status: str) -> list[Step]:
    return [s for s in STEPS.values() if status in s.from_states]
