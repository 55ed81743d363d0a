"""Money is one type: a Decimal amount with an ISO 4217 currency (default CNY).

Stored as two columns (``<name>_amount`` DecimalField + ``<name>_currency``), handled as a
``Money`` value, formatted per locale with Babel: zh-Hans ``¥1,234.50``, en ``CN¥1,234.50``.

Pure: no ORM. Floats are refused everywhere (``Money(0.1)`` raises): binary fractions are how
one fen goes missing; amounts come from Decimal columns or from strings (``Money("1234.50")``).
Adding, subtracting or comparing two currencies raises ``CurrencyMismatch`` instead of guessing
an exchange rate.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

from babel.numbers import format_currency, get_currency_precision
from django.conf import settings
from django.utils import translation

_BABEL_LOCALES = {"zh-hans": "zh_Hans_CN", "zh-cn": "zh_Hans_CN", "zh": "zh_Hans_CN", "en": "en_US", "en-us": "en_US"}


class CurrencyMismatch(ValueError):
    """Two amounts in different currencies were combined."""


def babel_locale(language: str | None) -> str:
    return _BABEL_LOCALES.get((language or "en").lower(), "en_US")


def to_decimal(value: object) -> Decimal:
    """Decimal from a Decimal, an int or a string; floats and booleans are programming errors."""
    if isinstance(value, bool | float):
        raise TypeError(f"Money needs a Decimal, int or str, not {type(value).__name__} ({value!r}).")
    if isinstance(value, str):
        value = value.strip()
    try:
        amount = Decimal(value)  # type: ignore[arg-type]
    except (InvalidOperation, TypeError, ValueError) as exc:
        raise ValueError(f"Not a decimal amount: {value!r}") from exc
    if not amount.is_finite():
        raise ValueError("Money amounts must be finite.")
    return amount


@dataclass(frozen=True, slots=True)
class Money:
    amount: Decimal
    currency: str = ""

    def __post_init__(self) -> None:
        currency = (self.currency or settings.DEFAULT_CURRENCY).upper()
        if len(currency) != 3 or not currency.isalpha() or not currency.isascii():
            raise ValueError(f"Not an ISO 4217 currency code: {self.currency!r}")
        object.__setattr__(self, "currency", currency)
        object.__setattr__(self, "amount", to_decimal(self.amount))

    @classmethod
    def zero(cls, currency: str = "") -> Money:
        return cls(Decimal(0), currency)

    def quantized(self) -> Money:
        """Rounded half-up to the currency's minor unit (fen for CNY, none for JPY)."""
        places = Decimal(1).scaleb(-get_currency_precision(self.currency))
        return Money(self.amount.quantize(places, rounding=ROUND_HALF_UP), self.currency)

    def _check(self, other: object) -> Money:
        if not isinstance(other, Money):
            raise TypeError(f"Cannot combine Money with {type(other).__name__}.")
        if self.currency != other.currency:
            raise CurrencyMismatch(f"Cannot combine {self.currency} with {other.currency}.")
        return other

    def __add__(self, other: Money) -> Money:
        return Money(self.amount + self._check(other).amount, self.currency)

    def __radd__(self, other: object) -> Money:
        if other == 0 and not isinstance(other, Money | float):
            return self  # so that sum() over Money works
        return self._check(other) + self

    def __sub__(self, other: Money) -> Money:
        return Money(self.amount - self._check(other).amount, self.currency)

    def __mul__(self, factor: Decimal | int) -> Money:
        if isinstance(factor, Money):
            raise TypeError("Money × Money has no meaning.")
        return Money(self.amount * to_decimal(factor), self.currency)

    __rmul__ = __mul__

    def __neg__(self) -> Money:
        return Money(-self.amount, self.currency)

    def __lt__(self, other: Money) -> bool:
        return self.amount < self._check(other).amount

    def __le__(self, other: Money) -> bool:
        return self.amount <= self._check(other).amount

    def __gt__(self, other: Money) -> bool:
        return self.amount > self._check(other).amount

    def __ge__(self, other: Money) -> bool:
        return self.amount >= self._check(other).amount

    def format(self, language: str | None = None) -> str:
        """Per locale: zh-hans ``¥1,234.50``, en ``CN¥1,234.50``; the active language by default."""
        return format_currency(
            self.quantized().amount, self.currency, locale=babel_locale(language or translation.get_language())
        )

    def __str__(self) -> str:
        return self.format()


def money_sum(amounts: Iterable[Money], currency: str = "") -> Money:
    """Total of amounts in one currency; the empty total is zero in ``currency`` (default CNY)."""
    total: Money | None = None
    for item in amounts:
        total = item if total is None else total + item
    if total is None:
        return Money.zero(currency)
    if currency and total.currency != currency.upper():
        raise CurrencyMismatch(f"Expected {currency.upper()}, got {total.currency}.")
    return total
