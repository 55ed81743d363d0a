"""Sales API (/api/v1/sales/): leads, pipelines and stages, the product catalogue and price lists,
opportunities with their board, lines, buying group and stage history. Thin: parse, call a service
or a selector, return. Not visible → 404; visible but read-only → 403; stale version → 409."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from ninja import Query, Router, Schema, Status
from pydantic import Field

from guanxi.audit import lifecycle
from guanxi.core.api import ERROR_RESPONSES, CursorPage
from guanxi.core.errors import NotFound, ValidationFailed
from guanxi.sales import catalogue, leads, opportunities, pipelines, selectors
from guanxi.sales import schemas as s
from guanxi.sales.lists import LEAD_LIST, OPPORTUNITY_LIST
from guanxi.sales.models import Lead, LossReason, Opportunity, Pipeline, PriceList, Product, Stage

router = Router(tags=["sales"])


class PageParams(Schema):
    after: str | None = Field(None, max_length=1000)
    limit: int = Field(50, ge=1, le=200)


class ListParams(PageParams):
    q: str = Field("", max_length=100, description="Search in names (and company / account).")
    sort: str = Field("", max_length=20, description="A sortable column, '-' for descending.")


def _list_params(request: HttpRequest, definition: Any) -> Any:
    # The same allow-list as the web list: an unknown filter or sort → 400 list.*, never ignored.
    raw = request.GET.copy()
    for reserved in ("after", "limit"):
        raw.pop(reserved, None)
    if not raw.get("sort"):
        raw.pop("sort", None)
    return definition.parse(raw)


def _page(page: Any, schema: Any) -> Any:
    return CursorPage[schema](items=page.items, next_cursor=page.next_cursor)


# --- leads -----------------------------------------------------------------------------------------

LEAD_FILTER_DOC = (
    "Filters (repeat for several values): status, source, company, industry, province, city, owner (me | none | user id), team, "
    "has_budget / has_authority / has_need / has_timeline (true|false), created__from / created__to. Sorts: name, company, "
    "created, updated ('-' for descending). Unknown names → 400."
)


@router.get("/leads", response={200: CursorPage[s.LeadOut], **ERROR_RESPONSES}, description=LEAD_FILTER_DOC)
def list_leads(request: HttpRequest, params: Query[ListParams]) -> Any:
    page = selectors.lead_list(actor=request.user, params=_list_params(request, LEAD_LIST), after=params.after, limit=params.limit)  # type: ignore[arg-type]
    return _page(page, s.LeadOut)


@router.post("/leads", response={201: s.LeadOut, **ERROR_RESPONSES})
def create_lead(request: HttpRequest, payload: s.LeadCreate) -> Any:
    return Status(201, leads.lead_create(actor=request.user, data=payload.model_dump(exclude_unset=True)))  # type: ignore[arg-type]


@router.get("/leads/{int:lead_id}", response={200: s.LeadOut, **ERROR_RESPONSES})
def get_lead(request: HttpRequest, lead_id: int) -> Any:
    return lifecycle.get_visible(request.user, Lead, lead_id)


@router.patch("/leads/{int:lead_id}", response={200: s.LeadOut, **ERROR_RESPONSES})
def update_lead(request: HttpRequest, lead_id: int, payload: s.LeadUpdate) -> Any:
    lead = lifecycle.get_visible(request.user, Lead, lead_id)
    data = payload.model_dump(exclude_unset=True)
    version = data.pop("version")
    return leads.lead_update(actor=request.user, lead=lead, version=version, data=data)  # type: ignore[arg-type]


@router.delete("/leads/{int:lead_id}", response={204: None, **ERROR_RESPONSES})
def delete_lead(request: HttpRequest, lead_id: int, version: int | None = Query(None, ge=1, le=2**31 - 1)) -> Any:  # type: ignore[type-arg]
    lead = lifecycle.get_visible(request.user, Lead, lead_id)
    leads.lead_delete(actor=request.user, lead=lead, version=version)  # type: ignore[arg-type]
    return Status(204, None)


@router.post("/leads/{int:lead_id}/qualify", response={200: s.LeadOut, **ERROR_RESPONSES})
def qualify_lead(request: HttpRequest, lead_id: int, payload: s.VersionOnly) -> Any:
    lead = lifecycle.get_visible(request.user, Lead, lead_id)
    return leads.lead_qualify(actor=request.user, lead=lead, version=payload.version)  # type: ignore[arg-type]


@router.post("/leads/{int:lead_id}/disqualify", response={200: s.LeadOut, **ERROR_RESPONSES})
def disqualify_lead(request: HttpRequest, lead_id: int, payload: s.LeadDisqualify) -> Any:
    lead = lifecycle.get_visible(request.user, Lead, lead_id)
    return leads.lead_disqualify(actor=request.user, lead=lead, reason=payload.reason, version=payload.version)  # type: ignore[arg-type]


@router.get("/leads/{int:lead_id}/duplicates", response={200: s.DuplicatesOut, **ERROR_RESPONSES})
def lead_duplicates(request: HttpRequest, lead_id: int) -> Any:
    """The archive's duplicate check (查重) to show before converting: matching accounts and contacts
    you can see, and for the others only who owns them."""
    lead = lifecycle.get_visible(request.user, Lead, lead_id)
    found = leads.lead_duplicates(request.user, lead)  # type: ignore[arg-type]
    return {
        "accounts": [{"id": a.pk, "name": a.name, "owner_id": a.owner_id, "reasons": r} for a, r in found.accounts],
        "contacts": [{"id": c.pk, "name": c.name, "owner_id": c.owner_id, "reasons": r} for c, r in found.contacts],
        "hidden": [{"kind": h.kind, "owner": h.owner, "in_pool": h.in_pool} for h in found.hidden],
        "hidden_count": found.hidden_count,
    }


@router.post("/leads/{int:lead_id}/convert", response={200: s.ConvertOut, **ERROR_RESPONSES})
def convert_lead(request: HttpRequest, lead_id: int, payload: s.LeadConvert) -> Any:
    lead = lifecycle.get_visible(request.user, Lead, lead_id)
    opp = payload.opportunity.model_dump(exclude_unset=True) if payload.opportunity else None
    result = leads.lead_convert(
        actor=request.user, lead=lead, version=payload.version, account_id=payload.account_id,  # type: ignore[arg-type]
        contact_id=payload.contact_id, create_contact=payload.create_contact, create_opportunity=payload.create_opportunity,
        opportunity=opp, opportunity_contact_role=payload.contact_role,
    )
    return {
        "lead": result.lead, "account_id": result.account.pk, "contact_id": result.contact.pk if result.contact else None,
        "opportunity_id": result.opportunity.pk if result.opportunity else None,
        "created_account": result.created_account, "created_contact": result.created_contact,
    }


# --- pipelines, stages, loss reasons -----------------------------------------------------------------

def _pipeline(pipeline_id: int) -> Pipeline:
    pipeline = Pipeline.objects.filter(pk=pipeline_id).prefetch_related("stages").first()
    if pipeline is None:
        raise NotFound()
    return pipeline


@router.get("/pipelines", response={200: list[s.PipelineOut], **ERROR_RESPONSES})
def list_pipelines(request: HttpRequest) -> Any:
    return list(Pipeline.objects.prefetch_related("stages").order_by("position", "id"))


@router.post("/pipelines", response={201: s.PipelineOut, **ERROR_RESPONSES})
def create_pipeline(request: HttpRequest, payload: s.PipelineCreate) -> Any:
    pipeline = pipelines.pipeline_create(actor=request.user, data=payload.model_dump(exclude_unset=True))  # type: ignore[arg-type]
    return Status(201, _pipeline(pipeline.pk))


@router.get("/pipelines/{int:pipeline_id}", response={200: s.PipelineOut, **ERROR_RESPONSES})
def get_pipeline(request: HttpRequest, pipeline_id: int) -> Any:
    return _pipeline(pipeline_id)


@router.patch("/pipelines/{int:pipeline_id}", response={200: s.PipelineOut, **ERROR_RESPONSES})
def update_pipeline(request: HttpRequest, pipeline_id: int, payload: s.PipelineWrite) -> Any:
    catalogue.require_admin(request.user)  # type: ignore[arg-type]
    pipelines.pipeline_update(actor=request.user, pipeline=_pipeline(pipeline_id), data=payload.model_dump(exclude_unset=True))  # type: ignore[arg-type]
    return _pipeline(pipeline_id)


@router.post("/pipelines/{int:pipeline_id}/stages", response={201: s.StageOut, **ERROR_RESPONSES})
def create_stage(request: HttpRequest, pipeline_id: int, payload: s.StageCreate) -> Any:
    catalogue.require_admin(request.user)  # type: ignore[arg-type]
    data = payload.model_dump(exclude_unset=True)
    position = data.pop("position", None)
    return Status(201, pipelines.stage_create(actor=request.user, pipeline=_pipeline(pipeline_id), data=data, position=position))  # type: ignore[arg-type]


@router.put("/pipelines/{int:pipeline_id}/stage-order", response={200: list[s.StageOut], **ERROR_RESPONSES})
def reorder_stages(request: HttpRequest, pipeline_id: int, payload: s.StageOrder) -> Any:
    catalogue.require_admin(request.user)  # type: ignore[arg-type]
    return pipelines.stages_reorder(actor=request.user, pipeline=_pipeline(pipeline_id), stage_ids=payload.stage_ids)  # type: ignore[arg-type]


def _stage(stage_id: int) -> Stage:
    stage = Stage.objects.filter(pk=stage_id).first()
    if stage is None:
        raise NotFound()
    return stage


@router.patch("/stages/{int:stage_id}", response={200: s.StageOut, **ERROR_RESPONSES})
def update_stage(request: HttpRequest, stage_id: int, payload: s.StageWrite) -> Any:
    catalogue.require_admin(request.user)  # type: ignore[arg-type]
    return pipelines.stage_update(actor=request.user, stage=_stage(stage_id), data=payload.model_dump(exclude_unset=True))  # type: ignore[arg-type]


@router.delete("/stages/{int:stage_id}", response={204: None, **ERROR_RESPONSES})
def delete_stage(request: HttpRequest, stage_id: int) -> Any:
    catalogue.require_admin(request.user)  # type: ignore[arg-type]
    pipelines.stage_delete(actor=request.user, stage=_stage(stage_id))  # type: ignore[arg-type]
    return Status(204, None)


@router.get("/loss-reasons", response={200: list[s.LossReasonOut], **ERROR_RESPONSES})
def list_loss_reasons(request: HttpRequest) -> Any:
    return list(LossReason.objects.order_by("position", "id"))


@router.post("/loss-reasons", response={201: s.LossReasonOut, **ERROR_RESPONSES})
def create_loss_reason(request: HttpRequest, payload: s.LossReasonCreate) -> Any:
    return Status(201, pipelines.loss_reason_create(actor=request.user, data=payload.model_dump(exclude_unset=True)))  # type: ignore[arg-type]


@router.patch("/loss-reasons/{int:loss_reason_id}", response={200: s.LossReasonOut, **ERROR_RESPONSES})
def update_loss_reason(request: HttpRequest, loss_reason_id: int, payload: s.LossReasonWrite) -> Any:
    catalogue.require_admin(request.user)  # type: ignore[arg-type]
    reason = LossReason.objects.filter(pk=loss_reason_id).first()
    if reason is None:
        raise NotFound()
    return pipelines.loss_reason_update(actor=request.user, reason=reason, data=payload.model_dump(exclude_unset=True))  # type: ignore[arg-type]


# --- catalogue -------------------------------------------------------------------------------------

class ProductParams(PageParams):
    active: bool | None = None
    q: str = Field("", max_length=100)


@router.get("/products", response={200: CursorPage[s.ProductOut], **ERROR_RESPONSES})
def list_products(request: HttpRequest, params: Query[ProductParams]) -> Any:
    from guanxi.core.pagination import keyset_page

    qs = Product.objects.all()
    if params.active is not None:
        qs = qs.filter(active=params.active)
    if params.q:
        from django.db.models import Q

        qs = qs.filter(Q(code__icontains=params.q) | Q(name__icontains=params.q))
    return _page(keyset_page(qs, order=("code", "id"), after=params.after, limit=params.limit), s.ProductOut)


@router.post("/products", response={201: s.ProductOut, **ERROR_RESPONSES})
def create_product(request: HttpRequest, payload: s.ProductCreate) -> Any:
    return Status(201, catalogue.product_create(actor=request.user, data=payload.model_dump(exclude_unset=True)))  # type: ignore[arg-type]


def _product(product_id: int) -> Product:
    product = Product.objects.filter(pk=product_id).first()
    if product is None:
        raise NotFound()
    return product


@router.get("/products/{int:product_id}", response={200: s.ProductOut, **ERROR_RESPONSES})
def get_product(request: HttpRequest, product_id: int) -> Any:
    return _product(product_id)


@router.patch("/products/{int:product_id}", response={200: s.ProductOut, **ERROR_RESPONSES})
def update_product(request: HttpRequest, product_id: int, payload: s.ProductWrite) -> Any:
    catalogue.require_admin(request.user)  # type: ignore[arg-type]
    return catalogue.product_update(actor=request.user, product=_product(product_id), data=payload.model_dump(exclude_unset=True))  # type: ignore[arg-type]


def _price_list(price_list_id: int) -> PriceList:
    price_list = PriceList.objects.filter(pk=price_list_id).first()
    if price_list is None:
        raise NotFound()
    return price_list


@router.get("/price-lists", response={200: list[s.PriceListOut], **ERROR_RESPONSES})
def list_price_lists(request: HttpRequest) -> Any:
    return list(PriceList.objects.order_by("-is_default", "name", "id")[:500])


@router.post("/price-lists", response={201: s.PriceListOut, **ERROR_RESPONSES})
def create_price_list(request: HttpRequest, payload: s.PriceListCreate) -> Any:
    return Status(201, catalogue.price_list_create(actor=request.user, data=payload.model_dump(exclude_unset=True)))  # type: ignore[arg-type]


@router.get("/price-lists/{int:price_list_id}", response={200: s.PriceListDetailOut, **ERROR_RESPONSES})
def get_price_list(request: HttpRequest, price_list_id: int) -> Any:
    price_list = _price_list(price_list_id)
    price_list.prices = list(price_list.items.order_by("product_id").values("product_id", "unit_price")[:5000])  # type: ignore[attr-defined]
    return price_list


@router.patch("/price-lists/{int:price_list_id}", response={200: s.PriceListOut, **ERROR_RESPONSES})
def update_price_list(request: HttpRequest, price_list_id: int, payload: s.PriceListWrite) -> Any:
    catalogue.require_admin(request.user)  # type: ignore[arg-type]
    return catalogue.price_list_update(actor=request.user, price_list=_price_list(price_list_id), data=payload.model_dump(exclude_unset=True))  # type: ignore[arg-type]


@router.put("/price-lists/{int:price_list_id}/prices/{int:product_id}", response={200: s.PriceOut, **ERROR_RESPONSES})
def set_price(request: HttpRequest, price_list_id: int, product_id: int, payload: s.PriceSet) -> Any:
    catalogue.require_admin(request.user)  # type: ignore[arg-type]
    return catalogue.price_set(actor=request.user, price_list=_price_list(price_list_id), product=_product(product_id),  # type: ignore[arg-type]
                               unit_price=payload.unit_price)


@router.delete("/price-lists/{int:price_list_id}/prices/{int:product_id}", response={204: None, **ERROR_RESPONSES})
def remove_price(request: HttpRequest, price_list_id: int, product_id: int) -> Any:
    catalogue.require_admin(request.user)  # type: ignore[arg-type]
    catalogue.price_remove(actor=request.user, price_list=_price_list(price_list_id), product=_product(product_id))  # type: ignore[arg-type]
    return Status(204, None)


# --- opportunities ---------------------------------------------------------------------------------

OPPORTUNITY_FILTER_DOC = (
    "Filters (repeat for several values): pipeline, stage, status (open|won|lost), account, owner (me | none | user id), team, "
    "expected_close__from / __to, amount__min / __max, currency, decision_type, source, loss_reason, closed__from / __to, "
    "created__from / __to, value_tier, time_class, process_class (the account's classification). Sorts: name, amount, "
    "created, updated ('-' for descending). Unknown names → 400."
)


@router.get("/opportunities", response={200: CursorPage[s.OpportunityOut], **ERROR_RESPONSES}, description=OPPORTUNITY_FILTER_DOC)
def list_opportunities(request: HttpRequest, params: Query[ListParams]) -> Any:
    parsed = _list_params(request, OPPORTUNITY_LIST)
    page = selectors.opportunity_list(actor=request.user, params=parsed, after=params.after, limit=params.limit)  # type: ignore[arg-type]
    return _page(page, s.OpportunityOut)


def _optional(model: Any, pk: int | None, field: str) -> Any:
    if pk is None:
        return None
    obj = model.objects.filter(pk=pk).first()
    if obj is None:
        raise ValidationFailed({field: [str(NotFound.default_detail)]})
    return obj


@router.post("/opportunities", response={201: s.OpportunityOut, **ERROR_RESPONSES})
def create_opportunity(request: HttpRequest, payload: s.OpportunityCreate) -> Any:
    from guanxi.customers.models import Account

    data = payload.model_dump(exclude_unset=True)
    account = lifecycle.get_visible(request.user, Account, data.pop("account_id"))
    pipeline = _optional(Pipeline, data.pop("pipeline_id", None), "pipeline_id")
    stage = _optional(Stage, data.pop("stage_id", None), "stage_id")
    price_list = _optional(PriceList, data.pop("price_list_id", None), "price_list_id")
    lines = data.pop("lines", [])
    contacts = data.pop("contacts", [])
    opp = opportunities.opportunity_create(actor=request.user, account=account, data=data, pipeline=pipeline, stage=stage,  # type: ignore[arg-type]
                                           lines=lines, contacts=contacts, price_list=price_list)
    return Status(201, opp)


def _opportunity(request: HttpRequest, opportunity_id: int) -> Opportunity:
    return lifecycle.get_visible(request.user, Opportunity, opportunity_id)


@router.get("/opportunities/{int:opportunity_id}", response={200: s.OpportunityOut, **ERROR_RESPONSES})
def get_opportunity(request: HttpRequest, opportunity_id: int) -> Any:
    return _opportunity(request, opportunity_id)


@router.patch("/opportunities/{int:opportunity_id}", response={200: s.OpportunityOut, **ERROR_RESPONSES})
def update_opportunity(request: HttpRequest, opportunity_id: int, payload: s.OpportunityUpdate) -> Any:
    opp = _opportunity(request, opportunity_id)
    data = payload.model_dump(exclude_unset=True)
    version = data.pop("version")
    return opportunities.opportunity_update(actor=request.user, opportunity=opp, version=version, data=data)  # type: ignore[arg-type]


@router.delete("/opportunities/{int:opportunity_id}", response={204: None, **ERROR_RESPONSES})
def delete_opportunity(request: HttpRequest, opportunity_id: int, version: int | None = Query(None, ge=1, le=2**31 - 1)) -> Any:  # type: ignore[type-arg]
    opportunities.opportunity_delete(actor=request.user, opportunity=_opportunity(request, opportunity_id), version=version)  # type: ignore[arg-type]
    return Status(204, None)


@router.post("/opportunities/{int:opportunity_id}/move", response={200: s.OpportunityOut, **ERROR_RESPONSES})
def move_opportunity(request: HttpRequest, opportunity_id: int, payload: s.OpportunityMove) -> Any:
    """Board drag and drop (or the keyboard equivalent): another column and/or another place."""
    opp = _opportunity(request, opportunity_id)
    stage = _optional(Stage, payload.stage_id, "stage_id")
    return opportunities.opportunity_move(actor=request.user, opportunity=opp, stage=stage, version=payload.version,  # type: ignore[arg-type]
                                          before_id=payload.before_id)


@router.post("/opportunities/{int:opportunity_id}/win", response={200: s.OpportunityOut, **ERROR_RESPONSES})
def win_opportunity(request: HttpRequest, opportunity_id: int, payload: s.OpportunityWin) -> Any:
    opp = _opportunity(request, opportunity_id)
    return opportunities.opportunity_win(actor=request.user, opportunity=opp, version=payload.version,  # type: ignore[arg-type]
                                         create_order=payload.create_order, order_date=payload.order_date,
                                         gross_profit=payload.gross_profit)


@router.post("/opportunities/{int:opportunity_id}/lose", response={200: s.OpportunityOut, **ERROR_RESPONSES})
def lose_opportunity(request: HttpRequest, opportunity_id: int, payload: s.OpportunityLose) -> Any:
    opp = _opportunity(request, opportunity_id)
    reason = _optional(LossReason, payload.loss_reason_id, "loss_reason_id")
    return opportunities.opportunity_lose(actor=request.user, opportunity=opp, loss_reason=reason, note=payload.note,  # type: ignore[arg-type]
                                          version=payload.version)


def _lines(opp: Opportunity) -> list[dict[str, Any]]:
    return [{"id": ln.pk, "product_id": ln.product_id, "quantity": ln.quantity, "unit_price": ln.unit_price,
             "discount_pct": ln.discount_pct, "total": opportunities.line_total(ln)} for ln in opp.lines.order_by("id")]


@router.get("/opportunities/{int:opportunity_id}/lines", response={200: list[s.LineOut], **ERROR_RESPONSES})
def get_lines(request: HttpRequest, opportunity_id: int) -> Any:
    return _lines(_opportunity(request, opportunity_id))


@router.put("/opportunities/{int:opportunity_id}/lines", response={200: list[s.LineOut], **ERROR_RESPONSES})
def put_lines(request: HttpRequest, opportunity_id: int, payload: s.LinesPut) -> Any:
    opp = _opportunity(request, opportunity_id)
    price_list = _optional(PriceList, payload.price_list_id, "price_list_id")
    opp = opportunities.opportunity_set_lines(actor=request.user, opportunity=opp, version=payload.version,  # type: ignore[arg-type]
                                              lines=[ln.model_dump() for ln in payload.lines], update_amount=payload.update_amount,
                                              price_list=price_list)
    return _lines(opp)


@router.get("/opportunities/{int:opportunity_id}/contacts", response={200: list[s.ContactLinkOut], **ERROR_RESPONSES})
def get_contacts(request: HttpRequest, opportunity_id: int) -> Any:
    return list(_opportunity(request, opportunity_id).contact_links.order_by("id").values("contact_id", "role"))


@router.put("/opportunities/{int:opportunity_id}/contacts", response={200: list[s.ContactLinkOut], **ERROR_RESPONSES})
def put_contacts(request: HttpRequest, opportunity_id: int, payload: s.ContactsPut) -> Any:
    opp = _opportunity(request, opportunity_id)
    opp = opportunities.opportunity_set_contacts(actor=request.user, opportunity=opp, version=payload.version,  # type: ignore[arg-type]
                                                 contacts=[c.model_dump() for c in payload.contacts])
    return list(opp.contact_links.order_by("id").values("contact_id", "role"))


@router.get("/opportunities/{int:opportunity_id}/history", response={200: s.HistoryOut, **ERROR_RESPONSES})
def opportunity_history(request: HttpRequest, opportunity_id: int) -> Any:
    """Stage history, and the time spent in each stage."""
    opp = _opportunity(request, opportunity_id)
    return {
        "changes": list(selectors.stage_history(opp)),
        "durations": [{"stage_id": d.stage.pk, "seconds": d.seconds, "visits": d.visits, "current": d.current}
                      for d in selectors.stage_durations(opp)],
    }


# --- the board -------------------------------------------------------------------------------------

class BoardParams(Schema):
    per_column: int = Field(50, ge=1, le=200)
    q: str = Field("", max_length=100)


def _card(o: Opportunity) -> dict[str, Any]:
    return {"id": o.pk, "name": o.name, "account_id": o.account_id, "account_name": o.account.name, "amount": o.amount,
            "currency": o.currency, "effective_probability": o.effective_probability, "expected_close": o.expected_close,
            "owner_id": o.owner_id, "version": o.version}


def _board_filters(request: HttpRequest) -> Any:
    raw = request.GET.copy()
    for reserved in ("per_column", "after", "limit"):
        raw.pop(reserved, None)
    return OPPORTUNITY_LIST.parse(raw)


@router.get("/pipelines/{int:pipeline_id}/board", response={200: s.BoardOut, **ERROR_RESPONSES}, description=OPPORTUNITY_FILTER_DOC)
def pipeline_board(request: HttpRequest, pipeline_id: int, params: Query[BoardParams]) -> Any:
    """The kanban board: per stage, the first cards (highest first), the total count and amount;
    fetch more of a column with ``/stages/{id}/cards?after=<next_cursor>``."""
    pipeline = Pipeline.objects.filter(pk=pipeline_id).first()
    if pipeline is None:
        raise NotFound()
    board = selectors.board_columns(request.user, pipeline, per_column=params.per_column, params=_board_filters(request))  # type: ignore[arg-type]
    return {"pipeline_id": pipeline.pk, "columns": [
        {"stage": c.stage, "cards": [_card(o) for o in c.cards], "total": c.total, "amount": c.amount, "weighted": c.weighted,
         "next_cursor": c.next_cursor}
        for c in board.columns
    ]}


@router.get("/stages/{int:stage_id}/cards", response={200: CursorPage[s.CardOut], **ERROR_RESPONSES})
def stage_cards(request: HttpRequest, stage_id: int, params: Query[ListParams]) -> Any:
    stage = _stage(stage_id)
    raw = request.GET.copy()
    for reserved in ("after", "limit"):
        raw.pop(reserved, None)
    if not raw.get("sort"):
        raw.pop("sort", None)
    page = selectors.board_column_page(request.user, stage, params.after, limit=params.limit, params=OPPORTUNITY_LIST.parse(raw))  # type: ignore[arg-type]
    return CursorPage[s.CardOut](items=[_card(o) for o in page.items], next_cursor=page.next_cursor)  # type: ignore[misc]
