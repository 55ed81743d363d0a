"""The public complaint / feedback form and the private status link (issue 6 item 4)."""

from __future__ import annotations

import re

import pytest
from django.core.files.storage import default_storage
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client, override_settings
from django.urls import reverse
from django.utils import translation

from guanxi.service import complaints
from guanxi.service.models import Complaint, ComplaintAttachment
from guanxi.service.tests import complaint_factories as f
from guanxi.users.models import Notification

pytestmark = pytest.mark.django_db

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 100
PDF = b"%PDF-1.7\n" + b"0" * 100


def _form(**extra):  # type: ignore[no-untyped-def]
    return {"name": "王小姐", "email": "wang@example.com", "phone": "", "complaint_type": "quality",
            "description": "收到的杯子有裂纹", "order_number": "", "website": "", **extra}


def _post(client, **extra):  # type: ignore[no-untyped-def]
    return client.post(reverse("public_service:feedback"), _form(**extra))


def test_a_visitor_files_a_complaint_and_gets_a_tracking_number_and_a_private_link(client, erin):
    assert client.get(reverse("public_service:feedback")).status_code == 200
    r = _post(client, attachments=[SimpleUploadedFile("photo.png", PNG, content_type="image/png")])
    assert r.status_code == 303, r.content
    c = Complaint.objects.get()
    assert r["Location"].startswith(f"/feedback/status/{c.public_token}/")
    assert (c.channel, c.state, c.owner, c.submitter_email) == ("web", "new", erin, "wang@example.com")
    assert c.respond_by is not None
    page = client.get(r["Location"])
    assert page.status_code == 200 and c.number in page.content.decode()
    attachment = ComplaintAttachment.objects.get(complaint=c)
    assert attachment.content_type == "image/png" and attachment.original_name == "photo.png"
    assert re.fullmatch(r"complaints/[0-9a-f]{32}\.png", attachment.stored_name)
    assert default_storage.exists(attachment.stored_name)
    default_storage.delete(attachment.stored_name)
    # The intake desk (erin) is told.
    assert Notification.objects.filter(user=erin, kind="service.complaint_assigned").count() == 1


def test_public_form_honeypot_and_rate_limit(client, erin):
    r = _post(client, website="http://spam.example")
    assert r.status_code == 200 and not Complaint.objects.exists()  # looks accepted, kept nothing
    for _ in range(3):
        assert _post(client).status_code == 303
    assert _post(client, REMOTE_ADDR="10.0.0.9").status_code == 303  # another address has its own count
    r = _post(client)  # the 6th from 127.0.0.1 within the hour (the honeypot hit counts too)
    assert r.status_code == 429
    assert Complaint.objects.count() == 4


@override_settings(FEEDBACK_RATE_LIMIT_PER_HOUR=100)
def test_public_attachment_must_be_pdf_or_image_under_5mb(client, erin):
    fake = SimpleUploadedFile("invoice.pdf", b"MZ\x90\x00 not really a pdf", content_type="application/pdf")
    r = _post(client, attachments=[fake])
    assert r.status_code == 422 and "invoice.pdf" in r.content.decode()
    big = SimpleUploadedFile("scan.pdf", b"%PDF-" + b"0" * (5 * 1024 * 1024), content_type="application/pdf")
    assert _post(client, attachments=[big]).status_code == 422
    many = [SimpleUploadedFile(f"{n}.pdf", PDF, content_type="application/pdf") for n in range(4)]
    assert _post(client, attachments=many).status_code == 422
    assert not Complaint.objects.exists()
    jpeg = SimpleUploadedFile("photo.gif", b"\xff\xd8\xff\xe0" + b"0" * 50, content_type="image/gif")
    assert _post(client, attachments=[jpeg]).status_code == 303
    stored = ComplaintAttachment.objects.get()
    assert stored.content_type == "image/jpeg" and stored.stored_name.endswith(".jpg")
    default_storage.delete(stored.stored_name)


def test_hostile_text_is_escaped_and_limited(client, erin):
    r = _post(client, name="<script>alert(1)</script>", description="<img src=x onerror=alert(1)>")
    page = client.get(r["Location"]).content.decode()
    assert "<script>alert(1)" not in page and "<img src=x" not in page
    r = _post(client, description="长" * 5001)
    assert r.status_code == 422
    assert _post(client, email="", phone="").status_code == 422
    assert _post(client, complaint_type="nonexistent").status_code == 422


def test_status_link_shows_no_internal_notes(client, erin):
    r = _post(client)
    c = Complaint.objects.get()
    complaints.complaint_note_add(actor=erin, complaint=c, text="内部备注：客户是竞争对手的亲戚", public=False)
    complaints.complaint_note_add(actor=erin, complaint=c, text="我们已安排换货，请留意快递。", public=True)
    c = f.move(erin, c, "acknowledged", {"empathy_note": "共情记录（内部）", "listening_note": "倾听要点（内部）"})
    page = client.get(r["Location"]).content.decode()
    assert "我们已安排换货" in page
    for secret in ("内部备注", "共情记录", "倾听要点", str(erin.display_name)):
        assert secret not in page
    assert Client().get(reverse("public_service:status", kwargs={"public_token": "00000000-0000-0000-0000-000000000000"})).status_code == 404


def test_a_known_customer_is_linked_but_never_revealed(client, carol, erin):
    acc = f.account(carol, name="保密客户有限公司")
    f.contact(carol, acc, email="known@example.com")
    order = f.order(carol, acc, number="SO-778899")
    r = _post(client, email="KNOWN@example.com", order_number="SO-778899")
    c = Complaint.objects.get()
    assert (c.account, c.order) == (acc, order) and c.contact is not None
    assert "保密客户" not in client.get(r["Location"]).content.decode()


def _resolved_public(client, erin):  # type: ignore[no-untyped-def]
    r = _post(client)
    c = Complaint.objects.get()
    c.owner = erin
    c.save(update_fields=["owner"])
    return r["Location"].split("?")[0], f.handle_to(erin, c, "resolved")


def test_the_customer_confirms_the_resolution_on_the_status_page(client, erin):
    url, c = _resolved_public(client, erin)
    response = client.get(url)
    assert response["Referrer-Policy"] == "same-origin"  # the token never leaves in a Referer to another site
    page = response.content.decode()
    assert 'name="solved"' in page
    r = client.post(url, {"solved": "yes", "comment": "新杯子收到了，谢谢"})
    assert r.status_code == 303
    c.refresh_from_db()
    assert (c.state, c.customer_confirmation) == ("confirmed", "新杯子收到了，谢谢")
    assert Notification.objects.filter(user=erin).exists()
    assert 'name="solved"' not in client.get(url).content.decode()  # answered once; the form is gone
    assert client.post(url, {"solved": "no", "comment": "again"}).status_code == 409
    c.refresh_from_db()
    assert c.state == "confirmed" and c.reopen_count == 0


def test_the_customer_reopens_with_a_reason_and_the_reopen_is_counted(client, erin):
    url, c = _resolved_public(client, erin)
    with translation.override("en"):
        r = client.post(url, {"solved": "no", "comment": ""}, HTTP_ACCEPT_LANGUAGE="en")
    assert r.status_code == 422 and "still not right" in r.content.decode()
    c.refresh_from_db()
    assert c.state == "resolved"
    assert client.post(url, {"solved": "no", "comment": "杯子还是漏水"}).status_code == 303
    c.refresh_from_db()
    assert (c.state, c.reopen_count, c.resolved_at) == ("acknowledged", 1, None)


def test_the_status_page_offers_no_answer_before_resolution_and_refuses_one(client, erin):
    r = _post(client)
    url = r["Location"].split("?")[0]
    assert 'name="solved"' not in client.get(url).content.decode()
    assert client.post(url, {"solved": "yes"}).status_code == 409
    assert Complaint.objects.get().state == "new"
