"""The complaint handling procedure (DOMAIN §4 客户投诉: E, L, C, A, resolve, follow up) as a state machine."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from itertools import pairwise

import pytest
from hypothesis import given
from hypothesis import strategies as st

from guanxi.service.complaint_flow import (
    OVERRIDES,
    REOPEN_RECORDS,
    STATES,
    TRANSITIONS,
    Problem,
    allowed_targets,
    check_transition,
    is_blank,
    is_override,
    is_reopen,
    required_records,
)

FULL = {
    "empathy_note": "Customer upset: the fridge arrived dented on her wedding day.",
    "listening_note": "Wants a replacement before Friday; no refund.",
    "apology_note": "Apologised by phone for the delivery damage.",
    "agreed_remedy": "Replacement delivered Thursday, free of charge.",
    "responsible_department": "logistics",
    "responsible_person": "Wang Wei",
    "root_cause": "Loading without corner protection.",
    "compensation": Decimal("200.00"),
    "resolution": "Replacement delivered and installed.",
    "customer_confirmation": "Confirmed by phone 2026-06-05.",
    "follow_up_at": datetime(2026, 6, 20, 10, 0),
    "reopen_reason": "Replacement makes a noise.",
}


def without(*names: str) -> dict[str, object]:
    return {k: v for k, v in FULL.items() if k not in names}


def test_a_complaint_walks_the_whole_procedure_when_every_record_is_filled():
    path = ["new", "acknowledged", "remedy_agreed", "resolved", "confirmed", "closed"]
    for current, target in pairwise(path):
        assert check_transition(current, target, FULL, is_manager=False) == [], (current, target)


def test_acknowledging_needs_empathy_and_listening_notes():
    problems = check_transition("new", "acknowledged", {"empathy_note": "  "}, is_manager=False)
    assert problems == [Problem("empathy_note", "required"), Problem("listening_note", "required")]


def test_agreeing_a_remedy_needs_an_apology_and_assigned_responsibility():
    problems = check_transition(
        "acknowledged", "remedy_agreed", without("apology_note", "root_cause", "responsible_person"), is_manager=True
    )
    assert problems == [Problem("apology_note", "required"), Problem("responsible_person", "required"), Problem("root_cause", "required")]


def test_a_decided_zero_compensation_is_a_value_but_a_blank_one_is_missing():
    assert check_transition("acknowledged", "remedy_agreed", {**FULL, "compensation": Decimal(0)}, is_manager=False) == []
    assert check_transition("acknowledged", "remedy_agreed", {**FULL, "compensation": ""}, is_manager=False) == [
        Problem("compensation", "required")
    ]


def test_resolving_confirming_and_closing_need_their_records():
    assert check_transition("remedy_agreed", "resolved", without("resolution"), is_manager=False) == [Problem("resolution", "required")]
    assert check_transition("resolved", "confirmed", without("customer_confirmation"), is_manager=False) == [
        Problem("customer_confirmation", "required")
    ]
    assert check_transition("confirmed", "closed", without("follow_up_at"), is_manager=False) == [Problem("follow_up_at", "required")]


def test_steps_cannot_be_skipped():
    assert check_transition("new", "resolved", FULL, is_manager=True, override_reason="urgent") == [
        Problem("state", "transition_not_allowed")
    ]
    assert check_transition("acknowledged", "closed", FULL, is_manager=True, override_reason="urgent") == [
        Problem("state", "transition_not_allowed")
    ]
    assert check_transition("closed", "resolved", FULL, is_manager=True) == [Problem("state", "transition_not_allowed")]


def test_unknown_and_unchanged_states_are_refused():
    assert check_transition("new", "escalated", FULL, is_manager=False) == [Problem("state", "unknown_state")]
    assert check_transition("draft", "new", FULL, is_manager=False) == [Problem("state", "unknown_state")]
    assert check_transition("resolved", "resolved", FULL, is_manager=False) == [Problem("state", "same_state")]
    with pytest.raises(ValueError):
        required_records("escalated")


def test_closing_without_customer_confirmation_is_a_manager_override():
    assert check_transition("resolved", "closed", FULL, is_manager=False, override_reason="customer unreachable") == [
        Problem("override_reason", "manager_required")
    ]


def test_a_manager_override_needs_a_reason():
    assert check_transition("resolved", "closed", FULL, is_manager=True) == [Problem("override_reason", "required")]
    assert check_transition("resolved", "closed", FULL, is_manager=True, override_reason="Customer unreachable for 3 weeks.") == []


def test_an_override_still_needs_the_follow_up_scheduled():
    problems = check_transition("resolved", "closed", without("follow_up_at"), is_manager=True, override_reason="unreachable")
    assert problems == [Problem("follow_up_at", "required")]


def test_closing_after_confirmation_needs_no_manager():
    assert not is_override("confirmed", "closed")
    assert check_transition("confirmed", "closed", FULL, is_manager=False) == []


@pytest.mark.parametrize("current", ["resolved", "confirmed", "closed"])
def test_a_handled_complaint_can_be_reopened_with_a_reason(current):
    assert is_reopen(current, "acknowledged")
    assert check_transition(current, "acknowledged", FULL, is_manager=False) == []
    assert check_transition(current, "acknowledged", without("reopen_reason"), is_manager=False) == [Problem("reopen_reason", "required")]


def test_first_acknowledgement_is_not_a_reopen_and_needs_no_reason():
    assert not is_reopen("new", "acknowledged")
    assert check_transition("new", "acknowledged", without("reopen_reason"), is_manager=False) == []


def test_blank_means_none_whitespace_or_empty_but_not_zero_or_false():
    assert all(is_blank(v) for v in (None, "", " \t\n", [], {}, ()))
    assert not any(is_blank(v) for v in (0, Decimal(0), False, "x", ["a"]))


def test_every_state_is_reachable_from_new_and_overrides_are_transitions():
    reached, frontier = {"new"}, ["new"]
    while frontier:
        for target in allowed_targets(frontier.pop()):
            if target not in reached:
                reached.add(target)
                frontier.append(target)
    assert reached == set(STATES)
    assert all(target in TRANSITIONS[current] for current, target in OVERRIDES)
    assert allowed_targets("bogus") == frozenset()


record_names = sorted({name for s in STATES for name in required_records(s)} | set(REOPEN_RECORDS))


@given(
    st.sampled_from(STATES),
    st.sampled_from(STATES),
    st.dictionaries(st.sampled_from(record_names), st.sampled_from(["", "  ", None, "noted", 0])),
    st.booleans(),
    st.sampled_from(["", "reason"]),
)
def test_a_move_is_allowed_exactly_when_it_is_a_transition_with_its_records_and_permission(current, target, records, manager, reason):
    needed = required_records(target) + (REOPEN_RECORDS if is_reopen(current, target) else ())
    expected = (
        target in TRANSITIONS[current]
        and current != target
        and all(not is_blank(records.get(name)) for name in needed)
        and (not is_override(current, target) or (manager and reason != ""))
    )
    assert (check_transition(current, target, records, is_manager=manager, override_reason=reason) == []) == expected
