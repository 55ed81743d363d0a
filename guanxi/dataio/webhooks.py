"""Outgoing webhooks, reusable by every subsystem (issue 5, item 9).

An app registers its event names (``register_event``) and calls ``webhook_emit(event, payload)``
inside its service's transaction. Once the transaction commits, one ``WebhookDelivery`` per active
endpoint subscribed to the event is stored and the delivery job is queued; a rolled-back change
sends nothing.

Delivery (job ``dataio.webhooks.deliver``, also run every minute by the scheduler for retries):
POST of ``{"id", "event", "created_at", "data"}`` as JSON with the headers ``X-Guanxi-Event``,
``X-Guanxi-Delivery`` (the delivery id, for the receiver's idempotency), ``X-Guanxi-Timestamp`` (Unix
seconds) and ``X-Guanxi-Signature: sha256=<hex HMAC-SHA256(secret, timestamp + "." + body)>``.
A 2xx answer within 5 s is a success; anything else (another status, a redirect, a timeout, a
refused connection) is retried after 1 min, 5 min, 30 min, 2 h and 12 h, then the delivery is failed.

SSRF (SECURITY.md): only http(s) URLs, https only in production; the target host is checked against
loopback, private, link-local, shared, multicast, reserved and metadata addresses in every notation
(decimal, octal, hex, IPv4-mapped IPv6) when the endpoint is saved, and again at send time after DNS
resolution, and the connection goes to the address that was checked (no DNS rebinding between
check and connect). Redirects are never followed. Tests allow private targets with the setting
``WEBHOOKS_ALLOW_PRIVATE_TARGETS``.
"""

from __future__ import annotations

import hashlib
import hmac
import http.client
import ipaddress
import json
import logging
import re
import secrets
import socket
import ssl
import time
from collections.abc import Callable
from datetime import datetime, timedelta
from functools import partial
from typing import Any
from urllib.parse import urlsplit

from django.conf import settings
from django.core.serializers.json import DjangoJSONEncoder
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from guanxi.core.errors import NotFound, PermissionDenied, ValidationFailed
from guanxi.dataio.jobs import JobContext, job_handler, job_start
from guanxi.dataio.models import DeliveryState, Job, JobState, WebhookDelivery, WebhookEndpoint
from guanxi.users.models import User

logger = logging.getLogger(__name__)

DELIVER_JOB = "dataio.webhooks.deliver"
TIMEOUT_SECONDS = 5
# Waits after the 1st, 2nd, ... failed attempt; after the last one the delivery is failed.
BACKOFF = (timedelta(minutes=1), timedelta(minutes=5), timedelta(minutes=30), timedelta(hours=2), timedelta(hours=12))
MAX_ATTEMPTS = len(BACKOFF) + 1
CLAIM_LEASE = timedelta(minutes=2)  # a claimed delivery is not picked again meanwhile
BATCH = 100
MAX_ENDPOINTS = 50
USER_AGENT = "Guanxi-Webhooks/1"

_EVENTS: dict[str, Any] = {}


def register_event(name: str, label: Any = "") -> None:
    """Declare an event name that endpoints may subscribe to (e.g. ``opportunity.won``)."""
    _EVENTS[name] = label or name


def known_events() -> dict[str, Any]:
    return dict(sorted(_EVENTS.items()))


# --- SSRF guard ------------------------------------------------------------------------------------

class UnsafeTarget(ValueError):
    """The URL's host is (or resolves to) an address the server must not call."""


_METADATA_HOSTS = {"metadata.google.internal", "metadata", "instance-data", "localhost", "localhost.localdomain"}
_LEGACY_V4 = re.compile(r"^(0x[0-9a-f]+|[0-9]+)(\.(0x[0-9a-f]+|[0-9]+)){0,3}$", re.IGNORECASE)


def _allow_private() -> bool:
    return bool(getattr(settings, "WEBHOOKS_ALLOW_PRIVATE_TARGETS", False))


def _require_https() -> bool:
    return bool(getattr(settings, "WEBHOOKS_REQUIRE_HTTPS", getattr(settings, "PRODUCTION", False)))


def _check_ip(ip: ipaddress.IPv4Address | ipaddress.IPv6Address) -> None:
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    if isinstance(ip, ipaddress.IPv6Address) and ip.sixtofour is not None:
        _check_ip(ip.sixtofour)
    if not ip.is_global or ip.is_multicast or ip.is_reserved or ip.is_unspecified:
        if not _allow_private():
            raise UnsafeTarget(str(ip))


def _literal_ip(host: str) -> ipaddress.IPv4Address | ipaddress.IPv6Address | None:
    """An address written in any notation: 127.0.0.1, [::1], 2130706433, 0177.0.0.1, 0x7f.1."""
    try:
        return ipaddress.ip_address(host.strip("[]"))
    except ValueError:
        pass
    if _LEGACY_V4.match(host):
        try:
            return ipaddress.IPv4Address(socket.inet_aton(host))
        except OSError:
            raise UnsafeTarget(host) from None
    return None


def check_url(url: str, *, resolve: bool) -> tuple[str, str, int, list[str]]:
    """Validate a target URL; returns (scheme, host, port, checked addresses). With ``resolve``
    the host name is resolved and every address checked (send time); without, only literal
    addresses and well-known internal names are refused (save time may run without DNS)."""
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError as exc:
        raise UnsafeTarget(url[:100]) from exc
    scheme = parts.scheme.lower()
    if scheme not in ("http", "https") or not parts.hostname or parts.username or parts.password:
        raise UnsafeTarget(url[:100])
    if scheme == "http" and _require_https():
        raise UnsafeTarget(url[:100])
    host = parts.hostname.rstrip(".").lower()
    port = port or (443 if scheme == "https" else 80)
    literal = _literal_ip(host)
    if literal is not None:
        _check_ip(literal)
        return scheme, host, port, [str(literal)]
    if not _allow_private() and (host in _METADATA_HOSTS or host.endswith((".localhost", ".local", ".internal", ".localdomain"))):
        raise UnsafeTarget(host)
    addresses: list[str] = []
    if resolve:
        try:
            infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
        except (OSError, UnicodeError) as exc:
            raise UnsafeTarget(host) from exc
        for info in infos:
            address = str(info[4][0]).split("%")[0]
            _check_ip(ipaddress.ip_address(address))
            addresses.append(address)
        if not addresses:
            raise UnsafeTarget(host)
    return scheme, host, port, addresses


class _PinnedHTTPConnection(http.client.HTTPConnection):
    """Connects to the address that was checked, whatever DNS says now."""

    def __init__(self, host: str, port: int, address: str, **kwargs: Any) -> None:
        super().__init__(host, port, **kwargs)
        self._address = address

    def connect(self) -> None:
        self.sock = socket.create_connection((self._address, self.port), self.timeout)


class _PinnedHTTPSConnection(http.client.HTTPSConnection):
    def __init__(self, host: str, port: int, address: str, **kwargs: Any) -> None:
        super().__init__(host, port, context=ssl.create_default_context(), **kwargs)
        self._address = address

    def connect(self) -> None:
        sock = socket.create_connection((self._address, self.port), self.timeout)
        self.sock = self._context.wrap_socket(sock, server_hostname=self.host)  # type: ignore[attr-defined]


# --- signing and sending --------------------------------------------------------------------------

def sign(secret: str, timestamp: str, body: bytes) -> str:
    """``sha256=`` + hex HMAC-SHA256 of ``timestamp + "." + body`` with the endpoint's secret."""
    mac = hmac.new(secret.encode(), timestamp.encode() + b"." + body, hashlib.sha256)
    return "sha256=" + mac.hexdigest()


def verify(secret: str, timestamp: str, body: bytes, signature: str) -> bool:
    """What a receiver does (documented for integrators, used by the tests)."""
    return hmac.compare_digest(sign(secret, timestamp, body), signature)


def delivery_body(delivery: WebhookDelivery) -> bytes:
    document = {"id": str(delivery.pk), "event": delivery.event, "created_at": delivery.created_at.isoformat(),
                "data": delivery.payload}
    return json.dumps(document, ensure_ascii=False, separators=(",", ":"), cls=DjangoJSONEncoder).encode()


Sender = Callable[[str, dict[str, str], bytes], int]


def http_post(url: str, headers: dict[str, str], body: bytes) -> int:
    """POST once and return the status code (no redirects followed; 5 s timeout)."""
    scheme, host, port, addresses = check_url(url, resolve=True)
    parts = urlsplit(url)
    path = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
    conn_cls = _PinnedHTTPSConnection if scheme == "https" else _PinnedHTTPConnection
    conn = conn_cls(host, port, addresses[0], timeout=TIMEOUT_SECONDS)
    try:
        conn.request("POST", path, body=body, headers=headers)
        response = conn.getresponse()
        response.read(64 * 1024)
        return int(response.status)
    finally:
        conn.close()


def _send(delivery: WebhookDelivery, sender: Sender) -> tuple[int | None, str]:
    endpoint = delivery.endpoint
    body = delivery_body(delivery)
    timestamp = str(int(time.time()))
    headers = {
        "Content-Type": "application/json; charset=utf-8",
        "User-Agent": USER_AGENT,
        "X-Guanxi-Event": delivery.event,
        "X-Guanxi-Delivery": str(delivery.pk),
        "X-Guanxi-Timestamp": timestamp,
        "X-Guanxi-Signature": sign(endpoint.secret, timestamp, body),
    }
    try:
        status = sender(endpoint.url, headers, body)
    except UnsafeTarget:
        return None, "refused: the target address is not allowed"
    except (OSError, http.client.HTTPException, ValueError) as exc:
        # Never the URL's query or the secret: the type of error is enough to act on.
        return None, f"{type(exc).__name__}: {str(exc)[:200]}"
    if 200 <= status < 300:
        return status, ""
    return status, f"HTTP {status}" + (" (redirects are not followed)" if 300 <= status < 400 else "")


def next_attempt_after(attempts: int, now: datetime) -> datetime | None:
    """When to try again after ``attempts`` failed attempts; None when it is time to give up."""
    if attempts >= MAX_ATTEMPTS:
        return None
    return now + BACKOFF[attempts - 1]


def deliver_one(delivery_id: Any, *, sender: Sender | None = None, now: datetime | None = None) -> WebhookDelivery | None:
    """Claim one due delivery, send it, record the outcome. Returns None if another runner has it."""
    now = now or timezone.now()
    claimed = WebhookDelivery.objects.filter(
        pk=delivery_id, state=DeliveryState.PENDING, next_attempt_at__lte=now
    ).update(next_attempt_at=now + CLAIM_LEASE)
    if not claimed:
        return None
    delivery = WebhookDelivery.objects.select_related("endpoint").get(pk=delivery_id)
    if not delivery.endpoint.active:
        WebhookDelivery.objects.filter(pk=delivery.pk).update(state=DeliveryState.FAILED, next_attempt_at=None,
                                                              last_error="endpoint deactivated")
        delivery.refresh_from_db()
        return delivery
    status, error = _send(delivery, sender or http_post)
    delivery.attempts += 1
    delivery.last_status_code = status
    delivery.last_error = error[:500]
    finished = timezone.now() if now is None else now
    if not error:
        delivery.state = DeliveryState.SUCCEEDED
        delivery.delivered_at = finished
        delivery.next_attempt_at = None
    else:
        delivery.next_attempt_at = next_attempt_after(delivery.attempts, now)
        if delivery.next_attempt_at is None:
            delivery.state = DeliveryState.FAILED
        logger.info("webhook delivery failed", extra={"delivery": str(delivery.pk), "attempt": delivery.attempts,
                                                      "status": status, "endpoint": delivery.endpoint_id})
    delivery.save(update_fields=["attempts", "last_status_code", "last_error", "state", "delivered_at", "next_attempt_at"])
    return delivery


def deliver_due(*, now: datetime | None = None, sender: Sender | None = None, limit: int = BATCH) -> dict[str, int]:
    now = now or timezone.now()
    ids = list(WebhookDelivery.objects.filter(state=DeliveryState.PENDING, next_attempt_at__lte=now)
               .order_by("next_attempt_at").values_list("pk", flat=True)[:limit])
    counts = {"succeeded": 0, "retrying": 0, "failed": 0}
    for pk in ids:
        delivery = deliver_one(pk, sender=sender, now=now)
        if delivery is None:
            continue
        if delivery.state == DeliveryState.SUCCEEDED:
            counts["succeeded"] += 1
        elif delivery.state == DeliveryState.FAILED:
            counts["failed"] += 1
        else:
            counts["retrying"] += 1
    return counts


@job_handler(DELIVER_JOB, every=timedelta(minutes=1))
def deliver_job(ctx: JobContext) -> dict[str, Any]:
    counts = deliver_due()
    ctx.progress(100)
    return counts


# --- emitting --------------------------------------------------------------------------------------

def _store_deliveries(event: str, payload: dict[str, Any]) -> None:
    endpoints = [e for e in WebhookEndpoint.objects.filter(active=True) if event in (e.events or [])]
    if not endpoints:
        return
    now = timezone.now()
    payload = json.loads(json.dumps(payload, cls=DjangoJSONEncoder))
    WebhookDelivery.objects.bulk_create(
        [WebhookDelivery(endpoint=e, event=event, payload=payload, next_attempt_at=now, created_at=now) for e in endpoints]
    )
    _kick()


def _kick() -> None:
    """Queue the delivery job unless one is already waiting (the scheduler catches any race)."""
    if not Job.objects.filter(kind=DELIVER_JOB, state=JobState.QUEUED).exists():
        job_start(actor=None, kind=DELIVER_JOB)


def webhook_emit(event: str, payload: dict[str, Any]) -> None:
    """Send ``event`` with ``payload`` (JSON-ready) to its subscribers once the current
    transaction commits. Robust: a failure to queue never undoes the caller's change."""
    transaction.on_commit(partial(_store_deliveries, event, dict(payload)), robust=True)


# --- administration --------------------------------------------------------------------------------

def _require_admin(actor: User) -> None:
    if not (getattr(actor, "is_authenticated", False) and actor.is_active and actor.is_admin):
        raise PermissionDenied(_("Only administrators may manage webhooks."))


def _clean_events(events: Any) -> list[str]:
    if not isinstance(events, list) or not events or len(events) > 50:
        raise ValidationFailed({"events": [_("Choose one or more events.")]})
    unknown = sorted({str(e) for e in events} - set(_EVENTS))
    if unknown:
        raise ValidationFailed({"events": [_("Unknown event: %(name)s") % {"name": unknown[0][:100]}]})
    return sorted({str(e) for e in events})


def clean_target_url(url: Any) -> str:
    url = str(url or "").strip()
    if not url or len(url) > 500:
        raise ValidationFailed({"url": [_("Enter the address that receives the events.")]})
    try:
        check_url(url, resolve=False)
    except UnsafeTarget as exc:
        if urlsplit(url).scheme.lower() == "http" and _require_https():
            raise ValidationFailed({"url": [_("Webhook addresses must start with https://.")]}) from exc
        raise ValidationFailed({"url": [_("This address is not allowed: webhooks go to public http(s) addresses only.")]}) from exc
    return url


@transaction.atomic
def endpoint_create(*, actor: User, url: str, events: list[str], description: str = "") -> WebhookEndpoint:
    """Create an endpoint with a new secret. The caller shows ``endpoint.secret`` once."""
    _require_admin(actor)
    if WebhookEndpoint.objects.count() >= MAX_ENDPOINTS:
        raise ValidationFailed({"url": [_("There are too many webhook endpoints; delete one first.")]})
    endpoint = WebhookEndpoint(url=clean_target_url(url), events=_clean_events(events),
                               description=str(description or "").strip()[:200],
                               secret="whsec_" + secrets.token_urlsafe(32), created_by=actor)
    endpoint.save()
    _audit(actor, endpoint, "create")
    return endpoint


@transaction.atomic
def endpoint_update(*, actor: User, endpoint: WebhookEndpoint, data: dict[str, Any]) -> WebhookEndpoint:
    _require_admin(actor)
    unknown = sorted(set(data) - {"url", "events", "active", "description"})
    if unknown:
        raise ValidationFailed({name: [_("Unknown or read-only field.")] for name in unknown})
    if "url" in data:
        endpoint.url = clean_target_url(data["url"])
    if "events" in data:
        endpoint.events = _clean_events(data["events"])
    if "active" in data:
        endpoint.active = bool(data["active"])
    if "description" in data:
        endpoint.description = str(data["description"] or "").strip()[:200]
    endpoint.save()
    _audit(actor, endpoint, "update")
    return endpoint


@transaction.atomic
def endpoint_delete(*, actor: User, endpoint: WebhookEndpoint) -> None:
    _require_admin(actor)
    _audit(actor, endpoint, "delete")
    endpoint.delete()


def _audit(actor: User, endpoint: WebhookEndpoint, action: str) -> None:
    from guanxi.audit.services import audit_record

    # The secret never enters the audit log.
    changes = {"url": [None, endpoint.url], "events": [None, endpoint.events], "active": [None, endpoint.active]}
    audit_record(actor=actor, obj=endpoint, action=action, changes={} if action == "delete" else changes)


def endpoints_for(actor: User) -> Any:
    _require_admin(actor)
    return WebhookEndpoint.objects.all()


def get_endpoint(actor: User, pk: Any) -> WebhookEndpoint:
    _require_admin(actor)
    endpoint = WebhookEndpoint.objects.filter(pk=pk).first() if str(pk).isdigit() else None
    if endpoint is None:
        raise NotFound()
    return endpoint


def deliveries_for(actor: User, endpoint: WebhookEndpoint | None = None) -> Any:
    _require_admin(actor)
    qs = WebhookDelivery.objects.all()
    return qs.filter(endpoint=endpoint) if endpoint is not None else qs


def get_delivery(actor: User, pk: Any) -> WebhookDelivery:
    _require_admin(actor)
    try:
        return WebhookDelivery.objects.select_related("endpoint").get(pk=pk)
    except (WebhookDelivery.DoesNotExist, ValueError, TypeError) as exc:
        raise NotFound() from exc
    except Exception as exc:  # a malformed UUID raises ValidationError
        raise NotFound() from exc


@transaction.atomic
def redeliver(*, actor: User, delivery: WebhookDelivery) -> WebhookDelivery:
    """Send a delivery again now, as a new delivery with the same event and payload (the log
    keeps the original)."""
    _require_admin(actor)
    copy = WebhookDelivery.objects.create(endpoint=delivery.endpoint, event=delivery.event, payload=delivery.payload,
                                          next_attempt_at=timezone.now())
    transaction.on_commit(_kick, robust=True)
    return copy
