"""Satisfaction analysis (issue 6 item 6): the SQL aggregates agree with the pure, hand-tested
functions of ``satisfaction``; visibility follows the account."""

from __future__ import annotations

import random
from datetime import date, datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest

from guanxi.service import analysis
from guanxi.service import satisfaction as sat
from guanxi.service.tests import survey_factories as f

pytestmark = pytest.mark.django_db

SH = ZoneInfo("Asia/Shanghai")
YEAR = analysis.AnalysisFilter(start=date(2025, 1, 1), end=date(2025, 12, 31))
D = Decimal


@pytest.fixture
def data(org):
    """Hand-worked: survey 1..7, items delivery (service) and quality (product).

    delivery: carol's account: experience 4, expectation 6, importance 7, adequate 5, desired 7
              dave's account:  experience 5, expectation 5, importance 5, adequate 4, desired 6
    quality:  carol's account: experience 6, expectation 5, importance 3, adequate 4, desired 6
              dave's account:  experience 3, expectation 6, importance 6, adequate 4, desired 7
    """
    users = org.users
    carol_acc, dave_acc = f.account(users["carol"], tier="key"), f.account(users["dave"], tier="general")
    s = f.survey(users["bob"])
    f.respond(s, f.contact(users["carol"], carol_acc), {
        "delivery": {"experience": 4, "expectation": 6, "importance": 7, "adequate": 5, "desired": 7},
        "quality": {"experience": 6, "expectation": 5, "importance": 3, "adequate": 4, "desired": 6},
    }, nps=10, csat=5, at=datetime(2025, 3, 10, 9, tzinfo=SH))
    f.respond(s, f.contact(users["dave"], dave_acc), {
        "delivery": {"experience": 5, "expectation": 5, "importance": 5, "adequate": 4, "desired": 6},
        "quality": {"experience": 3, "expectation": 6, "importance": 6, "adequate": 4, "desired": 7},
    }, nps=5, csat=3, at=datetime(2025, 5, 31, 23, 30, tzinfo=SH))  # May in Shanghai, still May 31 15:30 UTC
    return {"users": users, "survey": s, "carol_acc": carol_acc, "dave_acc": dave_acc}


def test_gap_by_dimension_matches_the_pure_function(data):
    alice = data["users"]["alice"]
    by_sql = analysis.gaps(alice, YEAR, by="dimension")
    assert by_sql == sat.aggregate_gaps(analysis.load_ratings(alice, YEAR), "dimension")
    # service (delivery): experience 4.5, expectation 5.5 → −1; product (quality): 4.5 − 5.5 → −1.
    assert by_sql["service"].mean_gap == D("-1.0000") and by_sql["product"].mean_experience == D("4.5000")


def test_every_grouping_matches_the_pure_function_on_random_answers(org):
    users = org.users
    rng = random.Random(6)
    s = f.survey(users["bob"], items=(("a", "service"), ("b", "price"), ("c", "brand")), scale_max=10)
    accounts = [f.account(users["carol"], tier=t) for t in ("key", "general", None)]
    for n in range(18):
        ratings = {}
        for code in "abc":
            values = {k: rng.choice([None, *[str(D(rng.randint(10, 100)) / 10) for _ in range(3)]])
                      for k in ("expectation", "desired", "adequate", "importance")}
            values["experience"] = str(D(rng.randint(10, 100)) / 10)
            ratings[code] = {k: v for k, v in values.items() if v is not None}
        f.respond(s, accounts[n % 3], ratings, nps=rng.randint(0, 10), csat=rng.randint(1, 5),
                  at=datetime(2025, 1 + n % 6 * 2, 28, 20, tzinfo=SH))
    alice = users["alice"]
    ratings = analysis.load_ratings(alice, YEAR)
    assert len(ratings) == 54
    for by in sat.GROUPINGS:
        assert analysis.gaps(alice, YEAR, by=by) == sat.aggregate_gaps(ratings, by), by
    assert analysis.key_experience(alice, YEAR) == sat.key_experience(ratings)
    assert analysis.tolerance_zone(alice, YEAR) == sat.tolerance_zone(ratings)
    assert analysis.trend(alice, YEAR) == sat.monthly_trend(ratings)
    assert analysis.trend(alice, YEAR, dimension="price") == sat.monthly_trend(ratings, dimension="price")


def test_key_experience_top_item_is_flagged(data):
    ranking = analysis.key_experience(data["users"]["alice"], YEAR)
    # delivery: shortfall mean(2, 0) = 1, importance 6 → 6; quality: mean(0, 3) = 1.5, importance 4.5 → 6.75.
    assert [(k.item, k.score) for k in ranking] == [("quality", D("6.7500")), ("delivery", D("6.0000"))]
    assert ranking == sat.key_experience(analysis.load_ratings(data["users"]["alice"], YEAR))


def test_below_zone_items_are_flagged(data):
    zone = analysis.tolerance_zone(data["users"]["alice"], YEAR)
    # delivery: adequate 4.5, desired 6.5, perceived 4.5 → within; quality: 4, 6.5, 4.5 → within.
    assert [(z.item, z.position) for z in zone] == [("delivery", "within"), ("quality", "within")]
    carol_only = analysis.tolerance_zone(data["users"]["carol"], YEAR)
    # carol sees only her account: delivery perceived 4 < adequate 5 → below (flagged, listed first).
    assert [(z.item, z.position, z.flagged) for z in carol_only] == [("delivery", "below", True), ("quality", "within", False)]


def test_nps_and_csat_from_answers(data):
    scores = analysis.scores(data["users"]["alice"], YEAR)
    assert scores.nps == sat.nps([10, 5]) == D("0.00")
    assert scores.csat == sat.csat([5, 3]) == D("50.00")
    assert (scores.promoters, scores.passives, scores.detractors) == (1, 0, 1)


@pytest.mark.parametrize("promoters,passives,detractors", [(0, 0, 0), (3, 1, 2), (1, 0, 0), (0, 0, 7), (2, 5, 1)])
def test_count_helpers_agree_with_the_pure_functions(promoters, passives, detractors):
    answers = [10] * promoters + [7] * passives + [3] * detractors
    assert analysis.nps_from_counts(promoters, detractors, len(answers)) == sat.nps(answers)
    csat_answers = [5] * promoters + [3] * (passives + detractors)
    assert analysis.csat_from_counts(promoters, len(csat_answers)) == sat.csat(csat_answers)


def test_rep_sees_only_answers_of_visible_accounts(data):
    users = data["users"]
    carol = analysis.gaps(users["carol"], YEAR, by="account")
    assert list(carol) == [data["carol_acc"].pk]
    assert list(analysis.gaps(users["dave"], YEAR, by="account")) == [data["dave_acc"].pk]
    assert set(analysis.gaps(users["bob"], YEAR, by="account")) == {data["carol_acc"].pk}
    assert set(analysis.gaps(users["alice"], YEAR, by="account")) == {data["carol_acc"].pk, data["dave_acc"].pk}
    assert analysis.scores(users["carol"], YEAR).nps_answers == 1


def test_segment_month_and_trend_groupings(data):
    alice = data["users"]["alice"]
    assert set(analysis.gaps(alice, YEAR, by="segment")) == {"key", "general"}
    assert list(analysis.gaps(alice, YEAR, by="month")) == [date(2025, 3, 1), date(2025, 5, 1)]
    trend = analysis.trend(alice, YEAR)
    assert [p.month for p in trend] == [date(2025, 3, 1), date(2025, 4, 1), date(2025, 5, 1)]
    assert trend[1].n == 0 and trend[1].mean_gap is None
    only_key = analysis.AnalysisFilter(start=YEAR.start, end=YEAR.end, segment="key")
    assert analysis.scores(alice, only_key).nps == D("100.00")


def test_analysis_runs_a_constant_number_of_queries(data, django_assert_max_num_queries):
    alice = data["users"]["alice"]
    with django_assert_max_num_queries(1):
        analysis.gaps(alice, YEAR, by="item")
    with django_assert_max_num_queries(1):
        analysis.key_experience(alice, YEAR)
