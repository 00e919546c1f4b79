"""Masking of personal data for display (ARCHITECTURE.md, rule 7)."""

from __future__ import annotations

import re

from .idnumber import mask_id_number


def mask_phone(value: str) -> str:
    """``138****5678``."""
    if len(value) < 7:
        return "*" * len(value)
    return value[:3] + "*" * (len(value) - 7) + value[-4:]


def mask_bank_account(value: str) -> str:
    """``6222 **** **** 1234`` style: first four and last four digits."""
    if len(value) < 8:
        return "*" * len(value)
    return value[:4] + "*" * (len(value) - 8) + value[-4:]


def mask_name(value: str) -> str:
    """``张*``, ``欧阳**``: keep the first character only."""
    if not value:
        return ""
    return value[0] + "*" * (len(value) - 1)


MASKERS = {
    "id_number": mask_id_number,
    "phone": mask_phone,
    "bank_account": mask_bank_account,
}


# An ID number (17 digits and a digit or X) or an 11-digit mobile number standing alone in
# free text (a URL, a log line), percent-encoded or not; longer digit runs are left alone.
_PII_IN_TEXT = re.compile(r"(?<![0-9])(?:[0-9]{17}[0-9Xx]|1[3-9][0-9]{9})(?![0-9])")


def mask_text(text: str) -> str:
    """Mask every ID number and mobile number in free text (access logs, error logs)."""
    return _PII_IN_TEXT.sub(lambda m: (mask_id_number if len(m.group()) == 18 else mask_phone)(m.group()), text)


def mask_person_name(value: str) -> str:
    """The public rule for a person's name (公示): ``王*``, ``王*兰``, ``欧阳**锋`` — keep the
    first and, from three characters on, the last character."""
    value = value.strip()
    if len(value) <= 1:
        return "*" * len(value)
    if len(value) == 2:
        return value[0] + "*"
    return value[0] + "*" * (len(value) - 2) + value[-1]


def mask_ip(value: str | None) -> str:
    """A source address on a staff page: ``218.56.*.*``; IPv6 keeps its first two groups."""
    value = (value or "").strip()
    if not value:
        return ""
    if ":" in value:
        groups = value.split(":")
        return ":".join(groups[:2]) + ":*:*"
    parts = value.split(".")
    return ".".join(parts[:2] + ["*"] * (len(parts) - 2)) if len(parts) == 4 else "*"
