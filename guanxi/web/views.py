from __future__ import annotations

from typing import Any, cast

from django.apps import apps
from django.conf import settings
from django.contrib import messages
from django.contrib.auth import authenticate, login, logout, update_session_auth_hash
from django.contrib.auth.decorators import login_not_required
from django.contrib.auth.forms import PasswordChangeForm
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from guanxi.audit import lifecycle
from guanxi.core.errors import GuanxiError, NotFound, ValidationFailed
from guanxi.dataio import jobs
from guanxi.users import services as user_services
from guanxi.users.models import ApiToken, User
from guanxi.users.ownership import OwnedModel
from guanxi.web.forms import LoginForm, PreferencesForm, TokenForm


def render_error(request: HttpRequest, status: int, detail: str = "") -> HttpResponse:
    titles = {403: _("Not allowed"), 404: _("Not found"), 409: _("Conflict"), 500: _("Server error")}
    return render(request, "web/error.html", {"status": status, "title": titles.get(status, _("Error")), "detail": detail}, status=status)


def error_403(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    return render_error(request, 403)


def error_404(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    return render_error(request, 404)


def error_500(request: HttpRequest) -> HttpResponse:
    return render(request, "web/error.html", {"status": 500, "title": "Server error / 服务器错误"}, status=500)


@login_not_required
def csrf_failure(request: HttpRequest, reason: str = "") -> HttpResponse:
    request.denied_code = "auth.csrf_failed"  # type: ignore[attr-defined]  # for the denied-access log line
    return render_error(request, 403, _("Your form expired or came from another site. Reload the page and try again."))


def client_ip(request: HttpRequest) -> str | None:
    return request.META.get("REMOTE_ADDR") or None


def _safe_next(request: HttpRequest, default: str) -> str:
    target = request.POST.get("next") or request.GET.get("next") or ""
    if not url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()}, require_https=request.is_secure()):
        return default
    return target or default


def _remember_language(response: HttpResponse, language: str) -> HttpResponse:
    """The language cookie keeps the sign-in page in the language last chosen on this browser."""
    response.set_cookie(
        settings.LANGUAGE_COOKIE_NAME, language, max_age=settings.LANGUAGE_COOKIE_AGE or 365 * 24 * 3600,
        path=settings.LANGUAGE_COOKIE_PATH, domain=settings.LANGUAGE_COOKIE_DOMAIN,
        secure=settings.LANGUAGE_COOKIE_SECURE or settings.SESSION_COOKIE_SECURE,
        httponly=True, samesite=settings.LANGUAGE_COOKIE_SAMESITE or "Lax",
    )
    return response


@login_not_required
@require_http_methods(["GET", "POST"])
def login_view(request: HttpRequest) -> HttpResponse:
    if request.method == "POST" and "language" in request.POST and "username" not in request.POST:
        # The language switch on the sign-in page: nobody to save it on yet, so a cookie.
        language = request.POST["language"]
        response = HttpResponseRedirect(_safe_next(request, reverse("web:login")))
        return _remember_language(response, language) if language in dict(settings.LANGUAGES) else response
    form = LoginForm(request.POST or None)
    next_url = _safe_next(request, "")
    status = 200
    if request.method == "POST" and form.is_valid():
        username = form.cleaned_data["username"]
        ip = client_ip(request)
        wait = user_services.login_locked_for(username=username, ip=ip)
        if wait:
            minutes = max(1, (wait + 59) // 60)
            form.add_error(None, _("Too many failed sign-in attempts. Try again in %(minutes)d minutes.") % {"minutes": minutes})
            status = 429
        else:
            user = authenticate(request, username=username, password=form.cleaned_data["password"])
            if user is None:
                user_services.login_failed(username=username, ip=ip)
                form.add_error(None, _("Wrong username or password."))
            else:
                user_services.login_succeeded(username=username)
                login(request, user)  # rotates the session id
                return _remember_language(HttpResponseRedirect(next_url or reverse("web:home")), user.language)  # type: ignore[attr-defined]
    return render(request, "web/login.html", {"form": form, "next": next_url}, status=status)


@require_POST
def logout_view(request: HttpRequest) -> HttpResponse:
    logout(request)
    return redirect("web:login")


def signed_in_user(request: HttpRequest) -> User:
    """The user of a page behind the login middleware (never anonymous there)."""
    return cast(User, request.user)


def home(request: HttpRequest) -> HttpResponse:
    from guanxi.customers.selectors import account_queryset

    user = signed_in_user(request)
    recent = account_queryset(actor=user).order_by("-updated_at", "-id")[:10]
    my_jobs = jobs.jobs_visible_to(user).filter(owner=user)[:5]
    return render(request, "web/home.html", {"recent_accounts": recent, "jobs": my_jobs})


@require_http_methods(["GET", "POST"])
def settings_view(request: HttpRequest) -> HttpResponse:
    user = signed_in_user(request)
    prefs = PreferencesForm(request.POST if request.POST.get("form") == "preferences" else None,
                            initial={"language": user.language, "timezone": user.timezone})
    password = PasswordChangeForm(user, request.POST if request.POST.get("form") == "password" else None)
    password.fields["old_password"].widget.attrs.pop("autofocus", None)  # the page is not only about passwords
    token_form = TokenForm(request.POST if request.POST.get("form") == "token" else None)
    new_key = None
    if request.method == "POST":
        which = request.POST.get("form")
        if which == "preferences" and prefs.is_valid():
            user_services.user_set_preferences(actor=user, language=prefs.cleaned_data["language"], timezone_name=prefs.cleaned_data["timezone"])
            messages.success(request, _("Preferences saved."))
            return _remember_language(redirect("web:settings"), prefs.cleaned_data["language"])
        if which == "password" and password.is_valid():
            password.save()
            update_session_auth_hash(request, password.user)
            messages.success(request, _("Password changed."))
            return redirect("web:settings")
        if which == "token" and token_form.is_valid():
            try:
                _token, new_key = user_services.token_create(
                    actor=user, name=token_form.cleaned_data["name"], scope=token_form.cleaned_data["scope"],
                    expires_at=token_form.cleaned_data["expires_at"],
                )
                token_form = TokenForm()
            except ValidationFailed as exc:
                for field, errs in exc.errors.items():
                    for err in errs:
                        token_form.add_error(field if field in token_form.fields else None, err)
    tokens = ApiToken.objects.filter(user=user)[:100]
    return render(request, "web/settings.html", {"prefs": prefs, "password_form": password, "token_form": token_form, "tokens": tokens, "new_key": new_key})


@require_POST
def token_revoke(request: HttpRequest, token_id: int) -> HttpResponse:
    user_services.token_revoke(actor=signed_in_user(request), token_id=token_id)
    messages.success(request, _("Token revoked. It stops working immediately."))
    return redirect("web:settings")


@require_POST
def set_language(request: HttpRequest) -> HttpResponse:
    """One-click language switch in the header; saved on the user, so it follows them everywhere."""
    language = request.POST.get("language", "")
    response = HttpResponseRedirect(_safe_next(request, reverse("web:home")))
    try:
        user_services.user_set_preferences(actor=signed_in_user(request), language=language)
    except ValidationFailed:
        messages.error(request, _("Unknown language."))
        return response
    return _remember_language(response, language)


def job_list(request: HttpRequest) -> HttpResponse:
    return render(request, "web/jobs.html", {"jobs": jobs.jobs_visible_to(request.user)[:100]})


def job_detail(request: HttpRequest, job_id: Any) -> HttpResponse:
    job = jobs.get_job(request.user, job_id)
    template = "web/partials/job_progress.html" if request.htmx else "web/job_detail.html"  # type: ignore[attr-defined]
    return render(request, template, {"job": job})


def _owned_models() -> list[type[OwnedModel]]:
    return [m for m in apps.get_models() if issubclass(m, OwnedModel)]


def trash(request: HttpRequest) -> HttpResponse:
    sections = []
    for model in _owned_models():
        rows = list(lifecycle.trash_for(request.user, model)[:200])  # type: ignore[arg-type]
        for row in rows:
            row.restorable_until = lifecycle.restorable_until(row)  # type: ignore[attr-defined]
        sections.append({"label": model._meta.verbose_name_plural, "type": model._meta.label_lower, "rows": rows})
    return render(request, "web/trash.html", {"sections": sections})


@require_POST
def trash_restore(request: HttpRequest, object_type: str, object_id: int) -> HttpResponse:
    from guanxi.audit.api import audited_model

    model = audited_model(object_type)
    obj = lifecycle.get_visible(request.user, model, object_id, include_deleted=True)
    if obj.deleted_at is None:
        raise NotFound()
    try:
        lifecycle.record_restore(actor=request.user, obj=obj)  # type: ignore[arg-type]
    except GuanxiError as exc:
        if exc.status != 403:
            raise
        return render_error(request, 403, exc.detail)
    messages.success(request, _("Restored."))
    return redirect("web:trash")
