"""Money is one type: a Decimal amount with an ISO 4217 currency (default CNY).

Stored as two columns (``<name>_amount`` DecimalField + ``<name>_currency``), handled as a
``Money`` value, formatted per locale with Babel: zh-Hans ``¥1,234.50``, en ``CN¥1,234.50``.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

from babel.numbers import format_currency, get_currency_precision
from django.conf import settings
from django.utils import translation

_BABEL_LOCALES = {"zh-hans": "zh_Hans_CN", "zh-cn": "zh_Hans_CN", "en": "en_US"}


def _babel_locale(language: str | None) -> str:
    return _BABEL_LOCALES.get((language or "en").lower(), "en_US")


@dataclass(frozen=True, slots=True)
class Money:
    amount: Decimal
    currency: str = ""

    def __post_init__(self) -> None:
        currency = (self.currency or settings.DEFAULT_CURRENCY).upper()
        if len(currency) != 3 or not currency.isalpha():
            raise ValueError(f"Not an ISO 4217 currency code: {self.currency!r}")
        try:
            amount = Decimal(self.amount)
        except (InvalidOperation, TypeError) as exc:
            raise ValueError(f"Not a decimal amount: {self.amount!r}") from exc
        if not amount.is_finite():
            raise ValueError("Money amounts must be finite.")
        object.__setattr__(self, "currency", currency)
        object.__setattr__(self, "amount", amount)

    def quantized(self) -> Money:
        places = Decimal(1).scaleb(-get_currency_precision(self.currency))
        return Money(self.amount.quantize(places, rounding=ROUND_HALF_UP), self.currency)

    def _same(self, other: Money) -> None:
        if self.currency != other.currency:
            raise ValueError(f"Cannot combine {self.currency} with {other.currency}")

    def __add__(self, other: Money) -> Money:
        self._same(other)
        return Money(self.amount + other.amount, self.currency)

    def __sub__(self, other: Money) -> Money:
        self._same(other)
        return Money(self.amount - other.amount, self.currency)

    def __neg__(self) -> Money:
        return Money(-self.amount, self.currency)

    def format(self, language: str | None = None) -> str:
        return format_currency(
            self.quantized().amount, self.currency, locale=_babel_locale(language or translation.get_language())
        )

    def __str__(self) -> str:
        return self.format()
