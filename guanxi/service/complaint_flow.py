"""The complaint handling procedure of DOMAIN §4 "Complaints" as a pure state machine (no database).

The source's steps — build empathy (E), listen (L), control your emotions (C), apologise (A), then resolve
and follow up — and its principles (有章可循 rules to follow, 分清责任 assign responsibility, 留档分析 keep
on file) become states whose entry needs certain records to be filled in::

    new ──► acknowledged ──► remedy_agreed ──► resolved ──► confirmed ──► closed
               ▲   E, L         A, remedy,       resolution    customer       follow-up
               │                responsibility                 confirmation   scheduled (回访)
               └──────── reopen (from resolved / confirmed / closed, reason required) ◄──

- ``resolved → closed`` skips the customer's confirmation and is a manager override with a reason.
- Reopening goes back to ``acknowledged``; callers count reopens with :func:`is_reopen`.
- C (control your emotions) is the agent's conduct, not something a record can prove, so no field
  stands for it.

Codes only here: states, record field names and problem codes are stable identifiers; labels and
messages belong to the models and views. The record names are suggestions for the model's fields;
the service layer maps its fields onto them.
"""

from __future__ import annotations

from collections.abc import Mapping, Sized
from dataclasses import dataclass
from typing import Any

NEW = "new"
ACKNOWLEDGED = "acknowledged"
REMEDY_AGREED = "remedy_agreed"
RESOLVED = "resolved"
CONFIRMED = "confirmed"
CLOSED = "closed"

STATES: tuple[str, ...] = (NEW, ACKNOWLEDGED, REMEDY_AGREED, RESOLVED, CONFIRMED, CLOSED)
OPEN_STATES: frozenset[str] = frozenset({NEW, ACKNOWLEDGED, REMEDY_AGREED})

REOPEN_FROM: frozenset[str] = frozenset({RESOLVED, CONFIRMED, CLOSED})
# Transitions only a manager may make, with a reason (closing without the customer's confirmation).
OVERRIDES: frozenset[tuple[str, str]] = frozenset({(RESOLVED, CLOSED)})

TRANSITIONS: Mapping[str, frozenset[str]] = {
    NEW: frozenset({ACKNOWLEDGED}),
    ACKNOWLEDGED: frozenset({REMEDY_AGREED}),
    REMEDY_AGREED: frozenset({RESOLVED}),
    RESOLVED: frozenset({CONFIRMED, CLOSED, ACKNOWLEDGED}),
    CONFIRMED: frozenset({CLOSED, ACKNOWLEDGED}),
    CLOSED: frozenset({ACKNOWLEDGED}),
}

# Records that must be non-empty to enter each state (DOMAIN §4 handling steps and principles).
_REQUIRED: Mapping[str, tuple[str, ...]] = {
    NEW: (),
    ACKNOWLEDGED: ("empathy_note", "listening_note"),  # E, L
    REMEDY_AGREED: (
        "apology_note",  # A
        "agreed_remedy",
        # 分清责任 assign responsibility:
        "responsible_department",
        "responsible_person",
        "root_cause",
        "compensation",  # a decided "none"/0 is a value; only a blank is missing
    ),
    RESOLVED: ("resolution",),
    CONFIRMED: ("customer_confirmation",),
    CLOSED: ("follow_up_at",),  # 回访 follow-up visit scheduled
}
REOPEN_RECORDS: tuple[str, ...] = ("reopen_reason",)

# Problem codes.
UNKNOWN_STATE = "unknown_state"
SAME_STATE = "same_state"
NOT_ALLOWED = "transition_not_allowed"
REQUIRED = "required"
MANAGER_REQUIRED = "manager_required"


@dataclass(frozen=True)
class Problem:
    """Why a transition is refused: the record ``field`` (or ``"state"``/``"override_reason"``) and a code."""

    field: str
    code: str


def required_records(state_to: str) -> tuple[str, ...]:
    """Record fields that must be non-empty to enter ``state_to`` (a reopen also needs :data:`REOPEN_RECORDS`)."""
    if state_to not in _REQUIRED:
        raise ValueError(f"Unknown complaint state {state_to!r}.")
    return _REQUIRED[state_to]


def is_blank(value: Any) -> bool:
    """``None``, a whitespace-only string or an empty collection is blank; ``0``/``False`` are values."""
    if value is None:
        return True
    if isinstance(value, str):
        return not value.strip()
    if isinstance(value, Sized):
        return len(value) == 0
    return False


def is_reopen(current: str, target: str) -> bool:
    """True when the move takes a handled complaint back to work; the caller then adds one to its reopen count."""
    return current in REOPEN_FROM and target == ACKNOWLEDGED


def is_override(current: str, target: str) -> bool:
    """True when the move needs a manager and a reason."""
    return (current, target) in OVERRIDES


def allowed_targets(current: str) -> frozenset[str]:
    """States reachable from ``current`` (including manager overrides)."""
    return TRANSITIONS.get(current, frozenset())


def _state_problems(current: str, target: str) -> list[Problem]:
    if current not in TRANSITIONS or target not in TRANSITIONS:
        return [Problem("state", UNKNOWN_STATE)]
    if current == target:
        return [Problem("state", SAME_STATE)]
    if target not in TRANSITIONS[current]:
        return [Problem("state", NOT_ALLOWED)]
    return []


def _override_problems(is_manager: bool, override_reason: str) -> list[Problem]:
    if not is_manager:
        return [Problem("override_reason", MANAGER_REQUIRED)]
    if is_blank(override_reason):
        return [Problem("override_reason", REQUIRED)]
    return []


def check_transition(
    current: str, target: str, records: Mapping[str, Any], *, is_manager: bool, override_reason: str = ""
) -> list[Problem]:
    """Everything that stops moving a complaint from ``current`` to ``target``; an empty list = allowed.

    An unknown, unchanged or not-allowed move gives a single ``("state", code)`` problem. Otherwise every
    blank required record gives ``(field, "required")``, in :func:`required_records` order (then
    ``reopen_reason`` for a reopen), followed by the override problems: ``("override_reason",
    "manager_required")`` when a non-manager tries an override, ``("override_reason", "required")`` when a
    manager gives no reason. ``override_reason`` is ignored on ordinary moves.
    """
    problems = _state_problems(current, target)
    if problems:
        return problems
    fields = required_records(target) + (REOPEN_RECORDS if is_reopen(current, target) else ())
    problems = [Problem(name, REQUIRED) for name in fields if is_blank(records.get(name))]
    if is_override(current, target):
        problems += _override_problems(is_manager, override_reason)
    return problems
