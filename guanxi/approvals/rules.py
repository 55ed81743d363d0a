"""Pure rules of the approvals engine (no ORM): flow conditions and reminder windows.

A condition is ``{}`` (always applies), one test ``{"field": "compensation", "op": "gt", "value":
"5000"}``, or ``{"all": [test, ...]}`` (every test must hold). Numbers, money and percentages
compare as Decimals (a percent field holds 20 for 20 %); text fields compare for equality only.
A payload without the tested value does not match: the flow does not apply."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime, timedelta
from decimal import Decimal, InvalidOperation
from typing import Any

from django.utils.translation import gettext as _

from guanxi.core.errors import ValidationFailed

OPS = ("gt", "gte", "lt", "lte", "eq")
NUMERIC = ("money", "percent", "number")
MAX_TESTS = 10
MAX_NUMBER = Decimal("1e15")


def to_decimal(value: Any) -> Decimal | None:
    """A finite Decimal within range, or None (bools are not numbers here)."""
    if isinstance(value, bool) or value is None:
        return None
    try:
        number = Decimal(str(value).strip())
    except (InvalidOperation, ValueError):
        return None
    if not number.is_finite() or abs(number) >= MAX_NUMBER:
        return None
    return number


def _tests(condition: Mapping[str, Any]) -> list[Mapping[str, Any]]:
    if not condition:
        return []
    if "all" in condition:
        return list(condition["all"])
    return [condition]


def _holds(test: Mapping[str, Any], kind: str, value: Any) -> bool:
    op = test.get("op")
    if kind not in NUMERIC:
        return op == "eq" and value is not None and str(value).strip() == str(test.get("value", "")).strip()
    left, right = to_decimal(value), to_decimal(test.get("value"))
    if left is None or right is None:
        return False
    return {"gt": left > right, "gte": left >= right, "lt": left < right, "lte": left <= right, "eq": left == right}.get(str(op), False)


def condition_matches(condition: Mapping[str, Any], payload: Mapping[str, Any], fields: Mapping[str, str]) -> bool:
    """Whether a (validated) condition holds for ``payload``; an empty condition always holds."""
    return all(_holds(test, fields.get(str(test.get("field")), "number"), payload.get(str(test.get("field"))))
               for test in _tests(condition))


def clean_condition(condition: Any, fields: Mapping[str, str]) -> dict[str, Any]:
    """Validate a condition against an action's fields; returns its normal form (values as strings)."""
    if condition in (None, "", {}):
        return {}
    if not isinstance(condition, Mapping):
        raise ValidationFailed({"condition": [_("A condition is a field, an operator and a value.")]})
    raw = condition.get("all") if "all" in condition else [condition]
    if not isinstance(raw, list) or not raw or len(raw) > MAX_TESTS:
        raise ValidationFailed({"condition": [_("A condition combines 1 to %(max)d tests.") % {"max": MAX_TESTS}]})
    cleaned = []
    for test in raw:
        if not isinstance(test, Mapping) or set(test) != {"field", "op", "value"}:
            raise ValidationFailed({"condition": [_("A condition is a field, an operator and a value.")]})
        name, op, value = str(test["field"]), str(test["op"]), test["value"]
        if name not in fields:
            raise ValidationFailed({"condition": [_("This action has no field “%(field)s”.") % {"field": name[:60]}]})
        if op not in OPS:
            raise ValidationFailed({"condition": [_("Unknown operator; use gt, gte, lt, lte or eq.")]})
        if fields[name] in NUMERIC:
            number = to_decimal(value)
            if number is None:
                raise ValidationFailed({"condition": [_("Enter a number such as 5000 or 20.")]})
            value = str(number)
        else:
            if op != "eq":
                raise ValidationFailed({"condition": [_("A text field can only be compared for equality.")]})
            if not isinstance(value, (str, int)) or len(str(value)) > 200:
                raise ValidationFailed({"condition": [_("Enter a text of at most 200 characters.")]})
            value = str(value).strip()
        cleaned.append({"field": name, "op": op, "value": value})
    return cleaned[0] if len(cleaned) == 1 else {"all": cleaned}


def clean_payload(payload: Any, fields: Mapping[str, str]) -> dict[str, Any]:
    """The submitted values: JSON-ready, numbers of the action's numeric fields as Decimal strings."""
    if not isinstance(payload, Mapping):
        raise ValidationFailed({"payload": [_("The payload must be an object.")]})
    cleaned: dict[str, Any] = {}
    errors: dict[str, list[str]] = {}
    for key, value in payload.items():
        if fields.get(key) in NUMERIC and value is not None:
            number = to_decimal(value)
            if number is None:
                errors[key] = [_("Enter a number such as 5000 or 20.")]
                continue
            cleaned[key] = str(number)
        elif isinstance(value, Decimal):
            cleaned[key] = str(value)
        else:
            cleaned[key] = value
    if errors:
        raise ValidationFailed(errors)
    return cleaned


def describe_condition(condition: Mapping[str, Any]) -> str:
    """``compensation > 5000 and …`` for lists and history."""
    signs = {"gt": ">", "gte": "≥", "lt": "<", "lte": "≤", "eq": "="}
    return _(" and ").join(f"{t.get('field')} {signs.get(str(t.get('op')), '?')} {t.get('value')}" for t in _tests(condition)) \
        or _("always")


def reminder_window(started: datetime, now: datetime, hours: int) -> int:
    """The number of whole ``hours`` windows since the step started (0 while the first one runs).
    A reminder is due once in each window from the first on: when this is ≥ 1 and greater than
    the window of the last reminder."""
    if hours <= 0 or now <= started:
        return 0
    return int((now - started) // timedelta(hours=hours))


def reminder_due(started: datetime, reminded: datetime | None, now: datetime, hours: int) -> int | None:
    """The window to remind for now, or None if none is due (exactly once per window)."""
    window = reminder_window(started, now, hours)
    if window < 1:
        return None
    if reminded is not None and reminder_window(started, reminded, hours) >= window:
        return None
    return window
