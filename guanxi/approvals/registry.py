"""The actions that may need approval (审批, issue 6 item 8; DOMAIN §4 complaints: compensation as
money). An app registers each action once, from its ``AppConfig.ready``::

    register_action("service.complaint.compensation", _("Complaint compensation"),
                    fields={"compensation": "money"}, on_approved=pay_compensation,
                    on_returned=reopen_remedy, describe=lambda c: f"{c.number} {c.subject}")

``fields`` are the payload values a flow's condition may test (e.g. compensation above ¥5,000);
the callbacks run inside the deciding transaction, so a callback that raises undoes the decision.
The engine never imports the apps above it: they call in, it calls back through this registry."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from guanxi.approvals.models import ApprovalRequest

FIELD_KINDS = ("money", "percent", "number", "text")

Callback = Callable[["ApprovalRequest"], None]


@dataclass(frozen=True)
class ApprovalAction:
    code: str
    label: Any  # a lazy string
    fields: dict[str, str] = field(default_factory=dict)
    on_approved: Callback | None = None
    on_rejected: Callback | None = None
    on_returned: Callback | None = None
    describe: Callable[[Any], str] | None = None
    can_view: Callable[[Any, Any], bool] | None = None
    url: Callable[[Any], str | None] | None = None

    def description(self, obj: Any) -> str:
        if obj is None:
            return ""
        return str(self.describe(obj) if self.describe else obj)

    def link(self, obj: Any) -> str | None:
        return self.url(obj) if (self.url and obj is not None) else None


_ACTIONS: dict[str, ApprovalAction] = {}


def register_action(
    code: str,
    label: Any,
    *,
    fields: dict[str, str],
    on_approved: Callback,
    on_rejected: Callback | None = None,
    on_returned: Callback | None = None,
    describe: Callable[[Any], str] | None = None,
    can_view: Callable[[Any, Any], bool] | None = None,
    url: Callable[[Any], str | None] | None = None,
) -> ApprovalAction:
    """Declare an action (registering the same code again replaces it). ``fields`` maps a payload
    key to "money" | "percent" (20 means 20 %) | "number" | "text". ``can_view(user, obj)`` lets
    more people than the requester, the approvers and administrators read the request (e.g. whoever
    may see the complaint); ``url(obj)`` links the object from the request page."""
    if not code or len(code) > 60:
        raise ValueError(f"approval action code must be 1..60 characters: {code!r}")
    bad = {name: kind for name, kind in fields.items() if kind not in FIELD_KINDS or not name}
    if bad:
        raise ValueError(f"approval action {code}: unknown field kinds {bad}; use one of {FIELD_KINDS}")
    action = ApprovalAction(code, label, dict(fields), on_approved, on_rejected, on_returned, describe, can_view, url)
    _ACTIONS[code] = action
    return action


def registered_actions() -> list[ApprovalAction]:
    return [_ACTIONS[code] for code in sorted(_ACTIONS)]


def get_action(code: str) -> ApprovalAction | None:
    return _ACTIONS.get(code)


def unregister_action(code: str) -> None:
    """For tests that register a throw-away action."""
    _ACTIONS.pop(code, None)
