"""Follow-up visit pages (回访, issue 6 item 7): the list (mine, due, overdue, done, by owner and
reason) in a number of queries that does not grow with its rows, 404 for visits one may not see,
recording the outcome and the customer's satisfaction with its errors on the form, and the
administrators' rules page."""

from __future__ import annotations

import itertools
from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone, translation

from guanxi.customers.timeline import account_timeline
from guanxi.service import followups
from guanxi.service.models import FollowUpRule, FollowUpTrigger, FollowUpVisit
from guanxi.service.tests import survey_factories as f

pytestmark = pytest.mark.django_db
LIST = reverse("service:followup_list")
RULES = reverse("service:followup_rules")
_n = itertools.count(1000)


def _client(client, user, language="en"):
    user.language = language
    user.save()
    client.force_login(user)
    return client


def _visit(owner, *, days: float = 1, trigger: str = FollowUpTrigger.KEY_ACCOUNT_EVENT, account=None) -> FollowUpVisit:
    """A visit of ``owner``'s account due ``days`` from now (negative: overdue)."""
    acc = account or f.account(owner)
    when = timezone.now() + timedelta(days=days)
    if trigger == FollowUpTrigger.KEY_ACCOUNT_EVENT:
        visit = followups.schedule_for_key_account_event(acc, next(_n), when - timedelta(days=followups.KEY_ACCOUNT_DEFAULT_DAYS))
    else:
        visit = followups._schedule(account=acc, trigger=trigger, source_id=next(_n), due_at=when, rule=None)
    assert visit is not None
    return visit


def _detail(v: FollowUpVisit) -> str:
    return reverse("service:followup_detail", args=[v.pk])


def _complete(v: FollowUpVisit) -> str:
    return reverse("service:followup_complete", args=[v.pk])


def _rows(response) -> set[int]:
    return {v.pk for v in response.context["page"].items}


# --- the list ------------------------------------------------------------------------------------

def test_my_list_and_its_filters(client, bob, carol, dave):
    soon, late, far = _visit(carol, days=2), _visit(carol, days=-3), _visit(carol, days=30, trigger=FollowUpTrigger.ORDER_DELIVERED)
    done = _visit(carol, days=-10)
    followups.followup_complete(actor=carol, visit=done, outcome="satisfied", satisfaction=5, notes="", version=done.version)
    daves = _visit(dave, days=-1)
    c = _client(client, carol)
    r = c.get(LIST)
    assert r.status_code == 200 and _rows(r) == {soon.pk, late.pk, far.pk}
    assert [v.pk for v in r.context["page"].items] == [late.pk, soon.pk, far.pk]  # soonest due first
    assert 'data-testid="overdue-notice"' in r.content.decode()
    assert _rows(c.get(LIST, {"status": "overdue"})) == {late.pk}
    assert _rows(c.get(LIST, {"status": "due"})) == {soon.pk}
    assert _rows(c.get(LIST, {"status": "done"})) == {done.pk}
    assert _rows(c.get(LIST, {"status": "all"})) == {soon.pk, late.pk, far.pk, done.pk}
    assert _rows(c.get(LIST, {"trigger": "order_delivered"})) == {far.pk}
    assert _rows(c.get(LIST, {"owner": "all"})) == {soon.pk, late.pk, far.pk}  # dave's is not hers to see
    assert _rows(c.get(LIST, {"owner": str(dave.pk)})) == set()
    # bob sees his team's visits when he asks for everyone's; "me" is his own (none)
    b = _client(client, bob)
    assert _rows(b.get(LIST)) == set()
    assert _rows(b.get(LIST, {"owner": "all"})) == {soon.pk, late.pk, far.pk}
    assert _rows(b.get(LIST, {"owner": str(carol.pk), "status": "overdue"})) == {late.pk}
    assert daves.pk not in _rows(b.get(LIST, {"owner": "all", "status": "all"}))
    # nonsense parameters fall back to the defaults rather than failing
    assert c.get(LIST, {"status": "everything", "owner": "x' or 1=1", "trigger": "<b>", "after": "garbage"}).status_code == 200


def test_empty_states(client, carol):
    c = _client(client, carol)
    assert "No follow-up visits match these filters." in c.get(LIST).content.decode()
    assert "Nothing overdue." in c.get(LIST, {"status": "overdue"}).content.decode()


def test_list_pages_with_a_cursor(client, carol, monkeypatch):
    from guanxi.service import views_followups

    monkeypatch.setattr(views_followups, "PAGE_SIZE", 2)
    visits = [_visit(carol, days=d) for d in (1, 2, 3)]
    c = _client(client, carol)
    first = c.get(LIST)
    assert [v.pk for v in first.context["page"].items] == [visits[0].pk, visits[1].pk]
    cursor = first.context["page"].next_cursor
    assert [v.pk for v in c.get(LIST, {"after": cursor}).context["page"].items] == [visits[2].pk]


def test_list_query_count_does_not_grow_with_rows(client, carol):
    c = _client(client, carol)

    def queries() -> int:
        with CaptureQueriesContext(connection) as ctx:
            assert c.get(LIST, {"owner": "all", "status": "all"}).status_code == 200
        return len(ctx.captured_queries)

    for days in (1, -1):
        _visit(carol, days=days)
    few = queries()
    acc = f.account(carol)
    for i in range(12):
        _visit(carol, days=i - 6, account=acc if i % 2 else None,
               trigger=FollowUpTrigger.ORDER_DELIVERED if i % 3 else FollowUpTrigger.KEY_ACCOUNT_EVENT)
    assert queries() == few


# --- one visit -----------------------------------------------------------------------------------

def test_visits_one_may_not_see_are_404(client, carol, dave, grace):
    visit = _visit(carol, days=-1)
    d = _client(client, dave)
    assert d.get(_detail(visit)).status_code == 404
    assert d.post(_complete(visit), {"outcome": "satisfied", "version": visit.version}).status_code == 404
    assert d.get(reverse("service:followup_detail", args=[999999])).status_code == 404
    g = _client(client, grace)
    page = g.get(_detail(visit))
    assert page.status_code == 200 and 'data-testid="read-only"' in page.content.decode()
    assert 'data-testid="outcome-form"' not in page.content.decode()
    assert g.post(_complete(visit), {"outcome": "satisfied", "version": visit.version}).status_code == 403
    assert FollowUpVisit.objects.get(pk=visit.pk).done_at is None


def test_owner_records_the_outcome_and_it_reaches_the_timeline(client, carol):
    visit = _visit(carol, days=-1)
    c = _client(client, carol)
    page = c.get(_detail(visit)).content.decode()
    assert 'data-testid="outcome-form"' in page and "Overdue" in page
    r = c.post(_complete(visit), {"outcome": "dissatisfied", "satisfaction": "2", "notes": "交货太慢", "version": visit.version})
    assert r.status_code == 302 and r["Location"] == _detail(visit)
    visit.refresh_from_db()
    assert (visit.outcome, visit.satisfaction, visit.notes, visit.done_at is not None) == ("dissatisfied", 2, "交货太慢", True)
    html = c.get(_detail(visit)).content.decode()
    assert "Dissatisfied" in html and "2/5" in html and 'data-testid="outcome-form"' not in html
    with translation.override("en"):
        items = account_timeline(visit.account, kinds={"follow_up"}, actor=carol)
        assert [i.title for i in items] == ["Follow-up visit: Dissatisfied"]


def test_manager_records_the_outcome_of_his_reps_visit(client, bob, carol):
    visit = _visit(carol)
    r = _client(client, bob).post(_complete(visit), {"outcome": "satisfied", "version": visit.version})
    assert r.status_code == 302
    visit.refresh_from_db()
    assert visit.outcome == "satisfied" and visit.satisfaction is None


def test_outcome_errors_are_shown_on_the_form(client, carol):
    visit = _visit(carol)
    c = _client(client, carol)
    r = c.post(_complete(visit), {"satisfaction": "9", "notes": "x", "version": visit.version})
    html = r.content.decode()
    assert r.status_code == 422 and "This field is required." in html and "Select a valid choice." in html
    r = c.post(_complete(visit), {"outcome": "satisfied", "notes": "x" * 5001, "version": visit.version})
    assert r.status_code == 422 and "5000" in r.content.decode()
    # someone else recorded it first
    followups.followup_complete(actor=carol, visit=visit, outcome="neutral", satisfaction=3, notes="", version=visit.version)
    r = c.post(_complete(visit), {"outcome": "satisfied", "version": visit.version})
    assert r.status_code in (302, 422)
    visit.refresh_from_db()
    assert visit.outcome == "neutral"


def test_a_stale_form_is_refused_with_a_message(client, carol):
    visit = _visit(carol)
    c = _client(client, carol)
    FollowUpVisit.objects.filter(pk=visit.pk).update(version=visit.version + 1)
    r = c.post(_complete(visit), {"outcome": "satisfied", "version": visit.version})
    assert r.status_code == 422 and "Someone else changed this record" in r.content.decode()
    assert FollowUpVisit.objects.get(pk=visit.pk).done_at is None


# --- rules (administrators) ----------------------------------------------------------------------

def test_only_administrators_manage_rules(client, alice, bob, carol):
    rule = followups.rule_create(actor=alice, data={"trigger": "order_delivered", "days_after": 3})
    for user in (bob, carol):
        c = _client(client, user)
        assert c.get(RULES).status_code == 403
        assert c.post(RULES, {"trigger": "complaint_closed", "days_after": 2, "active": "on"}).status_code == 403
        assert c.get(reverse("service:followup_rule_edit", args=[rule.pk])).status_code == 403
        assert c.post(reverse("service:followup_rule_delete", args=[rule.pk])).status_code == 403
    assert FollowUpRule.objects.count() == 1 and 'href="' + RULES not in _client(client, carol).get(LIST).content.decode()


def test_administrator_adds_edits_and_deletes_a_rule(client, alice):
    c = _client(client, alice)
    assert "No rules yet" in c.get(RULES).content.decode()
    r = c.post(RULES, {"trigger": "complaint_closed", "days_after": 2, "value_tier": "key", "active": "on"})
    assert r.status_code == 302
    rule = FollowUpRule.objects.get()
    assert (rule.trigger, rule.days_after, rule.value_tier, rule.active) == ("complaint_closed", 2, "key", True)
    assert "Key customer" in c.get(RULES).content.decode()
    r = c.post(reverse("service:followup_rule_edit", args=[rule.pk]), {"trigger": "complaint_closed", "days_after": 5})
    rule.refresh_from_db()
    assert r.status_code == 302 and (rule.days_after, rule.value_tier, rule.active) == (5, "", False)
    r = c.post(RULES, {"trigger": "whenever", "days_after": 999})
    assert r.status_code == 422 and "Select a valid choice." in r.content.decode() and FollowUpRule.objects.count() == 1
    assert c.post(reverse("service:followup_rule_delete", args=[rule.pk])).status_code == 302
    assert not FollowUpRule.objects.exists()
    assert c.get(reverse("service:followup_rule_edit", args=[rule.pk])).status_code == 404
