from __future__ import annotations

from typing import Any

from django.contrib.auth.backends import ModelBackend

from guanxi.users.models import User


class GuanxiBackend(ModelBackend):
    """Django's model backend, loading the role and department with the user in one query: every
    request needs them for the visibility function."""

    def get_user(self, user_id: Any) -> User | None:  # type: ignore[override]
        user = User._default_manager.select_related("role", "department").filter(pk=user_id).first()
        return user if user is not None and self.user_can_authenticate(user) else None
