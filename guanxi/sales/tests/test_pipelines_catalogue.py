from decimal import Decimal

import pytest

from guanxi.core.errors import Conflict, PermissionDenied, ValidationFailed
from guanxi.sales import catalogue, pipelines
from guanxi.sales.models import LossReason, Pipeline, PriceList, Stage
from guanxi.sales.tests.factories import opportunity_for, pipeline, stage

pytestmark = pytest.mark.django_db


def test_default_pipeline_has_the_six_stages_in_both_languages():
    stages = list(pipeline().stages.order_by("position").values_list("name_zh", "name_en", "probability", "kind"))
    assert stages == [
        ("初步接触", "Initial contact", 10, "open"), ("需求确认", "Needs confirmed", 25, "open"), ("方案报价", "Proposal", 50, "open"),
        ("商务谈判", "Negotiation", 75, "open"), ("赢单", "Won", 100, "won"), ("输单", "Lost", 0, "lost"),
    ]
    assert list(LossReason.objects.values_list("name_zh", flat=True)) == ["价格", "竞争对手", "无预算", "无决策", "产品不匹配", "其他"]
    assert PriceList.objects.get(is_default=True).currency == "CNY"


def test_only_admins_change_pipelines_products_and_prices(carol, bob):
    for actor in (carol, bob):
        with pytest.raises(PermissionDenied):
            pipelines.pipeline_create(actor=actor, data={"name_zh": "渠道", "name_en": "Channel"})
        with pytest.raises(PermissionDenied):
            catalogue.product_create(actor=actor, data={"code": "X", "name": "X"})


def test_a_stage_with_opportunities_cannot_be_deleted(alice, carol):
    opportunity_for(carol)
    with pytest.raises(Conflict) as exc:
        pipelines.stage_delete(actor=alice, stage=stage("initial"))
    assert exc.value.code == "stage.in_use"


def test_the_last_won_stage_cannot_be_deleted(alice):
    p = pipelines.pipeline_create(actor=alice, data={"name_zh": "渠道", "name_en": "Channel"})
    with pytest.raises(Conflict):
        pipelines.stage_delete(actor=alice, stage=p.stages.get(kind="won"))


def test_stages_are_added_reordered_and_deleted(alice):
    p = pipelines.pipeline_create(actor=alice, data={"name_zh": "渠道", "name_en": "Channel"})
    new = pipelines.stage_create(actor=alice, pipeline=p, data={"name_zh": "试用", "name_en": "Trial", "code": "trial", "probability": 40})
    assert list(p.stages.order_by("position").values_list("code", flat=True)) == ["open", "trial", "won", "lost"]
    ids = list(p.stages.order_by("-position").values_list("pk", flat=True))
    pipelines.stages_reorder(actor=alice, pipeline=p, stage_ids=ids)
    assert list(p.stages.order_by("position").values_list("code", flat=True)) == ["lost", "won", "trial", "open"]
    with pytest.raises(ValidationFailed):
        pipelines.stages_reorder(actor=alice, pipeline=p, stage_ids=ids[:2])
    pipelines.stage_delete(actor=alice, stage=new)
    assert list(p.stages.order_by("position").values_list("position", flat=True)) == [0, 1, 2]


def test_stage_probability_and_code_are_validated(alice):
    p = pipelines.pipeline_create(actor=alice, data={"name_zh": "渠道", "name_en": "Channel"})
    with pytest.raises(ValidationFailed):
        pipelines.stage_create(actor=alice, pipeline=p, data={"name_zh": "x", "name_en": "x", "code": "Bad Code!"})
    with pytest.raises(ValidationFailed):
        pipelines.stage_update(actor=alice, stage=p.stages.first(), data={"probability": 140})


def test_only_one_default_pipeline_and_price_list(alice):
    pipelines.pipeline_create(actor=alice, data={"name_zh": "新默认", "name_en": "New default", "is_default": True})
    assert Pipeline.objects.filter(is_default=True).count() == 1
    catalogue.price_list_create(actor=alice, data={"name": "新价目表", "is_default": True})
    assert PriceList.objects.get(is_default=True).name == "新价目表"


def test_price_for_reads_the_default_price_list(alice):
    product = catalogue.product_create(actor=alice, data={"code": "P1", "name": "产品一"})
    assert catalogue.price_for(product) is None
    catalogue.price_set(actor=alice, price_list=PriceList.objects.get(is_default=True), product=product, unit_price="12.50")
    assert catalogue.price_for(product) == Decimal("12.50")
    with pytest.raises(ValidationFailed):
        catalogue.price_set(actor=alice, price_list=PriceList.objects.get(is_default=True), product=product, unit_price="-1")


def test_deactivated_products_are_not_offered_for_new_lines(alice, carol):
    from guanxi.sales.opportunities import opportunity_create
    from guanxi.sales.tests.factories import account_for

    product = catalogue.product_create(actor=alice, data={"code": "OLD", "name": "旧产品"})
    catalogue.product_deactivate(actor=alice, product=product)
    with pytest.raises(ValidationFailed):
        opportunity_create(actor=carol, account=account_for(carol), data={"name": "x"},
                           lines=[{"product_id": product.pk, "unit_price": "1"}])
    assert Stage.objects.filter(pipeline=pipeline()).count() == 6
