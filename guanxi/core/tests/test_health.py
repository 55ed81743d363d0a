"""/healthz says the process is alive, /readyz that the database and the job backend answer; every
log line is JSON and carries the id of the request that produced it."""

from __future__ import annotations

import io
import json
import logging
from collections.abc import Iterator

import pytest
from django.db import OperationalError
from pythonjsonlogger.json import JsonFormatter

from guanxi.core import health

pytestmark = pytest.mark.django_db


@pytest.fixture
def log_lines() -> Iterator[io.StringIO]:
    """What the configured console handler writes, captured from the real formatter and filter."""
    handlers = [
        h for h in logging.getLogger().handlers
        if isinstance(h, logging.StreamHandler) and isinstance(h.formatter, JsonFormatter)
    ]
    assert handlers, "LOGGING configures a JSON console handler on the root logger"
    buffer = io.StringIO()
    previous = [h.setStream(buffer) for h in handlers]
    try:
        yield buffer
    finally:
        for handler, stream in zip(handlers, previous, strict=True):
            handler.setStream(stream)  # type: ignore[arg-type]


def parsed(buffer: io.StringIO) -> list[dict]:
    return [json.loads(line) for line in buffer.getvalue().splitlines() if line.strip()]


def test_healthz_answers_without_login(client):
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json() == {"status": "ok"}


def test_readyz_reports_database_and_jobs_ok(client):
    response = client.get("/readyz")
    assert response.status_code == 200
    assert response.json() == {"status": "ok", "checks": {"database": "ok", "jobs": "ok"}}


class _DeadConnection:
    def cursor(self):
        raise OperationalError('connection to server at "127.0.0.1", port 5432 failed: Connection refused')


def test_readyz_is_503_when_the_database_is_unreachable(client, monkeypatch, log_lines):
    monkeypatch.setattr(health, "connection", _DeadConnection())

    response = client.get("/readyz")

    assert response.status_code == 503
    body = response.json()
    assert body["status"] == "unavailable"
    assert "Connection refused" in body["checks"]["database"]
    assert body["checks"]["jobs"] == "ok"
    errors = [line for line in parsed(log_lines) if line["level"] == "ERROR"]
    assert errors and errors[0]["message"] == "readiness check failed"
    assert errors[0]["request_id"] == response["X-Request-ID"]


def test_a_request_logs_a_json_line_with_its_request_id(client, log_lines):
    response = client.get("/healthz")

    request_id = response["X-Request-ID"]
    assert len(request_id) >= 8
    lines = parsed(log_lines)
    access = [line for line in lines if line.get("path") == "/healthz"]
    assert access, lines
    assert access[0]["request_id"] == request_id
    assert access[0]["status"] == 200
    assert {"time", "level", "logger", "message"} <= set(access[0])


def test_each_request_gets_its_own_id_and_a_sane_caller_id_is_kept(client):
    first = client.get("/healthz")["X-Request-ID"]
    second = client.get("/healthz")["X-Request-ID"]
    assert first != second
    assert client.get("/healthz", HTTP_X_REQUEST_ID="trace-0123456789")["X-Request-ID"] == "trace-0123456789"
    assert client.get("/healthz", HTTP_X_REQUEST_ID="bad id\r\nInjected: 1")["X-Request-ID"] != "bad id\r\nInjected: 1"
