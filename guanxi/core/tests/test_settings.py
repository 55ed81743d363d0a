"""Production settings: refuse to start without a secret key, pass ``check --deploy``, hash with argon2.

Each case starts a fresh Python process, because settings are read once at import."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parents[3]
STRONG_KEY = "q3v9-Lw2x_Tn8Rk4pZ7mYc1Hs6Bd0Jf5Ge2Ua9Xo4Ni7Qt3Vr8Wl1Ks6Pm0C"  # 60 random characters


def run(args: list[str], **env: str) -> subprocess.CompletedProcess[str]:
    environ = {k: v for k, v in os.environ.items() if k not in {"SECRET_KEY", "ALLOWED_HOSTS", "DEBUG", "GUANXI_ENV"}}
    environ.update(env)
    return subprocess.run(
        [sys.executable, *args], cwd=BASE_DIR, env=environ, capture_output=True, text=True, timeout=120, check=False
    )


def test_production_refuses_to_start_without_a_secret_key():
    result = run(["manage.py", "check"], GUANXI_ENV="production")
    assert result.returncode != 0
    assert "SECRET_KEY must be set in production" in result.stderr


def test_production_refuses_a_weak_secret_key():
    result = run(["manage.py", "check"], GUANXI_ENV="production", SECRET_KEY="short-key")
    assert result.returncode != 0
    assert "SECRET_KEY is too weak" in result.stderr


def test_check_deploy_passes_with_production_settings():
    result = run(
        ["manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        GUANXI_ENV="production", SECRET_KEY=STRONG_KEY, ALLOWED_HOSTS="crm.example.com",
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout


def test_production_hashes_passwords_with_argon2_and_secures_cookies():
    code = (
        "import django; django.setup(); from django.conf import settings as s; "
        "print(s.PASSWORD_HASHERS[0], s.SESSION_COOKIE_SECURE, s.CSRF_COOKIE_SECURE, s.DEBUG, len(s.AUTH_PASSWORD_VALIDATORS))"
    )
    result = run(
        ["-c", code],
        GUANXI_ENV="production", SECRET_KEY=STRONG_KEY, ALLOWED_HOSTS="crm.example.com", DJANGO_SETTINGS_MODULE="config.settings",
    )
    assert result.returncode == 0, result.stderr
    hasher, session_secure, csrf_secure, debug, validators = result.stdout.split()
    assert hasher == "django.contrib.auth.hashers.Argon2PasswordHasher"
    assert (session_secure, csrf_secure, debug) == ("True", "True", "False")
    assert int(validators) >= 4
