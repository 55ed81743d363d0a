"""The default pipeline (DOMAIN §2: 初步接触 → 需求确认 → 方案报价 → 商务谈判 → 赢单 / 输单), the
default loss reasons and a default price list in CNY. Idempotent: an installation that already has
a default pipeline, loss reasons or a default price list keeps its own."""

from django.db import migrations

STAGES = [
    # code, Chinese, English, probability, kind
    ("initial", "初步接触", "Initial contact", 10, "open"),
    ("needs", "需求确认", "Needs confirmed", 25, "open"),
    ("proposal", "方案报价", "Proposal", 50, "open"),
    ("negotiation", "商务谈判", "Negotiation", 75, "open"),
    ("won", "赢单", "Won", 100, "won"),
    ("lost", "输单", "Lost", 0, "lost"),
]
LOSS_REASONS = [
    ("价格", "Price"),
    ("竞争对手", "Competitor"),
    ("无预算", "No budget"),
    ("无决策", "No decision"),
    ("产品不匹配", "Product fit"),
    ("其他", "Other"),
]


def create_defaults(apps, schema_editor):
    Pipeline = apps.get_model("sales", "Pipeline")
    Stage = apps.get_model("sales", "Stage")
    LossReason = apps.get_model("sales", "LossReason")
    PriceList = apps.get_model("sales", "PriceList")
    if not Pipeline.objects.filter(is_default=True).exists():
        pipeline = Pipeline.objects.create(name_zh="销售管道", name_en="Sales pipeline", is_default=True, position=0)
        Stage.objects.bulk_create(
            Stage(pipeline=pipeline, code=code, name_zh=zh, name_en=en, probability=p, kind=kind, position=i)
            for i, (code, zh, en, p, kind) in enumerate(STAGES)
        )
    if not LossReason.objects.exists():
        LossReason.objects.bulk_create(
            LossReason(name_zh=zh, name_en=en, position=i) for i, (zh, en) in enumerate(LOSS_REASONS)
        )
    if not PriceList.objects.filter(is_default=True).exists():
        PriceList.objects.create(name="标准价目表 Standard prices", currency="CNY", is_default=True)


class Migration(migrations.Migration):
    dependencies = [("sales", "0001_initial")]

    operations = [migrations.RunPython(create_defaults, migrations.RunPython.noop)]
