"""Links to places users typed (a website, later links in notes): only http(s), mailto and tel
become an ``href``; anything else (javascript:, data:, vbscript:, ...) is shown as text only."""

from __future__ import annotations

from typing import Any

from django import template

register = template.Library()

ALLOWED_SCHEMES = frozenset({"http", "https", "mailto", "tel"})


@register.filter
def safe_href(value: Any) -> str:
    """The value if it is an absolute link with an allowed scheme, else "" (render it as text)."""
    text = str(value or "").strip()
    scheme, sep, rest = text.partition(":")
    # Browsers drop tabs and newlines inside URLs ("java\tscript:"); a URL holding them is not ours.
    if not sep or not rest or scheme.lower() not in ALLOWED_SCHEMES or any(ch in text for ch in "\t\r\n\x00"):
        return ""
    return text
