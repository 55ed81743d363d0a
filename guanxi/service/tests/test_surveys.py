"""Satisfaction surveys (issue 6 item 5): designer, single-use links, answering, automatic invitations."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

import pytest
from django.core import mail
from django.urls import reverse
from django.utils import timezone

from guanxi.core.errors import Conflict, NotFound, PermissionDenied, ValidationFailed
from guanxi.customers.models import Order, OrderStatus
from guanxi.customers.orders import order_create, order_update
from guanxi.service import surveys
from guanxi.service.models import InvitationState, SurveyInvitation, SurveyResponse
from guanxi.service.surveys_ready import scan_delivered_orders
from guanxi.service.tests import survey_factories as f

pytestmark = pytest.mark.django_db


@pytest.fixture
def world(org):
    users = org.users
    acc = f.account(users["carol"], tier="key")
    return {"users": users, "account": acc, "contact": f.contact(users["carol"], acc), "survey": f.survey(users["bob"])}


def _answers(survey, **by_code):
    return {"answers": {str(f.item(survey, code).pk): values for code, values in by_code.items()}}


FULL = {"expectation": "6", "desired": "7", "adequate": "4", "experience": "5.5", "importance": "7"}


# --- designer ---------------------------------------------------------------------------------------

def test_managers_and_admins_design_surveys_reps_do_not(world):
    users = world["users"]
    assert f.survey(users["alice"]).items.count() == 2
    for name in ("carol", "dave", "grace", "erin"):
        with pytest.raises(PermissionDenied):
            surveys.survey_create(actor=users[name], data={"name": "偷偷建的问卷"})


def test_survey_with_responses_cannot_lose_items_but_can_be_deactivated(world):
    s, bob = world["survey"], world["users"]["bob"]
    f.respond(s, world["contact"], {"delivery": {"experience": 5}, "quality": {"experience": 6}})
    with pytest.raises(Conflict) as exc:
        surveys.item_remove(actor=bob, item=f.item(s, "delivery"))
    assert exc.value.code == "survey.has_responses"
    with pytest.raises(ValidationFailed):
        surveys.survey_update(actor=bob, survey=s, version=s.version, data={"scale_max": 10})
    s = surveys.survey_deactivate(actor=bob, survey=s, version=s.version)
    assert s.active is False and s.items.count() == 2


def test_items_of_an_unanswered_survey_can_be_removed_and_reordered(world):
    s, bob = world["survey"], world["users"]["bob"]
    extra = surveys.item_add(actor=bob, survey=s, data={"code": "price-fair", "text": "价格合理吗？", "dimension": "price"})
    surveys.item_reorder(actor=bob, survey=s, item_ids=[extra.pk, f.item(s, "quality").pk, f.item(s, "delivery").pk])
    assert list(s.items.values_list("code", flat=True)) == ["price-fair", "quality", "delivery"]
    surveys.item_remove(actor=bob, item=extra)
    assert list(s.items.values_list("code", flat=True)) == ["quality", "delivery"]


def test_duplicate_item_code_and_unknown_dimension_are_refused(world):
    s, bob = world["survey"], world["users"]["bob"]
    with pytest.raises(ValidationFailed) as exc:
        surveys.item_add(actor=bob, survey=s, data={"code": "delivery", "text": "again", "dimension": "weather"})
    assert set(exc.value.errors) == {"code", "dimension"}


# --- links --------------------------------------------------------------------------------------------

def test_only_the_hash_of_the_token_is_stored(world):
    invitation, token = surveys.invite(survey=world["survey"], contact=world["contact"])
    assert token not in invitation.token_hash and len(invitation.token_hash) == 64
    assert invitation.account == world["account"]  # the contact's account


def test_survey_link_works_once(world):
    s = world["survey"]
    _inv, token = surveys.invite(survey=s, contact=world["contact"])
    response = surveys.answer(token, {**_answers(s, delivery=FULL, quality={"experience": "6"}), "nps": 9, "csat": 4,
                                      "comment": "送货很快 <b>好</b>"})
    assert response.contact == world["contact"] and response.account == world["account"]
    assert response.answers.count() == 2 and response.nps == 9 and response.csat == 4
    with pytest.raises(surveys.SurveyLinkUsed):
        surveys.answer(token, _answers(s, delivery=FULL, quality=FULL))
    assert SurveyResponse.objects.count() == 1
    assert SurveyInvitation.objects.get().state == InvitationState.ANSWERED


def test_expired_link_is_refused(world):
    _inv, token = surveys.invite(survey=world["survey"], contact=world["contact"], expires_in_days=1)
    SurveyInvitation.objects.update(expires_at=timezone.now() - timedelta(minutes=1))
    with pytest.raises(surveys.SurveyLinkExpired):
        surveys.answer(token, _answers(world["survey"], delivery=FULL, quality=FULL))
    with pytest.raises(NotFound):
        surveys.answer("no-such-token-at-all", {})


@pytest.mark.parametrize("value", ["0", "8", "5.55", "-1", "NaN", "abc", "1e1", True])
def test_rating_outside_scale_is_refused(world, value):
    s = world["survey"]  # scale 1..7
    _inv, token = surveys.invite(survey=s, contact=world["contact"])
    with pytest.raises(ValidationFailed) as exc:
        surveys.answer(token, _answers(s, delivery={"experience": value}, quality={"experience": "7"}))
    assert f"answers.{f.item(s, 'delivery').pk}.experience" in exc.value.errors
    assert not SurveyResponse.objects.exists()
    assert surveys.answer(token, _answers(s, delivery={"experience": "6.5"}, quality={"experience": "1"})).pk


@pytest.mark.parametrize("field,value", [("nps", 11), ("nps", -1), ("nps", "9.5"), ("csat", 0), ("csat", 6),
                                         ("comment", "长" * 5001)])
def test_nps_csat_and_comment_limits(world, field, value):
    s = world["survey"]
    _inv, token = surveys.invite(survey=s, contact=world["contact"])
    with pytest.raises(ValidationFailed) as exc:
        surveys.answer(token, {**_answers(s, delivery=FULL, quality=FULL), field: value})
    assert field in exc.value.errors


def test_response_stores_the_accounts_value_tier_at_answer_time(world):
    response = f.respond(world["survey"], world["contact"], {"delivery": FULL, "quality": FULL})
    assert response.segment == "key"


def test_one_invitation_per_event_object_and_contact(world):
    surveys.invite(survey=world["survey"], contact=world["contact"], event="order_delivered", event_object_id=7)
    with pytest.raises(Conflict):
        surveys.invite(survey=world["survey"], contact=world["contact"], event="order_delivered", event_object_id=7)


# --- automatic invitations ----------------------------------------------------------------------------

def test_delivered_order_invites_the_primary_contact_once_by_email(world, mailoutbox, django_capture_on_commit_callbacks):
    carol = world["users"]["carol"]
    s = world["survey"]
    surveys.survey_update(actor=world["users"]["bob"], survey=s, version=s.version, data={"trigger_events": ["order_delivered"]})
    order = order_create(actor=carol, account=world["account"], data={"order_date": date(2026, 3, 1), "amount": Decimal("100")})
    order_update(actor=carol, order=order, version=order.version, data={"status": OrderStatus.DELIVERED})
    with django_capture_on_commit_callbacks(execute=True):
        first = scan_delivered_orders(since=timezone.now() - timedelta(hours=1))
        again = scan_delivered_orders(since=timezone.now() - timedelta(hours=1))
    assert first["invited"] == 1 and again["invited"] == 0
    invitation = SurveyInvitation.objects.get()
    assert (invitation.event, invitation.event_object_id, invitation.contact) == ("order_delivered", order.pk, world["contact"])
    assert len(mail.outbox) == 1 and mail.outbox[0].to == ["kehu@example.com"]
    assert "/feedback/survey/" in mail.outbox[0].body


def test_open_orders_are_not_surveyed(world):
    s = world["survey"]
    surveys.survey_update(actor=world["users"]["bob"], survey=s, version=s.version, data={"trigger_events": ["order_delivered"]})
    order_create(actor=world["users"]["carol"], account=world["account"], data={"order_date": date(2026, 3, 1), "amount": "5"})
    assert scan_delivered_orders(since=timezone.now() - timedelta(hours=1))["invited"] == 0
    assert Order.objects.count() == 1


def test_complaint_closed_invites_once(world):
    s = world["survey"]
    surveys.survey_update(actor=world["users"]["bob"], survey=s, version=s.version, data={"trigger_events": ["complaint_closed"]})

    class ClosedComplaint:  # what on_complaint_closed reads of a complaint
        pk = 42
        contact_id, contact = world["contact"].pk, world["contact"]
        account_id, account = world["account"].pk, world["account"]
        submitter_email = ""

    assert len(surveys.on_complaint_closed(ClosedComplaint())) == 1
    assert surveys.on_complaint_closed(ClosedComplaint()) == []
    assert SurveyInvitation.objects.filter(event="complaint_closed", event_object_id=42).count() == 1


# --- the public answer page -------------------------------------------------------------------------

@pytest.mark.urls("guanxi.service.tests.survey_urls")
def test_public_page_shows_the_asked_scales_escaped_and_accepts_answers_once(world, client):
    s = world["survey"]
    surveys.item_update(actor=world["users"]["bob"], item=f.item(s, "quality"),
                        data={"text": "<script>alert(1)</script>质量", "ask_desired": False, "ask_adequate": False})
    _inv, token = surveys.invite(survey=s, contact=world["contact"])
    url = reverse("public_service:survey_answer", kwargs={"token": token})
    page = client.get(url)
    assert page.status_code == 200
    html = page.content.decode()
    assert "<script>alert(1)</script>" not in html and "&lt;script&gt;" in html
    assert "<fieldset" in html and 'type="radio"' in html
    delivery, quality = f.item(s, "delivery").pk, f.item(s, "quality").pk
    assert f'name="item-{delivery}-desired"' in html and f'name="item-{quality}-desired"' not in html
    form = {f"item-{delivery}-{k}": v for k, v in {"expectation": 6, "desired": 7, "adequate": 4, "experience": 5, "importance": 7}.items()}
    form |= {f"item-{quality}-experience": "9", "nps": "10", "csat": "5"}
    refused = client.post(url, form)
    assert refused.status_code == 422 and not SurveyResponse.objects.exists()
    form[f"item-{quality}-experience"] = "6"
    assert client.post(url, form).status_code == 200
    assert SurveyResponse.objects.get().nps == 10
    assert client.get(url).status_code == 410
    assert client.get(reverse("public_service:survey_answer", kwargs={"token": "x" * 43})).status_code == 404
