from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class SalesConfig(AppConfig):
    name = "guanxi.sales"
    label = "sales"
    verbose_name = _("Sales")

    def ready(self) -> None:
        # Webhook delivery job: the worker and the scheduler need it loaded.
        from guanxi.customers.classify import register_open_deals
        from guanxi.customers.timeline import register_timeline_provider
        from guanxi.dataio import webhooks
        from guanxi.sales import (
            activities_ready,  # noqa: F401  (activities, SPIN, targets, forecast, notifications)
            timeline,
        )
        from guanxi.sales.lists import register_lists
        from guanxi.sales.models import OpportunityContact, OpportunityLine, StageChange
        from guanxi.users.visibility import register_delegate

        # Lines, buying-group contacts and stage history are visible exactly when their opportunity is.
        register_delegate(OpportunityLine, via="opportunity")
        register_delegate(OpportunityContact, via="opportunity")
        register_delegate(StageChange, via="opportunity")

        # 360° page: opportunities and their stage changes (one query each).
        register_timeline_provider("opportunity", timeline.opportunity_items)
        register_timeline_provider("stage_change", timeline.stage_change_items)

        # An open opportunity makes its account 即将交易 (about to trade), DOMAIN §1.
        register_open_deals(timeline.open_deals_sql(), timeline.open_deals_for_account)

        # The call-quality rollup follows an activity that is deleted, restored or moved.
        from guanxi.audit.lifecycle import watch_placement
        from guanxi.sales.models import Activity
        from guanxi.sales.rollups import activity_moved

        watch_placement(Activity, activity_moved)

        register_lists()
        webhooks.register_event("opportunity.stage_changed", _("Opportunity moved to another stage"))
        webhooks.register_event("opportunity.won", _("Opportunity won"))
        webhooks.register_event("opportunity.lost", _("Opportunity lost"))
