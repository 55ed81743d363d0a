"""``{% translate %}`` that remembers constant messages per language.

Load it after ``i18n`` (``{% load i18n guanxi_i18n %}``) in hot templates. A ``{% translate "Text" %}``
whose message is a literal — no variable, filter, context or ``noop`` — always renders the same
string for a given language, yet Django looks it up (thread-local language, catalog, escaping,
localisation) on every render: about 10 µs, and the account list has some 50 of them. This tag
renders each once per language and escaping mode per process; every other form of the tag is
Django's own. The tag keeps its name, so ``makemessages`` still extracts these strings.
"""

from __future__ import annotations

from typing import Any

from django import template
from django.core.signals import setting_changed
from django.dispatch import receiver
from django.template.base import Parser, Token, Variable
from django.templatetags.i18n import TranslateNode, do_translate
from django.utils.translation import get_language

register = template.Library()

_RENDERED: dict[tuple[str | None, str, bool], str] = {}


@receiver(setting_changed)
def _forget(*, setting: str, **kwargs: Any) -> None:
    if setting in ("LANGUAGES", "LANGUAGE_CODE", "LOCALE_PATHS"):  # the catalogs Django reloads
        _RENDERED.clear()


class ConstantTranslateNode(TranslateNode):
    def __init__(self, node: TranslateNode) -> None:
        super().__init__(node.filter_expression, node.noop, node.asvar, node.message_context)
        # Django's own node, without the "as" variable, renders the value the first time.
        self.first = TranslateNode(node.filter_expression, node.noop, None, node.message_context)

    def render(self, context: template.Context) -> str:
        key = (get_language(), self.filter_expression.var.literal, context.autoescape)
        value = _RENDERED.get(key)
        if value is None:
            value = _RENDERED[key] = self.first.render(context)
        if self.asvar:
            context[self.asvar] = value
            return ""
        return value


@register.tag("translate")
@register.tag("trans")
def translate(parser: Parser, token: Token) -> TranslateNode:
    node = do_translate(parser, token)
    expression = node.filter_expression
    if (not node.noop and node.message_context is None and not expression.filters
            and isinstance(expression.var, Variable) and isinstance(expression.var.literal, str)):
        return ConstantTranslateNode(node)
    return node
