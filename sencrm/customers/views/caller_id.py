"""A care agent's page: who is calling on this number (any format), within the agent's scope."""

from __future__ import annotations

from typing import Any

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET

from sencrm.core.phones import to_e164
from sencrm.customers import selectors


@login_required
@require_GET
def caller_id(request: HttpRequest) -> HttpResponse:
    phone = request.GET.get("phone", "").strip()[:40]
    result: dict[str, Any] = {"contacts": [], "accounts": [], "others": []}
    error = ""
    if phone:
        if to_e164(phone) is None:
            error = _("Not a valid phone number: %(numbers)s") % {"numbers": phone}
        else:
            result = selectors.caller_lookup(user=request.user, phone=phone)
    return render(
        request,
        "customers/caller_id.html",
        {"phone": phone, "error": error, **result},
        status=400 if error else 200,
    )
