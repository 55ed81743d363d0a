from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ServiceConfig(AppConfig):
    name = "guanxi.service"
    label = "service"
    verbose_name = _("Service")

    def ready(self) -> None:
        from guanxi.approvals.registry import register_action
        from guanxi.customers.timeline import register_timeline_provider
        from guanxi.dataio import webhooks

        # sla: its periodic escalation job registers on import; surveys_ready: surveys and
        # follow-up visits (delegates, timeline providers, notification kinds, jobs); rollup_rebuild:
        # the dashboard's rollups (which follow every complaint write) and their nightly rebuild job.
        from guanxi.service import (  # noqa: F401
            complaint_compensation,
            complaint_notify,
            complaint_timeline,
            complaints,
            rollup_rebuild,
            sla,
            surveys_ready,
        )
        from guanxi.service.models import ComplaintAttachment, ComplaintEvent
        from guanxi.users.notifications import register_kind
        from guanxi.users.visibility import register_delegate

        # A complaint's history and files are visible exactly when the complaint is.
        register_delegate(ComplaintEvent, via="complaint")
        register_delegate(ComplaintAttachment, via="complaint")
        register_timeline_provider("complaint", complaint_timeline.complaint_items)
        for code, label, in_app, email in complaint_notify.KINDS:
            register_kind(code, label, in_app=in_app, email=email)
        webhooks.register_event("complaint.created", _("Complaint filed"))
        webhooks.register_event("complaint.closed", _("Complaint closed"))
        webhooks.register_event("complaint.state_changed", _("Complaint moved to another step"))
        register_action(
            complaints.COMPENSATION_ACTION, _("Complaint compensation"),
            fields={"compensation": "money"},
            on_approved=complaint_compensation.on_compensation_approved,
            on_rejected=complaint_compensation.on_compensation_rejected,
            on_returned=complaint_compensation.on_compensation_returned,
            describe=complaint_compensation.describe,
            can_view=complaint_compensation.can_view_complaint,
            url=lambda c: complaint_notify.complaint_url(c.pk),
        )
