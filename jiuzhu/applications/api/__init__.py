"""Applications API (救助申请) at /api/v1/applications/ and 办理流程 at /api/v1/workflow/, one
module per concern: ``cases`` (intake, the case, its actions, notice jobs, supplements,
一事一议, the dossier), ``schemas`` (what a case answers), ``workflow`` (the county's workflow
table and its changes). Importing the rooms registers their endpoints on the routers; the
OpenAPI operationIds keep naming ``jiuzhu.applications.api`` (see ``jiuzhu/api.py``)."""

from . import cases  # noqa: F401  (registers the endpoints)
from ._common import router
from .schemas import application_out
from .workflow import workflow_router

__all__ = ["application_out", "router", "workflow_router"]
