"""A test-only approval action on the customer archive's accounts, so these tests do not depend on
the service app: "a discount for this account", testing the discount (percent) and the
compensation (money)."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest

from guanxi.approvals import services
from guanxi.approvals.models import ApprovalFlow, ApprovalRequest
from guanxi.approvals.registry import register_action, unregister_action
from guanxi.customers.models import Account
from guanxi.customers.services import account_create
from guanxi.users.models import Role, User

ACTION = "tests.account.discount"


@pytest.fixture
def calls() -> list[tuple[str, int]]:
    return []


@pytest.fixture(autouse=True)
def action(calls: list[tuple[str, int]]) -> Iterator[str]:
    def record(kind: str) -> Callable[[ApprovalRequest], None]:
        return lambda request: calls.append((kind, request.pk))

    register_action(ACTION, "Account discount", fields={"discount": "percent", "compensation": "money", "region": "text"},
                    on_approved=record("approved"), on_rejected=record("rejected"), on_returned=record("returned"),
                    describe=lambda account: f"客户 {account.name}")
    yield ACTION
    unregister_action(ACTION)


@pytest.fixture
def account(carol: User) -> Account:
    return account_create(actor=carol, data={"name": "审批测试客户 Approval Test Co"})


@pytest.fixture
def make_flow(alice: User) -> Callable[..., ApprovalFlow]:
    def make(*steps: dict[str, Any], condition: Any = None, priority: int = 0, name: str = "折扣审批") -> ApprovalFlow:
        return services.flow_create(actor=alice, action=ACTION, name=name, condition=condition, priority=priority,
                                    steps=list(steps) or [{"approver_kind": "manager"}])
    return make


@pytest.fixture
def ivy(org: Any) -> User:
    """A second service agent (erin is the first)."""
    user = User.objects.create(username="ivy", display_name="Ivy 艾薇", role=Role.objects.get(code="service_agent"),
                               department=org.service)
    return user


@pytest.fixture
def helen(bob: User) -> User:
    """bob's manager: carol → bob → helen."""
    user = User.objects.create(username="helen", display_name="Helen 海伦", role=Role.objects.get(code="sales_manager"))
    bob.manager = user
    bob.save(update_fields=["manager"])
    return user
