"""The classification rules as pure functions, checked against arithmetic worked out by hand."""

from __future__ import annotations

from datetime import date
from decimal import Decimal as D

import pytest
from django.utils import translation

from guanxi.customers.classification import (
    add_months,
    explain_process_class,
    explain_time_class,
    explain_value_tier,
    pareto_places,
    pareto_tiers,
    process_class,
    tier_from_cutoffs,
    time_class,
)

TODAY = date(2026, 6, 30)


def test_fifty_thirty_ten_five_five_gives_key_key_general_general_general():
    # total 100. Share of the accounts strictly above each one, compared with 80 % and 95 %:
    #   a: 0            < 80 → key      (needed to reach 80)
    #   b: 50           < 80 → key      (a+b = 80: the smallest set producing ≥ 80 %)
    #   c: 50+30 = 80   ≥ 80, < 95 → general
    #   d: 80+10 = 90   < 95 → general
    #   e: ties with d (both 5), so it has the same 90 above it → general, like d.
    profits = {"a": D(50), "b": D(30), "c": D(10), "d": D(5), "e": D(5)}
    assert pareto_tiers(profits) == {"a": "key", "b": "key", "c": "general", "d": "general", "e": "general"}


def test_fifty_thirty_ten_six_four_leaves_the_last_account_scattered():
    # total 100; above: a 0, b 50, c 80, d 90, e 96 ≥ 95 → scattered (a..d = 96 % ≥ 95 % without it).
    profits = {"a": D(50), "b": D(30), "c": D(10), "d": D(6), "e": D(4)}
    assert pareto_tiers(profits) == {"a": "key", "b": "key", "c": "general", "d": "general", "e": "scattered"}
    places = pareto_places(profits)
    assert [places[k].rank for k in "abcde"] == [1, 2, 3, 4, 5]
    assert [places[k].share_before for k in "abcde"] == [D(0), D("0.5"), D("0.8"), D("0.9"), D("0.96")]


def test_ties_share_rank_and_tier_even_when_the_cut_falls_between_them():
    # total 100: a 60 (above: 0 → key); b and c tie at 20, both with 60 above them (60 % < 80 %) → key.
    # Breaking the tie by id would make one of two identical customers general for no visible reason.
    places = pareto_places({"a": D(60), "b": D(20), "c": D(20)})
    assert [places[k].tier for k in "abc"] == ["key", "key", "key"]
    assert [places[k].rank for k in "abc"] == [1, 2, 2]
    # A tie across the 95 % line: total 100, d and e each 2.5 with 95 above → both scattered.
    tiers = pareto_tiers({"a": D(80), "b": D(10), "c": D(5), "d": D("2.5"), "e": D("2.5")})
    assert tiers == {"a": "key", "b": "general", "c": "general", "d": "scattered", "e": "scattered"}


def test_zero_and_negative_profits_are_scattered_and_do_not_shrink_the_total():
    # Total of positive profit = 60 (not 60 + 0 - 50 = 10): x holds 100 % of it → key.
    places = pareto_places({"x": D(60), "zero": D(0), "loss": D(-50)})
    assert {k: p.tier for k, p in places.items()} == {"x": "key", "zero": "scattered", "loss": "scattered"}
    assert places["x"].total == D(60) and places["x"].ranked == 1
    assert places["zero"].rank is None and places["loss"].rank is None


def test_with_no_positive_profit_everyone_is_scattered():
    assert pareto_tiers({"a": D(0), "b": D(-3)}) == {"a": "scattered", "b": "scattered"}
    assert pareto_tiers({}) == {}


def test_cut_offs_are_configurable():
    # key 50 %, general 90 %: a (above 0) key; b (above 50, not < 50) general; c (80 < 90) general;
    # d (90) scattered; e (95) scattered.
    tiers = pareto_tiers({"a": D(50), "b": D(30), "c": D(10), "d": D(5), "e": D(5)}, D("0.5"), D("0.9"))
    assert tiers == {"a": "key", "b": "general", "c": "general", "d": "scattered", "e": "scattered"}


@pytest.mark.parametrize(("key", "general"), [(D(0), D("0.9")), (D("0.9"), D("0.8")), (D("0.8"), D("1.1"))])
def test_impossible_cut_offs_are_refused(key, general):
    with pytest.raises(ValueError):
        pareto_tiers({"a": D(1)}, key, general)


def test_one_account_is_placed_against_the_last_full_rankings_cut_offs():
    assert tier_from_cutoffs(D(30), key_min=D(30), general_min=D(5)) == "key"
    assert tier_from_cutoffs(D("29.99"), key_min=D(30), general_min=D(5)) == "general"
    assert tier_from_cutoffs(D(4), key_min=D(30), general_min=D(5)) == "scattered"
    assert tier_from_cutoffs(D(0), key_min=D(30), general_min=D(0)) == "scattered"


def test_months_are_calendar_months_clamped_to_the_last_day():
    assert add_months(date(2026, 5, 31), -3) == date(2026, 2, 28)
    assert add_months(date(2024, 3, 31), -1) == date(2024, 2, 29)
    assert add_months(date(2026, 1, 15), -12) == date(2025, 1, 15)


def test_time_class_future_new_old_with_the_boundary_on_the_same_day_a_year_ago():
    assert time_class(None, TODAY) == "future"
    assert time_class(date(2025, 7, 1), TODAY) == "new"
    assert time_class(date(2025, 6, 30), TODAY) == "old"  # exactly 12 months ago is no longer "within"
    assert time_class(date(2026, 1, 1), TODAY, new_months=3) == "old"


def test_process_class_trading_now_wins_over_about_to_trade():
    assert process_class(date(2026, 5, 1), True, TODAY) == "current"
    assert process_class(date(2026, 3, 30), False, TODAY) == "past"  # 3 months ago to the day
    assert process_class(date(2025, 1, 1), True, TODAY) == "upcoming"
    assert process_class(None, True, TODAY) == "upcoming"
    assert process_class(None, False, TODAY) == "none"


def test_tooltips_say_why_in_plain_words():
    with translation.override("en"):
        text = explain_value_tier(
            tier="key",
            profit=D("30000"),
            currency="CNY",
            rank=2,
            ranked=5,
            share_before=D("0.5"),
            key_share=D("0.8"),
            general_share=D("0.95"),
        )
        assert text.startswith("Ranked 2 of 5 by gross profit in the last 12 months (CN¥30,000.00)")
        assert "above it produce 50.0 % of the total" in text and "less than the 80.0 %" in text
        assert text.endswith("→ Key customer")
        general = explain_value_tier(
            tier="general",
            profit=D(10),
            currency="CNY",
            rank=3,
            ranked=5,
            share_before=D("0.8"),
            key_share=D("0.8"),
            general_share=D("0.95"),
        )
        assert "80.0 % of key customers is reached without it" in general and general.endswith("→ General customer")
        placed = explain_value_tier(
            tier="key",
            profit=D(500),
            currency="CNY",
            rank=None,
            ranked=5,
            share_before=D(0),
            key_share=D("0.8"),
            general_share=D("0.95"),
            key_min_profit=D(300),
            general_min_profit=D(50),
            as_of=date(2026, 6, 29),
        )
        assert "last full ranking (2026-06-29) key customers made at least CN¥300.00" in placed
        assert explain_value_tier(
            tier="scattered",
            profit=D(-5),
            currency="CNY",
            rank=None,
            ranked=5,
            share_before=D(0),
            key_share=D("0.8"),
            general_share=D("0.95"),
        ).startswith("No positive gross profit")
        assert explain_time_class("new", date(2026, 1, 2)) == "First order on 2026-01-02, within the last 12 months → New customer"
        assert explain_time_class("future", None) == "No order yet → Future customer"
        assert explain_process_class("upcoming", None, 2) == (
            "2 open orders or opportunities, and no order in the last 3 months → About to trade"
        )
        assert explain_process_class("past", date(2025, 1, 5), 0).startswith("Last order on 2025-01-05, more than 3 months ago")
