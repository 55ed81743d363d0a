from __future__ import annotations

from django import template

from guanxi.customers.classify import explanations, latest_run
from guanxi.customers.models import AccountClassification

register = template.Library()


@register.simple_tag
def classification_explanations(classification: AccountClassification | None) -> dict[str, str]:
    """Tooltip texts saying why an account has its three badges (one query: the last full run)."""
    if not classification:
        return {}
    return explanations(classification, latest_run())
