"""Built-in complaint types (DOMAIN §4), default SLA policies, the default working calendar and the
default approval flow for complaint compensation above ¥5,000 (issue 6 items 1, 3 and 8).

Idempotent (get_or_create by natural keys), and the reverse removes only what it would create and
nothing administrators have changed since (built-in types in use are kept)."""

from datetime import time

from django.db import migrations

TYPES = [
    # code, category, zh, en, position
    ("quality", "product", "质量不良", "Poor quality", 1),
    ("price", "product", "价格过高", "Price too high", 2),
    ("labelling", "product", "标示不符", "Labelling mismatch", 3),
    ("manner", "service", "服务方式欠妥", "Improper manner", 1),
    ("attitude", "service", "服务态度欠佳", "Poor attitude", 2),
    ("misconduct", "service", "自身不良行为", "Staff misconduct", 3),
    ("operation", "service", "服务作业不当", "Improper service operation", 4),
    ("policy", "service", "服务制度", "Service policy", 5),
]

HOUR, DAY = 60, 8 * 60  # a working day is 8 business hours on the default calendar
# severity → (response, resolution) in business minutes; for any customer, then for 主力 (value tier "key").
SLA_ANY = {"critical": (1 * HOUR, 1 * DAY), "high": (4 * HOUR, 3 * DAY), "medium": (1 * DAY, 5 * DAY), "low": (2 * DAY, 10 * DAY)}
SLA_KEY = {"critical": (30, 4 * HOUR), "high": (2 * HOUR, 2 * DAY), "medium": (4 * HOUR, 3 * DAY), "low": (1 * DAY, 5 * DAY)}

CALENDAR_NAME = "默认工作日历 Default working calendar"
FLOW_ACTION = "service.complaint.compensation"
FLOW_NAME = "投诉赔偿超过 ¥5,000 由上级审批 · Complaint compensation above ¥5,000: the requester's manager approves"
FLOW_CONDITION = {"field": "compensation", "op": "gt", "value": "5000"}


def forwards(apps, schema_editor):
    ComplaintType = apps.get_model("service", "ComplaintType")
    SlaPolicy = apps.get_model("service", "SlaPolicy")
    WorkingCalendar = apps.get_model("service", "WorkingCalendar")
    for code, category, zh, en, position in TYPES:
        ComplaintType.objects.get_or_create(code=code, defaults={"category": category, "name_zh": zh, "name_en": en,
                                                                 "position": position, "built_in": True, "active": True})
    calendar = WorkingCalendar.objects.filter(is_default=True).first()
    if calendar is None:
        calendar = WorkingCalendar.objects.create(name=CALENDAR_NAME, is_default=True, time_zone="Asia/Shanghai",
                                                  day_start=time(9), day_end=time(18), lunch_start=time(12), lunch_end=time(13),
                                                  weekend=[5, 6])
    for tier, table in (("", SLA_ANY), ("key", SLA_KEY)):
        for severity, (response, resolution) in table.items():
            SlaPolicy.objects.get_or_create(severity=severity, value_tier=tier,
                                            defaults={"response_minutes": response, "resolution_minutes": resolution})
    try:
        ApprovalFlow = apps.get_model("approvals", "ApprovalFlow")
        ApprovalStep = apps.get_model("approvals", "ApprovalStep")
    except LookupError:
        return
    if not ApprovalFlow.objects.filter(action=FLOW_ACTION).exists():
        flow = ApprovalFlow.objects.create(action=FLOW_ACTION, name=FLOW_NAME, condition=FLOW_CONDITION, priority=0, active=True)
        ApprovalStep.objects.create(flow=flow, position=1, approver_kind="manager", levels=1, rule="any", remind_after_hours=24)


def backwards(apps, schema_editor):
    ComplaintType = apps.get_model("service", "ComplaintType")
    SlaPolicy = apps.get_model("service", "SlaPolicy")
    WorkingCalendar = apps.get_model("service", "WorkingCalendar")
    ApprovalFlow = apps.get_model("approvals", "ApprovalFlow")
    flows = ApprovalFlow.objects.filter(action=FLOW_ACTION, name=FLOW_NAME, requests__isnull=True)
    flows.delete()
    for tier, table in (("", SLA_ANY), ("key", SLA_KEY)):
        for severity, (response, resolution) in table.items():
            SlaPolicy.objects.filter(severity=severity, value_tier=tier, response_minutes=response,
                                     resolution_minutes=resolution, calendar__isnull=True).delete()
    WorkingCalendar.objects.filter(name=CALENDAR_NAME, days__isnull=True, is_default=True).delete()
    ComplaintType.objects.filter(code__in=[t[0] for t in TYPES], built_in=True, complaints__isnull=True).delete()


class Migration(migrations.Migration):

    dependencies = [
        ("service", "0001_initial"),
        ("approvals", "0001_initial"),
    ]

    operations = [migrations.RunPython(forwards, backwards)]
