"""Satisfaction calculations (DOMAIN §4 满意度), checked against arithmetic worked out by hand.

All examples use one 1–7 survey scale unless said otherwise.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal as D

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from guanxi.service.satisfaction import (
    DIMENSIONS,
    GapSummary,
    KeyExperience,
    Rating,
    TrendPoint,
    ZoneItem,
    aggregate_gaps,
    csat,
    gap,
    key_experience,
    monthly_trend,
    nps,
    position_in_zone,
    tolerance_zone,
)

DAY = date(2026, 3, 15)


def r(
    item: str = "q1",
    dimension: str = "service",
    *,
    expect: int | str | None = None,
    exp: int | str | None = None,
    adequate: int | str | None = None,
    desired: int | str | None = None,
    importance: int | str | None = None,
    account: int | None = None,
    segment: str | None = None,
    day: date = DAY,
) -> Rating:
    def dec(v):
        return None if v is None else D(v)

    return Rating(item, dimension, dec(expect), dec(desired), dec(adequate), dec(exp), dec(importance), account, None, segment, day)


def test_the_six_experience_dimensions_of_the_source_are_the_codes():
    assert DIMENSIONS == ("product", "service", "relationship", "convenience", "brand", "price")


# ---------------------------------------------------------------- gap


def test_gap_is_experience_minus_expectation():
    assert gap(D(5), D(6)) == D(-1)  # worse than expected
    assert gap(D(7), D(4)) == D(3)
    assert gap(None, D(4)) is None
    assert gap(D(4), None) is None


def test_gaps_per_item_skip_answers_missing_a_number_and_count_them():
    ratings = [
        r("q1", expect=6, exp=5),  # gap −1
        r("q1", expect=5, exp=7),  # gap +2
        r("q1", expect=6, exp=None),  # skipped
        r("q2", expect=4, exp=4),  # gap 0
    ]
    # q1: experience (5+7)/2 = 6, expectation (6+5)/2 = 5.5, gap 0.5 = mean of (−1, +2).
    assert aggregate_gaps(ratings, "item") == {
        "q1": GapSummary(n=2, skipped=1, mean_experience=D("6.0000"), mean_expectation=D("5.5000"), mean_gap=D("0.5000")),
        "q2": GapSummary(n=1, skipped=0, mean_experience=D(4), mean_expectation=D(4), mean_gap=D(0)),
    }


def test_gaps_per_dimension_round_thirds_to_four_places():
    ratings = [r("a", "product", expect=5, exp=4), r("b", "product", expect=5, exp=4), r("c", "product", expect=5, exp=5)]
    # experience (4+4+5)/3 = 13/3 = 4.3333…, expectation 5, gap −2/3 = −0.6667 (half-up).
    summary = aggregate_gaps(ratings, "dimension")["product"]
    assert (summary.mean_experience, summary.mean_gap) == (D("4.3333"), D("-0.6667"))


def test_gaps_per_account_put_anonymous_answers_last():
    ratings = [r(expect=5, exp=6, account=None), r(expect=5, exp=3, account=20), r(expect=5, exp=4, account=10)]
    result = aggregate_gaps(ratings, "account")
    assert list(result) == [10, 20, None]
    assert [s.mean_gap for s in result.values()] == [D(-1), D(-2), D(1)]


def test_gaps_per_segment_and_month():
    ratings = [
        r(expect=5, exp=6, segment="vip", day=date(2026, 1, 31)),
        r(expect=5, exp=4, segment="vip", day=date(2026, 2, 1)),
        r(expect=5, exp=2, segment="mass", day=date(2026, 2, 28)),
    ]
    assert {k: s.mean_gap for k, s in aggregate_gaps(ratings, "segment").items()} == {"mass": D(-3), "vip": D(0)}
    # February: gaps −1 and −3 → −2.
    assert {k: s.mean_gap for k, s in aggregate_gaps(ratings, "month").items()} == {date(2026, 1, 1): D(1), date(2026, 2, 1): D(-2)}


def test_a_group_whose_answers_all_miss_a_number_has_no_means():
    ratings = [r(expect=5), r(exp=4), r()]
    assert aggregate_gaps(ratings, "item") == {"q1": GapSummary(0, 3, None, None, None)}


def test_no_answers_give_no_groups():
    assert aggregate_gaps([], "item") == {}


def test_an_unknown_grouping_is_refused():
    with pytest.raises(ValueError, match="grouping"):
        aggregate_gaps([r(expect=1, exp=1)], "contact")  # type: ignore[arg-type]


def test_monthly_trend_fills_months_without_answers():
    ratings = [
        r(expect=5, exp=6, day=date(2025, 12, 3)),
        r(expect=5, exp=3, day=date(2026, 2, 10)),  # −2
        r(expect=4, exp=4, day=date(2026, 2, 11)),  # 0  → February mean −1
        r("other", "price", expect=7, exp=1, day=date(2026, 2, 11)),  # another dimension
        r(expect=5, day=date(2026, 4, 1)),  # no experience: left out, so April does not appear
    ]
    assert monthly_trend(ratings, dimension="service") == [
        TrendPoint(date(2025, 12, 1), 1, D(1)),
        TrendPoint(date(2026, 1, 1), 0, None),
        TrendPoint(date(2026, 2, 1), 2, D(-1)),
    ]
    assert monthly_trend(ratings, item="other") == [TrendPoint(date(2026, 2, 1), 1, D(-6))]
    assert monthly_trend([], dimension="service") == []


# ---------------------------------------------------------------- key experience


def test_key_experience_ranks_importance_times_shortfall():
    ratings = [
        # waiting: shortfall 6−3 = 3, importance 6 → 18
        r("waiting", "service", expect=6, exp=3, importance=6),
        # price: shortfalls 6−4 = 2 and max(0, 5−7) = 0 → mean 1; importance (7+5)/2 = 6 → 6.
        # Exceeding expectations on the 2nd answer does not cancel the 1st answer's shortfall.
        r("price", "price", expect=6, exp=4, importance=7),
        r("price", "price", expect=5, exp=7, importance=5),
        # parking: shortfall 2, importance 3 → 6, ties with price; larger shortfall ranks first.
        r("parking", "convenience", expect=6, exp=4, importance=3),
        # brand: no shortfall → 0, last
        r("brand", "brand", expect=4, exp=6, importance=7),
    ]
    assert key_experience(ratings) == [
        KeyExperience("waiting", "service", D(6), D(3), D(18)),
        KeyExperience("parking", "convenience", D(3), D(2), D(6)),
        KeyExperience("price", "price", D(6), D(1), D(6)),
        KeyExperience("brand", "brand", D(7), D(0), D(0)),
    ]


def test_exact_ties_are_ordered_by_item_code_whatever_the_input_order():
    a = r("b-item", expect=5, exp=4, importance=2)
    b = r("a-item", expect=5, exp=4, importance=2)
    assert [k.item for k in key_experience([a, b])] == ["a-item", "b-item"]
    assert [k.item for k in key_experience([b, a])] == ["a-item", "b-item"]


def test_an_item_nobody_rated_for_importance_scores_zero_but_shows_its_shortfall():
    ratings = [r("q1", expect=6, exp=2), r("q2", expect=5, exp=4, importance=1)]
    # q1: shortfall 4 but no importance → score 0, after q2 (1 × 1 = 1).
    assert key_experience(ratings) == [
        KeyExperience("q2", "service", D(1), D(1), D(1)),
        KeyExperience("q1", "service", None, D(4), D(0)),
    ]


def test_key_experience_leaves_out_items_without_a_complete_answer_and_handles_no_answers():
    assert key_experience([r("q1", expect=6, importance=7)]) == []
    assert key_experience([]) == []


def test_an_item_takes_its_most_frequent_dimension():
    ratings = [r("q1", "price", expect=5, exp=5), r("q1", "service", expect=5, exp=5), r("q1", "service", expect=5, exp=5)]
    assert key_experience(ratings)[0].dimension == "service"


# ---------------------------------------------------------------- zone of tolerance


def test_zone_of_tolerance_flags_items_perceived_below_adequate():
    ratings = [
        # counter: adequate 4, desired 6, perceived (3+2)/2 = 2.5 < 4 → below (dissatisfies)
        r("counter", adequate=4, desired=6, exp=3),
        r("counter", adequate=4, desired=6, exp=2),
        # phone: perceived 5 inside 4..6 → within
        r("phone", adequate=4, desired=6, exp=5),
        # web: perceived 7 > desired 6 → above (delighted)
        r("web", adequate=4, desired=6, exp=7),
        # shop: adequate 5, perceived 4.5 → below, but less far below than counter (−0.5 vs −1.5)
        r("shop", adequate=5, desired=6, exp=4),
        r("shop", adequate=5, desired=6, exp=5),
    ]
    zone = tolerance_zone(ratings)
    assert zone == [
        ZoneItem("counter", D(4), D(6), D("2.5"), "below"),
        ZoneItem("shop", D(5), D(6), D("4.5"), "below"),
        ZoneItem("phone", D(4), D(6), D(5), "within"),
        ZoneItem("web", D(4), D(6), D(7), "above"),
    ]
    assert [z.flagged for z in zone] == [True, True, False, False]


def test_the_zone_includes_its_bounds():
    assert position_in_zone(D(4), adequate=D(4), desired=D(6)) == "within"
    assert position_in_zone(D(6), adequate=D(4), desired=D(6)) == "within"
    assert position_in_zone(D("3.9999"), adequate=D(4), desired=D(6)) == "below"


def test_zone_means_use_each_number_where_given_and_skip_items_lacking_one():
    ratings = [
        r("q1", adequate=3, exp=5),
        r("q1", desired=7, exp=6),  # q1: adequate 3, desired 7, perceived 5.5
        r("q2", adequate=3, desired=6),  # never experienced → left out
    ]
    assert tolerance_zone(ratings) == [ZoneItem("q1", D(3), D(7), D("5.5"), "within")]
    assert tolerance_zone([]) == []


# ---------------------------------------------------------------- CSAT and NPS


def test_csat_is_the_share_of_fours_and_fives():
    assert csat([5, 4, 3, 2, 5]) == D("60.00")  # 3 of 5
    assert csat([D(4), D(4), D(1)]) == D("66.67")  # 2/3 = 66.666… → 66.67
    assert csat([6, 7, 5], scale_max=7, satisfied_from=6) == D("66.67")


def test_csat_without_answers_is_none_and_out_of_scale_answers_are_refused():
    assert csat([]) is None
    with pytest.raises(ValueError):
        csat([6])
    with pytest.raises(ValueError):
        csat([3], satisfied_from=6)


def test_nps_is_promoters_minus_detractors():
    assert nps([10, 9, 8, 7, 6, 0]) == D("0.00")  # 2 promoters, 2 detractors
    assert nps([10, 10, 9, 3]) == D("50.00")  # (3 − 1) / 4
    assert nps([9, 9, 7]) == D("66.67")  # 2/3
    assert nps([0, 6]) == D("-100.00")
    assert nps([7, 8]) == D("0.00")  # passives only


def test_nps_without_answers_is_none_and_odd_answers_are_refused():
    assert nps([]) is None
    for bad in ([11], [-1], [True]):
        with pytest.raises(ValueError):
            nps(bad)
    with pytest.raises(ValueError):
        nps([D("9.5")])  # type: ignore[list-item]


# ---------------------------------------------------------------- properties

scale = st.one_of(st.none(), st.integers(min_value=1, max_value=7).map(D))
ratings_lists = st.lists(
    st.builds(
        lambda item, dim, e, x, imp, a, d: r(item, dim, expect=e, exp=x, importance=imp, adequate=a, desired=d),
        st.sampled_from(["q1", "q2", "q3"]),
        st.sampled_from(DIMENSIONS),
        scale,
        scale,
        scale,
        scale,
        scale,
    ),
    max_size=30,
)


@settings(max_examples=150, deadline=None)
@given(ratings_lists)
def test_every_answer_is_either_counted_or_skipped(ratings):
    for by in ("item", "dimension", "account", "segment", "month"):
        summaries = aggregate_gaps(ratings, by)  # type: ignore[arg-type]
        assert sum(s.n + s.skipped for s in summaries.values()) == len(ratings)
        for s in summaries.values():
            if s.n:
                # the mean gap is the difference of the means (each rounded once: at most 1e-4 apart)
                assert abs(s.mean_gap - (s.mean_experience - s.mean_expectation)) <= D("0.0001")


@settings(max_examples=150, deadline=None)
@given(ratings_lists, st.randoms(use_true_random=False))
def test_key_experience_is_sorted_and_ignores_input_order(ratings, rnd):
    ranked = key_experience(ratings)
    assert [k.score for k in ranked] == sorted((k.score for k in ranked), reverse=True)
    assert all(k.score >= 0 and k.shortfall >= 0 for k in ranked)
    shuffled = list(ratings)
    rnd.shuffle(shuffled)
    assert key_experience(shuffled) == ranked
    assert tolerance_zone(shuffled) == tolerance_zone(ratings)


@settings(max_examples=150, deadline=None)
@given(st.lists(st.integers(min_value=0, max_value=10), min_size=1))
def test_nps_stays_between_minus_and_plus_one_hundred(scores):
    value = nps(scores)
    assert value is not None and D(-100) <= value <= D(100)
