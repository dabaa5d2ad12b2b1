"""Email campaigns: writes (through the spine), the audience, and what one recipient's message holds.

An email campaign goes to the people of its segment whom its owner may see and who have a current email
consent for marketing (the consent ledger decides, at queueing and again just before each message). The
subject and body are templates in the documents' sandbox (sencrm/documents/sandbox.py) reading only
`contact`, `company`, `campaign` and `unsubscribe_url` — plain values, never model instances. Each message
carries `List-Unsubscribe` with one-click POST (RFC 8058), a visible unsubscribe link, a tracking pixel and
its links rewritten to signed redirects (sencrm/marketing/email_tracking.py).

Statuses: draft → scheduled → sending → sent, or cancelled. Sending is sencrm/marketing/email_sender.py.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Mapping
from dataclasses import dataclass
from email.utils import make_msgid
from html import unescape
from typing import Any, cast

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.mail import EmailMultiAlternatives
from django.core.validators import validate_email
from django.db import connection, transaction
from django.utils import timezone
from django.utils.dateparse import parse_datetime
from django.utils.html import strip_tags
from django.utils.translation import gettext as _

from sencrm.core import access
from sencrm.core.db import analytic_query, analyze, written_tables
from sencrm.core.modules import Action, Module
from sencrm.core.text import clean_text
from sencrm.customers.ledger import consented_contact_ids
from sencrm.customers.models import Contact
from sencrm.documents.sandbox import TemplateProblem, check_source, render_html
from sencrm.documents.selectors import company_profile
from sencrm.events.services import event_emit, record_create, record_delete, record_update
from sencrm.marketing import email_tracking, segments
from sencrm.marketing.models import (
    Campaign,
    CampaignChannel,
    EmailCampaign,
    EmailCampaignStatus,
    EmailRecipient,
    RecipientStatus,
    Segment,
)
from sencrm.marketing.services import campaign_create, campaign_delete, campaign_update

NAMES = frozenset({"contact", "company", "campaign", "unsubscribe_url"})
FIELDS = {"name", "segment", "subject", "body", "scheduled_at", "owner"}
MAX_BODY = 200_000
ANCHOR = re.compile(r"""<a\b[^>]*?href=(["'])([^"']+)\1[^>]*>(.*?)</a>""", re.IGNORECASE | re.DOTALL)
BLOCK_END = re.compile(r"</(p|div|h[1-6]|li|tr|table)>|<br\s*/?>", re.IGNORECASE)
EDITABLE = (EmailCampaignStatus.DRAFT, EmailCampaignStatus.SCHEDULED)
HREF = re.compile(r"""(<a\b[^>]*?\bhref\s*=\s*)(["'])(https?://[^"'\s<>]+)\2""", re.IGNORECASE)


# --- writes --------------------------------------------------------------------------------------


def _template(value: Any, field: str, errors: dict[str, str], *, limit: int) -> str:
    text = str(value or "").strip()
    if not text:
        errors[field] = _("This field is required.")
        return text
    if len(text) > limit:
        errors[field] = _("At most %(n)s characters.") % {"n": f"{limit:,}"}
        return text
    try:
        check_source(text, NAMES)
    except TemplateProblem as problem:
        errors[field] = str(problem)
    return text


def _segment(actor: Any, value: Any) -> Segment | None:
    if value in (None, ""):
        return None
    pk = value.pk if isinstance(value, Segment) else value
    try:
        pk = int(pk)
    except (TypeError, ValueError):
        raise ValidationError({"segment": _("Choose a segment.")}) from None
    found = access.scope(actor, Segment, Action.VIEW).filter(pk=pk).first()
    if found is None:  # missing and outside the actor's scope answer alike
        raise ValidationError({"segment": _("That segment does not exist.")})
    return found


def _when(value: Any) -> dt.datetime | None:
    if value in (None, ""):
        return None
    try:
        when = value if isinstance(value, dt.datetime) else parse_datetime(str(value)[:40])
    except ValueError:  # well formed but no such time: 31/02, month 13, an offset of 25 hours
        when = None
    if when is None or not (2000 <= when.year <= 2100):
        raise ValidationError({"scheduled_at": _("Enter a valid date and time.")})
    return when if timezone.is_aware(when) else timezone.make_aware(when)


def _clean(actor: Any, data: Mapping[str, Any], partial: bool) -> dict[str, Any]:
    unknown = set(data) - FIELDS
    if unknown:
        raise ValidationError({name: _("This field cannot be set here.") for name in sorted(unknown)})
    cleaned: dict[str, Any] = {}
    errors: dict[str, str] = {}
    if "name" in data or not partial:
        cleaned["name"] = clean_text(str(data.get("name") or ""))[:200]
        if not cleaned["name"]:
            errors["name"] = _("Enter the campaign's name.")
    if "subject" in data or not partial:
        cleaned["subject"] = _template(data.get("subject"), "subject", errors, limit=300)
    if "body" in data or not partial:
        cleaned["body"] = _template(data.get("body"), "body", errors, limit=MAX_BODY)
    if errors:
        raise ValidationError(errors)
    if "segment" in data:
        cleaned["segment"] = _segment(actor, data["segment"])
    if "scheduled_at" in data:
        cleaned["scheduled_at"] = _when(data["scheduled_at"])
    if "owner" in data:
        cleaned["owner"] = data["owner"]
    return cleaned


@transaction.atomic
def email_create(*, actor: Any, data: Mapping[str, Any], owner: Any = None) -> EmailCampaign:
    """A draft email campaign and its campaign (channel email), which attribution credits."""
    access.check_module(actor, Module.MARKETING, Action.CREATE)
    cleaned = _clean(actor, data, partial=False)
    owner = cleaned.pop("owner", None) or owner
    campaign = campaign_create(
        actor=actor,
        owner=owner,
        data={
            "name": cleaned["name"],
            "channel": CampaignChannel.EMAIL,
            "start_date": timezone.localdate(),
            "contact_channel": "email",
        },
    )
    return record_create(EmailCampaign, actor=actor, data={**cleaned, "campaign": campaign}, owner=owner)


@transaction.atomic
def email_update(
    email: EmailCampaign, *, actor: Any, changes: Mapping[str, Any], version: int | None
) -> EmailCampaign:
    if email.status not in EDITABLE:
        raise ValidationError(_("An email campaign that has started sending cannot be changed."))
    cleaned = _clean(actor, changes, partial=True)
    if cleaned.get("owner", email.owner) is None:
        cleaned.pop("owner", None)
    updated = record_update(email, actor=actor, changes=cleaned, version=version)
    campaign = Campaign.objects.get(pk=email.campaign_id)
    if "name" in cleaned and campaign.name != cleaned["name"]:
        campaign_update(campaign, actor=actor, changes={"name": cleaned["name"]}, version=None)
    return updated


@transaction.atomic
def email_delete(email: EmailCampaign, *, actor: Any, version: int | None = None) -> EmailCampaign:
    if email.status == EmailCampaignStatus.SENDING:
        raise ValidationError(_("Cancel the sending first."))
    deleted = record_delete(email, actor=actor, version=version)
    campaign = Campaign.objects.filter(pk=email.campaign_id).first()
    if campaign is not None and email.sent == 0:
        campaign_delete(campaign, actor=actor)
    return deleted


@transaction.atomic
def email_schedule(
    email: EmailCampaign, *, actor: Any, at: Any = None, version: int | None = None
) -> EmailCampaign:
    """Send at `at` (now when empty): the worker starts it when due. Needs a segment and a body."""
    current = EmailCampaign.objects.select_for_update().get(pk=email.pk)
    access.check(actor, Action.EDIT, current)
    if current.status not in EDITABLE:
        raise ValidationError(_("This email campaign has already been sent or cancelled."))
    if current.segment_id is None:
        raise ValidationError({"segment": _("Choose the segment to send to.")})
    try:  # a template that fails only when it runs (a division by zero…) is refused now, not per person
        render(current, Contact(full_name=_("Nguyễn Văn A"), primary_email="a@example.com"))
    except TemplateProblem as problem:
        raise ValidationError({"body": str(problem)}) from None
    when = _when(at) or timezone.now()
    if when < timezone.now() - dt.timedelta(minutes=5):
        raise ValidationError({"scheduled_at": _("Choose a time in the future, or send now.")})
    changed = record_update(
        current,
        actor=actor,
        changes={"status": EmailCampaignStatus.SCHEDULED, "scheduled_at": when},
        version=version,
    )
    if when <= timezone.now() + dt.timedelta(seconds=5):
        from sencrm.marketing.email_sender import send_in_parallel

        transaction.on_commit(lambda: send_in_parallel(changed.pk))
    return cast(EmailCampaign, changed)


@transaction.atomic
def email_cancel(email: EmailCampaign, *, actor: Any) -> EmailCampaign:
    """Stop: nothing more is sent (what went out stays counted)."""
    current = EmailCampaign.objects.select_for_update().get(pk=email.pk)
    access.check(actor, Action.EDIT, current)
    if current.status in (EmailCampaignStatus.SENT, EmailCampaignStatus.CANCELLED):
        raise ValidationError(_("This email campaign has already been sent or cancelled."))
    cancelled = record_update(
        current, actor=actor, changes={"status": EmailCampaignStatus.CANCELLED}, version=None
    )
    return cast(EmailCampaign, cancelled)


# --- the audience ------------------------------------------------------------------------------------


def audience(email: EmailCampaign, user: Any = None) -> Any:
    """The contacts it goes to: the segment's members the user (default: its owner) may see, with an
    email address and a current email consent for marketing. One query."""
    segment = Segment.all_objects.filter(pk=email.segment_id).first() if email.segment_id else None
    if segment is None:
        return Contact.objects.none()
    return (
        segments.members(user or email.owner, segment)
        .exclude(primary_email="")
        .filter(pk__in=consented_contact_ids("email"))
    )


def audience_count(email: EmailCampaign, user: Any = None) -> int:
    query = audience(email, user)
    with analytic_query():
        return int(query.count())


def queue_recipients(email: EmailCampaign, *, round: int = 0, contacts: Any = None) -> int:
    """Queue one row per person (INSERT … SELECT; rows already there for this round are kept): the
    audience, or the `contacts` queryset given (a care occasion's people of the day)."""
    chosen = audience(email) if contacts is None else contacts.exclude(primary_email="")
    existing = EmailRecipient.objects.filter(email_campaign_id=email.pk, round=round).values("contact_id")
    chosen = chosen.exclude(pk__in=existing).order_by().values("pk", "primary_email")
    sql, params = chosen.query.sql_with_params()
    table = EmailRecipient._meta.db_table
    columns = "email_campaign_id, round, status, queued_at, attempts, error, contact_id, email"
    with analytic_query(), connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {table} ({columns}) SELECT %s, %s, %s, %s, 0, '', t.* FROM ({sql}) t",  # noqa: S608 - our table; values are parameters
            [email.pk, round, RecipientStatus.QUEUED, timezone.now(), *params],
        )
        written = int(cursor.rowcount)
    if written > 1000:
        transaction.on_commit(lambda: analyze(written_tables(EmailRecipient)))
    return written


# --- one message ----------------------------------------------------------------------------------


def company_context() -> dict[str, str]:
    profile = company_profile()
    return {
        name: str(getattr(profile, name, "") or "")
        for name in ("name", "short_name", "address", "phone", "email", "website", "tax_code")
    }


def contact_context(contact: Contact) -> dict[str, Any]:
    full = str(contact.full_name or "").strip()
    salutation = {"male": _("Mr."), "female": _("Ms.")}.get(contact.gender, _("Mr./Ms."))
    return {
        "name": full,
        "first_name": contact.given_name or (full.split()[-1] if full else ""),
        "salutation": salutation,
        "email": contact.primary_email,
        "phone": contact.primary_phone,
        "title": contact.title,
        "company": str(getattr(contact.account, "name", "") or "") if contact.account_id else "",
        "province": str(getattr(contact.province, "name", "") or "") if contact.province_id else "",
        "birthday": contact.date_of_birth.isoformat() if contact.date_of_birth else "",
    }


def _absolute(path: str) -> str:
    return settings.PUBLIC_URL.rstrip("/") + path


@dataclass
class Rendered:
    subject: str
    html: str
    text: str
    unsubscribe: str


def render(
    email: EmailCampaign,
    contact: Contact,
    *,
    recipient_id: int | None = None,
    company: Mapping[str, str] | None = None,
) -> Rendered:
    """The subject and body for this contact; links tracked when it is a real recipient's copy
    (`recipient_id`), left as written for a preview or a test send. TemplateProblem for a bad template."""
    unsubscribe = _absolute(email_tracking.unsubscribe_path(contact.pk, recipient_id))
    context: dict[str, Any] = {
        "contact": contact_context(contact),
        "company": dict(company if company is not None else company_context()),
        "campaign": {"name": email.name},
        "unsubscribe_url": unsubscribe,
    }
    # Plain text: the sandbox escapes for HTML (O'Hara & Co → O&#39;Hara &amp; Co), a header must not.
    subject = " ".join(unescape(strip_tags(render_html(email.subject, context, NAMES))).split())[:300]
    html = render_html(email.body, context, NAMES)
    if unsubscribe not in html:
        html += _footer(unsubscribe, context["company"].get("name", ""))
    if recipient_id is not None:
        html = HREF.sub(
            lambda m: (
                m.group(1)
                + m.group(2)
                + (
                    m.group(3)
                    if m.group(3) == unsubscribe
                    else _absolute(email_tracking.click_path(recipient_id, _unescape(m.group(3))))
                )
                + m.group(2)
            ),
            html,
        )
        pixel = _absolute(email_tracking.open_path(recipient_id))
        html += f'<img src="{pixel}" width="1" height="1" alt="">'
    return Rendered(subject=subject, html=html, text=_text(html), unsubscribe=unsubscribe)


def _unescape(url: str) -> str:
    return url.replace("&amp;", "&")


def _footer(url: str, company: str) -> str:
    from django.utils.html import format_html

    words = _("You receive this email because you agreed to hear from %(company)s.") % {
        "company": company or _("us")
    }
    return str(
        format_html(
            '<p style="font-size:12px;color:#666">{} <a href="{}">{}</a></p>', words, url, _("Unsubscribe")
        )
    )


def _text(html: str) -> str:
    """The plain-text part: paragraphs as lines, links as "words (address)", entities decoded."""
    with_links = ANCHOR.sub(r"\3 (\2)", html)
    broken = BLOCK_END.sub("\n", with_links)
    lines = [" ".join(unescape(line).split()) for line in strip_tags(broken).splitlines()]
    return "\n".join(line for line in lines if line).strip()


def message(
    email: EmailCampaign,
    contact: Contact,
    to: str,
    *,
    recipient_id: int | None = None,
    company: Mapping[str, str] | None = None,
    connection: Any = None,
) -> EmailMultiAlternatives:
    """The message itself: HTML and plain text, List-Unsubscribe (RFC 2369) with one-click POST
    (RFC 8058), and a Message-ID fixed per recipient, so a copy re-sent after a crash is recognisable."""
    rendered = render(email, contact, recipient_id=recipient_id, company=company)
    domain = str(settings.DEFAULT_FROM_EMAIL or "").rpartition("@")[2].strip("> ") or "localhost"
    ident = (
        f"<sencrm.email.{email.pk}.{recipient_id}@{domain}>" if recipient_id else make_msgid(domain=domain)
    )
    headers = {
        "List-Unsubscribe": f"<{rendered.unsubscribe}>",
        "List-Unsubscribe-Post": "List-Unsubscribe=One-Click",
        "Message-ID": ident,
        "X-Sen-Campaign": str(email.pk),
    }
    out = EmailMultiAlternatives(
        rendered.subject, rendered.text, to=[to], headers=headers, connection=connection
    )
    out.attach_alternative(rendered.html, "text/html")
    return out


def preview(email: EmailCampaign, contact: Contact) -> Rendered:
    """What this contact would receive (links untracked)."""
    return render(email, contact)


def test_send(email: EmailCampaign, *, actor: Any, to: str, contact: Contact | None = None) -> str:
    """Send one copy to `to` (the actor's address by default), merged with `contact` or the first person
    of the audience. Recorded on the campaign's history; not counted in its results."""
    access.check(actor, Action.EDIT, email)  # else anyone who may read it could mail any address
    to = (to or getattr(actor, "email", "") or "").strip()
    try:
        validate_email(to)
    except ValidationError:
        raise ValidationError({"to": _("Enter the email address to send the test to.")}) from None
    if contact is None:
        contact = audience(email, actor).order_by("pk").first() or Contact(full_name=_("Nguyễn Văn A"))
    try:
        message(email, contact, to).send()
    except TemplateProblem as problem:
        raise ValidationError({"body": str(problem)}) from None
    except OSError as exc:  # smtplib's errors are OSErrors: the server refused or was not there
        raise ValidationError(
            _("The mail server did not take the test email: %(error)s") % {"error": str(exc)[:200]}
        ) from None
    event_emit(type="email_campaign.test_sent", subject=email, actor=actor, data={"to": to})
    return to
