"""Personas shared by every test: alice (admin), bob (manager of team East), carol (rep in East,
bob's subordinate), dave (rep in West), erin (service agent), frank (marketing), grace (read-only)."""

from __future__ import annotations

import pytest
from django.core.cache import cache

from guanxi.users.personas import Org, create_demo_org


def pytest_sessionstart(session: pytest.Session) -> None:
    # .mo files are build output: compile missing or stale ones (polib, no gettext needed) so
    # the suite sees the .po as it is, on a fresh clone too.
    from guanxi.core.management.commands.compile_catalogues import compile_stale

    compile_stale()


@pytest.fixture(autouse=True)
def _clear_cache() -> None:
    cache.clear()


@pytest.fixture
def org(db: None) -> Org:
    return create_demo_org(password="Persona-Pass-2026")


@pytest.fixture
def alice(org: Org):  # type: ignore[no-untyped-def]
    return org.users["alice"]


@pytest.fixture
def bob(org: Org):  # type: ignore[no-untyped-def]
    return org.users["bob"]


@pytest.fixture
def carol(org: Org):  # type: ignore[no-untyped-def]
    return org.users["carol"]


@pytest.fixture
def dave(org: Org):  # type: ignore[no-untyped-def]
    return org.users["dave"]


@pytest.fixture
def erin(org: Org):  # type: ignore[no-untyped-def]
    return org.users["erin"]


@pytest.fixture
def grace(org: Org):  # type: ignore[no-untyped-def]
    return org.users["grace"]


PERSONA_PASSWORD = "Persona-Pass-2026"
