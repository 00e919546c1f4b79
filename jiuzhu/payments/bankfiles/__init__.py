"""Bank files (社会化发放): the transfer file in a bank's own column layout, and the bank's
result file (回盘) read back into (reference, account, amount, success, message) rows."""

from .layout import (
    ALIGNS,
    AMOUNT_FIELDS,
    DEFAULT_LAYOUTS,
    FIELDS,
    PADS,
    PLACEHOLDERS,
    RESULT_KEY_LABELS,
    RESULT_TEXT_KEYS,
    TEXT_FIELDS,
    check_file_name,
    check_template,
    install_standard_layouts,
    layouts_of,
    validate_layout,
)
from .results import ResultRow, parse_results
from .write import context_for, file_name, render, render_results, yuan

__all__ = [
    "ALIGNS",
    "AMOUNT_FIELDS",
    "DEFAULT_LAYOUTS",
    "FIELDS",
    "PADS",
    "PLACEHOLDERS",
    "RESULT_KEY_LABELS",
    "RESULT_TEXT_KEYS",
    "TEXT_FIELDS",
    "ResultRow",
    "check_file_name",
    "check_template",
    "context_for",
    "file_name",
    "install_standard_layouts",
    "layouts_of",
    "parse_results",
    "render",
    "render_results",
    "validate_layout",
    "yuan",
]
