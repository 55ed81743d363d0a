"""Which queue runs the jobs is a deployment setting: the database by default, RQ to scale out."""

from __future__ import annotations

import os
import runpy
import subprocess
import sys

import pytest
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured

SETTINGS_FILE = str(settings.BASE_DIR / "config" / "settings.py")


def load_settings(monkeypatch, **env: str) -> dict:
    for name in ("TASKS_BACKEND", "REDIS_URL"):
        monkeypatch.delenv(name, raising=False)
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    return runpy.run_path(SETTINGS_FILE)


def test_the_database_queue_is_the_default(monkeypatch):
    loaded = load_settings(monkeypatch)
    assert loaded["TASKS"]["default"]["BACKEND"] == "django_tasks_db.DatabaseBackend"
    assert "django_rq" not in loaded["INSTALLED_APPS"]


def test_tasks_backend_rq_without_redis_url_refuses_to_start(monkeypatch):
    with pytest.raises(ImproperlyConfigured, match="TASKS_BACKEND=rq needs REDIS_URL"):
        load_settings(monkeypatch, TASKS_BACKEND="rq")


def test_tasks_backend_rq_selects_the_rq_queue_and_passes_its_checks_without_running_redis():
    probe = (
        "from django_tasks import task_backends; b = task_backends['default']; "
        "print(type(b).__module__ + '.' + type(b).__name__, len(list(b.check())))"
    )
    env = {**os.environ, "GUANXI_ENV": "test", "TASKS_BACKEND": "rq", "REDIS_URL": "redis://127.0.0.1:6399/0"}
    out = subprocess.run(
        [sys.executable, "manage.py", "shell", "--no-imports", "-c", probe],
        cwd=settings.BASE_DIR,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert out.returncode == 0, out.stderr
    assert out.stdout.split() == ["django_tasks_rq.backend.RQBackend", "0"]
