"""Settings for benchmarks: production profile plus a bare baseline view (bench/urls.py)."""

import os

os.environ.setdefault("GUANXI_ENV", "production")
os.environ.setdefault("SECRET_KEY", "bench-" + "k" * 60)
os.environ.setdefault("ALLOWED_HOSTS", "127.0.0.1,localhost")
os.environ.setdefault("SECURE_SSL_REDIRECT", "0")

from config.settings import *  # noqa: F403

ROOT_URLCONF = "bench.urls"
SESSION_COOKIE_SECURE = False
CSRF_COOKIE_SECURE = False
SECURE_HSTS_SECONDS = 0
LOGGING["root"]["level"] = "WARNING"  # type: ignore[index]  # noqa: F405
STORAGES["staticfiles"]["BACKEND"] = "django.contrib.staticfiles.storage.StaticFilesStorage"  # type: ignore[index]  # noqa: F405
