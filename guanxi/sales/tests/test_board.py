from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from guanxi.core.errors import ValidationFailed
from guanxi.core.pagination import InvalidCursor
from guanxi.sales import opportunities as svc
from guanxi.sales.lists import OPPORTUNITY_LIST
from guanxi.sales.models import Opportunity, Stage
from guanxi.sales.selectors import board_column_page, board_columns
from guanxi.sales.tests.factories import account_for, opportunity_for, pipeline, stage

pytestmark = pytest.mark.django_db


def _bulk_open_deals(owner, n: int) -> None:
    account = account_for(owner)
    stages = list(Stage.objects.filter(pipeline=pipeline(), kind="open").order_by("position"))
    now = timezone.now()
    Opportunity.objects.bulk_create(
        [
            Opportunity(name=f"批量商机{i}", account=account, pipeline=pipeline(), stage=stages[i % len(stages)], owner=owner,
                        department_id=owner.department_id, amount=Decimal("1000.00"), board_rank=i, stage_entered_at=now)
            for i in range(n)
        ],
        batch_size=1000,
    )


def _queries(fn):
    with CaptureQueriesContext(connection) as ctx:
        result = fn()
    return result, len(ctx.captured_queries)


def test_board_query_count_is_constant_with_5000_open_deals(carol):
    _bulk_open_deals(carol, 20)
    board = pipeline()
    board_columns(carol, board)  # the actor's role scopes are read once per request
    _, small = _queries(lambda: board_columns(carol, board, per_column=50))
    _bulk_open_deals(carol, 5000)
    result, large = _queries(lambda: board_columns(carol, board, per_column=50))
    assert large == small == 3  # stages, one grouped aggregate, one window query for the cards
    by_code = {c.stage.code: c for c in result.columns}
    assert [c.stage.code for c in result.columns] == ["initial", "needs", "proposal", "negotiation", "won", "lost"]
    assert by_code["initial"].total == 1255  # 5 + 1250 deals in the first of four open stages
    assert len(by_code["initial"].cards) == 50 and by_code["initial"].next_cursor
    assert by_code["initial"].amount == Decimal("1255000.00")
    assert by_code["initial"].weighted == Decimal("125500.00")  # 10 %
    assert by_code["won"].total == 0 and by_code["won"].cards == []


def test_column_pages_follow_the_board_order_without_gaps(carol):
    _bulk_open_deals(carol, 400)
    board = board_columns(carol, pipeline(), per_column=20)
    column = board.columns[0]
    seen = [o.pk for o in column.cards]
    cursor = column.next_cursor
    while cursor:
        page = board_column_page(carol, column.stage, cursor, limit=50)
        seen += [o.pk for o in page.items]
        cursor = page.next_cursor
    expected = list(Opportunity.objects.filter(stage=column.stage).order_by("-board_rank", "-id").values_list("pk", flat=True))
    assert seen == expected and len(seen) == 100


def test_a_forged_column_cursor_is_refused(carol):
    with pytest.raises(InvalidCursor):
        board_column_page(carol, stage("initial"), "bm90IGEgY3Vyc29y")


def test_dave_sees_none_of_carols_cards_and_bob_sees_them(carol, dave, bob):
    opportunity_for(carol)
    assert sum(c.total for c in board_columns(dave, pipeline()).columns) == 0
    assert sum(c.total for c in board_columns(bob, pipeline()).columns) == 1


def test_board_filters_come_from_the_list_allow_list(carol):
    opportunity_for(carol, amount=Decimal("10"))
    opportunity_for(carol, amount=Decimal("999999"))
    params = OPPORTUNITY_LIST.parse({"amount__min": "1000"})
    board = board_columns(carol, pipeline(), params=params)
    assert board.columns[0].total == 1


def test_moved_card_lands_above_the_card_it_was_dropped_on(carol):
    a, b, c = (opportunity_for(carol) for _ in range(3))  # top of the column: c, b, a
    target = stage("needs")
    for opp in (a, b, c):
        opp.refresh_from_db()
        svc.opportunity_move(actor=carol, opportunity=opp, stage=target, version=opp.version)  # column: c, b, a
    a.refresh_from_db()
    svc.opportunity_move(actor=carol, opportunity=a, stage=target, version=a.version, before_id=b.pk)
    order = [o.pk for o in board_columns(carol, pipeline()).columns[1].cards]
    assert order == [c.pk, a.pk, b.pk]
    c.refresh_from_db()
    svc.opportunity_move(actor=carol, opportunity=c, stage=target, version=c.version, before_id=b.pk)
    assert [o.pk for o in board_columns(carol, pipeline()).columns[1].cards] == [a.pk, c.pk, b.pk]


def test_dropping_on_a_card_of_another_column_is_refused(carol):
    a, b = opportunity_for(carol), opportunity_for(carol)
    with pytest.raises(ValidationFailed):
        svc.opportunity_move(actor=carol, opportunity=a, stage=stage("needs"), version=a.version, before_id=b.pk)


def test_ranks_without_a_gap_are_spread_when_a_card_is_dropped_between_them(carol):
    a, b, c = (opportunity_for(carol) for _ in range(3))
    Opportunity.objects.filter(pk__in=[a.pk, b.pk, c.pk]).update(board_rank=7)  # ties: order by id desc → c, b, a
    a.refresh_from_db()
    svc.opportunity_move(actor=carol, opportunity=a, stage=a.stage, version=a.version, before_id=b.pk)
    assert [o.pk for o in board_columns(carol, pipeline()).columns[0].cards] == [c.pk, a.pk, b.pk]


def test_won_column_shows_recently_closed_deals(carol):
    opp = opportunity_for(carol)
    svc.opportunity_win(actor=carol, opportunity=opp, version=opp.version)
    won = next(c for c in board_columns(carol, pipeline()).columns if c.stage.code == "won")
    assert [o.pk for o in won.cards] == [opp.pk]
    Opportunity.objects.filter(pk=opp.pk).update(closed_at=timezone.now() - timezone.timedelta(days=90))
    won = next(c for c in board_columns(carol, pipeline()).columns if c.stage.code == "won")
    assert won.total == 0
