"""The public complaint / feedback form and the private status page (no login; issue 6 item 4).

Spam protection without a third-party captcha: a honeypot field people never see (a submission
that fills it is answered like a success and discarded) and a limit of
``FEEDBACK_RATE_LIMIT_PER_HOUR`` (default 5) submissions per address per hour (429 page). Input
limits and attachment checks live in ``guanxi.service.complaint_public``; templates escape all text.
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.conf import settings
from django.contrib.auth.decorators import login_not_required
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_http_methods

from guanxi.core.errors import Conflict, NotFound, ValidationFailed
from guanxi.core.throttling import client_ip, hit
from guanxi.service import complaint_public
from guanxi.service.models import ComplaintState, ComplaintType

HONEYPOT = "website"
RATE_WINDOW = 3600


def rate_limit_per_hour() -> int:
    return int(getattr(settings, "FEEDBACK_RATE_LIMIT_PER_HOUR", 5))


def _type_choices() -> list[tuple[str, Any]]:
    rows = ComplaintType.objects.filter(active=True)
    return [("", _("— choose —"))] + [(t.code, f"{t.get_category_display()} · {t.name}") for t in rows]


class FeedbackForm(forms.Form):
    name = forms.CharField(label=_("Your name"), max_length=complaint_public.LIMITS["name"])
    email = forms.CharField(label=_("Email"), max_length=complaint_public.LIMITS["email"], required=False,
                            widget=forms.EmailInput(attrs={"autocomplete": "email"}))
    phone = forms.CharField(label=_("Phone"), max_length=complaint_public.LIMITS["phone"], required=False,
                            widget=forms.TextInput(attrs={"autocomplete": "tel", "inputmode": "tel"}))
    complaint_type = forms.ChoiceField(label=_("What is it about?"), choices=())
    description = forms.CharField(label=_("What happened?"), max_length=complaint_public.LIMITS["description"],
                                  widget=forms.Textarea(attrs={"rows": 6}))
    order_number = forms.CharField(label=_("Order number (if any)"), max_length=complaint_public.LIMITS["order_number"], required=False)
    website = forms.CharField(required=False, label=_("Leave this field empty"),
                              widget=forms.TextInput(attrs={"autocomplete": "off", "tabindex": "-1"}))

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["complaint_type"].choices = _type_choices()  # type: ignore[attr-defined]


def _form_page(request: HttpRequest, form: FeedbackForm, *, file_errors: list[str] | None = None, status: int = 200) -> HttpResponse:
    return render(request, "service/public/feedback_form.html", {
        "form": form, "file_errors": file_errors or [], "max_files": complaint_public.MAX_ATTACHMENTS, "honeypot": HONEYPOT,
    }, status=status)


@login_not_required
@require_http_methods(["GET", "POST"])
def feedback(request: HttpRequest) -> HttpResponse:
    if request.method != "POST":
        return _form_page(request, FeedbackForm())
    if hit(f"feedback:{client_ip(request)}", rate_limit_per_hour(), window=RATE_WINDOW) is not None:
        return render(request, "service/public/feedback_limited.html", status=429)
    form = FeedbackForm(request.POST)
    if request.POST.get(HONEYPOT):
        return render(request, "service/public/feedback_received.html")  # a bot: looks accepted, nothing is kept
    if not form.is_valid():
        return _form_page(request, form, status=422)
    try:
        complaint = complaint_public.complaint_submit_public(data=form.cleaned_data, files=request.FILES.getlist("attachments"))
    except ValidationFailed as exc:
        file_errors = exc.errors.pop("attachments", [])
        for field, messages in exc.errors.items():
            for message in messages:
                form.add_error(field if field in form.fields else None, message)
        return _form_page(request, form, file_errors=file_errors, status=422)
    url = reverse("public_service:status", kwargs={"public_token": complaint.public_token})
    return HttpResponseRedirect(f"{url}?new=1", status=303)


class AnswerForm(forms.Form):
    """The customer's answer to a resolved complaint: solved (confirm) or not (reopen, with a reason)."""

    solved = forms.TypedChoiceField(choices=[("yes", _("Yes, it is solved")), ("no", _("No, it is not solved"))],
                                    coerce=lambda v: v == "yes", widget=forms.RadioSelect, label=_("Is your problem solved?"))
    comment = forms.CharField(required=False, max_length=complaint_public.ANSWER_COMMENT_MAX, widget=forms.Textarea(attrs={"rows": 3}),
                              label=_("Your comment"), help_text=_("Required if it is not solved: tell us what is still wrong."))


def _status_page(request: HttpRequest, complaint: Any, *, form: AnswerForm | None = None, status: int = 200,
                 message: str = "") -> HttpResponse:
    labels = dict(ComplaintState.choices)
    awaits = complaint_public.awaits_customer(complaint)
    response = render(request, "service/public/feedback_status.html", {
        "complaint": complaint, "state_label": labels.get(complaint.state, complaint.state),
        "history": complaint_public.public_history(complaint), "labels": labels,
        "is_new": request.GET.get("new") == "1", "status_url": request.build_absolute_uri(request.path),
        "answer_form": (form or AnswerForm()) if awaits else None, "message": message,
        "answered": request.GET.get("answered") == "1",
    }, status=status)
    # The URL is the credential: keep it out of other sites' Referer headers and out of search
    # engines. "same-origin", not "no-referrer": the latter makes browsers send ``Origin: null`` with
    # the answer form's POST, which Django's CSRF check rightly refuses.
    response["Referrer-Policy"] = "same-origin"
    response["X-Robots-Tag"] = "noindex"
    return response


@login_not_required
@require_http_methods(["GET", "POST"])
def status(request: HttpRequest, public_token: Any) -> HttpResponse:
    try:
        complaint = complaint_public.complaint_by_token(public_token)
    except NotFound as exc:
        raise Http404() from exc
    if request.method != "POST":
        return _status_page(request, complaint)
    if hit(f"feedback-answer:{client_ip(request)}", rate_limit_per_hour() * 4, window=RATE_WINDOW) is not None:
        return render(request, "service/public/feedback_limited.html", status=429)
    form = AnswerForm(request.POST)
    if not form.is_valid():
        return _status_page(request, complaint, form=form, status=422)
    try:
        complaint_public.complaint_answer_public(token=complaint.public_token, solved=form.cleaned_data["solved"],
                                                 comment=form.cleaned_data["comment"])
    except ValidationFailed as exc:
        for field, messages in exc.errors.items():
            for text in messages:
                form.add_error(field if field in form.fields else None, text)
        return _status_page(request, complaint, form=form, status=422)
    except Conflict as exc:
        complaint.refresh_from_db()
        return _status_page(request, complaint, status=409, message=str(exc.detail))
    url = reverse("public_service:status", kwargs={"public_token": complaint.public_token})
    return HttpResponseRedirect(f"{url}?answered=1", status=303)
