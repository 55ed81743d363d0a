from decimal import Decimal

import pytest
from django.template import Context, Template
from django.utils import translation

from guanxi.core.money import CurrencyMismatch, Money, money_sum


def render(source: str, language: str, **context) -> str:
    with translation.override(language):
        return Template("{% load money %}" + source).render(Context(context))


@pytest.mark.parametrize(
    ("language", "currency", "expected"),
    [
        ("zh-hans", "CNY", "¥1,234.50"),
        ("en", "CNY", "CN¥1,234.50"),
        ("en", "USD", "$1,234.50"),
        ("zh-hans", "USD", "US$1,234.50"),
    ],
)
def test_it_formats_money_the_way_each_locale_writes_it(language, currency, expected):
    assert Money(Decimal("1234.5"), currency).format(language) == expected
    assert render('{{ amount|money:currency }}', language, amount=Decimal("1234.5"), currency=currency) == expected


def test_the_currency_defaults_to_renminbi():
    assert Money(Decimal("8")).currency == "CNY"
    assert render("{{ amount|money }}", "zh-hans", amount=Decimal("8")) == "¥8.00"


def test_the_filter_accepts_a_money_value_and_keeps_its_currency():
    assert render('{{ m|money:"CNY" }}', "en", m=Money(Decimal("-12.345"), "USD")) == "-$12.35"


def test_amounts_round_half_up_to_the_currency_minor_unit():
    assert Money(Decimal("0.005"), "CNY").quantized().amount == Decimal("0.01")
    assert Money(Decimal("2.5"), "JPY").format("en") == "¥3"


def test_missing_or_garbled_amounts_render_as_a_dash():
    assert render("{{ a|money }}|{{ b|money }}|{{ c|money }}", "en", a=None, b="", c="twelve") == "—|—|—"


def test_money_refuses_floats():
    with pytest.raises(TypeError):
        Money(0.1, "CNY")  # type: ignore[arg-type]
    with pytest.raises(TypeError):
        Money(Decimal("1"), "CNY") * 1.5  # type: ignore[operator]
    with pytest.raises(TypeError):
        render("{{ a|money }}", "en", a=19.99)


def test_amounts_from_strings_are_exact():
    assert Money("0.1") + Money("0.2") == Money("0.3")
    assert Money(Decimal("19.99"), "CNY") * 3 == Money("59.97", "CNY")


def test_adding_or_comparing_different_currencies_is_refused():
    cny, usd = Money("10", "CNY"), Money("10", "USD")
    with pytest.raises(CurrencyMismatch):
        cny + usd
    with pytest.raises(CurrencyMismatch):
        cny - usd
    with pytest.raises(CurrencyMismatch):
        cny < usd
    with pytest.raises(CurrencyMismatch):
        money_sum([cny, usd])
    with pytest.raises(TypeError):
        cny + Decimal("1")  # type: ignore[operator]


def test_sums_stay_in_their_currency():
    assert money_sum([Money("1.10", "usd"), Money("2.20", "USD")]) == Money("3.30", "USD")
    assert sum([Money("1"), Money("2")]) == Money("3", "CNY")
    assert money_sum([], "USD") == Money("0", "USD")


@pytest.mark.parametrize("bad", ["YUAN", "¥¥¥", "12"])
def test_unknown_currency_codes_are_refused(bad):
    with pytest.raises(ValueError):
        Money("1", bad)


@pytest.mark.parametrize("bad", ["NaN", "Infinity", "abc", True])
def test_non_finite_or_non_numeric_amounts_are_refused(bad):
    with pytest.raises((ValueError, TypeError)):
        Money(bad, "CNY")
