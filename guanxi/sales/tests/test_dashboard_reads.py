"""The dashboard reads the open deals once (issue 5 item 12): the grouped rows give the same
weighted forecast and the same pipeline by stage as their own queries."""

from __future__ import annotations

from datetime import date

import pytest
from django.utils import translation

from guanxi.core.errors import NotFound
from guanxi.sales.dashboards import pipeline_by_stage
from guanxi.sales.forecast import forecast_for, open_deal_groups
from guanxi.sales.tests import activity_factories as f

pytestmark = pytest.mark.django_db
MARCH = date(2026, 3, 1)


@pytest.mark.parametrize("language", ["en", "zh-hans"])
def test_open_deal_groups_give_the_forecast_and_the_pipeline_their_own_queries_give(bob, carol, dave, org, language):
    f.opportunity(carol, stage="first", amount="1000", expected_close=date(2026, 3, 15))
    f.opportunity(carol, stage="quote", amount="2000", expected_close=date(2026, 3, 31))
    f.opportunity(carol, stage="first", amount="1000", probability=80, expected_close=date(2026, 4, 2))
    f.opportunity(carol, stage="quote", amount="500", expected_close=date(2025, 12, 2))  # overdue
    f.opportunity(carol, stage="quote", amount="700", expected_close=date(2027, 12, 2))  # beyond the horizon
    f.opportunity(carol, stage="first", amount="300")  # no expected close: in the pipeline, not in the forecast
    f.opportunity(bob, stage="quote", amount="900", expected_close=date(2026, 5, 1))
    f.opportunity(dave, stage="quote", amount="99999", expected_close=date(2026, 3, 2))  # not bob's to see
    with translation.override(language):
        for subject in ({}, {"user": carol}, {"team": org.team_east}):
            groups = open_deal_groups(bob, **subject)
            assert forecast_for(bob, months=6, start=MARCH, open_groups=groups, **subject) == forecast_for(bob, months=6, start=MARCH, **subject)
            ids = {"user_id": subject["user"].pk} if "user" in subject else {"team_id": subject["team"].pk} if "team" in subject else {}
            assert pipeline_by_stage(bob, groups=groups, **ids) == pipeline_by_stage(bob, **ids)
    assert sum(t.deals for t in pipeline_by_stage(bob, groups=open_deal_groups(bob))) == 7
    with pytest.raises(NotFound):
        open_deal_groups(carol, user=dave)
