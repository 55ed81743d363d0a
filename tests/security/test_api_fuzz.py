"""Hostile input, property-based (issue 3, item 12): schemathesis reads the API's own OpenAPI
schema and sends every operation valid and invalid data — its coverage phase (boundary values,
wrong types, missing and unknown fields, unexpected methods) and random positive and negative
cases — as carol with a read_write token, mostly on records that really exist. For every request:
no 5xx, errors are problem+json with a code, and a refused request (status >= 400) leaves the
database exactly as it was (row counts and a hash of every row of every Guanxi table)."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from typing import Any

import pytest
import schemathesis
from django.conf import settings as django_settings
from django.core.cache import cache
from django.core.signals import request_finished, request_started
from django.db import close_old_connections, connection, transaction
from django.test import override_settings
from django.test.utils import CaptureQueriesContext
from hypothesis import HealthCheck, Phase, settings
from schemathesis import GenerationMode

from config.wsgi import application
from conftest import PERSONA_PASSWORD
from guanxi.users.personas import create_demo_org
from tests.security.world import World, changed_tables, db_fingerprint

pytestmark = pytest.mark.django_db

schema = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", application)
schema.config.generation.update(
    modes=[GenerationMode.POSITIVE, GenerationMode.NEGATIVE], with_security_parameters=False, database="none"
)

PROBLEM = "application/problem+json"
EXAMPLES_PER_OPERATION = 15


@pytest.fixture
def wsgi_in_test_transaction():
    """Like Django's test client: keep the WSGI handler from closing the test's DB connection."""
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    yield
    request_started.connect(close_old_connections)
    request_finished.connect(close_old_connections)


@pytest.fixture(scope="module")
def fuzz_world(django_db_setup, django_db_blocker, tmp_path_factory) -> Iterator[dict[str, Any]]:
    """The demo organisation and carol's records, made once for the module inside a transaction
    that is rolled back at the end; each operation's test runs in a savepoint inside it, so what
    one operation changes is gone before the next (the suite stays fast: one setup, not 50)."""
    media = {"BACKEND": "django.core.files.storage.FileSystemStorage", "OPTIONS": {"location": str(tmp_path_factory.mktemp("media"))}}
    with django_db_blocker.unblock(), override_settings(STORAGES={**django_settings.STORAGES, "default": media}):
        outer = transaction.atomic()
        outer.__enter__()
        try:
            w = World(create_demo_org(password=PERSONA_PASSWORD))
            account, share = w.share()
            real = {
                "account_id": account.pk,
                "share_id": share.pk,
                "contact_id": w.contact().pk,
                "order_id": w.order().pk,
                "token_id": w.token().pk,
                "template_id": w.mapping_template().pk,
                "job_id": str(w.job().pk),
                "upload_id": str(w.upload().pk),
                "object_type": "customers.account",
                "object_id": account.pk,
            }
            yield {"key": w.api_key("carol"), "real": real}
        finally:
            transaction.set_rollback(True)
            outer.__exit__(None, None, None)


@pytest.fixture
def known_state(wsgi_in_test_transaction, _private_media) -> dict[str, Any]:
    """The fingerprint of the database before the next call, while still known to be current."""
    return {"fingerprint": None}


_WRITE = re.compile(r"^\s*(INSERT|UPDATE|DELETE|REPLACE)\b", re.IGNORECASE)


def _data_writes(queries: list[dict[str, Any]]) -> list[str]:
    """The statements that changed data; noting when a token was last used is bookkeeping."""
    return [q["sql"] for q in queries if _WRITE.match(q["sql"]) and "last_used_at" not in q["sql"]]


def _aim_at_real_objects(case: Any, real: dict[str, Any]) -> None:
    """Generated ids almost never exist; point two of every three at carol's real objects so the
    fuzzed bodies reach the services, not only the 404 path."""
    params = case.path_parameters or {}
    for name, value in list(params.items()):
        if name in real and isinstance(value, int) and not isinstance(value, bool) and value % 3:
            params[name] = real[name]
        elif name in real and isinstance(value, str) and len(value) == 36 and value[-1] in "02468ace":
            params[name] = real[name]


def _assert_problem(response: Any, label: str) -> None:
    content_type = (response.headers.get("content-type") or [""])[0]
    assert content_type == PROBLEM, f"{label} → {response.status_code} {content_type} {response.content[:300]!r}"
    body = json.loads(response.content)
    assert body["status"] == response.status_code and body["code"], f"{label}: {body}"


@schema.parametrize()
@settings(
    max_examples=EXAMPLES_PER_OPERATION, deadline=None, database=None, derandomize=True,
    suppress_health_check=list(HealthCheck), phases=[Phase.explicit, Phase.generate, Phase.shrink],
)
def test_api_survives_hostile_input_and_refusals_change_nothing(case, fuzz_world, known_state):
    _aim_at_real_objects(case, fuzz_world["real"])
    case.headers = {**(case.headers or {}), "Authorization": f"Bearer {fuzz_world['key']}"}
    cache.clear()  # rate-limit counters: this run sends more requests a minute than a person would
    if known_state["fingerprint"] is None:
        known_state["fingerprint"] = db_fingerprint()
    with CaptureQueriesContext(connection) as queries:
        response = case.call()
    label = f"{case.method} {case.formatted_path} body={str(getattr(case, 'body', None))[:300]}"
    assert response.status_code < 500, f"{label} → {response.status_code} {response.content[:500]!r}"
    writes = _data_writes(queries.captured_queries)
    if response.status_code >= 400:
        _assert_problem(response, label)
        # A refusal that wrote nothing changed nothing; one that wrote must have rolled it all back.
        if writes:
            changed = changed_tables(known_state["fingerprint"], db_fingerprint())
            assert changed == [], f"{label} → {response.status_code} but changed {changed}: {writes[:3]}"
    elif writes:
        known_state["fingerprint"] = None
