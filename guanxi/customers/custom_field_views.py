from __future__ import annotations

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from guanxi.core.errors import PermissionDenied, ValidationFailed
from guanxi.customers.custom_fields import custom_field_get, custom_field_save
from guanxi.customers.forms import CustomFieldForm
from guanxi.customers.models import CustomField


def custom_field_list(request: HttpRequest) -> HttpResponse:
    if not request.user.is_admin:  # type: ignore[union-attr]
        raise PermissionDenied(_("Only administrators define custom fields."))
    return render(request, "customers/custom_fields.html", {"fields": CustomField.objects.all()})


@require_http_methods(["GET", "POST"])
def custom_field_edit(request: HttpRequest, pk: int | None = None) -> HttpResponse:
    field = custom_field_get(actor=request.user, pk=pk) if pk else None  # type: ignore[arg-type]
    if field is None and not request.user.is_admin:  # type: ignore[union-attr]
        raise PermissionDenied(_("Only administrators define custom fields."))
    initial = {}
    if field:
        initial = {"object_type": field.object_type, "key": field.key, "label": field.label, "label_en": field.label_en,
                   "field_type": field.field_type, "choices": ", ".join(field.choices), "required": field.required,
                   "active": field.active, "position": field.position}
    form = CustomFieldForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            custom_field_save(actor=request.user, data=form.cleaned_data, field=field)  # type: ignore[arg-type]
        except ValidationFailed as exc:
            for name, errs in exc.errors.items():
                for err in errs:
                    form.add_error(name if name in form.fields else None, err)
        else:
            messages.success(request, _("Custom field saved."))
            return redirect("customers:custom_fields")
    return render(request, "customers/custom_field_form.html", {"form": form, "field": field})
