"""The authorisation matrix (issue 3, item 5): every URL pattern and every API operation, found
automatically, checked as each persona against a fresh object owned by carol.

  carol (owner) ............ allowed
  bob (carol's manager) .... allowed (he sees and edits his subordinates' records)
  dave (other team) ........ 404 on every object route, any method: never reveal that it exists
  grace (read-only) ........ reads allowed, every write 403 (she sees carol's records)
  anonymous ................ web: 302 to the login page; API: 401 problem+json

Personal objects (API tokens, jobs, saved views) are their owner's alone: everyone else gets 404.

A route added later fails these tests until someone says here how to build an object for it
(``ROUTE_TARGETS`` / ``PARAM_TARGETS``) and, for an API write with a body, a valid body
(``API_BODIES``). Routes that take no object are checked for anonymous access.
"""

from __future__ import annotations

import json
import re
import uuid
from collections.abc import Callable
from typing import Any

import pytest
from django.conf import settings
from django.test import Client
from django.urls import NoReverseMatch, reverse

from guanxi.customers.models import Account, Contact, Order
from guanxi.web.middleware import PUBLIC_PREFIXES
from tests.security.matrix_types import ALLOW, EXPECTED, READ_ONLY, Policy, Target
from tests.security.routes import ApiOperation, WebRoute, api_operations, api_url_patterns, openapi_path, web_routes
from tests.security.world import World, changed_tables, db_fingerprint

pytestmark = pytest.mark.django_db

PROBLEM = "application/problem+json"

# Routes anyone may open without signing in, and why. Nothing else is public.
PUBLIC_ROUTES = {
    "healthz": "liveness probe for the process supervisor",
    "readyz": "readiness probe for the load balancer",
    "web:login": "the sign-in page",
    "api-1:openapi-json": "the OpenAPI schema (describes the API, contains no data)",
    "api-1:openapi-view": "the interactive API documentation",
    "api-1:api-root": "ninja's mount point; always answers 404",
    "calendar:feed": "a user's iCalendar feed: the secret token in the URL is the credential (unknown or revoked: 404)",
}
# Arguments for public routes that take some (an unknown token: the route still answers, with 404).
PUBLIC_ROUTE_KWARGS: dict[str, dict[str, str]] = {"calendar:feed": {"token": "unknown-token"}}

# The public complaint form and its private status page (guanxi/service/public_views.py).
PUBLIC_ROUTES["public_service:feedback"] = (
    "the public complaint and feedback form (honeypot, rate limit per address, size- and type-checked attachments)"
)
PUBLIC_ROUTES["public_service:status"] = (
    "a complaint's private status page: the secret random token in the URL is the credential (unknown: 404); "
    "shows the state and the messages staff marked public, never internal notes; once resolved, the customer "
    "confirms or reopens it there (POST, CSRF-protected, rate-limited)"
)
PUBLIC_ROUTE_KWARGS["public_service:status"] = {"public_token": "00000000-0000-0000-0000-000000000000"}

# The survey answer page (guanxi/service/survey_public_urls.py), once public_urls splices it in.
try:
    reverse("public_service:survey_answer", kwargs={"token": "unknown-token"})
except NoReverseMatch:
    pass
else:
    PUBLIC_ROUTES["public_service:survey_answer"] = (
        "a customer's survey answer page: the secret single-use token in the URL is the credential (unknown, used or expired: 404/410)"
    )
    PUBLIC_ROUTE_KWARGS["public_service:survey_answer"] = {"token": "unknown-token"}
# Path prefixes the login-required middleware lets through: the API answers 401 itself (checked
# operation by operation below) and static files are not secret.
PUBLIC_PREFIX_REASONS = {
    "/api/": "the API authenticates each operation itself (401 problem+json)",
    "/healthz": "liveness probe",
    "/readyz": "readiness probe",
    "/static/": "CSS, JavaScript and fonts",
}


def _account(w: World) -> dict[str, Any]:
    return {"pk": w.account().pk}


def _contact(w: World) -> dict[str, Any]:
    return {"pk": w.contact().pk}


# By the names of a route's parameters, when they say what the object is.
PARAM_TARGETS: dict[frozenset[str], Target] = {
    frozenset({"account_id"}): Target(Policy.RECORD, lambda w: {"account_id": w.account().pk}),
    frozenset({"contact_id"}): Target(Policy.RECORD, lambda w: {"contact_id": w.contact().pk}),
    frozenset({"order_id"}): Target(Policy.RECORD, lambda w: {"order_id": w.order().pk}),
    frozenset({"token_id"}): Target(Policy.PERSONAL, lambda w: {"token_id": w.token().pk}),
    frozenset({"job_id"}): Target(Policy.PERSONAL, lambda w: {"job_id": w.job().pk}),
    frozenset({"upload_id"}): Target(Policy.PERSONAL, lambda w: {"upload_id": w.upload().pk}),
    frozenset({"template_id"}): Target(Policy.PERSONAL, lambda w: {"template_id": w.mapping_template().pk}),
    frozenset({"account_id", "share_id"}): Target(Policy.RECORD, lambda w: dict(zip(("account_id", "share_id"), (o.pk for o in w.share()), strict=True))),
    frozenset({"object_type", "object_id"}): Target(
        Policy.RECORD, lambda w: {"object_type": "customers.account", "object_id": w.account().pk}
    ),
}

# By route (web: "namespace:name"; API: "METHOD /path"); wins over PARAM_TARGETS.
ROUTE_TARGETS: dict[str, Target] = {
    "web:trash_restore": Target(
        Policy.RESTORE, lambda w: {"object_type": "customers.account", "object_id": w.deleted_account().pk}
    ),
    "customers:account_detail": Target(Policy.RECORD, _account),
    "customers:account_history": Target(Policy.RECORD, _account),
    "customers:account_tab": Target(Policy.RECORD, lambda w: {"pk": w.account().pk, "tab": "overview"}),
    "customers:account_edit": Target(Policy.RECORD, _account),
    "customers:account_delete": Target(Policy.RECORD, _account),
    "customers:account_transfer": Target(Policy.RECORD, _account),
    "customers:account_release": Target(Policy.RECORD, _account),
    "customers:account_merge": Target(Policy.RECORD, lambda w: {"pk": w.account().pk, "other": w.account().pk}),
    "customers:account_view_delete": Target(Policy.PERSONAL, lambda w: {"view_id": w.saved_view().pk}),
    "customers:pool_claim": Target(Policy.POOL, lambda w: {"pk": w.pool_account().pk}),
    "customers:duplicate_dismiss": Target(Policy.RECORD, lambda w: {"pk": w.duplicate().pk}),
    "customers:custom_field_edit": Target(Policy.ADMIN, lambda w: {"pk": w.custom_field().pk}),
    "customers:contact_detail": Target(Policy.RECORD, _contact),
    "customers:contact_edit": Target(Policy.RECORD, _contact),
    "customers:contact_delete": Target(Policy.RECORD, _contact),
    "customers:account_share": Target(Policy.RECORD, _account),
    "customers:account_unshare": Target(Policy.RECORD, lambda w: dict(zip(("pk", "share_id"), (o.pk for o in w.share()), strict=True))),
    "dataio:status": Target(Policy.PERSONAL, lambda w: {"pk": w.upload().pk}),
    "dataio:mapping": Target(Policy.PERSONAL, lambda w: {"pk": w.upload().pk}),
    "dataio:dry_run": Target(Policy.PERSONAL, lambda w: {"pk": w.upload().pk}),
    "dataio:start": Target(Policy.PERSONAL, lambda w: {"pk": w.upload().pk}),
    "dataio:failed_rows": Target(Policy.PERSONAL, lambda w: {"job_id": w.finished_job("dataio.import", "failed_file").pk}),
    "dataio:export": Target(Policy.OPEN, lambda w: {"object_type": "account"}),
    "dataio:export_status": Target(Policy.PERSONAL, lambda w: {"job_id": w.finished_job("dataio.export", "file").pk}),
    "dataio:export_download": Target(Policy.PERSONAL, lambda w: {"job_id": w.finished_job("dataio.export", "file").pk}),
    "GET /api/v1/imports/jobs/{job_id}/failed-rows": Target(
        Policy.PERSONAL, lambda w: {"job_id": w.finished_job("dataio.import", "failed_file").pk}
    ),
    "GET /api/v1/exports/jobs/{job_id}/download": Target(Policy.PERSONAL, lambda w: {"job_id": w.finished_job("dataio.export", "file").pk}),
    "POST /api/v1/accounts/pool/{account_id}/claim": Target(Policy.POOL, lambda w: {"account_id": w.pool_account().pk}),
    "POST /api/v1/accounts/{account_id}/restore": Target(Policy.RESTORE, lambda w: {"account_id": w.deleted_account().pk}),
}


def _version(model: type[Any], pk: int) -> int:
    return int(model._base_manager.get(pk=pk).version)


# A valid body for each API write on an object, so the permission check (not validation) answers.
API_BODIES: dict[str, Callable[[World, dict[str, Any]], Any]] = {
    "PATCH /api/v1/accounts/{account_id}": lambda w, kw: {"version": _version(Account, kw["account_id"]), "city": "苏州"},
    "POST /api/v1/accounts/{account_id}/transfer": lambda w, kw: {
        "owner_id": w.user("carol").pk, "version": _version(Account, kw["account_id"])
    },
    "POST /api/v1/accounts/{account_id}/merge": lambda w, kw: {"merged_id": w.account().pk},
    "POST /api/v1/accounts/{account_id}/release": lambda w, kw: {"reason": "矩阵测试"},
    "PATCH /api/v1/contacts/{contact_id}": lambda w, kw: {"version": _version(Contact, kw["contact_id"]), "title": "经理"},
    "PATCH /api/v1/orders/{order_id}": lambda w, kw: {"version": _version(Order, kw["order_id"]), "notes": "矩阵测试"},
    "POST /api/v1/accounts/{account_id}/shares": lambda w, kw: {"user_id": w.user("frank").pk},
    "POST /api/v1/imports/{upload_id}/dry-run": lambda w, kw: {},
    "POST /api/v1/imports/{upload_id}/start": lambda w, kw: {},
    "PUT /api/v1/contacts/{contact_id}/accounts": lambda w, kw: {"account_ids": [w.account().pk]},
}


def _load_extensions() -> None:
    """Each app's routes are described in ``tests/security/matrix_<app>.py`` (same three dicts)."""
    import importlib
    import pkgutil

    import tests.security as package

    for info in pkgutil.iter_modules(package.__path__):
        if info.name.startswith("matrix_") and info.name != "matrix_types":
            module = importlib.import_module(f"tests.security.{info.name}")
            PARAM_TARGETS.update(getattr(module, "PARAM_TARGETS", {}))
            ROUTE_TARGETS.update(getattr(module, "ROUTE_TARGETS", {}))
            API_BODIES.update(getattr(module, "API_BODIES", {}))


_load_extensions()


def target_for(key: str, params: tuple[str, ...]) -> Target | None:
    return ROUTE_TARGETS.get(key) or PARAM_TARGETS.get(frozenset(params))


WEB = web_routes()
WEB_OBJECT_ROUTES = [r for r in WEB if r.params and r.key not in PUBLIC_ROUTES]
API = api_operations()
API_OBJECT_OPS = [op for op in API if op.path_params]


def _ids(items: list[Any]) -> list[str]:
    return [str(getattr(i, "key", i)) for i in items]


# --- coverage: the lists above cannot silently fall behind the application ---------------------


def test_every_route_with_an_object_has_a_factory_for_it():
    missing = [str(r) for r in WEB_OBJECT_ROUTES if target_for(r.key, r.params) is None]
    missing += [op.key for op in API_OBJECT_OPS if target_for(op.key, op.path_params) is None]
    assert not missing, (
        "These routes take an object but the authorisation matrix cannot build one; add them to ROUTE_TARGETS or "
        f"PARAM_TARGETS in {__file__}: {missing}"
    )


def test_every_api_write_on_an_object_with_a_body_has_a_valid_body():
    missing = [op.key for op in API_OBJECT_OPS if op.is_write and op.has_body and op.key not in API_BODIES]
    assert not missing, f"Add a valid body to API_BODIES in {__file__} so the permission check is what answers: {missing}"


def test_every_url_the_api_mounts_is_an_operation_of_its_schema_or_public():
    paths = {op.path for op in API}
    stray = [str(r) for r in api_url_patterns() if r.key not in PUBLIC_ROUTES and openapi_path(r.route) not in paths]
    assert not stray, f"API URLs outside the OpenAPI schema escape the matrix: {stray}"


def test_every_route_has_a_name_so_the_matrix_can_address_it():
    unnamed = [str(r) for r in WEB + api_url_patterns() if r.key.startswith("/")]
    assert not unnamed, f"Give these URL patterns a name: {unnamed}"


def test_public_allow_list_matches_the_application():
    keys = {r.key for r in WEB + api_url_patterns()}
    assert set(PUBLIC_ROUTES) <= keys, f"Public routes that no longer exist: {set(PUBLIC_ROUTES) - keys}"
    opted_out = {r.key for r in WEB if getattr(r.callback, "login_required", True) is False}
    assert opted_out <= set(PUBLIC_ROUTES), f"Views marked @login_not_required but not in PUBLIC_ROUTES: {opted_out - set(PUBLIC_ROUTES)}"
    assert set(PUBLIC_PREFIXES) == set(PUBLIC_PREFIX_REASONS), "The login middleware's public prefixes changed; review them here"


@pytest.mark.parametrize("key", sorted(PUBLIC_ROUTES))
def test_public_routes_answer_without_a_login(client, key):
    r = client.get(reverse(key, kwargs=PUBLIC_ROUTE_KWARGS.get(key)))
    assert r.status_code != 401
    assert not (r.status_code == 302 and r["Location"].startswith(reverse(settings.LOGIN_URL)))


# --- anonymous -------------------------------------------------------------------------------------

_PLACEHOLDERS = {"int": "1", "uuid": str(uuid.UUID(int=1)), "uuidstr": str(uuid.UUID(int=1))}


def _placeholder_url(route: str) -> str:
    """Fill a route's parameters with well-formed values (the object need not exist: a login is
    demanded before anyone looks for it)."""
    return "/" + re.sub(r"<(?:(\w+):)?\w+>", lambda m: _PLACEHOLDERS.get(m.group(1) or "str", "x"), route)


@pytest.mark.parametrize("route", [r for r in WEB if r.key not in PUBLIC_ROUTES], ids=_ids([r for r in WEB if r.key not in PUBLIC_ROUTES]))
def test_anonymous_visitor_is_sent_to_the_login_page(client, route):
    url = _placeholder_url(route.route)
    login = reverse(settings.LOGIN_URL)
    for method in ("get", "post"):
        r = getattr(client, method)(url)
        assert r.status_code == 302, f"{method.upper()} {url} → {r.status_code}"
        assert r["Location"].startswith(f"{login}?next="), f"{method.upper()} {url} → {r['Location']}"


@pytest.mark.parametrize("op", API, ids=_ids(API))
def test_anonymous_api_call_gets_401_problem(client, op):
    url = op.url({p: _PLACEHOLDERS["uuid"] if op.param_formats.get(p) == "uuid" else "customers.account" if p == "object_type" else 1
                  for p in op.path_params})
    r = client.generic(op.method, url, b"{}", content_type="application/json")
    assert r.status_code == 401, f"{op} → {r.status_code} {r.content[:200]!r}"
    assert r["Content-Type"] == PROBLEM
    assert r.json()["code"] == "auth.required"
    assert r["WWW-Authenticate"].startswith("Bearer")


# --- personas on objects ---------------------------------------------------------------------------


def _allowed(status: int, *, write: bool) -> bool:
    return 200 <= status < 400 or (write and status in (400, 409, 422))


def _check(failures: list[str], label: str, r: Any, expected: Any, *, write: bool, api: bool) -> None:
    status = r.status_code
    if expected == READ_ONLY:
        expected = 403 if write else ALLOW
    if expected == ALLOW:
        ok = _allowed(status, write=write)
        if ok and status in (301, 302):
            ok = not r["Location"].startswith(reverse(settings.LOGIN_URL))
    else:
        ok = status == expected
        if ok and api:
            ok = r["Content-Type"] == PROBLEM and bool(r.json().get("code"))
    if not ok:
        failures.append(f"{label} → {status}, expected {expected}: {r.content[:160]!r}")


def _web_methods(w: World, route: WebRoute, target: Target) -> list[str]:
    """The methods a view accepts: a view restricted with require_http_methods answers OPTIONS
    with 405 and an Allow header; an unrestricted view is a page (GET)."""
    client = w.web_client("alice" if target.policy is Policy.ADMIN else "carol")
    r = client.options(reverse(route.key, kwargs=target.make(w)))
    if r.status_code == 405:
        return [m for m in ("GET", "POST") if m in r["Allow"]]
    return ["GET"]


@pytest.mark.parametrize("route", WEB_OBJECT_ROUTES, ids=_ids(WEB_OBJECT_ROUTES))
def test_web_route_answers_each_persona_as_their_data_scope_allows(org, route):
    target = target_for(route.key, route.params)
    assert target is not None, f"{route} has no factory (see test_every_route_with_an_object_has_a_factory_for_it)"
    w = World(org)
    methods = _web_methods(w, route, target)
    # A page that exists to change its object (an edit form, a merge screen) is refused to
    # read-only users even when they only open it.
    changes_object = "POST" in methods
    failures: list[str] = []
    for persona, expected in EXPECTED[target.policy].items():
        client = w.web_client(persona)
        # Those who may not see the object get 404 whatever the method; a method the view does
        # not take may also answer 405 (decided before the object is looked up: it reveals nothing).
        for method in ("GET", "POST") if expected == 404 else methods:
            url = reverse(route.key, kwargs=target.make(w))
            r = client.generic(method, url)
            if method not in methods and r.status_code == 405:
                continue
            _check(failures, f"{persona} {method} {url}", r, expected, write=changes_object, api=False)
    assert not failures, f"{route} [{target.policy.name}]:\n" + "\n".join(failures)


def _prepare(w: World, op: ApiOperation, target: Target) -> tuple[str, bytes]:
    """The URL and a JSON body for one call on a fresh object."""
    kwargs = target.make(w)
    body = API_BODIES[op.key](w, kwargs) if op.key in API_BODIES else ({} if op.has_body else None)
    return op.url(kwargs), b"" if body is None else json.dumps(body).encode()


@pytest.mark.parametrize("op", API_OBJECT_OPS, ids=_ids(API_OBJECT_OPS))
def test_api_operation_answers_each_persona_as_their_data_scope_allows(org, op):
    target = target_for(op.key, op.path_params)
    assert target is not None, f"{op} has no factory (see test_every_route_with_an_object_has_a_factory_for_it)"
    w = World(org)
    failures: list[str] = []
    for persona, expected in EXPECTED[target.policy].items():
        url, payload = _prepare(w, op, target)
        r = w.api_client(persona).generic(op.method, url, payload, content_type="application/json")
        _check(failures, f"{persona} {op.method} {url}", r, expected, write=op.is_write, api=True)
    assert not failures, f"{op} [{target.policy.name}]:\n" + "\n".join(failures)


# --- sessions need the CSRF token on unsafe API methods -----------------------------------------

API_WRITES = [op for op in API if op.is_write]
_NO_OBJECT = Target(Policy.RECORD, lambda w: {})


@pytest.mark.parametrize("op", API_WRITES, ids=_ids(API_WRITES))
def test_api_write_with_a_session_but_no_csrf_token_is_refused_and_changes_nothing(org, op):
    w = World(org)
    target = target_for(op.key, op.path_params) or _NO_OBJECT
    client = Client(enforce_csrf_checks=True)
    client.force_login(w.user("alice" if target.policy is Policy.ADMIN else "carol"))
    url, payload = _prepare(w, op, target)
    before = db_fingerprint()
    r = client.generic(op.method, url, payload, content_type="application/json")
    assert r.status_code == 403, f"{op.method} {url} → {r.status_code} {r.content[:200]!r}"
    assert r["Content-Type"] == PROBLEM
    assert r.json()["code"] == "auth.csrf_failed"
    assert changed_tables(before, db_fingerprint()) == []


def test_the_same_session_write_with_the_csrf_token_goes_through(org):
    w = World(org)
    account = w.account()
    client = Client(enforce_csrf_checks=True)
    client.force_login(w.user("carol"))
    client.get(reverse("web:settings"))
    token = client.cookies[settings.CSRF_COOKIE_NAME].value
    r = client.patch(f"/api/v1/accounts/{account.pk}", {"version": account.version, "city": "苏州"},
                     content_type="application/json", HTTP_X_CSRFTOKEN=token)
    assert r.status_code == 200, r.content
    assert Account.objects.get(pk=account.pk).city == "苏州"


# --- creating: a read-only role creates nothing ------------------------------------------------------


def test_read_only_user_cannot_create_records_through_the_api_or_the_web(org):
    w = World(org)
    client = w.api_client("grace")
    before = db_fingerprint()
    for url, body in (("/api/v1/accounts/", {"name": "只读用户建的客户"}), ("/api/v1/contacts/", {"name": "只读用户建的联系人"})):
        r = client.post(url, body, content_type="application/json")
        assert r.status_code == 403, r.content
        assert r["Content-Type"] == PROBLEM and r.json()["code"] == "permission_denied"
    web = w.web_client("grace")
    for name in ("customers:account_create", "customers:contact_create", "sales:lead_create", "sales:opportunity_create",
                 "service:complaint_create", "dataio:upload"):  # no form that could never be saved
        assert web.get(reverse(name)).status_code == 403, name
    r = web.post(reverse("customers:account_create"), {"name": "网页只读客户", "kind": "company", "nature": "ordinary"})
    assert r.status_code == 403
    assert web.post(reverse("customers:contact_create"), {"name": "网页只读联系人"}).status_code == 403
    assert changed_tables(before, db_fingerprint()) == []


def test_new_buttons_show_only_to_roles_that_may_create(org):
    w = World(org)
    new_links = (reverse("customers:account_create"), reverse("customers:contact_create"), reverse("sales:lead_create"),
                 reverse("sales:opportunity_create"), reverse("service:complaint_create"), reverse("dataio:upload"))
    pages = ("/", reverse("customers:account_list"), reverse("customers:contact_list"), reverse("sales:lead_list"),
             reverse("sales:opportunity_list"), reverse("sales:board"), reverse("service:complaint_list"))
    for persona, shown in (("grace", False), ("carol", True)):
        web = w.web_client(persona)
        for page in pages:
            html = web.get(page).content.decode()
            assert any(f'href="{link}' in html for link in new_links) is shown, (persona, page)


def test_read_only_role_gets_no_bulk_actions_on_the_account_list(org):
    w = World(org)
    account = w.account("carol")
    for persona, shown in (("grace", False), ("carol", True)):
        html = w.web_client(persona).get(reverse("customers:account_list")).content.decode()
        assert account.name in html, persona  # both see the row …
        assert ('id="bulk-action"' in html) is shown, persona
        assert ('name="ids"' in html) is shown, persona  # no row checkboxes either


@pytest.mark.parametrize("persona", ["carol", "dave", "erin", "frank"])
def test_everyone_with_a_write_scope_may_create(org, persona):
    r = World(org).api_client(persona).post("/api/v1/accounts/", {"name": f"{persona}的新客户"}, content_type="application/json")
    assert r.status_code == 201, r.content
    assert r.json()["owner_id"] == org.users[persona].pk
