"""``{% if request.user|may_create:"customers.account" %}``: show a "New …" button only to those
whose role may create such records (the page itself answers 403 to the others)."""

from __future__ import annotations

from typing import Any

from django import template
from django.apps import apps

from guanxi.users.visibility import can_create

register = template.Library()


@register.filter
def may_create(user: Any, model_label: str) -> bool:
    return can_create(user, apps.get_model(model_label))
