"""Every route the application serves, read from Django's URL resolver and from the OpenAPI schema
of the ninja API, so that a route added later shows up in the security tests without anyone
remembering to list it."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

from django.urls import URLPattern, URLResolver, get_resolver

from config.api import api

API_NAMESPACE = api.urls_namespace
_PARAM = re.compile(r"<(?:\w+:)?(\w+)>")


@dataclass(frozen=True)
class WebRoute:
    key: str  # "namespace:name", what ``reverse`` takes
    route: str  # "accounts/<int:pk>/edit/"
    params: tuple[str, ...]
    callback: Callable[..., Any]

    @property
    def namespace(self) -> str:
        return self.key.rpartition(":")[0]

    def __str__(self) -> str:
        return f"{self.key} (/{self.route})"


@dataclass(frozen=True, eq=False)
class ApiOperation:
    method: str  # "PATCH"
    path: str  # "/api/v1/accounts/{account_id}"
    path_params: tuple[str, ...]
    query_params: tuple[str, ...]
    has_body: bool
    param_formats: dict[str, str]  # path parameter → "uuid", "integer", "string"

    @property
    def key(self) -> str:
        return f"{self.method} {self.path}"

    @property
    def is_write(self) -> bool:
        return self.method not in ("GET", "HEAD", "OPTIONS")

    def url(self, params: dict[str, Any]) -> str:
        return re.sub(r"\{(\w+)\}", lambda m: str(params[m.group(1)]), self.path)

    def __str__(self) -> str:
        return self.key


def _walk(patterns: list[Any], prefix: str = "", namespace: str = "") -> Iterator[tuple[str, str, URLPattern]]:
    for entry in patterns:
        if isinstance(entry, URLResolver):
            ns = ":".join(filter(None, [namespace, entry.namespace or ""]))
            yield from _walk(entry.url_patterns, prefix + str(entry.pattern), ns)
        elif isinstance(entry, URLPattern):
            yield prefix + str(entry.pattern), namespace, entry


def all_url_patterns() -> list[WebRoute]:
    routes = []
    for route, namespace, pattern in _walk(get_resolver().url_patterns):
        name = pattern.name or ""
        key = f"{namespace}:{name}" if namespace else name
        routes.append(WebRoute(key=key or f"/{route}", route=route, params=tuple(_PARAM.findall(route)), callback=pattern.callback))
    return routes


def web_routes() -> list[WebRoute]:
    """HTML routes (everything outside the ninja API)."""
    return [r for r in all_url_patterns() if r.namespace != API_NAMESPACE]


def api_url_patterns() -> list[WebRoute]:
    """The URL patterns ninja mounted; each must be an operation of the OpenAPI schema or public."""
    return [r for r in all_url_patterns() if r.namespace == API_NAMESPACE]


def openapi_path(route: str) -> str:
    return "/" + _PARAM.sub(r"{\1}", route)


def api_operations() -> list[ApiOperation]:
    schema = api.get_openapi_schema()
    ops = []
    for path, methods in schema["paths"].items():
        for method, op in methods.items():
            params = op.get("parameters", [])
            ops.append(ApiOperation(
                method=method.upper(), path=path, has_body="requestBody" in op,
                path_params=tuple(p["name"] for p in params if p.get("in") == "path"),
                query_params=tuple(p["name"] for p in params if p.get("in") == "query"),
                param_formats={p["name"]: p["schema"].get("format") or p["schema"].get("type", "") for p in params if p.get("in") == "path"},
            ))
    return sorted(ops, key=lambda o: (o.path, o.method))
