import json
import threading
from datetime import timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from django.test import Client, override_settings
from django.utils import timezone
from freezegun import freeze_time

from guanxi.core.errors import PermissionDenied, ValidationFailed
from guanxi.dataio import webhooks
from guanxi.dataio.models import DeliveryState, WebhookDelivery
from guanxi.users.models import TokenScope
from guanxi.users.services import token_create

pytestmark = pytest.mark.django_db


class _Receiver(BaseHTTPRequestHandler):
    status = 200
    received: list[tuple[dict[str, str], bytes]] = []

    def do_POST(self) -> None:
        body = self.rfile.read(int(self.headers["Content-Length"]))
        type(self).received.append((dict(self.headers.items()), body))
        self.send_response(type(self).status)
        if type(self).status in (301, 302):
            self.send_header("Location", "http://169.254.169.254/latest/meta-data/")
        self.end_headers()

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture
def receiver():
    _Receiver.received = []
    _Receiver.status = 200
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Receiver)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    with override_settings(WEBHOOKS_ALLOW_PRIVATE_TARGETS=True):
        yield f"http://127.0.0.1:{server.server_address[1]}/hook", _Receiver
    server.shutdown()
    server.server_close()


def _emit(django_capture_on_commit_callbacks, event="opportunity.won", payload=None):
    with django_capture_on_commit_callbacks(execute=True):
        webhooks.webhook_emit(event, payload or {"id": 7, "amount": "100.00"})


def test_webhook_signature_verifies(alice, receiver, django_capture_on_commit_callbacks):
    url, handler = receiver
    endpoint = webhooks.endpoint_create(actor=alice, url=url, events=["opportunity.won"])
    _emit(django_capture_on_commit_callbacks)
    assert webhooks.deliver_due() == {"succeeded": 1, "retrying": 0, "failed": 0}
    [(headers, body)] = handler.received
    assert headers["X-Guanxi-Event"] == "opportunity.won"
    assert webhooks.verify(endpoint.secret, headers["X-Guanxi-Timestamp"], body, headers["X-Guanxi-Signature"])
    assert not webhooks.verify("whsec_wrong", headers["X-Guanxi-Timestamp"], body, headers["X-Guanxi-Signature"])
    document = json.loads(body)
    delivery = WebhookDelivery.objects.get()
    assert document == {"id": str(delivery.pk), "event": "opportunity.won", "created_at": document["created_at"],
                        "data": {"id": 7, "amount": "100.00"}}
    assert headers["X-Guanxi-Delivery"] == str(delivery.pk)
    assert delivery.state == DeliveryState.SUCCEEDED and delivery.last_status_code == 200


def test_only_subscribed_active_endpoints_get_the_event(alice, django_capture_on_commit_callbacks):
    webhooks.endpoint_create(actor=alice, url="https://a.example.com/h", events=["opportunity.lost"])
    off = webhooks.endpoint_create(actor=alice, url="https://b.example.com/h", events=["opportunity.won"])
    webhooks.endpoint_update(actor=alice, endpoint=off, data={"active": False})
    _emit(django_capture_on_commit_callbacks)
    assert WebhookDelivery.objects.count() == 0


def test_a_rolled_back_change_sends_nothing(alice):
    webhooks.endpoint_create(actor=alice, url="https://a.example.com/h", events=["opportunity.won"])
    webhooks.webhook_emit("opportunity.won", {"id": 1})  # the test's transaction never commits
    assert WebhookDelivery.objects.count() == 0


def test_failed_delivery_is_retried_with_backoff(alice, receiver, django_capture_on_commit_callbacks):
    url, handler = receiver
    handler.status = 500
    webhooks.endpoint_create(actor=alice, url=url, events=["opportunity.won"])
    with freeze_time("2026-05-01 08:00:00") as clock:
        _emit(django_capture_on_commit_callbacks)
        waits = []
        for _attempt in range(6):
            webhooks.deliver_due()
            delivery = WebhookDelivery.objects.get()
            if delivery.next_attempt_at is None:
                break
            waits.append(delivery.next_attempt_at - timezone.now())
            clock.tick(delivery.next_attempt_at - timezone.now() - timedelta(seconds=1))
            assert webhooks.deliver_due()["retrying"] == 0  # not due yet
            clock.tick(timedelta(seconds=1))
    assert waits == [timedelta(minutes=1), timedelta(minutes=5), timedelta(minutes=30), timedelta(hours=2), timedelta(hours=12)]
    delivery = WebhookDelivery.objects.get()
    assert delivery.state == DeliveryState.FAILED and delivery.attempts == 6
    assert delivery.last_status_code == 500 and delivery.last_error == "HTTP 500"
    assert len(handler.received) == 6


def test_a_redirect_is_not_followed(alice, receiver, django_capture_on_commit_callbacks):
    url, handler = receiver
    handler.status = 302
    webhooks.endpoint_create(actor=alice, url=url, events=["opportunity.won"])
    _emit(django_capture_on_commit_callbacks)
    webhooks.deliver_due()
    delivery = WebhookDelivery.objects.get()
    assert delivery.state == DeliveryState.PENDING and delivery.last_status_code == 302 and delivery.attempts == 1
    assert len(handler.received) == 1


@pytest.mark.parametrize("url", [
    "http://127.0.0.1/h", "http://localhost/h", "http://2130706433/h", "http://0177.0.0.1/h", "http://0x7f.1/h",
    "http://[::1]/h", "http://[::ffff:127.0.0.1]/h", "http://169.254.169.254/latest/meta-data/", "http://10.0.0.5/h",
    "http://192.168.1.1/h", "http://100.64.0.1/h", "http://metadata.google.internal/h", "ftp://example.com/h",
    "http://user:pw@example.com/h", "http://0.0.0.0/h",
])
def test_private_and_odd_targets_are_refused_when_saved(alice, url):
    with pytest.raises(ValidationFailed):
        webhooks.endpoint_create(actor=alice, url=url, events=["opportunity.won"])


def test_a_name_resolving_to_a_private_address_is_refused_at_send_time(alice, monkeypatch):
    endpoint = webhooks.endpoint_create(actor=alice, url="https://hooks.example.com/h", events=["opportunity.won"])
    monkeypatch.setattr(webhooks.socket, "getaddrinfo", lambda *a, **k: [(2, 1, 6, "", ("10.1.2.3", 443))])
    delivery = WebhookDelivery.objects.create(endpoint=endpoint, event="opportunity.won", payload={}, next_attempt_at=timezone.now())
    webhooks.deliver_due()
    delivery.refresh_from_db()
    assert delivery.last_error.startswith("refused") and delivery.attempts == 1


@override_settings(WEBHOOKS_REQUIRE_HTTPS=True)
def test_production_requires_https(alice):
    with pytest.raises(ValidationFailed) as exc:
        webhooks.endpoint_create(actor=alice, url="http://hooks.example.com/h", events=["opportunity.won"])
    assert "https://" in exc.value.errors["url"][0]


def test_only_admins_manage_webhooks_and_the_secret_is_shown_once(alice, carol):
    with pytest.raises(PermissionDenied):
        webhooks.endpoint_create(actor=carol, url="https://a.example.com/h", events=["opportunity.won"])
    _token, key = token_create(actor=alice, name="t", scope=TokenScope.READ_WRITE, expires_at=None)
    client = Client(HTTP_AUTHORIZATION=f"Bearer {key}")
    r = client.post("/api/v1/webhooks/", {"url": "https://a.example.com/h", "events": ["opportunity.won"]}, content_type="application/json")
    assert r.status_code == 201 and r.json()["secret"].startswith("whsec_")
    listed = client.get("/api/v1/webhooks/").json()
    assert "secret" not in listed[0] and "secret" not in client.get(f"/api/v1/webhooks/{r.json()['id']}").json()
    from guanxi.audit.models import AuditEntry

    assert r.json()["secret"] not in json.dumps([e.changes for e in AuditEntry.objects.all()])


def test_unknown_events_are_refused(alice):
    with pytest.raises(ValidationFailed):
        webhooks.endpoint_create(actor=alice, url="https://a.example.com/h", events=["account.deleted_everything"])


def test_redeliver_sends_a_copy_now(alice, receiver, django_capture_on_commit_callbacks):
    url, handler = receiver
    endpoint = webhooks.endpoint_create(actor=alice, url=url, events=["opportunity.won"])
    old = WebhookDelivery.objects.create(endpoint=endpoint, event="opportunity.won", payload={"id": 3}, state="failed", attempts=6)
    copy = webhooks.redeliver(actor=alice, delivery=old)
    webhooks.deliver_due()
    copy.refresh_from_db()
    assert copy.state == DeliveryState.SUCCEEDED and json.loads(handler.received[0][1])["data"] == {"id": 3}


def test_opportunity_events_fire_on_stage_change_and_win(alice, carol, django_capture_on_commit_callbacks):
    from guanxi.sales.opportunities import opportunity_win
    from guanxi.sales.tests.factories import opportunity_for

    webhooks.endpoint_create(actor=alice, url="https://a.example.com/h", events=["opportunity.won", "opportunity.stage_changed"])
    opp = opportunity_for(carol)
    with django_capture_on_commit_callbacks(execute=True):
        opportunity_win(actor=carol, opportunity=opp, version=opp.version)
    events = sorted(WebhookDelivery.objects.values_list("event", flat=True))
    assert events == ["opportunity.stage_changed", "opportunity.won"]
    payload = WebhookDelivery.objects.get(event="opportunity.won").payload
    assert payload["id"] == opp.pk and payload["stage_kind"] == "won"
