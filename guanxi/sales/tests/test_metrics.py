"""SPIN call-quality metrics (DOMAIN §2: P:S grows with experience; top sellers ask ~10× more N). No database."""

from datetime import date
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from guanxi.sales.metrics import EMPTY, OUTCOMES, CallFacts, by_rep, by_team, call_quality, monthly_trend

D = Decimal


def call(rep=1, team=1, day=date(2025, 1, 10), s=0, p=0, i=0, n=0, outcome=None, explicit=0, hidden=0):
    return CallFacts(rep, team, day, s, p, i, n, outcome, explicit, hidden)


def test_call_quality_hand_worked_example():
    calls = [
        call(s=4, p=2, i=1, n=0, outcome="advance", explicit=1, hidden=2),
        call(s=4, p=2, i=0, n=1, outcome="no_sale", explicit=0, hidden=1),
        call(s=2, p=1, i=1, n=2, outcome=None, explicit=2, hidden=1),  # outcome not logged yet
    ]
    q = call_quality(calls)
    assert (q.calls, q.logged_calls, q.s, q.p, q.i, q.n) == (3, 2, 10, 5, 2, 3)
    assert q.p_to_s_ratio == D("0.5000")  # P:S = 5 / 10
    assert q.n_per_call == D("1.0000")  # N 0 + 1 + 2 = 3 over 3 calls (the unlogged call counts)
    assert q.advance_rate == D("0.5000")  # 1 advance out of 2 LOGGED calls; the unlogged one is left out
    assert q.explicit_needs_per_call == D("1.0000")  # 3 explicit needs / 3 calls
    assert q.hidden_to_explicit == D("1.3333")  # 4 hidden / 3 explicit = 1.3333…
    assert q.n_vs_team_average is None  # no team context in call_quality


def test_order_and_advance_are_successes_continuation_and_no_sale_are_not():
    calls = [call(outcome="order"), call(outcome="advance"), call(outcome="continuation"), call(outcome="no_sale")]
    assert call_quality(calls).advance_rate == D("0.5000")  # 2 / 4


def test_ratios_round_half_up_to_four_places():
    # P:S = 2 / 3 = 0.66666… → 0.6667 ; N per call = 1 / 8 = 0.125 → 0.1250
    q = call_quality([call(s=3, p=2, n=1)] + [call() for _ in range(7)])
    assert q.p_to_s_ratio == D("0.6667")
    assert q.n_per_call == D("0.1250")


def test_no_s_questions_means_no_p_to_s_ratio_rather_than_infinity():
    q = call_quality([call(s=0, p=3)])
    assert q.p_to_s_ratio is None
    assert q.n_per_call == D("0.0000")  # 0 N over 1 call is a real zero, not missing


def test_no_calls_gives_zero_counts_and_no_ratios():
    q = call_quality([])
    assert q == EMPTY
    assert (q.calls, q.logged_calls, q.n) == (0, 0, 0)
    assert q.p_to_s_ratio is q.n_per_call is q.advance_rate is q.explicit_needs_per_call is q.hidden_to_explicit is None


def test_calls_without_logged_outcome_have_no_advance_rate():
    q = call_quality([call(s=1, outcome=None), call(s=1, outcome=None)])
    assert q.calls == 2
    assert q.advance_rate is None


def test_hidden_needs_without_explicit_ones_have_no_ratio():
    assert call_quality([call(hidden=3, explicit=0)]).hidden_to_explicit is None


def test_top_seller_asks_ten_times_more_n_than_team_average():
    # Team 1: rep 10 makes 1 call with N=10; rep 11 makes 9 calls with N=0.
    # Team N per call = 10 / 10 calls = 1.0. Rep 10: 10 / 1 = 10.0 → 10× the team; rep 11: 0 / 9 = 0.
    calls = [call(rep=10, team=1, n=10)] + [call(rep=11, team=1, n=0) for _ in range(9)]
    reps = by_rep(calls)
    assert reps[10].n_per_call == D("10.0000")
    assert reps[10].n_vs_team_average == D("10.0000")
    assert reps[11].n_vs_team_average == D("0.0000")


def test_n_vs_team_average_uses_exact_totals_not_rounded_per_call_figures():
    # Team = rep 1 (1 N / 3 calls) + rep 2 (2 N / 3 calls) → 3 N / 6 calls = 0.5.
    # Rep 1: (1/3) / (1/2) = 2/3 = 0.6667 (rounded per-call figures would give 0.3333 / 0.5 = 0.6666).
    calls = [call(rep=1, n=1), call(rep=1), call(rep=1), call(rep=2, n=2), call(rep=2), call(rep=2)]
    assert by_rep(calls)[1].n_vs_team_average == D("0.6667")


def test_team_without_n_questions_or_rep_without_team_has_no_comparison():
    calls = [call(rep=20, team=2, n=0), call(rep=21, team=None, n=4)]
    reps = by_rep(calls)
    assert reps[20].n_vs_team_average is None  # team 2 asked no N question: cannot divide by 0
    assert reps[21].n_vs_team_average is None  # rep without a team
    assert reps[21].n_per_call == D("4.0000")


def test_rep_who_moved_is_compared_with_the_team_of_their_latest_call():
    # Rep 30: Jan call in team 1 (N=2), Mar call in team 2 (N=2) → rep N/call = 4 / 2 = 2.
    # Team 1 also has rep 31 (N=6): team 1 = (2 + 6) / 2 = 4. Team 2 also has rep 32 (N=0): team 2 = 2 / 2 = 1.
    # Latest team is 2 → 2 / 1 = 2.0 (against team 1 it would have been 0.5).
    calls = [
        call(rep=30, team=1, day=date(2025, 1, 5), n=2),
        call(rep=30, team=2, day=date(2025, 3, 5), n=2),
        call(rep=31, team=1, n=6),
        call(rep=32, team=2, n=0),
    ]
    assert by_rep(calls)[30].n_vs_team_average == D("2.0000")


def test_by_team_groups_calls_and_leaves_out_calls_without_team():
    calls = [call(team=1, s=2, p=1), call(team=1, s=2, p=3), call(team=2, s=5, p=5), call(team=None, s=9)]
    teams = by_team(calls)
    assert set(teams) == {1, 2}
    assert teams[1].calls == 2
    assert teams[1].p_to_s_ratio == D("1.0000")  # (1 + 3) / (2 + 2)
    assert teams[2].p_to_s_ratio == D("1.0000")
    assert teams[1].n_vs_team_average is None


def test_monthly_trend_fills_empty_months_across_the_year_end():
    calls = [
        call(day=date(2024, 11, 3), s=4, p=1),  # Nov: P:S 0.25
        call(day=date(2024, 11, 28), s=4, p=1),
        call(day=date(2025, 2, 14), s=2, p=2),  # Feb: P:S 1.0 — grows with experience
    ]
    trend = monthly_trend(calls)
    assert [month for month, _ in trend] == [date(2024, 11, 1), date(2024, 12, 1), date(2025, 1, 1), date(2025, 2, 1)]
    assert [q.calls for _, q in trend] == [2, 0, 0, 1]
    assert [q.p_to_s_ratio for _, q in trend] == [D("0.2500"), None, None, D("1.0000")]
    assert trend[1][1] == EMPTY


def test_monthly_trend_for_a_rep_compares_with_their_team_each_month():
    # Jan: rep 1 N 2 (1 call); rep 2 N 0 (1 call) → team 2 / 2 = 1 → rep 1 = 2.0
    # Feb: only rep 2 calls → rep 1 has a zero-call entry.
    # Mar: rep 1 N 1, rep 2 N 1 → team 1.0 → rep 1 = 1.0
    calls = [
        call(rep=1, day=date(2025, 1, 2), n=2),
        call(rep=2, day=date(2025, 1, 3), n=0),
        call(rep=2, day=date(2025, 2, 3), n=5),
        call(rep=1, day=date(2025, 3, 2), n=1),
        call(rep=2, day=date(2025, 3, 3), n=1),
        call(rep=2, day=date(2025, 4, 3), n=1),  # after rep 1's last call: outside rep 1's range
    ]
    trend = monthly_trend(calls, rep_id=1)
    assert [(month.month, q.calls, q.n_vs_team_average) for month, q in trend] == [
        (1, 1, D("2.0000")),
        (2, 0, None),
        (3, 1, D("1.0000")),
    ]


def test_monthly_trend_for_a_team_ignores_other_teams():
    calls = [call(team=1, day=date(2025, 1, 1), s=1), call(team=2, day=date(2025, 5, 1), s=1), call(team=1, day=date(2025, 2, 28), s=1)]
    trend = monthly_trend(calls, team_id=1)
    assert [(month, q.calls) for month, q in trend] == [(date(2025, 1, 1), 1), (date(2025, 2, 1), 1)]


def test_monthly_trend_without_matching_calls_is_empty():
    assert monthly_trend([]) == []
    assert monthly_trend([call(rep=1)], rep_id=2) == []


def test_invalid_call_facts_are_refused():
    with pytest.raises(ValueError, match="outcome"):
        call(outcome="won")
    with pytest.raises(ValueError, match="negative"):
        call(s=-1)


call_strategy = st.builds(
    CallFacts,
    rep_id=st.integers(min_value=1, max_value=5),
    team_id=st.one_of(st.none(), st.integers(min_value=1, max_value=2)),
    day=st.dates(min_value=date(2024, 10, 1), max_value=date(2025, 3, 31)),
    s=st.integers(0, 20),
    p=st.integers(0, 20),
    i=st.integers(0, 20),
    n=st.integers(0, 20),
    outcome=st.one_of(st.none(), st.sampled_from(OUTCOMES)),
    explicit_needs=st.integers(0, 5),
    hidden_needs=st.integers(0, 5),
)


@given(calls=st.lists(call_strategy, max_size=30))
def test_per_rep_and_per_month_figures_add_up_to_the_whole(calls):
    whole = call_quality(calls)
    reps = by_rep(calls).values()
    months = [q for _, q in monthly_trend(calls)]
    for part in (reps, months):
        assert sum(q.calls for q in part) == whole.calls
        assert sum(q.n for q in part) == whole.n
        assert sum(q.logged_calls for q in part) == whole.logged_calls
    assert (whole.p_to_s_ratio is None) == (whole.s == 0)
    assert whole.advance_rate is None or D(0) <= whole.advance_rate <= D(1)
