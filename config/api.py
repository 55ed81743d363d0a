"""The JSON API at /api/v1/: one NinjaAPI, each app mounts its router here."""

from ninja import NinjaAPI

from guanxi.audit.api import router as audit_router
from guanxi.core.api import install_problem_handlers
from guanxi.core.throttling import TokenRateThrottle
from guanxi.customers.api import router as customers_router
from guanxi.customers.contacts_api import router as contacts_router
from guanxi.customers.dedupe_api import router as dedupe_router
from guanxi.customers.pool_api import router as pool_router
from guanxi.customers.search_api import router as search_router
from guanxi.customers.share_api import router as share_router
from guanxi.dataio.api import router as jobs_router
from guanxi.users.api import router as users_router
from guanxi.users.auth import api_auth

api = NinjaAPI(
    title="Guanxi CRM API",
    version="1",
    description=(
        "Authenticate with a browser session (send the CSRF token on writes) or a personal API token: "
        "`Authorization: Bearer gx_…`. Errors are RFC 9457 `application/problem+json` with a stable `code`. "
        "Lists use cursor pagination: pass `next_cursor` back as `after`; `limit` is at most 200."
    ),
    urls_namespace="api-1",
    auth=api_auth,
    throttle=[TokenRateThrottle()],
)
install_problem_handlers(api)
api.add_router("/users", users_router)
api.add_router("/accounts", pool_router)
api.add_router("/accounts", share_router)
api.add_router("/accounts", dedupe_router)
api.add_router("/accounts", customers_router)
api.add_router("/contacts", contacts_router)
api.add_router("/orders", "guanxi.customers.orders_api.router")
api.add_router("/search", search_router)
api.add_router("/audit", audit_router)
api.add_router("/jobs", jobs_router)
api.add_router("/imports", "guanxi.dataio.import_api.imports_router")
api.add_router("/exports", "guanxi.dataio.import_api.exports_router")
api.add_router("/sales", "guanxi.sales.api.router")
api.add_router("/sales", "guanxi.sales.api_activities.router")
api.add_router("/notifications", "guanxi.users.notifications_api.router")
api.add_router("/webhooks", "guanxi.dataio.webhooks_api.router")
api.add_router("/approvals", "guanxi.approvals.api.router")
api.add_router("/service", "guanxi.service.api_surveys.router")
api.add_router("/service", "guanxi.service.api_complaints.router")
