"""What the billing pages share: the page size, the refusals of a bad filter or page link, a service's
refusal shown on the page, and the links kept only to what the user may see."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpRequest
from django.utils.translation import gettext as _

from sencrm.core import access
from sencrm.core.modules import Action

PAGE_SIZE = 50


def bad_filter(name: str) -> ValidationError:
    return ValidationError(_("Some filters are not valid: %(fields)s") % {"fields": name})


def bad_page() -> str:
    return _("This page link is no longer valid. Start again from the first page.")


def refuse(request: HttpRequest, exc: ValidationError, form: Any = None) -> None:
    """A service's refusal: errors naming a field of `form` go on it, the others to the page's messages
    (the small forms of a record's page do not show errors of their own)."""
    if hasattr(exc, "error_dict"):
        for name, errors in exc.error_dict.items():
            if form is not None and name in form.fields:
                form.add_error(name, errors)
            else:
                for error in errors:
                    for message in error.messages:
                        messages.error(request, message)
    else:
        for message in exc.messages:
            messages.error(request, message)


def visible_or_none(user: Any, obj: Any) -> Any:
    return obj if obj is not None and access.in_scope(user, Action.VIEW, obj) else None


def parse_pk(raw: str) -> int | None:
    return int(raw) if raw.isdigit() and len(raw) < 12 else None
