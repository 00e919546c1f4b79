from django import template

from jiuzhu.core.money import cn_number as _cn_number
from jiuzhu.core.money import format_yuan, yuan_in_words

register = template.Library()


@register.filter
def yuan(fen: int | None) -> str:
    """Integer fen as ``1,234.56元``."""
    return "" if fen is None else format_yuan(int(fen))


@register.filter
def yuan_upper(fen: int | None) -> str:
    """人民币大写：``壹仟贰佰元整``."""
    return "" if fen is None else yuan_in_words(int(fen))


@register.filter
def cn_number(n: int | None) -> str:
    """六十, 六: periods and counts in a notice's words."""
    return "" if n is None else _cn_number(int(n))


@register.filter
def parameter_value(parameter: dict[str, object]) -> str:
    """A traced parameter's value in words (``800元``, ``1.5倍``, ``是``)."""
    from jiuzhu.rules.parameters import display_value

    value = parameter.get("value")
    return display_value(value if isinstance(value, int | bool | str) else str(value), str(parameter.get("unit", "")))


@register.filter
def step_value(step: dict[str, object]) -> str:
    """A household figure of a notice's 金额计算 (``40,000.00元``): every amount in 元 with two
    decimals, whether a month's, twelve months' or a one-off; other units as a parameter's."""
    from jiuzhu.rules.core import MONEY_VARIABLE_UNITS

    value = step.get("value")
    if step.get("unit") in MONEY_VARIABLE_UNITS and isinstance(value, int) and not isinstance(value, bool):
        return format_yuan(value)
    return parameter_value(step)
