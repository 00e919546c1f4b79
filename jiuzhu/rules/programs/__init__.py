"""The programs (救助项目). Importing this package registers them in ``PROGRAMS``.

Codes are fixed by the API contract: ``dibao``, ``tekun``, ``dibao_edge``,
``rigid_expense``, ``temporary``.
"""

from . import dibao, dibao_edge, rigid_expense, tekun, temporary

__all__ = ["dibao", "dibao_edge", "rigid_expense", "tekun", "temporary"]
