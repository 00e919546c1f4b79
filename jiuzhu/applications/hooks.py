"""What the applications app tells the lower apps (called from ``ApplicationsConfig.ready``):
its open deadlines (holidays), the names of its codes and workflow steps (audit) and its
approved cases (verification)."""

from __future__ import annotations

from collections.abc import Collection
from typing import Any

from django.db import models

from jiuzhu.audit.changes import register_reference, register_value_labels
from jiuzhu.audit.labels import register_action_labels
from jiuzhu.holidays import deadlines
from jiuzhu.programs import impact as settings_impact
from jiuzhu.verification import cases as verification_cases
from jiuzhu.verification.cases import Assistance

from . import impact
from .models import CHANNEL_CHOICES, PROGRAM_CHOICES, STATE_CHOICES, TEMPORARY_KIND_CHOICES, Application, CaseDeadline
from .workflow import TRANSITIONS


def open_deadlines() -> list[tuple[models.QuerySet[Any], str]]:
    return [
        (CaseDeadline.objects.open().filter(hours__isnull=True), "due_on"),
        (Application.objects.open(), "due_on"),
    ]


WORKFLOW_CHANGE_LABELS = {
    "workflow.propose": "提出办理流程调整",
    "workflow.confirm": "确认办理流程调整",
    "workflow.reject": "退回办理流程调整",
}


def step_label(name: str) -> str | None:
    """A workflow step's label from the table (``applications.approve`` → 审批（确认）)."""
    if name in WORKFLOW_CHANGE_LABELS:
        return WORKFLOW_CHANGE_LABELS[name]
    for t in TRANSITIONS:
        if t.name == name:
            return t.label
    return None


class ApprovedCases:
    def approved(self, household_id: int) -> list[Assistance]:
        return [
            Assistance(
                program=app.program,
                program_name=app.get_program_display(),
                since=app.decided_at.date() if app.decided_at else None,
            )
            for app in Application.objects.filter(household_id=household_id, state="approved").order_by("id")
        ]

    def households_with_approved(self, household_ids: Collection[int], programs: Collection[str]) -> set[int]:
        return set(
            Application.objects.filter(state="approved", program__in=programs, household_id__in=household_ids)
            .values_list("household_id", flat=True)
            .distinct()
        )


def application_numbers(ids: set[int]) -> dict[int, str]:
    """申请：13 on the trail reads 申请：SQ370405-2026-000013."""
    return dict(Application.objects.filter(pk__in=ids).values_list("pk", "number"))


def connect() -> None:
    register_reference(application_numbers, "application")
    deadlines.register(open_deadlines)
    settings_impact.register(impact.impact)
    register_value_labels(40, TEMPORARY_KIND_CHOICES, CHANNEL_CHOICES, PROGRAM_CHOICES, STATE_CHOICES)
    register_action_labels("applications", step_label)
    verification_cases.register(ApprovedCases())
