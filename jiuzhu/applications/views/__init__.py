"""Pages of cases (救助申请), one module per concern: ``cases`` (list, case, actions, overdue board,
dossier, notice retry), ``intake`` (一门受理 and 补充授权/补正材料), ``procedure`` (入户调查,
一事一议) and ``workflow`` (办理流程). ``urls.py`` reads the views from here."""

from .cases import (
    application_action,
    application_detail,
    application_list,
    dossier_view,
    notice_job_retry,
    overdue_view,
)
from .intake import intake_view, supplement_view
from .procedure import investigation_view, special_deliberation_view
from .workflow import workflow_change_view, workflow_decide_view, workflow_view

__all__ = [
    "application_action",
    "application_detail",
    "application_list",
    "dossier_view",
    "intake_view",
    "investigation_view",
    "notice_job_retry",
    "overdue_view",
    "special_deliberation_view",
    "supplement_view",
    "workflow_change_view",
    "workflow_decide_view",
    "workflow_view",
]
