"""The board's first load stays bounded (issue 5 items 3 and 12): 20 cards per column, counts from
one GROUP BY, a flat number of queries whatever the number of deals — for a rep, for their
manager, and for "load more"."""

from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone, translation

from guanxi.sales.models import Opportunity, Stage
from guanxi.sales.tests.factories import account_for, opportunity_for, pipeline, stage
from guanxi.sales.views import PAGE, PER_COLUMN

pytestmark = pytest.mark.django_db

HTMX = {"HTTP_HX_REQUEST": "true"}


def _bulk_open_deals(owner, n: int, *, start: int = 0) -> None:
    account = account_for(owner)
    stages = list(Stage.objects.filter(pipeline=pipeline(), kind="open").order_by("position"))
    now = timezone.now()
    Opportunity.objects.bulk_create(
        [Opportunity(name=f"批量商机{i}", account=account, pipeline=pipeline(), stage=stages[i % len(stages)], owner=owner,
                     team_id=owner.teams.values_list("pk", flat=True).first(), department_id=owner.department_id,
                     amount=Decimal("1000.00"), board_rank=i, stage_entered_at=now)
         for i in range(start, start + n)],
        batch_size=1000,
    )


def _get(client, url, **extra):
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(url, **extra)
    assert response.status_code == 200
    return response, len(ctx.captured_queries)


def test_managers_board_first_load_is_flat_from_10_to_5000_open_deals(client, bob, carol):
    _bulk_open_deals(carol, 10)
    client.force_login(bob)
    url = reverse("sales:board")
    client.get(url)  # the session and caches
    _, few = _get(client, url)
    _bulk_open_deals(carol, 4990, start=10)
    response, many = _get(client, url)
    assert many == few, f"{few} queries with 10 deals, {many} with 5,000"
    assert response.content.decode().count('data-testid="card"') == 4 * PER_COLUMN  # four open columns of 5,000 / 4
    columns = {c.stage.code: c for c, _cards in response.context["columns"]}
    assert columns["initial"].total == 1250 and len(columns["initial"].cards) == PER_COLUMN and columns["initial"].next_cursor


def test_load_more_is_flat_too(client, carol):
    _bulk_open_deals(carol, 4 * (PER_COLUMN + 5))
    client.force_login(carol)
    first = client.get(reverse("sales:board")).context["columns"][0][0]
    url = f"{reverse('sales:board_column', args=[first.stage.pk])}?after={first.next_cursor}"
    page, few = _get(client, url, **HTMX)
    assert page.content.decode().count('data-testid="card"') == 5
    _bulk_open_deals(carol, 4000, start=1000)  # ranks above the first ones: the first page changes, not the cost
    first = client.get(reverse("sales:board")).context["columns"][0][0]
    page, many = _get(client, f"{reverse('sales:board_column', args=[first.stage.pk])}?after={first.next_cursor}", **HTMX)
    assert many == few
    assert page.content.decode().count('data-testid="card"') == PAGE


def test_a_card_shows_its_figures_a_link_and_the_other_stages_to_move_to(client, carol):
    opp = opportunity_for(carol, name="苏州工厂扩建", amount=Decimal("30000.50"))
    carol.language = "en"
    carol.save()
    client.force_login(carol)
    html = client.get(reverse("sales:board")).content.decode()
    card = html[html.index(f'<li class="deal-card" id="opp-{opp.pk}"'):]
    card = card[: card.index("</li>")]
    assert f'data-version="{opp.version}"' in card and f'data-stage-id="{opp.stage_id}"' in card
    assert f'href="{reverse("sales:opportunity_detail", args=[opp.pk])}"' in card
    assert f'data-move-url="{reverse("sales:opportunity_move", args=[opp.pk])}"' in card
    with translation.override("en"):
        others = [s.name for s in Stage.objects.filter(pipeline=pipeline()).order_by("position") if s.pk != opp.stage_id]
    assert "30,000.50" in card and ">10%<" in card and str(carol) in card
    assert all(f">{name}</option>" in card for name in others)
    assert f'<option value="{stage("initial").pk}">' not in card  # not to the stage it is in


def test_the_owner_filter_keeps_its_choice(client, bob, carol):
    opportunity_for(carol)
    client.force_login(bob)
    html = client.get(reverse("sales:board"), {"owner": carol.pk}).content.decode()
    assert f'<option value="{carol.pk}" selected>' in html
