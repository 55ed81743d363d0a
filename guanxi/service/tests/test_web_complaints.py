"""Complaint pages for staff (issue 6 items 1–3): who sees what (404 for what is not yours to see,
403 for what you may only read), the list's filters, sort and keyset pages, the SLA timer column,
the create and edit forms, and a list whose query count does not grow with its rows."""

from __future__ import annotations

from datetime import timedelta
from urllib.parse import urlencode

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone, translation

from guanxi.service import views_complaints
from guanxi.service.models import Complaint, ComplaintType
from guanxi.service.tests import complaint_factories as f

pytestmark = pytest.mark.django_db

LIST = reverse("service:complaint_list")


def _client(client, user, language="en"):
    user.language = language
    user.save()
    client.force_login(user)
    return client


def _detail(c: Complaint) -> str:
    return reverse("service:complaint_detail", args=[c.pk])


def _numbers(html: str, complaints: list[Complaint]) -> set[str]:
    return {c.number for c in complaints if c.number in html}


# --- who sees what ------------------------------------------------------------------------------------

def test_a_rep_sees_only_her_complaints_and_gets_404_on_the_others(client, carol, dave, erin):
    mine = f.complaint(carol, f.account(carol))
    daves = f.complaint(dave, f.account(dave))
    erins = f.complaint(erin)
    c = _client(client, carol)
    html = c.get(LIST).content.decode()
    assert _numbers(html, [mine, daves, erins]) == {mine.number}
    assert c.get(_detail(mine)).status_code == 200
    for other in (daves, erins):
        assert c.get(_detail(other)).status_code == 404
        for name in ("complaint_edit", "complaint_transition", "complaint_note", "complaint_assign", "complaint_delete"):
            assert c.post(reverse(f"service:{name}", args=[other.pk]), {"target": "acknowledged"}).status_code == 404, name


def test_a_service_agent_reads_every_complaint_but_changes_only_her_own(client, carol, erin):
    carols = f.complaint(carol, f.account(carol))
    erins = f.complaint(erin)
    c = _client(client, erin)
    html = c.get(LIST).content.decode()
    assert _numbers(html, [carols, erins]) == {carols.number, erins.number}
    page = c.get(_detail(carols))
    assert page.status_code == 200 and "You can read this complaint but not change it." in page.content.decode()
    r = c.post(reverse("service:complaint_transition", args=[carols.pk]),
               {"target": "acknowledged", "version": carols.version, "to-acknowledged-version": carols.version})
    assert r.status_code == 403
    assert c.get(reverse("service:complaint_edit", args=[carols.pk])).status_code == 403
    assert c.get(_detail(erins)).status_code == 200


def test_the_read_only_user_reads_but_every_form_answers_403(client, carol, grace):
    complaint = f.complaint(carol, f.account(carol))
    c = _client(client, grace)
    assert c.get(_detail(complaint)).status_code == 200
    for name in ("complaint_edit", "complaint_transition", "complaint_note", "complaint_assign", "complaint_delete"):
        assert c.post(reverse(f"service:{name}", args=[complaint.pk]), {}).status_code == 403, name
    assert Complaint.objects.get(pk=complaint.pk).version == complaint.version


# --- the list -------------------------------------------------------------------------------------------

def test_list_filters_by_state_type_category_channel_severity_owner_account_and_sla(client, carol, bob):
    acc, other_acc = f.account(carol), f.account(carol)
    phone = f.complaint(carol, acc, severity="high")
    web = f.complaint(carol, other_acc, channel="web", complaint_type_id=f.ctype("attitude").pk)
    moved = f.handle_to(carol, f.complaint(carol, acc), "acknowledged")
    late = f.complaint(carol, acc, severity="low")
    Complaint.objects.filter(pk=late.pk).update(respond_by=timezone.now() - timedelta(hours=2))
    bobs = f.complaint(bob, f.account(bob))
    every = [phone, web, moved, late, bobs]
    c = _client(client, bob)

    def shown(**params: str) -> set[str]:
        r = c.get(f"{LIST}?{urlencode(params)}")
        assert r.status_code == 200, r.content[:300]
        return _numbers(r.content.decode(), every)

    assert shown() == {x.number for x in every}  # bob manages carol
    assert shown(state="acknowledged") == {moved.number}
    assert shown(severity="high") == {phone.number}
    assert shown(channel="web") == {web.number}
    assert shown(category="service") == {web.number}
    assert shown(type=str(f.ctype("attitude").pk)) == {web.number}
    assert shown(owner="me") == {bobs.number}
    assert shown(account=str(other_acc.pk)) == {web.number}
    assert shown(breached="true") == {late.number}
    assert late.number not in shown(breached="false")
    assert shown(q=web.number) == {web.number}
    assert c.get(f"{LIST}?nonsense=1").status_code == 400  # unknown filter: the allow-list refuses it
    assert c.get(f"{LIST}?breached=maybe").status_code == 400


def test_the_search_box_swaps_only_the_rows_with_htmx(client, carol):
    acc = f.account(carol)
    wanted, other = f.complaint(carol, acc, title="冷链箱受潮"), f.complaint(carol, acc, title="发票开错")
    r = _client(client, carol).get(f"{LIST}?{urlencode({'q': '冷链箱'})}", HTTP_HX_REQUEST="true")
    html = r.content.decode()
    assert r.status_code == 200 and "<html" not in html and 'id="complaint-rows"' in html
    assert _numbers(html, [wanted, other]) == {wanted.number}


def test_the_pages_render_in_chinese(client, carol):
    complaint = f.complaint(carol, f.account(carol))
    c = _client(client, carol, language="zh-hans")
    for url in (LIST, _detail(complaint), reverse("service:complaint_create"), reverse("service:complaint_edit", args=[complaint.pk])):
        r = c.get(url)
        assert r.status_code == 200 and 'lang="zh-hans"' in r.content.decode(), url


def test_every_control_on_the_complaint_pages_has_a_label(client, carol, bob):
    from guanxi.web.tests.test_pages import audit

    complaint = f.handle_to(carol, f.complaint(carol, f.account(carol)), "resolved")  # bob sees confirm, override and reopen
    c = _client(client, bob)
    for url in (LIST, _detail(complaint), reverse("service:complaint_create"), reverse("service:complaint_edit", args=[complaint.pk])):
        page = audit(c.get(url).content.decode())
        assert page.unlabelled() == [] and not page.external, (url, page.unlabelled())


def test_the_account_filter_shows_the_account_and_the_empty_state_says_so(client, carol):
    acc = f.account(carol, name="杭州明湖科技有限公司")
    c = _client(client, carol)
    html = c.get(f"{LIST}?account={acc.pk}").content.decode()
    assert 'data-testid="account-filter"' in html and "杭州明湖科技有限公司" in html
    assert "No complaint matches these filters." in html
    assert "No complaints yet." in c.get(LIST).content.decode()


def test_keyset_pages_walk_every_complaint_once_in_either_sort(client, carol, monkeypatch):
    monkeypatch.setattr(views_complaints, "PAGE_SIZE", 4)
    acc = f.account(carol)
    made = [f.complaint(carol, acc) for _ in range(10)]
    c = _client(client, carol)
    for sort in ("-opened", "number"):
        seen: list[str] = []
        url = f"{LIST}?sort={sort}"
        for _page in range(5):
            r = c.get(url)
            html = r.content.decode()
            page_numbers = [m.number for m in made if f">{m.number}</a>" in html]
            seen += page_numbers
            if 'rel="next"' not in html:
                break
            url = LIST + html.split('rel="next"')[0].rsplit('href="', 1)[1].split('"')[0].replace("&amp;", "&")
        assert sorted(seen) == sorted(m.number for m in made) and len(seen) == 10, sort
    # A stale or forged cursor starts again at the first page instead of failing.
    assert c.get(f"{LIST}?after=garbage").status_code == 200


def test_the_sla_column_shows_time_left_and_overdue_in_business_hours(client, carol):
    acc = f.account(carol)
    on_time = f.complaint(carol, acc)
    late = f.complaint(carol, acc)
    Complaint.objects.filter(pk=late.pk).update(opened_at=timezone.now() - timedelta(days=30))
    html = _client(client, carol).get(LIST).content.decode()
    assert "timer-overdue" in html and "Response: overdue by" in html
    assert "timer-ok" in html or "timer-overdue" in html  # on_time may fall outside working hours: still counted
    assert on_time.number in html


def test_the_list_runs_the_same_number_of_queries_for_5_and_for_30_rows(client, carol):
    acc = f.account(carol)
    for _ in range(5):
        f.complaint(carol, acc)
    c = _client(client, carol)
    c.get(LIST)  # warm caches that belong to the process, not to the page
    with CaptureQueriesContext(connection) as small:
        assert c.get(LIST).status_code == 200
    others = [f.account(carol) for _ in range(5)]
    for i in range(25):
        f.complaint(carol, others[i % 5], severity=("low", "medium", "high", "critical")[i % 4],
                    complaint_type_id=ComplaintType.objects.order_by("pk")[i % 8].pk)
    with CaptureQueriesContext(connection) as large:
        r = c.get(LIST)
    assert r.content.decode().count('data-testid="complaint-row"') == 30
    assert len(large.captured_queries) == len(small.captured_queries), [q["sql"][:120] for q in large.captured_queries]


# --- create and edit ------------------------------------------------------------------------------------

def test_staff_file_a_complaint_with_account_contact_and_order(client, carol):
    acc = f.account(carol, name="苏州河运物流有限公司")
    contact = f.contact(carol, acc)
    order = f.order(carol, acc, number="SO-2026-0042")
    c = _client(client, carol)
    form = c.get(f"{reverse('service:complaint_create')}?account={acc.pk}").content.decode()
    assert contact.name in form and "SO-2026-0042" in form
    refs = c.get(f"{reverse('service:complaint_refs')}?account={acc.pk}").content.decode()
    assert 'id="account-refs"' in refs and contact.name in refs
    r = c.post(reverse("service:complaint_create"), {
        "title": "包装破损", "description": "第二批货外箱压坏", "complaint_type": f.ctype().pk, "channel": "phone",
        "severity": "high", "account": acc.pk, "contact": contact.pk, "order": order.pk, "product": "冷链箱"})
    complaint = Complaint.objects.get(title="包装破损")
    assert r.status_code == 302 and r["Location"] == _detail(complaint)
    assert (complaint.owner, complaint.account, complaint.contact, complaint.order, complaint.severity) == (carol, acc, contact, order, "high")
    assert complaint.respond_by is not None  # the SLA came with it


def test_create_form_shows_the_services_errors(client, carol):
    acc, other = f.account(carol), f.account(carol)
    order = f.order(carol, other)
    c = _client(client, carol)
    r = c.post(reverse("service:complaint_create"), {"title": "", "description": "x", "complaint_type": f.ctype().pk,
                                                     "channel": "phone", "severity": "low"})
    assert r.status_code == 422 and "This field is required." in r.content.decode()
    r = c.post(reverse("service:complaint_create"), {"title": "t", "description": "x", "complaint_type": f.ctype().pk,
                                                     "channel": "phone", "severity": "low", "account": acc.pk, "order": order.pk})
    assert r.status_code == 422  # the order is not one of the account's (not even offered)
    assert not Complaint.objects.exists()


def test_edit_links_the_account_and_a_stale_edit_is_refused(client, carol):
    complaint = f.complaint(carol)
    acc = f.account(carol, name="宁波港华贸易有限公司")
    c = _client(client, carol)
    data = {"title": complaint.title, "description": complaint.description, "complaint_type": complaint.complaint_type_id,
            "channel": "phone", "severity": "medium", "account": acc.pk, "version": complaint.version}
    r = c.post(reverse("service:complaint_edit", args=[complaint.pk]), data)
    assert r.status_code == 302
    complaint.refresh_from_db()
    assert complaint.account == acc
    r = c.post(reverse("service:complaint_edit", args=[complaint.pk]), {**data, "title": "改晚了"})  # the old version again
    assert r.status_code == 409
    with translation.override("en"):
        assert "Someone else changed this record after you opened it." in r.content.decode()
    assert Complaint.objects.get(pk=complaint.pk).title != "改晚了"
