"""Fanpage and Zalo conversations: storing what the webhooks receive, finding the person behind a thread,
the queue's actions (assign, close, convert into a lead) and its reads.

A thread is one person on one page (platform, page id, the platform's user id). Its first message is the
person's first touch, even when the phone number comes days later: the lead created then carries the
first message's time as `first_touch_at`. Messages are stored once (unique platform message id): a
platform retrying a delivery, or two deliveries of the same message at once, add nothing.

The webhooks are a system door (no user acts, like the public web form): their writes name the platform
as the actor label ("system:facebook"); the queue's actions are the user's, through the access gate.
"""

from __future__ import annotations

import copy
import datetime as dt
import re
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.db import IntegrityError, models, transaction
from django.db.models import OuterRef, Q, QuerySet, Subquery
from django.utils.translation import gettext as _

from sencrm.core import access, phones
from sencrm.core.exceptions import StaleRecord
from sencrm.core.modules import Action, Module
from sencrm.customers.models import Contact, Phone, SourceChannel
from sencrm.events.models import Event
from sencrm.events.services import event_emit, record_update
from sencrm.marketing.models import (
    Campaign,
    Conversation,
    ConversationMessage,
    ConversationStatus,
    InboundChannel,
    MessageDirection,
    Platform,
)
from sencrm.sales.models import Lead, LeadPhone
from sencrm.sales.services.leads import lead_create

SOURCE_CODES: dict[str, str] = {Platform.FACEBOOK: "facebook", Platform.ZALO: "zalo"}
QUEUE_STATUSES = (ConversationStatus.NEW, ConversationStatus.OPEN)
PREVIEW_CHARS = 120
INTEREST_CHARS = 1000


@dataclass(frozen=True)
class Incoming:
    """One message as a platform's webhook delivered it, already checked (inbound/facebook.py, zalo.py)."""

    platform: str
    page_id: str
    user_id: str
    message_id: str
    sent_at: dt.datetime
    text: str = ""
    attachments: int = 0
    direction: str = MessageDirection.INBOUND
    display_name: str = ""
    # Ad ids / refs of the ad or link that opened the thread, matched to a campaign's UTM campaign.
    referrals: tuple[str, ...] = ()


# --- phone numbers in messages -------------------------------------------------------------------------

# Digit groups, each maybe after "+" or "(": a number is one to five of them joined by at most two
# separators ("0912 345 678", "0912.345.678", "(091) 234-5678", "+84 912 345 678").
_GROUP = re.compile(r"\+?\(?\d+\)?")
_JOIN = re.compile(r"[\s.\-]{0,2}")


def phones_in_text(text: str) -> list[str]:
    """The Vietnamese numbers written in a message, as E.164, in order ("sdt của em là 0912 345 678")."""
    groups = list(_GROUP.finditer(text[:5000]))
    found: list[str] = []
    i = 0
    while i < len(groups):
        best: tuple[int, str] | None = None
        digits = ""
        for j in range(i, min(i + 5, len(groups))):
            if j > i and not _JOIN.fullmatch(text[groups[j - 1].end() : groups[j].start()]):
                break
            digits += re.sub(r"\D", "", groups[j].group())
            if len(digits) > 12:
                break
            start = groups[i].group().lstrip("(")
            plausible = start.startswith(("0", "+84", "84")) and len(digits) >= 9
            e164 = phones.to_e164(("+" if start.startswith("+") else "") + digits) if plausible else None
            if e164 is not None and e164.startswith("+84"):
                best = (j, e164)  # the longest run that is a valid number wins
        if best is None:
            i += 1
            continue
        if best[1] not in found:
            found.append(best[1])
        i = best[0] + 1
    return found


# --- receiving -----------------------------------------------------------------------------------------


def _actor_label(platform: str) -> str:
    return f"system:{platform}"


def _emit(
    event_type: str,
    conversation: Conversation,
    *,
    actor: Any = None,
    data: dict[str, Any] | None = None,
    occurred_at: dt.datetime | None = None,
) -> Event:
    event = event_emit(
        type=event_type,
        subject=conversation,
        actor=actor,
        actor_label="" if getattr(actor, "pk", None) else _actor_label(conversation.platform),
        data=data,
        customer=conversation.event_customer(),
    )
    if occurred_at is not None:
        # The thread started when its first message was sent, not when the CRM heard of it (a delayed
        # or replayed delivery): the customer's timeline puts it in its place.
        Event.objects.filter(pk=event.pk).update(occurred_at=occurred_at)
        event.occurred_at = occurred_at
    return event


def _campaign_for(channel: InboundChannel | None, referrals: Iterable[str]) -> Campaign | None:
    """The campaign of the ad that opened the thread (its id or ref = a campaign's UTM campaign), else
    the page's default campaign."""
    refs = [r for r in referrals if r]
    if refs:
        matched: Campaign | None = (
            Campaign.objects.filter(utm_campaign__in=refs).order_by("-start_date", "-id").first()
        )
        if matched is not None:
            return matched
    default: Campaign | None = channel.default_campaign if channel is not None else None
    return default


def _conversation_for(channel: InboundChannel | None, message: Incoming) -> tuple[Conversation, bool]:
    key = {"platform": message.platform, "page_id": message.page_id, "platform_user_id": message.user_id}
    existing = Conversation.objects.filter(**key).first()
    if existing is not None:
        return existing, False
    # The same person's earlier thread already linked (another page of the company's, the OA id
    # before a change): this one belongs to the same lead or contact.
    earlier = (
        Conversation.objects.filter(platform=message.platform, platform_user_id=message.user_id)
        .filter(Q(lead__isnull=False) | Q(contact__isnull=False))
        .order_by("id")
        .first()
    )
    conversation = Conversation(
        **key,
        display_name=message.display_name[:150],
        campaign=_campaign_for(channel, message.referrals),
        first_message_at=message.sent_at,
        last_message_at=message.sent_at,
        lead_id=earlier.lead_id if earlier else None,
        contact_id=earlier.contact_id if earlier else None,
    )
    try:
        with transaction.atomic():
            conversation.save()
    except IntegrityError:
        # Another delivery created it a moment ago (the unique key): use theirs.
        return Conversation.objects.get(**key), False
    return conversation, True


def _locked(conversation: Conversation) -> Conversation:
    return Conversation.objects.select_for_update().get(pk=conversation.pk)


@transaction.atomic
def conversations_receive(*, channel: InboundChannel | None, messages: Iterable[Incoming]) -> int:
    """Store a delivery's messages (all or none); returns how many were new (a retry: 0)."""
    return sum(1 for message in messages if _receive(channel, message) is not None)


def _receive(channel: InboundChannel | None, message: Incoming) -> ConversationMessage | None:
    if message.direction == MessageDirection.OUTBOUND:
        # Our own page's replies (echoes) belong to a thread the person started; alone they are none.
        found = Conversation.objects.filter(
            platform=message.platform, page_id=message.page_id, platform_user_id=message.user_id
        ).first()
        if found is None:
            return None
        conversation, created = found, False
    else:
        conversation, created = _conversation_for(channel, message)
    # One writer per thread at a time: the second of two simultaneous deliveries waits here, then finds
    # the message stored.
    conversation = _locked(conversation)
    try:
        with transaction.atomic():
            stored = ConversationMessage.objects.create(
                conversation=conversation,
                platform=message.platform,
                platform_message_id=message.message_id,
                direction=message.direction,
                text=message.text,
                attachments=min(message.attachments, 32767),
                sent_at=message.sent_at,
            )
    except IntegrityError:
        return None  # delivered before: nothing changes
    earlier_start = message.sent_at < conversation.first_message_at
    conversation.message_count += 1
    conversation.first_message_at = min(conversation.first_message_at, message.sent_at)
    conversation.last_message_at = max(conversation.last_message_at, message.sent_at)
    if message.display_name and not conversation.display_name:
        conversation.display_name = message.display_name[:150]
    if conversation.campaign_id is None and message.referrals:
        conversation.campaign = _campaign_for(None, message.referrals)
    if message.direction == MessageDirection.INBOUND and conversation.status == ConversationStatus.CLOSED:
        # The person wrote again: back to the queue (or to whoever had it).
        conversation.status = ConversationStatus.OPEN if conversation.assignee_id else ConversationStatus.NEW
    conversation.save()
    if created:
        _emit("conversation.created", conversation, occurred_at=conversation.first_message_at)
        if conversation.lead_id or conversation.contact_id:
            _touch_first(_person(conversation), conversation, actor=None)
    elif earlier_start and (conversation.lead_id or conversation.contact_id):
        _touch_first(_person(conversation), conversation, actor=None)
    if message.direction == MessageDirection.INBOUND and not conversation.phone:
        numbers = phones_in_text(message.text)
        if numbers:
            conversation.phone = numbers[0]
            conversation.save(update_fields=["phone"])
            if not (conversation.lead_id or conversation.contact_id):
                _match_or_create(conversation, channel, numbers[0])
    return stored


# --- matching a thread to a person ---------------------------------------------------------------------


def _person(conversation: Conversation) -> Lead | Contact | None:
    person: Lead | Contact | None = None
    if conversation.contact_id:
        person = Contact.objects.filter(pk=conversation.contact_id).first()
    elif conversation.lead_id:
        person = Lead.objects.filter(pk=conversation.lead_id).first()
    return person


def person_with_phone(e164: str) -> Lead | Contact | None:
    """The contact with this number, else the lead (a converted lead: its contact); the oldest first."""
    contact: Contact | None = (
        Contact.objects.filter(
            pk__in=Phone.objects.filter(e164=e164, contact__isnull=False).values("contact")
        )
        .order_by("id")
        .first()
    )
    if contact is not None:
        return contact
    lead: Lead | None = (
        Lead.objects.filter(pk__in=LeadPhone.objects.filter(e164=e164).values("lead")).order_by("id").first()
    )
    if lead is not None and lead.converted_contact_id:
        converted: Contact | None = Contact.objects.filter(pk=lead.converted_contact_id).first()
        return converted or lead
    return lead


def _touch_first(person: Lead | Contact | None, conversation: Conversation, *, actor: Any) -> None:
    """The thread's first message is the person's first touch when nothing earlier is known."""
    if person is None:
        return
    start = conversation.first_message_at
    if person.first_touch_at is not None and person.first_touch_at <= start:
        return
    changes: dict[str, Any] = {"first_touch_at": start}
    if conversation.campaign_id:
        changes["first_campaign"] = conversation.campaign
    # A business rule on a record the webhook has no user for: the spine's writer, not gated.
    record_update(
        person,
        actor=actor,
        changes=changes,
        version=None,
        system=True,
        actor_label=_actor_label(conversation.platform),
    )


def _link(conversation: Conversation, person: Lead | Contact, *, actor: Any) -> None:
    if isinstance(person, Contact):
        conversation.contact = person
    else:
        conversation.lead = person
    conversation.version += 1
    conversation.save(update_fields=["contact", "lead", "version"])
    _touch_first(person, conversation, actor=actor)
    # The thread now shows on the person's timeline (its earlier events had no customer).
    _emit(
        "conversation.linked",
        conversation,
        actor=actor,
        data={"linked": {"model": person._meta.model_name, "id": person.pk}},
    )


def _match_or_create(conversation: Conversation, channel: InboundChannel | None, e164: str) -> None:
    person = person_with_phone(e164)
    if person is not None:
        _link(conversation, person, actor=None)
        return
    lead = _lead_create(conversation, channel=channel, phone=e164, actor=None)
    if lead is None:
        return  # nobody to own it: the phone is on the thread, someone converts it by hand
    conversation.lead = lead
    conversation.version += 1
    conversation.save(update_fields=["lead", "version"])
    _emit("conversation.converted", conversation, data={"lead": lead.pk, "automatic": True})


def _owner(conversation: Conversation, channel: InboundChannel | None, actor: Any) -> Any:
    """Who owns a lead made from a thread: its assignee, else the user converting it, else the
    administrator who set the page up, else the first administrator (as web forms fall back)."""
    candidates = [conversation.assignee, actor, channel.updated_by if channel is not None else None]
    for candidate in candidates:
        if candidate is not None and getattr(candidate, "pk", None) and candidate.is_active:
            return candidate
    return (
        get_user_model()
        .objects.filter(is_active=True)
        .filter(Q(is_superuser=True) | Q(role__code="admin"))
        .order_by("-is_superuser", "id")
        .first()
    )


def _default_name(conversation: Conversation) -> str:
    tail = conversation.platform_user_id[-6:]
    if conversation.platform == Platform.ZALO:
        return _("Zalo user …%(id)s") % {"id": tail}
    return _("Facebook user …%(id)s") % {"id": tail}


def _lead_create(
    conversation: Conversation, *, channel: InboundChannel | None, phone: str, actor: Any
) -> Lead | None:
    owner = _owner(conversation, channel, actor)
    if owner is None:
        return None
    first_text = (
        ConversationMessage.objects.filter(conversation=conversation, direction=MessageDirection.INBOUND)
        .exclude(text="")
        .order_by("sent_at", "id")
        .values_list("text", flat=True)
        .first()
    )
    data = {
        "full_name": conversation.display_name or _default_name(conversation),
        "source": SourceChannel.objects.filter(code=SOURCE_CODES.get(conversation.platform, "")).first(),
        "first_touch_at": conversation.first_message_at,
        "first_campaign": conversation.campaign,
        "latest_campaign": conversation.campaign,
        "interest": (first_text or "")[:INTEREST_CHARS],
    }
    # A system door like the web form: the campaign link comes from the page, not from the user's
    # choice, so a campaign outside their view does not block the lead (the caller checked the gate).
    return lead_create(
        actor=actor,
        data=data,
        phones=[phone] if phone else [],
        owner=owner,
        actor_label="" if actor is not None else _actor_label(conversation.platform),
        system=True,
    )


# --- the queue's actions -------------------------------------------------------------------------------


def _check_version(current: Conversation, version: int | None) -> None:
    if version is not None and current.version != version:
        raise StaleRecord(current.version)


def _sole_team(user: Any) -> Any:
    teams = list(user.teams.all()[:2])
    return teams[0] if len(teams) == 1 else None


@transaction.atomic
def conversation_assign(
    conversation: Conversation, *, actor: Any, assignee: Any, version: int | None = None
) -> Conversation:
    """Give the thread to `assignee` (someone the actor may hand it to: themself for "own")."""
    current = _locked(conversation)
    access.check(actor, Action.EDIT, current)
    _check_version(current, version)
    if assignee is None or not getattr(assignee, "is_active", False):
        raise ValidationError({"assignee": _("Choose an active user.")})
    if current.assignee_id == assignee.pk:
        return current
    probe = copy.copy(current)
    probe.assignee, probe.team = assignee, _sole_team(assignee)
    access.check_assignable(actor, Action.EDIT, probe)
    old = current.assignee
    current.assignee, current.team = probe.assignee, probe.team
    if current.status in (ConversationStatus.NEW, ConversationStatus.CLOSED):
        current.status = ConversationStatus.OPEN
    current.version += 1
    current.save()
    _emit(
        "conversation.assigned",
        current,
        actor=actor,
        data={
            "changes": {"assignee": [old.pk if old else None, assignee.pk]},
            "labels": {"assignee": [str(old) if old else None, str(assignee)]},
        },
    )
    return current


@transaction.atomic
def conversation_close(conversation: Conversation, *, actor: Any, version: int | None = None) -> Conversation:
    """Take the thread out of the queue (a new message from the person opens it again)."""
    current = _locked(conversation)
    access.check(actor, Action.EDIT, current)
    _check_version(current, version)
    if current.status == ConversationStatus.CLOSED:
        return current
    old = current.status
    current.status = ConversationStatus.CLOSED
    current.version += 1
    current.save(update_fields=["status", "version"])
    _emit("conversation.closed", current, actor=actor, data={"changes": {"status": [old, current.status]}})
    return current


@transaction.atomic
def conversation_convert(
    conversation: Conversation, *, actor: Any, version: int | None = None
) -> tuple[Conversation, Lead]:
    """Turn the thread into a lead in one step: named after the person, source Facebook/Zalo, first
    touch = the first message, the thread's campaign as first and latest, its phone when known."""
    current = _locked(conversation)
    access.check(actor, Action.EDIT, current)
    access.check_module(actor, Module.LEADS, Action.CREATE)
    _check_version(current, version)
    if current.lead_id or current.contact_id:
        raise ValidationError(_("This conversation is already linked to a lead or contact."))
    channel = InboundChannel.objects.filter(platform=current.platform).first()
    lead = _lead_create(current, channel=channel, phone=current.phone, actor=actor)
    if lead is None:  # the actor is active: cannot happen, but never a silent success
        raise ValidationError(_("No one can own the new lead."))
    current.lead = lead
    current.status = ConversationStatus.CONVERTED
    current.version += 1
    current.save(update_fields=["lead", "status", "version"])
    _emit("conversation.converted", current, actor=actor, data={"lead": lead.pk})
    return current, lead


# --- reads ---------------------------------------------------------------------------------------------


def with_preview(qs: QuerySet[Conversation]) -> QuerySet[Conversation]:
    """Each thread with the text of its latest message (`last_text`), in the same query."""
    latest = ConversationMessage.objects.filter(conversation=OuterRef("pk")).order_by("-sent_at", "-id")
    return qs.annotate(last_text=Subquery(latest.values("text")[:1], output_field=models.TextField()))


MINE_CHOICES = ("", "mine", "unassigned")


def conversation_list(
    user: Any, *, platform: str = "", status: str = "", mine: str = "", query: str = ""
) -> QuerySet[Conversation]:
    """The threads `user` may see, filtered; the queue (new and assigned) when no status is chosen.
    ValidationError names a filter that is not valid."""
    if platform and platform not in Platform.values:
        raise ValidationError(_("Unknown platform."))
    if status and status != "all" and status not in ConversationStatus.values:
        raise ValidationError(_("Unknown status."))
    if mine not in MINE_CHOICES:
        raise ValidationError(_("Unknown assignee filter."))
    qs = access.scope(user, Conversation, Action.VIEW)
    if platform:
        qs = qs.filter(platform=platform)
    if not status:
        qs = qs.filter(status__in=QUEUE_STATUSES)
    elif status != "all":
        qs = qs.filter(status=status)
    if mine == "mine":
        qs = qs.filter(assignee_id=user.pk)
    elif mine == "unassigned":
        qs = qs.filter(assignee__isnull=True)
    query = query.strip()[:100]
    if query:
        e164 = phones.to_e164(query) if phones.looks_like_phone(query) else None
        qs = qs.filter(phone=e164) if e164 else qs.filter(display_name__icontains=query)
    return with_preview(qs.select_related("assignee", "lead", "contact", "campaign"))


def conversations_new(user: Any, limit: int = 10) -> list[Conversation]:
    """The newest threads nobody has taken yet, that `user` may see (the marketing home page)."""
    qs = access.scope(user, Conversation, Action.VIEW).filter(status=ConversationStatus.NEW)
    return list(with_preview(qs).order_by("-last_message_at", "-id")[: max(0, min(limit, 100))])


def conversation_messages(conversation: Conversation, limit: int = 500) -> list[ConversationMessage]:
    """The thread's latest messages, oldest first."""
    latest = list(conversation.messages.order_by("-sent_at", "-id")[:limit])
    latest.reverse()
    return latest
