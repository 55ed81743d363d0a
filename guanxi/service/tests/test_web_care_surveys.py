"""Survey designer pages (issue 6 item 5): everyone reads surveys, only managers and administrators
change or send them (403 for anyone else, nothing changed), the designer's forms call the services
and show their errors, and an invitation's single-use link is shown once."""

from __future__ import annotations

import hashlib
import re

import pytest
from django.core import mail
from django.urls import reverse

from guanxi.service.models import Survey, SurveyInvitation, SurveyItem
from guanxi.service.tests import survey_factories as f

pytestmark = pytest.mark.django_db


def _client(client, user, language="en"):
    user.language = language
    user.save()
    client.force_login(user)
    return client


def _url(name, *args):
    return reverse(f"service:{name}", args=args)


ITEM = {"code": "speed", "text": "送货速度", "dimension": "service", "service_element": "timeliness",
        "ask_expectation": "on", "ask_importance": "on"}


# --- who may do what ----------------------------------------------------------------------------

def test_everyone_reads_surveys_but_only_designers_get_the_buttons(client, bob, carol, grace):
    survey = f.survey(bob)
    c = _client(client, carol)
    page = c.get(_url("survey_list")).content.decode()
    assert survey.name in page and 'data-testid="read-only"' in page and _url("survey_create") not in page
    detail = c.get(_url("survey_detail", survey.pk))
    assert detail.status_code == 200
    html = detail.content.decode()
    assert "delivery" in html and "quality" in html
    assert _url("survey_edit", survey.pk) not in html and _url("survey_invite", survey.pk) not in html
    bob_page = _client(client, bob).get(_url("survey_detail", survey.pk)).content.decode()
    assert _url("survey_edit", survey.pk) in bob_page and _url("survey_invite", survey.pk) in bob_page
    assert _client(client, grace).get(_url("survey_list")).status_code == 200


@pytest.mark.parametrize("persona", ["carol", "dave", "erin", "grace"])
def test_non_designers_cannot_change_surveys(client, org, persona):
    survey = f.survey(org.users["bob"])
    item = survey.items.order_by("position").first()
    contact = f.contact(org.users["carol"], f.account(org.users["carol"]))
    c = _client(client, org.users[persona])
    for url in (_url("survey_create"), _url("survey_edit", survey.pk), _url("item_add", survey.pk),
                _url("item_edit", item.pk), _url("survey_invite", survey.pk)):
        assert c.get(url).status_code == 403, url
    posts = {
        _url("survey_create"): {"name": "偷偷建的", "scale_max": 5},
        _url("survey_edit", survey.pk): {"name": "改名", "scale_max": 7, "version": survey.version},
        _url("survey_deactivate", survey.pk): {"version": survey.version},
        _url("item_add", survey.pk): ITEM,
        _url("item_edit", item.pk): {**ITEM, "code": item.code},
        _url("item_remove", item.pk): {},
        _url("item_reorder", survey.pk): {"order": ",".join(str(i) for i in survey.items.order_by("-position").values_list("pk", flat=True))},
        _url("survey_invite", survey.pk): {"contact_id": contact.pk, "expires_in_days": 30},
    }
    for url, data in posts.items():
        assert c.post(url, data).status_code == 403, url
    survey.refresh_from_db()
    assert (Survey.objects.count(), survey.version, survey.active, survey.name) == (1, 1, True, survey.name)
    assert list(survey.items.order_by("position").values_list("code", flat=True)) == ["delivery", "quality"]
    assert SurveyInvitation.objects.count() == 0


def test_unknown_survey_or_item_is_404(client, bob):
    c = _client(client, bob)
    assert c.get(_url("survey_detail", 999999)).status_code == 404
    assert c.get(_url("item_edit", 999999)).status_code == 404


# --- designing ----------------------------------------------------------------------------------

def test_manager_designs_a_survey_through_the_pages(client, bob):
    c = _client(client, bob)
    r = c.post(_url("survey_create"), {"name": "交付满意度", "intro": "请花一分钟", "scale_max": 5, "ask_nps": "on",
                                       "trigger_events": ["order_delivered"]})
    survey = Survey.objects.get()
    assert r.status_code == 302 and r["Location"] == _url("item_add", survey.pk)
    assert (survey.scale_max, survey.ask_nps, survey.ask_csat, survey.trigger_events) == (5, True, False, ["order_delivered"])
    r = c.post(_url("item_add", survey.pk), {**ITEM, "another": "1"})
    assert r.status_code == 302 and r["Location"] == _url("item_add", survey.pk)
    r = c.post(_url("item_add", survey.pk), {"code": "price", "text": "价格合理", "dimension": "price", "ask_desired": "on",
                                             "ask_adequate": "on"})
    assert r.status_code == 302 and r["Location"] == _url("survey_detail", survey.pk)
    speed, price = SurveyItem.objects.get(code="speed"), SurveyItem.objects.get(code="price")
    assert (speed.dimension, speed.service_element, speed.ask_expectation, speed.ask_desired, speed.ask_importance) == \
        ("service", "timeliness", True, False, True)
    assert (price.ask_expectation, price.ask_desired, price.ask_adequate, price.ask_importance) == (False, True, True, False)
    # edit, reorder (price first), remove
    r = c.post(_url("item_edit", speed.pk), {**ITEM, "text": "送货及时"})
    assert r.status_code == 302 and SurveyItem.objects.get(pk=speed.pk).text == "送货及时"
    c.post(_url("item_reorder", survey.pk), {"order": f"{price.pk},{speed.pk}"})
    assert list(survey.items.order_by("position").values_list("code", flat=True)) == ["price", "speed"]
    page = c.get(_url("survey_detail", survey.pk)).content.decode()
    assert page.index("价格合理") < page.index("送货及时")
    c.post(_url("item_remove", price.pk))
    assert list(survey.items.values_list("code", flat=True)) == ["speed"]
    # edit the survey, then deactivate it
    r = c.post(_url("survey_edit", survey.pk), {"name": "交付满意度（新）", "scale_max": 5, "ask_nps": "on", "active": "on",
                                                "version": 1})
    assert r.status_code == 302
    survey.refresh_from_db()
    assert (survey.name, survey.version) == ("交付满意度（新）", 2)
    r = c.post(_url("survey_deactivate", survey.pk), {"version": 2})
    survey.refresh_from_db()
    assert r.status_code == 302 and not survey.active
    assert 'data-testid="inactive"' in c.get(_url("survey_detail", survey.pk)).content.decode()


def test_service_errors_come_back_onto_the_forms(client, bob, carol):
    survey = f.survey(bob)
    c = _client(client, bob)
    r = c.post(_url("item_add", survey.pk), {**ITEM, "code": "delivery"})
    assert r.status_code == 422 and "Another item of this survey has this code." in r.content.decode()
    r = c.post(_url("item_add", survey.pk), {**ITEM, "dimension": "weather", "code": "bad code!"})
    assert r.status_code == 422 and survey.items.count() == 2
    r = c.post(_url("survey_edit", survey.pk), {"name": "", "scale_max": 7, "version": 1})
    assert r.status_code == 422 and "This field is required." in r.content.decode()
    # someone else saved first: the form says so and keeps the current version for a deliberate resubmit
    f.surveys.survey_update(actor=bob, survey=survey, version=1, data={"name": "别人改过"})
    r = c.post(_url("survey_edit", survey.pk), {"name": "我的改动", "scale_max": 7, "version": 1})
    assert r.status_code == 422 and "Someone else changed this record" in r.content.decode()
    assert 'name="version" value="2"' in r.content.decode()
    # once answered, items stay and the scale is fixed
    f.respond(survey, f.contact(carol, f.account(carol)), {"delivery": {"experience": 5, "expectation": 6}, "quality": {"experience": 4}})
    r = c.post(_url("survey_edit", survey.pk), {"name": "别人改过", "scale_max": 9, "version": 2})
    assert r.status_code == 422 and "its scale cannot change" in r.content.decode()
    item = survey.items.get(code="quality")
    r = c.post(_url("item_remove", item.pk), follow=True)
    assert "its items cannot be removed" in r.content.decode() and survey.items.count() == 2
    r = c.post(_url("item_reorder", survey.pk), {"order": "x,y"}, follow=True)
    assert "List every item of this survey exactly once." in r.content.decode()


def test_response_count_follows_the_accounts_the_reader_sees(client, alice, bob, carol, dave):
    survey = f.survey(bob)
    f.respond(survey, f.contact(carol, f.account(carol)), {"delivery": {"experience": 5}, "quality": {"experience": 5}})
    f.respond(survey, f.contact(dave, f.account(dave)), {"delivery": {"experience": 3}, "quality": {"experience": 3}})

    def count(user):
        html = _client(client, user).get(_url("survey_detail", survey.pk)).content.decode()
        return re.search(r'data-testid="responses">(\d+)<', html).group(1)
    assert (count(bob), count(carol), count(dave), count(alice)) == ("1", "1", "1", "2")


# --- invitations ---------------------------------------------------------------------------------

def test_invitation_link_is_shown_once_and_emailed(client, bob, carol, django_capture_on_commit_callbacks):
    survey = f.survey(bob)
    contact = f.contact(carol, f.account(carol), email="kehu@example.com")
    c = _client(client, bob)
    page = c.get(_url("survey_invite", survey.pk))
    assert page.status_code == 200 and contact.name in page.content.decode()
    other = f.contact(carol, f.account(carol), email="other@example.com")
    found = c.get(_url("survey_invite", survey.pk), {"q": contact.name}).content.decode()
    assert contact.name in found and other.name not in found
    with django_capture_on_commit_callbacks(execute=True):
        r = c.post(_url("survey_invite", survey.pk), {"contact_id": contact.pk, "expires_in_days": 10, "send": "on"})
    assert r.status_code == 200 and r["Cache-Control"] == "no-store"
    link = re.search(r'id="survey-link" type="text" readonly value="([^"]+)"', r.content.decode()).group(1)
    token = link.rstrip("/").rsplit("/", 1)[1]
    invitation = SurveyInvitation.objects.get()
    assert invitation.token_hash == hashlib.sha256(token.encode()).hexdigest() and invitation.contact == contact
    assert len(mail.outbox) == 1 and token in mail.outbox[0].body and mail.outbox[0].to == ["kehu@example.com"]
    assert token not in c.get(_url("survey_invite", survey.pk)).content.decode()
    assert token not in c.get(_url("survey_detail", survey.pk)).content.decode()


def test_only_visible_contacts_can_be_invited(client, bob, dave):
    survey = f.survey(bob)
    hidden = f.contact(dave, f.account(dave))
    c = _client(client, bob)
    assert hidden.name not in c.get(_url("survey_invite", survey.pk)).content.decode()
    assert "No contact you may see matches this name." in c.get(_url("survey_invite", survey.pk), {"q": hidden.name}).content.decode()
    r = c.post(_url("survey_invite", survey.pk), {"contact_id": hidden.pk, "expires_in_days": 30})
    assert r.status_code == 422 and SurveyInvitation.objects.count() == 0


def test_an_inactive_survey_sends_no_invitation(client, bob, carol):
    survey = f.survey(bob)
    f.surveys.survey_deactivate(actor=bob, survey=survey, version=1)
    contact = f.contact(carol, f.account(carol))
    r = _client(client, bob).post(_url("survey_invite", survey.pk), {"contact_id": contact.pk, "expires_in_days": 30})
    assert r.status_code == 422 and "This survey is inactive." in r.content.decode()
    assert SurveyInvitation.objects.count() == 0


def test_empty_states(client, bob, carol):
    html = _client(client, carol).get(_url("survey_list")).content.decode()
    assert "No surveys yet." in html
    survey = f.survey(bob, items=())
    html = _client(client, bob).get(_url("survey_detail", survey.pk)).content.decode()
    assert "This survey has no items yet." in html
