"""Authorisation matrix entries for the sales routes (guanxi/sales/api.py: leads, pipelines, stages,
catalogue, opportunities and the board) and the webhook administration (guanxi/dataio/webhooks_api.py).

Leads and opportunities are records carol owns (data scopes decide). Pipelines, stages, products
and price lists are read by everyone (OPEN) and changed by administrators only (ADMIN). Webhooks
are administrators' alone, reads included."""

from __future__ import annotations

import itertools
from decimal import Decimal
from typing import Any

from guanxi.sales.models import Lead, LossReason, Opportunity, Pipeline, PriceList, Stage
from tests.security.matrix_types import Policy, Target
from tests.security.world import World

_n = itertools.count(1)


def _version(model: type[Any], pk: int) -> int:
    return int(model._base_manager.get(pk=pk).version)


def _lead(w: World) -> dict[str, Any]:
    from guanxi.sales.leads import lead_create

    n = next(_n)
    return {"lead_id": lead_create(actor=w.user("carol"), data={"name": f"线索人{n}", "company": f"矩阵线索公司{n}号"}).pk}


def _opportunity(w: World) -> dict[str, Any]:
    from guanxi.sales.opportunities import opportunity_create

    opp = opportunity_create(actor=w.user("carol"), account=w.account(), data={"name": f"矩阵商机{next(_n)}", "amount": Decimal("1000")})
    return {"opportunity_id": opp.pk}


def _pipeline(w: World) -> dict[str, Any]:
    from guanxi.sales.pipelines import pipeline_create

    n = next(_n)
    return {"pipeline_id": pipeline_create(actor=w.user("alice"), data={"name_zh": f"矩阵管道{n}", "name_en": f"Matrix {n}"}).pk}


def _stage(w: World) -> dict[str, Any]:
    from guanxi.sales.pipelines import stage_create

    pipeline = Pipeline.objects.get(pk=_pipeline(w)["pipeline_id"])
    n = next(_n)
    return {"stage_id": stage_create(actor=w.user("alice"), pipeline=pipeline,
                                     data={"name_zh": f"阶段{n}", "name_en": f"Stage {n}", "code": f"m{n}"}).pk}


def _product(w: World) -> dict[str, Any]:
    from guanxi.sales.catalogue import product_create

    n = next(_n)
    return {"product_id": product_create(actor=w.user("alice"), data={"code": f"MX-{n}", "name": f"矩阵产品{n}"}).pk}


def _price_list(w: World) -> dict[str, Any]:
    from guanxi.sales.catalogue import price_list_create

    return {"price_list_id": price_list_create(actor=w.user("alice"), data={"name": f"矩阵价目表{next(_n)}"}).pk}


def _price(w: World) -> dict[str, Any]:
    from guanxi.sales.catalogue import price_set

    kw = {**_price_list(w), **_product(w)}
    from guanxi.sales.models import Product

    price_set(actor=w.user("alice"), price_list=PriceList.objects.get(pk=kw["price_list_id"]),
              product=Product.objects.get(pk=kw["product_id"]), unit_price="99.00")
    return kw


def _loss_reason(w: World) -> dict[str, Any]:
    from guanxi.sales.pipelines import loss_reason_create

    n = next(_n)
    return {"loss_reason_id": loss_reason_create(actor=w.user("alice"), data={"name_zh": f"原因{n}", "name_en": f"Reason {n}"}).pk}


def _endpoint(w: World) -> dict[str, Any]:
    from guanxi.dataio.webhooks import endpoint_create

    endpoint = endpoint_create(actor=w.user("alice"), url=f"https://hooks.example.com/guanxi/{next(_n)}", events=["opportunity.won"])
    return {"endpoint_id": endpoint.pk}


def _delivery(w: World) -> dict[str, Any]:
    from django.utils import timezone

    from guanxi.dataio.models import WebhookDelivery, WebhookEndpoint

    endpoint = WebhookEndpoint.objects.get(pk=_endpoint(w)["endpoint_id"])
    delivery = WebhookDelivery.objects.create(endpoint=endpoint, event="opportunity.won", payload={"id": 1},
                                              state="failed", attempts=6, next_attempt_at=None, created_at=timezone.now())
    return {"delivery_id": str(delivery.pk)}


def _default_stage(code: str) -> int:
    return Stage.objects.get(pipeline__is_default=True, code=code).pk


S = "/api/v1/sales"
PARAM_TARGETS: dict[frozenset[str], Target] = {
    frozenset({"lead_id"}): Target(Policy.RECORD, _lead),
    frozenset({"opportunity_id"}): Target(Policy.RECORD, _opportunity),
    frozenset({"pipeline_id"}): Target(Policy.ADMIN, _pipeline),
    frozenset({"stage_id"}): Target(Policy.ADMIN, _stage),
    frozenset({"product_id"}): Target(Policy.ADMIN, _product),
    frozenset({"price_list_id"}): Target(Policy.ADMIN, _price_list),
    frozenset({"price_list_id", "product_id"}): Target(Policy.ADMIN, _price),
    frozenset({"loss_reason_id"}): Target(Policy.ADMIN, _loss_reason),
    frozenset({"endpoint_id"}): Target(Policy.ADMIN, _endpoint),
    frozenset({"delivery_id"}): Target(Policy.ADMIN, _delivery),
}

# Reads of the configuration are everyone's; the board and column pages show each their own rows.
ROUTE_TARGETS: dict[str, Target] = {
    f"GET {S}/pipelines/{{pipeline_id}}": Target(Policy.OPEN, _pipeline),
    f"GET {S}/pipelines/{{pipeline_id}}/board": Target(Policy.OPEN, _pipeline),
    f"GET {S}/stages/{{stage_id}}/cards": Target(Policy.OPEN, _stage),
    f"GET {S}/products/{{product_id}}": Target(Policy.OPEN, _product),
    f"GET {S}/price-lists/{{price_list_id}}": Target(Policy.OPEN, _price_list),
}

API_BODIES: dict[str, Any] = {
    f"PATCH {S}/leads/{{lead_id}}": lambda w, kw: {"version": _version(Lead, kw["lead_id"]), "title": "经理"},
    f"POST {S}/leads/{{lead_id}}/qualify": lambda w, kw: {"version": _version(Lead, kw["lead_id"])},
    f"POST {S}/leads/{{lead_id}}/disqualify": lambda w, kw: {"version": _version(Lead, kw["lead_id"]), "reason": "矩阵测试"},
    f"POST {S}/leads/{{lead_id}}/convert": lambda w, kw: {"create_opportunity": False},
    f"PATCH {S}/opportunities/{{opportunity_id}}": lambda w, kw: {"version": _version(Opportunity, kw["opportunity_id"]), "name": "改名"},
    f"POST {S}/opportunities/{{opportunity_id}}/move": lambda w, kw: {
        "version": _version(Opportunity, kw["opportunity_id"]), "stage_id": _default_stage("needs")},
    f"POST {S}/opportunities/{{opportunity_id}}/win": lambda w, kw: {"version": _version(Opportunity, kw["opportunity_id"])},
    f"POST {S}/opportunities/{{opportunity_id}}/lose": lambda w, kw: {
        "version": _version(Opportunity, kw["opportunity_id"]), "loss_reason_id": LossReason.objects.order_by("pk").first().pk},  # type: ignore[union-attr]
    f"PUT {S}/opportunities/{{opportunity_id}}/lines": lambda w, kw: {"version": _version(Opportunity, kw["opportunity_id"]), "lines": []},
    f"PUT {S}/opportunities/{{opportunity_id}}/contacts": lambda w, kw: {
        "version": _version(Opportunity, kw["opportunity_id"]), "contacts": []},
    f"PATCH {S}/pipelines/{{pipeline_id}}": lambda w, kw: {"name_en": "Matrix renamed"},
    f"POST {S}/pipelines/{{pipeline_id}}/stages": lambda w, kw: {"name_zh": "新阶段", "name_en": "New", "code": f"n{next(_n)}"},
    f"PUT {S}/pipelines/{{pipeline_id}}/stage-order": lambda w, kw: {
        "stage_ids": list(Stage.objects.filter(pipeline_id=kw["pipeline_id"]).order_by("-position").values_list("pk", flat=True))},
    f"PATCH {S}/stages/{{stage_id}}": lambda w, kw: {"name_en": "Renamed"},
    f"PATCH {S}/loss-reasons/{{loss_reason_id}}": lambda w, kw: {"name_en": "Renamed"},
    f"PATCH {S}/products/{{product_id}}": lambda w, kw: {"name": "改名产品"},
    f"PATCH {S}/price-lists/{{price_list_id}}": lambda w, kw: {"name": "改名价目表"},
    f"PUT {S}/price-lists/{{price_list_id}}/prices/{{product_id}}": lambda w, kw: {"unit_price": "120.00"},
    "PATCH /api/v1/webhooks/{endpoint_id}": lambda w, kw: {"active": False},
}
