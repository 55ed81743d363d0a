"""Generic list definitions: the allow-list of filters, sorts and columns of one object's list.

Every list (web table, API list, export, bulk action "all matching") parses its parameters through
a ``ListDefinition``, so field names never reach the ORM unless they are declared here
(SECURITY.md: SQL injection through names, lookups across relations the user cannot see). Unknown
filter or sort names are refused with a 400 (``list.unknown_filter`` / ``list.unknown_sort``).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal, InvalidOperation
from typing import Any

from django.db.models import Model, Q, QuerySet
from django.utils.translation import gettext as _

from guanxi.core.errors import GuanxiError

RESERVED = {"after", "limit", "sort", "columns", "view", "format", "encoding", "page"}


class ListParamError(GuanxiError):
    status = 400
    code = "list.invalid_parameter"


@dataclass(frozen=True)
class Filter:
    """One filter: ``kind`` decides how the raw strings are parsed and applied.

    kinds: text (icontains), exact, choice (one or several of ``choices``), int, bool,
    date_range (name__from / name__to), number_range (name__min / name__max), custom (callable).
    """

    name: str
    label: Any
    kind: str
    lookup: str = ""
    choices: tuple[tuple[str, Any], ...] = ()
    apply: Callable[[QuerySet[Any], list[str], Any], QuerySet[Any]] | None = None

    @property
    def path(self) -> str:
        return self.lookup or self.name


@dataclass(frozen=True)
class Column:
    name: str
    label: Any
    sort: tuple[str, ...] | None = None  # keyset order for ascending; descending derived
    default: bool = True


@dataclass
class ListParams:
    filters: dict[str, list[str]] = field(default_factory=dict)
    sort: str = ""
    columns: list[str] = field(default_factory=list)

    def as_querydict(self) -> dict[str, Any]:
        out: dict[str, Any] = {k: v if len(v) > 1 else v[0] for k, v in self.filters.items() if v}
        if self.sort:
            out["sort"] = self.sort
        if self.columns:
            out["columns"] = ",".join(self.columns)
        return out


@dataclass
class ListDefinition:
    object_type: str
    filters: list[Filter]
    columns: list[Column]
    default_sort: str
    extra_filters: Callable[[], list[Filter]] | None = None  # e.g. custom fields, read at request time

    def all_filters(self) -> dict[str, Filter]:
        items = list(self.filters) + (self.extra_filters() if self.extra_filters else [])
        return {f.name: f for f in items}

    def column_map(self) -> dict[str, Column]:
        return {c.name: c for c in self.columns}

    def sorts(self) -> dict[str, tuple[str, ...]]:
        out: dict[str, tuple[str, ...]] = {}
        for c in self.columns:
            if c.sort:
                out[c.name] = c.sort
                out["-" + c.name] = tuple(s[1:] if s.startswith("-") else "-" + s for s in c.sort)
        return out

    # --- parsing ------------------------------------------------------------------------------
    def parse(self, data: Mapping[str, Any]) -> ListParams:
        """Validate raw query parameters (a QueryDict or a dict of str | list[str])."""
        filters = self.all_filters()
        params = ListParams()
        for key in data:
            if key in RESERVED or key == "q":
                continue
            base = key.rsplit("__", 1)[0] if key.endswith(("__from", "__to", "__min", "__max")) else key
            if base not in filters:
                raise ListParamError(_("Unknown filter: %(name)s") % {"name": key[:50]}, code="list.unknown_filter")
            values = data.getlist(key) if hasattr(data, "getlist") else data[key]
            if isinstance(values, str):
                values = [values]
            values = [str(v)[:200] for v in values if str(v) != ""][:50]
            if values:
                params.filters[key] = values
        q = data.get("q")
        if q:
            params.filters["q"] = [str(q)[:100]]
        sort = str(data.get("sort") or self.default_sort)
        if sort not in self.sorts():
            raise ListParamError(_("Unknown sort: %(name)s") % {"name": sort[:50]}, code="list.unknown_sort")
        params.sort = sort
        raw_columns = data.get("columns")
        if raw_columns:
            names = [c for c in str(raw_columns).split(",") if c]
            unknown = [c for c in names if c not in self.column_map()]
            if unknown:
                raise ListParamError(_("Unknown column: %(name)s") % {"name": unknown[0][:50]}, code="list.unknown_column")
            params.columns = names
        return params

    def visible_columns(self, params: ListParams) -> list[Column]:
        if params.columns:
            cmap = self.column_map()
            return [cmap[c] for c in params.columns]
        return [c for c in self.columns if c.default]

    # --- applying -----------------------------------------------------------------------------
    def apply(self, qs: QuerySet[Any], params: ListParams, actor: Any) -> QuerySet[Any]:
        filters = self.all_filters()
        for key, values in params.filters.items():
            if key == "q":
                continue
            suffix = ""
            base = key
            if key.endswith(("__from", "__to", "__min", "__max")):
                base, suffix = key.rsplit("__", 1)
            flt = filters[base]
            qs = _apply_one(qs, flt, suffix, values, actor)
        return qs

    def order(self, params: ListParams) -> tuple[str, ...]:
        return self.sorts()[params.sort]


def _parse_date(value: str) -> date:
    try:
        return date.fromisoformat(value)
    except ValueError as exc:
        raise ListParamError(_("Not a date (YYYY-MM-DD): %(value)s") % {"value": value[:20]}, code="list.invalid_value") from exc


def _parse_decimal(value: str) -> Decimal:
    try:
        number = Decimal(value)
    except InvalidOperation as exc:
        raise ListParamError(_("Not a number: %(value)s") % {"value": value[:20]}, code="list.invalid_value") from exc
    if not number.is_finite() or abs(number) > Decimal("1e15"):
        raise ListParamError(_("Not a number: %(value)s") % {"value": value[:20]}, code="list.invalid_value")
    return number


def _apply_one(qs: QuerySet[Any], flt: Filter, suffix: str, values: list[str], actor: Any) -> QuerySet[Any]:
    if flt.apply is not None:
        return flt.apply(qs, values if not suffix else [suffix, *values], actor)
    path = flt.path
    if flt.kind == "text":
        cond = Q()
        for v in values:
            cond |= Q(**{f"{path}__icontains": v})
        return qs.filter(cond)
    if flt.kind in ("exact", "choice"):
        allowed = {c for c, _label in flt.choices}
        if flt.kind == "choice" and any(v not in allowed for v in values):
            raise ListParamError(_("Unknown value for %(name)s") % {"name": flt.name}, code="list.invalid_value")
        return qs.filter(**{f"{path}__in": values})
    if flt.kind == "int":
        try:
            ids = [int(v) for v in values]
        except ValueError as exc:
            raise ListParamError(_("Not a number: %(value)s") % {"value": values[0][:20]}, code="list.invalid_value") from exc
        if any(not 0 < i < 2**63 for i in ids):
            raise ListParamError(_("Not a valid id."), code="list.invalid_value")
        return qs.filter(**{f"{path}__in": ids})
    if flt.kind == "bool":
        return qs.filter(**{path: values[0].lower() in ("1", "true", "yes", "on")})
    if flt.kind == "date_range":
        if suffix not in ("from", "to"):
            raise ListParamError(_("Use %(name)s__from or %(name)s__to.") % {"name": flt.name}, code="list.invalid_value")
        op = "gte" if suffix == "from" else "lte"
        return qs.filter(**{f"{path}__{op}": _parse_date(values[0])})
    if flt.kind == "number_range":
        if suffix not in ("min", "max"):
            raise ListParamError(_("Use %(name)s__min or %(name)s__max.") % {"name": flt.name}, code="list.invalid_value")
        op = "gte" if suffix == "min" else "lte"
        return qs.filter(**{f"{path}__{op}": _parse_decimal(values[0])})
    raise ListParamError(_("This filter cannot be used here."), code="list.invalid_value")


def choices_of(enum: Iterable[Any]) -> tuple[tuple[str, Any], ...]:
    return tuple((str(c.value), c.label) for c in enum)


def model_label(model: type[Model]) -> str:
    return f"{model._meta.app_label}.{model._meta.model_name}"
