"""应急期 (issue 17 item 6; WF-12, LNK-9, PRG-12): the county switches a town or the whole county
into an emergency period for an event; the 应急 victims list is handed over (LNK-9) and matched
to registry households by ID (blind index); a job pays 24-hour 先行救助 to every listed household
of the requester's jurisdiction from the town's 备用金, through the ordinary 急难型临时救助 path
(intake → ``advance_pay``, 补办登记 within the county's working days); 过渡期生活救助 is paid
month by month for the county's number of months through the ordinary roster and bank file;
the period ends with a report.

Amounts and months are dated settings (``emergency.*`` in ``rules/parameters/procedure.yaml``),
read when the period is declared and kept on it with their sources.

Rooms: ``_common`` (kinds, checks), ``period`` (declare, end), ``victims`` (the list),
``relief`` (the batch 先行救助 job), ``transition`` (过渡期生活救助), ``report``.
"""

from ._common import CASE_EVENT, KINDS, LIST_COLUMNS, REGISTRATION, SETTINGS
from .period import declare_emergency, end_emergency
from .relief import (
    pay_advance_relief,
    recover_reliefs,
    request_relief,
    retry_relief,
    run_relief,
)
from .report import REPORT_HEADERS, report, report_notes, report_rows
from .transition import pay_transition_month
from .victims import ImportResult, import_victims

__all__ = [
    "CASE_EVENT",
    "KINDS",
    "LIST_COLUMNS",
    "REGISTRATION",
    "REPORT_HEADERS",
    "SETTINGS",
    "ImportResult",
    "declare_emergency",
    "end_emergency",
    "import_victims",
    "pay_advance_relief",
    "pay_transition_month",
    "recover_reliefs",
    "report",
    "report_notes",
    "report_rows",
    "request_relief",
    "retry_relief",
    "run_relief",
]
