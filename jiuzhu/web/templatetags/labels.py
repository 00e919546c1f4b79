"""Template filters over ``jiuzhu.web.labels``: codes never reach a staff page (issue 14 item 9)."""

from __future__ import annotations

from typing import Any

from django import template

from jiuzhu.web import labels

register = template.Library()


@register.filter
def department_label(code: str | None) -> str:
    """``yibao`` → ``医疗保障局``."""
    return labels.department_label(code)


@register.filter
def program_label(code: str | None) -> str:
    """``dibao`` → ``最低生活保障``."""
    return labels.program_label(code)


@register.filter
def area_name(code: str | None) -> str:
    """``370405101201`` → ``张山子镇北洛村``; ``370405`` → ``台儿庄区``."""
    return labels.area_label(code)


@register.filter
def parameter_label(name: str) -> str:
    """``dibao.standard.rural`` → ``农村低保标准``."""
    return labels.parameter_label(name)


@register.filter
def parameter_in_words(value: Any, name: str) -> str:
    """``{{ change.value|parameter_in_words:change.name }}`` → ``900.00元``."""
    return labels.parameter_value_label(name, value)


@register.filter
def in_words(parameters: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """``{% for p in trace.parameters|in_words %}{{ p.value_label }} {{ p.area_label }}``."""
    return labels.trace_parameters(parameters)


@register.filter
def facts_lines(facts: dict[str, Any] | None) -> list[str]:
    """A family's facts in words, one line per member (amounts in 元)."""
    return labels.facts_lines(facts)
