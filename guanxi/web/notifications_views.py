"""The notification centre: the bell in the header (unread count, loaded with htmx so pages do
not pay for it), the list with mark-read (one or all), and the user's channel preferences.

Everything goes through ``guanxi.users.notifications``: a user only ever sees and marks their own
notifications (ids of anyone else's are ignored, never revealed).
"""

from __future__ import annotations

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from guanxi.core.errors import ValidationFailed
from guanxi.core.pagination import keyset_page_or_first
from guanxi.users import notifications
from guanxi.web.views import signed_in_user

PAGE_SIZE = 50


def _safe_url(request: HttpRequest, url: str) -> str:
    """A notification's link, only when it stays on this site (it is shown as a link)."""
    if url and url_has_allowed_host_and_scheme(url, allowed_hosts={request.get_host()}, require_https=request.is_secure()):
        return url
    return ""


@require_GET
def notification_list(request: HttpRequest) -> HttpResponse:
    user = signed_in_user(request)
    qs = notifications.notifications_for(user)
    if request.GET.get("unread") == "1":
        qs = qs.filter(read_at__isnull=True)
    page = keyset_page_or_first(qs, order=("-created_at", "-id"), after=request.GET.get("after") or None, limit=PAGE_SIZE)
    for item in page.items:
        item.safe_url = _safe_url(request, item.url)  # type: ignore[attr-defined]
    return render(request, "web/notifications.html", {
        "page": page, "unread": notifications.unread_count(user), "only_unread": request.GET.get("unread") == "1",
        "preferences": notifications.preferences(user),
    })


@require_GET
def notification_bell(request: HttpRequest) -> HttpResponse:
    """The header's bell with the unread count (an htmx partial, polled)."""
    return render(request, "web/partials/notification_bell.html", {"unread": notifications.unread_count(signed_in_user(request)), "loaded": True})


@require_POST
def notification_read(request: HttpRequest) -> HttpResponse:
    """Mark one (``id``) or all (``all=1``) of the user's notifications read; a notification with a
    link is then opened (``open=1``)."""
    user = signed_in_user(request)
    if request.POST.get("all") == "1":
        changed = notifications.mark_read(user, "all")
        messages.success(request, _("%(n)d notifications marked as read.") % {"n": changed})
        return redirect("web:notifications")
    raw = request.POST.get("id", "")
    pk = int(raw) if raw.isdigit() and len(raw) < 19 else None
    if pk is not None:
        notifications.mark_read(user, [pk])
    if request.POST.get("open") == "1" and pk is not None:
        url = notifications.notifications_for(user).filter(pk=pk).values_list("url", flat=True).first() or ""
        if _safe_url(request, url):
            return redirect(url)
    return redirect("web:notifications")


@require_http_methods(["POST"])
def notification_preferences(request: HttpRequest) -> HttpResponse:
    """Per kind: show in the app, send by email (checkboxes ``in_app:<kind>`` / ``email:<kind>``)."""
    user = signed_in_user(request)
    rows = [{"kind": p["kind"], "in_app": f"in_app:{p['kind']}" in request.POST, "email": f"email:{p['kind']}" in request.POST}
            for p in notifications.preferences(user)]
    try:
        notifications.preferences_set(user, rows)
    except ValidationFailed as exc:
        messages.error(request, " ".join(str(m) for errs in exc.errors.values() for m in errs))
    else:
        messages.success(request, _("Notification preferences saved."))
    return redirect("web:notifications")
