"""The vocabulary of the authorisation matrix, shared by its extension modules
(``tests/security/matrix_*.py``: one per app, each adding ``PARAM_TARGETS``, ``ROUTE_TARGETS`` and
``API_BODIES`` entries for its own routes)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from enum import Enum
from typing import Any

from tests.security.world import World


class Policy(Enum):
    RECORD = "a record carol owns (accounts, contacts...): data scopes decide"
    RESTORE = "a record in carol's trash: only its owner or an administrator restores it"
    PERSONAL = "carol's own token, job or saved view: nobody else's business"
    POOL = "an account in the public pool: every rep may claim it"
    ADMIN = "an object only administrators manage"
    OPEN = "no record, a kind of record (e.g. exporting accounts): every signed-in user; rows follow their scope"


ALLOW, READ_ONLY = "allow", "reads allowed, writes 403"
EXPECTED: dict[Policy, dict[str, Any]] = {
    Policy.RECORD: {"carol": ALLOW, "bob": ALLOW, "alice": ALLOW, "dave": 404, "grace": READ_ONLY},
    Policy.RESTORE: {"carol": ALLOW, "alice": ALLOW, "bob": 403, "dave": 404, "grace": 403},
    Policy.PERSONAL: {"carol": ALLOW, "bob": 404, "dave": 404, "grace": 404},
    Policy.POOL: {"carol": ALLOW, "bob": ALLOW, "dave": ALLOW, "alice": ALLOW, "grace": 404},
    Policy.ADMIN: {"alice": ALLOW, "carol": 403, "bob": 403, "dave": 403, "grace": 403},
    Policy.OPEN: {"carol": ALLOW, "bob": ALLOW, "dave": ALLOW, "grace": ALLOW},
}


@dataclass(frozen=True)
class Target:
    """How to make the object a route acts on: ``make(world)`` returns the route's kwargs."""

    policy: Policy
    make: Callable[[World], dict[str, Any]]


