"""Pure rules, hand-worked: flow conditions and reminder windows."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from guanxi.approvals.rules import clean_condition, clean_payload, condition_matches, reminder_due, reminder_window
from guanxi.core.errors import ValidationFailed

FIELDS = {"compensation": "money", "discount": "percent", "region": "text"}


@pytest.mark.parametrize("op,value,expected", [
    ("gt", "5000", False), ("gte", "5000", True), ("lt", "5000.01", True), ("lte", "4999.99", False), ("eq", "5000.00", True),
])
def test_money_compares_as_decimals(op, value, expected):
    assert condition_matches({"field": "compensation", "op": op, "value": value}, {"compensation": "5000"}, FIELDS) is expected


def test_discount_above_20_percent():
    above_20 = clean_condition({"field": "discount", "op": "gt", "value": 20}, FIELDS)
    assert above_20 == {"field": "discount", "op": "gt", "value": "20"}
    assert not condition_matches(above_20, {"discount": "20"}, FIELDS)
    assert condition_matches(above_20, {"discount": "20.5"}, FIELDS)


def test_empty_condition_always_holds_and_a_missing_value_never_does():
    assert condition_matches({}, {}, FIELDS)
    assert not condition_matches({"field": "compensation", "op": "gt", "value": "0"}, {}, FIELDS)


def test_all_of_several_tests():
    both = clean_condition({"all": [{"field": "compensation", "op": "gte", "value": "1000"},
                                    {"field": "region", "op": "eq", "value": " 华东 "}]}, FIELDS)
    assert condition_matches(both, {"compensation": 1000, "region": "华东"}, FIELDS)
    assert not condition_matches(both, {"compensation": 1000, "region": "华北"}, FIELDS)


@pytest.mark.parametrize("condition", [
    {"field": "compensation", "op": "gt"}, {"field": "x", "op": "gt", "value": 1}, {"field": "region", "op": "gt", "value": "a"},
    {"field": "compensation", "op": "gt", "value": "NaN"}, {"field": "compensation", "op": "gt", "value": True}, "gt 5000",
    {"all": []}, {"all": [{"field": "compensation", "op": "gt", "value": 1}] * 11},
])
def test_bad_conditions_are_refused(condition):
    with pytest.raises(ValidationFailed):
        clean_condition(condition, FIELDS)


def test_payload_numbers_are_normalised_and_checked():
    assert clean_payload({"compensation": 8000, "note": "x"}, FIELDS) == {"compensation": "8000", "note": "x"}
    with pytest.raises(ValidationFailed):
        clean_payload({"compensation": "八千"}, FIELDS)


def test_reminder_windows():
    start = datetime(2026, 5, 1, 9, 0, tzinfo=UTC)
    assert reminder_window(start, start + timedelta(hours=23, minutes=59), 24) == 0
    assert reminder_window(start, start + timedelta(hours=24), 24) == 1
    assert reminder_due(start, None, start + timedelta(hours=30), 24) == 1
    assert reminder_due(start, start + timedelta(hours=30), start + timedelta(hours=47), 24) is None
    assert reminder_due(start, start + timedelta(hours=30), start + timedelta(hours=48), 24) == 2
    assert reminder_due(start, None, start + timedelta(hours=100), 0) is None  # 0 hours: never remind
