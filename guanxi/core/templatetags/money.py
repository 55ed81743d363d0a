"""``{{ amount|money:"CNY" }}`` or ``{{ money_value|money }}``: locale-aware money formatting.

The amount is a Decimal (a DecimalField value), an int, a numeric string or a ``Money``; the
currency argument defaults to DEFAULT_CURRENCY (CNY) and is ignored for a ``Money``, which knows
its own. Missing amounts render as "—". A float is a programming error and raises.
"""

from __future__ import annotations

from typing import Any

from django import template

from guanxi.core.money import Money

register = template.Library()


@register.filter(name="money")
def money(value: Any, currency: str = "") -> str:
    if value is None or value == "":
        return "—"
    if isinstance(value, Money):
        return value.format()
    try:
        return Money(value, currency or "").format()
    except ValueError:
        return "—"
