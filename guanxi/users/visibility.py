"""The ONE place that decides who sees and who edits a record.

Every list, page, search, export, API route and background job reads through ``visible_to`` and
checks writes with ``editable_by``. Data scopes come from the user's role per object type
(``RoleScope``), falling back to the role's defaults; shares with the user or one of their teams
add single records, read-only or editable.

Objects that have no owner of their own (a contact line of an account, say) register a delegate:
``register_delegate(Contact, via="account")`` makes them visible exactly when their parent is.
"""

from __future__ import annotations

from typing import Any, TypeVar

from django.contrib.contenttypes.models import ContentType
from django.db.models import Model, Q, QuerySet

from guanxi.users.models import Role, Scope, Share, User

M = TypeVar("M", bound=Model)

_DELEGATES: dict[type[Model], str] = {}


def register_delegate(model: type[Model], *, via: str) -> None:
    _DELEGATES[model] = via


def object_type(model: type[Model]) -> str:
    return f"{model._meta.app_label}.{model._meta.model_name}"


def _scopes(user: User, model: type[Model]) -> tuple[str, str]:
    cache: dict[str, tuple[str, str]] = user.__dict__.setdefault("_gx_scope_cache", {})
    key = object_type(model)
    if key not in cache:
        role: Role | None = user.role if user.role_id else None
        if role is None:
            cache[key] = (Scope.NONE, Scope.NONE)
        else:
            row = next((s for s in _role_scopes(user, role) if s.object_type == key), None)
            cache[key] = (row.read_scope, row.write_scope) if row else (role.default_read_scope, role.default_write_scope)
    return cache[key]


def _role_scopes(user: User, role: Role) -> list[Any]:
    if "_gx_role_scopes" not in user.__dict__:
        user.__dict__["_gx_role_scopes"] = list(role.scopes.all())
    return user.__dict__["_gx_role_scopes"]  # type: ignore[no-any-return]


def subordinate_ids(user: User) -> set[int]:
    """The user and everyone below them in the manager chain (computed once per request)."""
    if "_gx_subordinates" not in user.__dict__:
        ids = {user.pk}
        frontier = {user.pk}
        while frontier:
            frontier = set(User.objects.filter(manager_id__in=frontier).values_list("pk", flat=True)) - ids
            ids |= frontier
        user.__dict__["_gx_subordinates"] = ids
    return user.__dict__["_gx_subordinates"]  # type: ignore[no-any-return]


def _team_ids(user: User) -> list[int]:
    if "_gx_team_ids" not in user.__dict__:
        user.__dict__["_gx_team_ids"] = list(user.teams.values_list("pk", flat=True))
    return user.__dict__["_gx_team_ids"]  # type: ignore[no-any-return]


def _scope_q(user: User, scope: str, prefix: str = "") -> Q | None:
    """Q for records inside ``scope``; ``None`` means "everything" (no filter needed)."""
    p = prefix
    if scope == Scope.ALL:
        return None
    if scope == Scope.OWN:
        return Q(**{f"{p}owner_id": user.pk})
    if scope == Scope.SUBORDINATES:
        return Q(**{f"{p}owner_id__in": sorted(subordinate_ids(user))})
    if scope == Scope.DEPARTMENT:
        own = Q(**{f"{p}owner_id": user.pk})
        return own | Q(**{f"{p}department_id": user.department_id}) if user.department_id else own
    if scope == Scope.DEPARTMENT_TREE:
        own = Q(**{f"{p}owner_id": user.pk})
        if not user.department_id or user.department is None:
            return own
        return own | Q(**{f"{p}department__path__startswith": user.department.path})
    return Q(pk__in=[])


SHARE_LIST_LIMIT = 5000


def _all_shared_ids(user: User) -> dict[int, dict[int, bool]] | None:
    """Everything shared with the user or their teams, by content type, read once per request;
    None when there is more than ``SHARE_LIST_LIMIT`` (then each kind is read on its own)."""
    cached: dict[str, Any] = user.__dict__.setdefault("_gx_all_shares", {})
    if "rows" not in cached:
        rows = list(
            Share.objects.filter(Q(user_id=user.pk) | Q(team_id__in=_team_ids(user)))
            .values_list("content_type_id", "object_id", "can_edit")[: SHARE_LIST_LIMIT + 1]
        )
        if len(rows) > SHARE_LIST_LIMIT:
            cached["rows"] = None
        else:
            by_type: dict[int, dict[int, bool]] = {}
            for content_type_id, object_id, can_edit in rows:
                ids = by_type.setdefault(content_type_id, {})
                ids[object_id] = ids.get(object_id, False) or can_edit
            cached["rows"] = by_type
    return cached["rows"]  # type: ignore[no-any-return]


def _shared_ids(user: User, model: type[Model]) -> dict[int, bool] | None:
    """Ids shared with the user or their teams → editable?, read once per request and model.

    A plain list lets PostgreSQL keep using the owner index ("owner = me OR id IN (1, 2)"); a
    subquery in that OR made it scan the whole table for a rep's search (bench/search.py).
    ``None`` means "too many to list", and the caller falls back to the subquery.
    """
    cache: dict[str, dict[int, bool] | None] = user.__dict__.setdefault("_gx_shares", {})
    key = object_type(model)
    every = _all_shared_ids(user)
    if every is not None:  # one query for every kind of record (a page shows several kinds)
        return every.get(ContentType.objects.get_for_model(model).pk, {})
    if key not in cache:
        rows = list(
            Share.objects.filter(content_type=ContentType.objects.get_for_model(model))
            .filter(Q(user_id=user.pk) | Q(team_id__in=_team_ids(user)))
            .values_list("object_id", "can_edit")[: SHARE_LIST_LIMIT + 1]
        )
        if len(rows) > SHARE_LIST_LIMIT:
            cache[key] = None
        else:
            ids: dict[int, bool] = {}
            for object_id, can_edit in rows:
                ids[object_id] = ids.get(object_id, False) or can_edit
            cache[key] = ids
    return cache[key]


def _share_q(user: User, model: type[Model], *, editable: bool, prefix: str = "") -> Q | None:
    shared = _shared_ids(user, model)
    if shared is None:
        shares = Share.objects.filter(content_type=ContentType.objects.get_for_model(model)).filter(
            Q(user_id=user.pk) | Q(team_id__in=_team_ids(user))
        )
        if editable:
            shares = shares.filter(can_edit=True)
        return Q(**{f"{prefix}pk__in": shares.values("object_id")})
    ids = sorted(pk for pk, can_edit in shared.items() if can_edit or not editable)
    return Q(**{f"{prefix}pk__in": ids}) if ids else None


def _access_q(user: User, model: type[Model], *, write: bool) -> Q | None:
    if not user.is_active:
        return Q(pk__in=[])
    if user.is_admin:
        return None
    if model in _DELEGATES:
        via = _DELEGATES[model]
        parent = model._meta.get_field(via).related_model
        assert isinstance(parent, type)
        inner = _access_q(user, parent, write=write)
        if inner is None:
            return None
        return Q(**{f"{via}__in": parent._base_manager.filter(inner).values("pk")})
    read_scope, write_scope = _scopes(user, model)
    scope = write_scope if write else read_scope
    q = _scope_q(user, scope)
    if q is None:
        return None
    shares = _share_q(user, model, editable=write)
    return q if shares is None else q | shares


def visible_to(user: Any, qs: QuerySet[M]) -> QuerySet[M]:
    """Narrow ``qs`` to the rows ``user`` may see. Anonymous users see nothing."""
    if user is None or not getattr(user, "is_authenticated", False):
        return qs.none()
    q = _access_q(user, qs.model, write=False)
    return qs if q is None else qs.filter(q)


def editable_queryset(user: Any, qs: QuerySet[M]) -> QuerySet[M]:
    """Narrow ``qs`` to the rows ``user`` may change (used by bulk actions: every id is checked)."""
    if user is None or not getattr(user, "is_authenticated", False):
        return qs.none()
    q = _access_q(user, qs.model, write=True)
    return qs if q is None else qs.filter(q)


def can_create(user: Any, model: type[Model]) -> bool:
    """Creating a record needs some write scope on its type: a read-only role creates nothing.
    A delegate (an order of an account) follows its parent's type; its service also checks that
    the actor may edit the parent itself."""
    if user is None or not getattr(user, "is_authenticated", False) or not user.is_active:
        return False
    if user.is_admin:
        return True
    if model in _DELEGATES:
        parent = model._meta.get_field(_DELEGATES[model]).related_model
        assert isinstance(parent, type)
        return can_create(user, parent)
    # Read fresh rather than through the per-request scope cache: a create is rare, and the cache
    # must not outlive a role change made on the same user object.
    role: Role | None = user.role if user.role_id else None
    if role is None:
        return False
    row = role.scopes.filter(object_type=object_type(model)).first()
    return (row.write_scope if row else role.default_write_scope) != Scope.NONE


def editable_by(user: Any, obj: Model) -> bool:
    model = type(obj)
    return editable_queryset(user, model._base_manager.filter(pk=obj.pk)).exists()


def can_see(user: Any, obj: Model) -> bool:
    model = type(obj)
    return visible_to(user, model._base_manager.filter(pk=obj.pk)).exists()
