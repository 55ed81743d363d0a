"""{{ value|money }} / {{ amount|money:"USD" }}: locale-aware money formatting (Decimal only)."""

from __future__ import annotations

from decimal import Decimal
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
        return Money(Decimal(str(value)), currency or "").format()
    except (ValueError, ArithmeticError):
        return "—"
