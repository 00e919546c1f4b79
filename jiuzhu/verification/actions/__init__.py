"""State changes of verification (家庭经济状况核对), one module per concern: ``permissions``, ``reports``
(授权书, 核对申请, 一键核对), ``batches`` (department data), ``uploads`` (分段上传), ``reverification``
(批量复核 and findings). ``from jiuzhu.verification import actions`` gives every action."""

from __future__ import annotations

from .batches import STALE_AFTER_SECONDS, receive_batch, rerun_batch
from .permissions import can, may_upload, require_perm
from .reports import (
    ADULT_AGE,
    adults_without_authorization,
    check_authorized,
    log_report_read,
    refuse_request,
    request_verification,
    run_verification,
)
from .reverification import handle_finding, recover_reverification_runs, retry_reverification, start_reverification
from .uploads import MAX_PART_BYTES, append_part, complete_upload, start_upload, upload_part_path

__all__ = [
    "ADULT_AGE",
    "MAX_PART_BYTES",
    "STALE_AFTER_SECONDS",
    "adults_without_authorization",
    "append_part",
    "can",
    "check_authorized",
    "complete_upload",
    "handle_finding",
    "log_report_read",
    "may_upload",
    "receive_batch",
    "recover_reverification_runs",
    "refuse_request",
    "request_verification",
    "require_perm",
    "rerun_batch",
    "retry_reverification",
    "run_verification",
    "start_reverification",
    "start_upload",
    "upload_part_path",
]
