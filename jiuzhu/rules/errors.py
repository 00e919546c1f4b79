"""The one exception the rules engine raises for bad input (规则引擎输入错误)."""

from __future__ import annotations


class RulesInputError(ValueError):
    """Input the engine cannot evaluate: unknown program or area, a date before any
    parameter, a negative income, an impossible age, a missing fact, a bad override.

    ``code`` is a stable machine code (``unknown_program``, ``unknown_area``,
    ``invalid_area``, ``date_out_of_range``, ``missing_field``, ``invalid_type``,
    ``invalid_value``, ``out_of_range``, ``negative_value``, ``unknown_field``,
    ``unknown_parameter``, ``invalid_parameter``); ``field`` is a path into the input
    such as ``members[0].age`` or ``households[12].members[1].incomes.wage``;
    ``message`` is Simplified Chinese, fit to show to a case worker or applicant.
    The Django API turns it into a 422 response.
    """

    def __init__(self, code: str, field: str, message: str) -> None:
        super().__init__(f"{code} ({field}): {message}")
        self.code = code
        self.field = field
        self.message = message

    def as_dict(self) -> dict[str, str]:
        return {"code": self.code, "field": self.field, "message": self.message}
