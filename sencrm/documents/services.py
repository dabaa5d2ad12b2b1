"""Writes: the company profile and the document templates, by administrators, through the spine.

Each checks the administration right again, refuses a stale version (someone saved in between) and
leaves an event for the activity log in the transaction that made the change.
"""

from __future__ import annotations

import difflib
import unicodedata
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from sencrm.core import access, phones
from sencrm.core.exceptions import StaleRecord
from sencrm.core.modules import Action, Module
from sencrm.core.text import clean_text
from sencrm.documents import logos
from sencrm.documents.choices import DocumentKind
from sencrm.documents.context import COMPANY_FIELDS, sample_context
from sencrm.documents.models import (
    MAX_TEMPLATE_CHARS,
    CompanyProfile,
    DocumentTemplate,
    normalise_bank_account,
    normalise_tax_code,
)
from sencrm.documents.sandbox import TemplateProblem, render_html
from sencrm.documents.selectors import default_source
from sencrm.events.diff import changes as diff_changes
from sencrm.events.diff import snapshot
from sencrm.events.services import event_emit

MAX_DIFF_CHARS = 20_000


def _check_version(current: Any, version: int | None) -> None:
    if version is not None and current.version != version:
        raise StaleRecord(current.version)


def _clean_company(changes: dict[str, Any]) -> dict[str, Any]:
    cleaned = {name: clean_text(str(changes[name] or "")) for name in COMPANY_FIELDS if name in changes}
    if "tax_code" in cleaned:
        cleaned["tax_code"] = normalise_tax_code(cleaned["tax_code"])
    if "bank_account" in cleaned:
        cleaned["bank_account"] = normalise_bank_account(cleaned["bank_account"])
    if cleaned.get("phone"):
        e164 = phones.to_e164(cleaned["phone"])
        if e164 is None:
            raise ValidationError({"phone": _("This is not a valid phone number.")})
        cleaned["phone"] = phones.display(e164)
    if "email" in cleaned:
        cleaned["email"] = cleaned["email"].lower()
    return cleaned


@transaction.atomic
def company_update(
    *,
    actor: Any,
    changes: dict[str, Any],
    version: int | None,
    logo: Any = None,
    remove_logo: bool = False,
) -> CompanyProfile:
    """Change the company profile (created on its first save); a new logo is checked and re-encoded
    (logos.py), written, and the old file removed, once the change is committed."""
    access.check_module(actor, Module.ADMIN, Action.EDIT)
    profile, _created = CompanyProfile.objects.select_for_update().get_or_create(
        pk=CompanyProfile.SINGLETON_PK
    )
    _check_version(profile, version)
    before = snapshot(profile)
    for name, value in _clean_company(changes).items():
        setattr(profile, name, value)
    old_logo = profile.logo
    clean_logo = None
    if logo is not None:
        try:
            clean_logo = logos.prepare(logo)
        except ValidationError as exc:
            raise ValidationError({"logo": exc.messages}) from None
        profile.logo, profile.logo_type = clean_logo.name, clean_logo.kind
    elif remove_logo:
        profile.logo, profile.logo_type = "", ""
    profile.full_clean()
    changed = diff_changes(before, snapshot(profile))
    if not changed:
        return profile
    profile.version += 1
    profile.updated_by = actor if getattr(actor, "pk", None) else None
    profile.save()
    # Files follow the commit: a rolled-back save writes nothing and removes nothing.
    if clean_logo is not None:
        transaction.on_commit(clean_logo.write)
    if old_logo and old_logo != profile.logo:
        transaction.on_commit(lambda: logos.remove(old_logo))
    event_emit(type="company.updated", subject=profile, actor=actor, data={"changes": changed})
    return profile


def validate_template(kind: str, body: str) -> str:
    """The body as it will be stored (NFC, \\n line ends) after a trial render on the sample document;
    ValidationError({"body": …}) with the line of the first problem."""
    body = clean_body(body)
    if not body.strip():
        raise ValidationError({"body": _("The template is empty: use “Reset to default” instead.")})
    if len(body) > MAX_TEMPLATE_CHARS:
        raise ValidationError(
            {"body": _("A template has at most %(n)s characters.") % {"n": f"{MAX_TEMPLATE_CHARS:,}"}}
        )
    try:
        render_html(body, sample_context(kind))
    except TemplateProblem as exc:
        raise ValidationError({"body": str(exc)}) from None
    return body


def clean_body(body: str) -> str:
    return unicodedata.normalize("NFC", str(body or "")).replace("\r\n", "\n").replace("\r", "\n")


def _kind(kind: str) -> DocumentKind:
    try:
        return DocumentKind(kind)
    except ValueError:
        raise ValidationError(_("Unknown kind of document.")) from None


def _diff(old: str, new: str) -> str:
    lines = difflib.unified_diff(old.splitlines(), new.splitlines(), "before", "after", lineterm="", n=1)
    return "\n".join(lines)[:MAX_DIFF_CHARS]


@transaction.atomic
def template_save(*, actor: Any, kind: str, body: str, version: int | None) -> DocumentTemplate:
    """Store the administrator's template for `kind`, after the sandbox checks and a trial render."""
    access.check_module(actor, Module.ADMIN, Action.EDIT)
    kind = _kind(kind)
    body = validate_template(kind, body)
    template = DocumentTemplate.objects.select_for_update().filter(kind=kind).first()
    if template is None:
        if version:  # the page showed a stored template that someone reset meanwhile
            raise StaleRecord(0)
        template = DocumentTemplate(kind=kind, body="")
    else:
        _check_version(template, version)
    old = template.body or default_source(kind)
    if template.pk and old == body:
        return template
    template.body = body
    template.version += 1
    template.updated_by = actor if getattr(actor, "pk", None) else None
    template.full_clean()
    template.save()
    event_emit(
        type="documenttemplate.updated",
        subject=template,
        actor=actor,
        data={"kind": str(kind), "diff": _diff(old, body)},
    )
    return template


@transaction.atomic
def template_reset(*, actor: Any, kind: str) -> None:
    """Go back to the default template for `kind`; the removed text stays in the event for recovery."""
    access.check_module(actor, Module.ADMIN, Action.EDIT)
    kind = _kind(kind)
    template = DocumentTemplate.objects.select_for_update().filter(kind=kind).first()
    if template is None:
        return
    event_emit(
        type="documenttemplate.reset",
        subject=template,
        actor=actor,
        data={"kind": str(kind), "removed": template.body},
    )
    template.delete()
