"""Sign-in throttling: after 5 failed attempts for a username or from an IP address within 15
minutes, further attempts are refused for 15 minutes — even with the right password — and say so."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.contrib.auth import SESSION_KEY
from django.db.models import F

from conftest import PERSONA_PASSWORD
from guanxi.users.models import LoginFailure

pytestmark = pytest.mark.django_db

LOCKED = "Too many failed sign-in attempts"


def sign_in(client, username, password, ip="198.51.100.1"):
    return client.post(
        "/login/", {"username": username, "password": password}, REMOTE_ADDR=ip, HTTP_ACCEPT_LANGUAGE="en"
    )


def signed_in_as(client):
    return client.session.get(SESSION_KEY)


def test_five_wrong_passwords_lock_the_username_even_for_the_right_password(client, carol):
    for i in range(5):
        response = sign_in(client, "carol", "wrong-password", ip=f"198.51.100.{10 + i}")
        assert response.status_code == 200
        assert "Wrong username or password" in response.content.decode()

    response = sign_in(client, "carol", PERSONA_PASSWORD, ip="198.51.100.99")

    assert response.status_code == 429
    assert LOCKED in response.content.decode()
    assert "15 minutes" in response.content.decode()
    assert signed_in_as(client) is None


def test_five_failures_from_one_ip_lock_that_ip_across_usernames(client, carol):
    for name in ["alice", "bob", "dave", "erin", "nobody"]:
        assert sign_in(client, name, "wrong-password", ip="203.0.113.7").status_code == 200

    response = sign_in(client, "carol", PERSONA_PASSWORD, ip="203.0.113.7")
    assert response.status_code == 429
    assert LOCKED in response.content.decode()
    assert signed_in_as(client) is None

    # The lock is on that address: carol signs in from her own.
    response = sign_in(client, "carol", PERSONA_PASSWORD, ip="203.0.113.8")
    assert response.status_code == 302
    assert signed_in_as(client) == str(carol.pk)


def test_sign_in_works_again_fifteen_minutes_later(client, carol):
    for _ in range(5):
        sign_in(client, "carol", "wrong-password")
    assert sign_in(client, "carol", PERSONA_PASSWORD).status_code == 429

    LoginFailure.objects.update(at=F("at") - timedelta(minutes=15, seconds=1))

    response = sign_in(client, "carol", PERSONA_PASSWORD)
    assert response.status_code == 302
    assert signed_in_as(client) == str(carol.pk)


def test_four_failures_do_not_lock_and_a_success_clears_them(client, carol):
    for _ in range(4):
        sign_in(client, "carol", "wrong-password", ip="198.51.100.50")
    assert sign_in(client, "carol", PERSONA_PASSWORD, ip="198.51.100.51").status_code == 302
    assert not LoginFailure.objects.filter(username="carol").exists()


def test_a_successful_sign_in_rotates_the_session_key(client, carol):
    session = client.session
    session["seen_login_page"] = True
    session.save()
    before = session.session_key
    assert before

    response = sign_in(client, "carol", PERSONA_PASSWORD)

    assert response.status_code == 302
    after = client.session.session_key
    assert after and after != before
    assert signed_in_as(client) == str(carol.pk)
