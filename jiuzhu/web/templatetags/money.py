from django import template

from jiuzhu.core.money import format_yuan

register = template.Library()


@register.filter
def yuan(fen: int | None) -> str:
    """Integer fen as ``1,234.56元``."""
    return "" if fen is None else format_yuan(int(fen))
