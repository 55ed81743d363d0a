"""The pipeline board (issue 5 item 3, DOMAIN §2): one column per stage, first cards of each column,
"load more" per column, drag or keyboard moves with optimistic locking.

The board page is a constant number of queries whatever the number of deals (``board_columns``:
stages, one grouped aggregate, one query for the first cards; plus one query for which cards the
user may move). Each column first shows ``PER_COLUMN`` cards; "load more" brings ``PAGE`` more.
Cards are built by ``board_cards.cards_html`` (a board shows over a hundred; see there why not
through the template engine).
Moves go through ``opportunity_move``; a lost stage needs a reason, so a move there opens the lose
form, and a won stage opens the win form (which can create the order).
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from django.contrib import messages
from django.http import HttpRequest, HttpResponse, QueryDict
from django.middleware.csrf import get_token
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.html import format_html_join
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST
from django_htmx.http import HttpResponseClientRedirect

from guanxi.audit import lifecycle
from guanxi.core.errors import GuanxiError, NotFound, ValidationFailed, VersionConflict
from guanxi.core.listing import ListParamError, ListParams
from guanxi.core.pagination import InvalidCursor
from guanxi.sales import opportunities as services
from guanxi.sales import selectors
from guanxi.sales.board_cards import cards_html
from guanxi.sales.lists import OPPORTUNITY_LIST
from guanxi.sales.models import Opportunity, Pipeline, Stage, StageKind
from guanxi.sales.pipelines import default_pipeline, pipelines_for_everyone
from guanxi.users.models import Team, User
from guanxi.users.visibility import editable_queryset

PER_COLUMN = 20  # cards per column on the first load
PAGE = 50  # cards per "load more"
# The board's own filters (a subset of the opportunity list's allow-list).
BOARD_FILTERS = ("owner", "team", "expected_close__from", "expected_close__to", "q")


def board_params(data: QueryDict | dict[str, Any]) -> tuple[ListParams, str]:
    """The board filters from a request, validated by the opportunity list definition."""
    picked: dict[str, list[str]] = {}
    for key in BOARD_FILTERS:
        raw = data.getlist(key) if isinstance(data, QueryDict) else ([data[key]] if key in data else [])
        values = [str(v) for v in raw if v]
        if values:
            picked[key] = values
    try:
        return OPPORTUNITY_LIST.parse(picked), ""
    except ListParamError as exc:
        return OPPORTUNITY_LIST.parse({}), exc.detail


def _filter_query(params: ListParams) -> str:
    return urlencode({k: v for k, v in params.filters.items()}, doseq=True)


def _owner_options(users: list[User], chosen: str) -> str:
    # " selected" has nothing to escape, so format_html_join keeps it as it is.
    return format_html_join("", '<option value="{}"{}>{}</option>',
                            ((str(u.pk), " selected" if str(u.pk) == chosen else "", str(u)) for u in users))


def _editable_ids(actor: User, cards: list[Opportunity]) -> set[int]:
    """The cards the actor may move, in one query for the whole board."""
    if not cards:
        return set()
    ids = [c.pk for c in cards]
    return set(editable_queryset(actor, Opportunity.objects.filter(pk__in=ids)).values_list("pk", flat=True))


def board(request: HttpRequest, pipeline_id: int | None = None) -> HttpResponse:
    """The board of one pipeline (the default one at /sales/board/)."""
    if pipeline_id is None:
        pipeline = default_pipeline()
        if pipeline is None:
            return render(request, "sales/board.html", {"pipeline": None, "pipelines": []})
    else:
        pipeline = Pipeline.objects.filter(pk=pipeline_id).first()
        if pipeline is None:
            raise NotFound()
    params, error = board_params(request.GET)
    result = selectors.board_columns(request.user, pipeline, per_column=PER_COLUMN, params=params)  # type: ignore[arg-type]
    editable = _editable_ids(request.user, [c for col in result.columns for c in col.cards])  # type: ignore[arg-type]
    stages = [col.stage for col in result.columns]
    every = iter(cards_html([c for col in result.columns for c in col.cards], stages, editable, csrf_token=get_token(request)))
    columns = [(col, [next(every) for _ in col.cards]) for col in result.columns]
    users = list(User.objects.filter(is_active=True).order_by("username").only("pk", "username", "display_name", "first_name", "last_name"))
    owner = params.filters.get("owner", [""])[0]
    context = {
        "pipeline": pipeline, "pipelines": list(pipelines_for_everyone().prefetch_related(None).order_by("position", "id")),
        "board": result, "columns": columns, "params": params, "error": error,
        "filter_query": _filter_query(params), "owner_options": _owner_options(users, owner), "teams": list(Team.objects.order_by("name")),
        "owner": owner, "team": params.filters.get("team", [""])[0],
        "close_from": params.filters.get("expected_close__from", [""])[0],
        "close_to": params.filters.get("expected_close__to", [""])[0],
        "any_cards": any(col.total for col in result.columns),
    }
    return render(request, "sales/board.html", context, status=400 if error else 200)


@require_GET
def board_column(request: HttpRequest, stage_id: int) -> HttpResponse:
    """htmx: the next cards of one column after its keyset cursor, and a new "load more" button."""
    stage = Stage.objects.select_related("pipeline").filter(pk=stage_id).first()
    if stage is None:
        raise NotFound()
    params, _error = board_params(request.GET)
    try:
        page = selectors.board_column_page(request.user, stage, request.GET.get("after") or None,  # type: ignore[arg-type]
                                           limit=PAGE, params=params)
    except InvalidCursor:
        page = selectors.board_column_page(request.user, stage, None, limit=PAGE, params=params)  # type: ignore[arg-type]
    stages = list(Stage.objects.filter(pipeline_id=stage.pipeline_id).order_by("position"))
    return render(request, "sales/partials/column_page.html", {
        "cards": cards_html(page.items, stages, _editable_ids(request.user, page.items), csrf_token=get_token(request)),  # type: ignore[arg-type]
        "next_cursor": page.next_cursor, "stage": stage, "filter_query": _filter_query(params),
    })


def _card_response(request: HttpRequest, opportunity_id: int, *, status: int = 200, message: str = "",
                   params: ListParams | None = None) -> HttpResponse:
    """The card as it now stands (and, after a move, the refreshed column headers, out of band)."""
    opp = selectors.opportunities_visible(request.user).select_related("account", "owner", "stage").get(pk=opportunity_id)  # type: ignore[arg-type]
    stages = list(Stage.objects.filter(pipeline_id=opp.pipeline_id).order_by("position"))
    card = cards_html([opp], stages, {opp.pk}, csrf_token=get_token(request), message=message, message_is_error=status >= 400)[0]
    context: dict[str, Any] = {"card": card}
    if params is not None:
        context["columns"] = selectors.board_columns(request.user, opp.pipeline, per_column=1, params=params).columns  # type: ignore[arg-type]
    return render(request, "sales/partials/card_moved.html", context, status=status)


@require_POST
def opportunity_move(request: HttpRequest, pk: int) -> HttpResponse:
    """POST stage_id, version (and before_id): drag or "Move to…" on the board.

    A stale version answers 409 with the card as it is now; a lost stage opens the lose form and a
    won stage the win form (for htmx, through HX-Redirect)."""
    opp = lifecycle.get_editable(request.user, Opportunity, pk)
    board_url = reverse("sales:board_pipeline", args=[opp.pipeline_id])
    params, _error = board_params(request.POST)
    query = _filter_query(params)
    if query:
        board_url += "?" + query
    raw_stage, raw_version, raw_before = (request.POST.get(k, "") for k in ("stage_id", "version", "before_id"))
    stage = Stage.objects.filter(pk=int(raw_stage), pipeline_id=opp.pipeline_id).first() if raw_stage.isdigit() and int(raw_stage) < 2**63 else None
    version = int(raw_version) if raw_version.isdigit() and int(raw_version) < 2**31 else None
    before_id = int(raw_before) if raw_before.isdigit() and int(raw_before) < 2**63 else None
    try:
        if stage is None:
            raise ValidationFailed({"stage_id": [_("Choose a stage of this pipeline.")]})
        if version is None:
            raise ValidationFailed({"version": [_("This form is out of date. Reload the page and try again.")]})
        if version != opp.version:
            raise VersionConflict(current_version=opp.version)
        if stage.kind != StageKind.OPEN and stage.pk != opp.stage_id:
            # Closing a deal asks for more than a drop: the loss reason, or whether to create the order.
            target = "sales:opportunity_lose" if stage.kind == StageKind.LOST else "sales:opportunity_win"
            url = f"{reverse(target, args=[opp.pk])}?{urlencode({'next': board_url})}"
            return HttpResponseClientRedirect(url) if request.htmx else redirect(url)  # type: ignore[attr-defined]
        moved = services.opportunity_move(actor=request.user, opportunity=opp, stage=stage, version=version, before_id=before_id)  # type: ignore[arg-type]
    except VersionConflict:
        message = _("Someone else changed this opportunity after you opened the board. Nothing was moved; "
                    "the card now shows where it is.")
        if request.htmx:  # type: ignore[attr-defined]
            return _card_response(request, opp.pk, status=409, message=message, params=params)
        messages.error(request, message)
        return redirect(board_url)
    except ValidationFailed as exc:
        message = " ".join(str(m) for errs in exc.errors.values() for m in errs) or exc.detail
        if request.htmx:  # type: ignore[attr-defined]
            return _card_response(request, opp.pk, status=422, message=message, params=params)
        messages.error(request, message)
        return redirect(board_url)
    except GuanxiError as exc:
        if exc.status in (403, 404):
            raise
        if request.htmx:  # type: ignore[attr-defined]
            return _card_response(request, opp.pk, status=exc.status, message=exc.detail, params=params)
        messages.error(request, exc.detail)
        return redirect(board_url)
    message = _("Moved to %(stage)s.") % {"stage": moved.stage.name}
    if request.htmx:  # type: ignore[attr-defined]
        return _card_response(request, moved.pk, message=message, params=params)
    messages.success(request, message)
    return redirect(board_url)
