"""Call events from the telephony system: three doors, one processing.

- `parse_event`: the generic format posted to `/api/v1/telephony/events/` by any system with an API token:
  `{"event": "ringing"|"answered"|"ended", "call_id", "from", "to", "extension", "at", "direction"}`.
- `asterisk_receive`: Asterisk AMI events forwarded as JSON objects (`Newchannel`, `Newstate`, `Hangup`), the
  legs of a call grouped by `Linkedid` (the `Uniqueid` of its first channel). The first leg says who calls
  and what they dialled; the leg of an agent's phone says which extension rings (its `CallerIDNum`, `Exten`
  or the peer in `Channel`, whichever is an agent's extension); a leg going `Up` (ChannelState 6) other than
  the first one is the answer; the first leg's `Hangup` ends the call.
- `stringee_event`: Stringee's `event_url` calls (`call_status` started/ringing/answered/ended/agentEnded,
  `from`/`to` objects of type internal or external, `timestamp_ms`, `answerDuration`), signed with the
  project's signing secret: header `X-STRINGEE-SIGNATURE` = base64(HMAC-SHA1(secret, raw body)).

`receive` stores each event once (TelephonyEvent's unique provider + call + event: a replay is answered
`{"duplicate": true}` and changes nothing), writes the call (calls.py) and, after the commit, tells the
agent's open browsers (live.py) so that the caller's card pops up. The agent is the user of the extension
(AgentExtension), else the sender's user (an API token's) or TELEPHONY_DEFAULT_USER, else the first
administrator. The caller is found by number among contacts, then accounts, then leads not yet converted,
whoever may see them: the card shows them through the agent's access gate.
"""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import hmac
import json
import re
from dataclasses import dataclass, field
from typing import Any
from zoneinfo import ZoneInfo

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.dateparse import parse_datetime
from django.utils.translation import gettext as _

from sencrm.core.phones import display, to_e164
from sencrm.support import calls, live
from sencrm.support.models import AgentExtension, Call, CallDirection, TelephonyEvent

RINGING, ANSWERED, ENDED = "ringing", "answered", "ended"
EVENTS = (RINGING, ANSWERED, ENDED)
EARLIEST = dt.datetime(2000, 1, 1, tzinfo=dt.UTC)
FUTURE_SLACK = dt.timedelta(days=1)
MAX_ID = 120
MAX_KEPT_PAYLOAD = 16_384  # bytes of an event's body kept with it
# What switches put in a caller id field when there is none.
NO_NUMBER = {"", "<unknown>", "unknown", "anonymous", "private", "restricted", "withheld"}
EXTENSION = re.compile(r"^\d{2,6}$")  # an internal number: not a customer's phone


@dataclass(frozen=True)
class CallEvent:
    """One event in the common form: `number` is the customer's (E.164, "" when withheld)."""

    provider: str
    event: str
    call_id: str
    number: str
    extension: str = ""
    direction: str = CallDirection.INBOUND
    at: dt.datetime = field(default_factory=timezone.now)
    payload: dict[str, Any] = field(default_factory=dict)
    # The key a replay is recognised by (TelephonyEvent.event); the event itself unless a provider has
    # several of one kind per call (Asterisk rings several agents' phones for one call).
    dedupe: str = ""
    duration: int | None = None
    recording_url: str = ""


# --- the generic format ----------------------------------------------------------------------------------


def _text(value: Any, max_length: int) -> str | None:
    """A short text field: a string (or a number, as some systems send ids), else None."""
    if isinstance(value, bool) or not isinstance(value, str | int):
        return None
    text = str(value).strip()
    return text if len(text) <= max_length else None


def parse_time(value: Any) -> dt.datetime:
    """An ISO 8601 time (a time without an offset is read in the company's time zone); now when absent."""
    if value is None or value == "":
        return timezone.now()
    parsed = None
    if isinstance(value, str) and len(value) <= 40:
        try:
            parsed = parse_datetime(value.strip())
        except ValueError:
            parsed = None
    if parsed is None:
        raise ValidationError(
            {"at": _("Not a valid time: use ISO 8601, for example 2026-03-02T09:30:00+07:00.")}
        )
    if timezone.is_naive(parsed):
        parsed = timezone.make_aware(parsed, ZoneInfo(settings.TIME_ZONE))
    if not EARLIEST <= parsed <= timezone.now() + FUTURE_SLACK:
        raise ValidationError({"at": _("The time is too far in the past or in the future.")})
    return parsed


def parse_event(data: Any) -> CallEvent:
    """The generic event, checked field by field (ValidationError with every problem found)."""
    if not isinstance(data, dict):
        raise ValidationError(_("The body must be a JSON object."))
    errors: dict[str, str] = {}
    event = data.get("event")
    if event not in EVENTS:
        shown = str(event)[:40] if event is not None else ""
        errors["event"] = _("Unknown event “%(event)s”: use ringing, answered or ended.") % {"event": shown}
    call_id = _text(data.get("call_id"), MAX_ID)
    if not call_id:
        errors["call_id"] = _("The call id is required (a string of at most %(n)s characters).") % {
            "n": MAX_ID
        }
    direction = data.get("direction") or CallDirection.INBOUND
    if direction not in CallDirection.values:
        errors["direction"] = _("Use inbound or outbound.")
        direction = CallDirection.INBOUND
    # The customer is the caller of an incoming call and the called party of an outgoing one.
    side = "from" if direction == CallDirection.INBOUND else "to"
    value = data.get(side)
    raw_number = "" if value is None or value == "" else _text(value, 40)
    number = to_e164(raw_number) if raw_number else None
    if raw_number is None or (raw_number and number is None):
        errors[side] = _("Not a valid phone number: %(numbers)s") % {"numbers": str(data.get(side))[:40]}
    elif not raw_number and event == RINGING:
        errors[side] = _("The customer's phone number is required.")
    extension = _text(data.get("extension"), 20)
    if extension is None:
        errors["extension"] = _("An extension is a text of at most 20 characters.")
    duration = data.get("duration")
    if duration is not None and (
        isinstance(duration, bool) or not isinstance(duration, int) or not 0 <= duration <= calls.MAX_DURATION
    ):
        errors["duration"] = _("Enter a number of seconds between 0 and %(max)s.") % {
            "max": calls.MAX_DURATION
        }
    recording = _text(data.get("recording_url"), 500) if data.get("recording_url") else ""
    if recording is None or (recording and not recording.lower().startswith(("https://", "http://"))):
        errors["recording_url"] = _("Enter a web address starting with http:// or https://.")
    try:
        at = parse_time(data.get("at"))
    except ValidationError as exc:
        errors.update({name: " ".join(messages) for name, messages in exc.message_dict.items()})
    if errors:
        raise ValidationError(errors)
    return CallEvent(
        provider="api",
        event=str(event),
        call_id=str(call_id),
        number=number or "",
        extension=extension or "",
        direction=direction,
        at=at,
        payload=data,
        duration=duration,
        recording_url=recording or "",
    )


# --- processing ------------------------------------------------------------------------------------------


def _first_time(provider: str, call_id: str, key: str, at: dt.datetime, payload: dict[str, Any]) -> bool:
    """Record the event; False when it was received before (a replay)."""
    if len(json.dumps(payload, default=str)) > MAX_KEPT_PAYLOAD:
        payload = {"truncated": True}  # a call event is a few hundred bytes: keep no junk
    try:
        with transaction.atomic():
            TelephonyEvent.objects.create(
                provider=provider, call_id=call_id, event=key[:20], occurred_at=at, payload=payload
            )
    except IntegrityError:
        return False
    return True


def agent_for(extension: str) -> Any:
    """The active user whose phone answers `extension`, or None."""
    if not extension:
        return None
    found = AgentExtension.objects.select_related("user").filter(extension=extension).first()
    return found.user if found is not None and found.user.is_active else None


def default_owner() -> Any:
    """Who gets a call nobody's extension matches, for the adapters: TELEPHONY_DEFAULT_USER, else the
    first active administrator."""
    from sencrm.users.models import User

    users = User.objects.filter(is_active=True)
    name = settings.TELEPHONY_DEFAULT_USER
    return (users.filter(username=name).first() if name else None) or users.filter(
        is_superuser=True
    ).order_by("id").first()


def caller_of(e164: str) -> dict[str, Any]:
    """The customer with this number, whoever may see them: a contact (the oldest, and its account), else an
    account, else a lead not yet converted. The caller's card shows them through the agent's gate."""
    from sencrm.customers.models import Phone
    from sencrm.customers.selectors import contact_duplicates
    from sencrm.sales.choices import LeadStatus
    from sencrm.sales.models import Lead, LeadPhone

    if not e164:
        return {}
    contacts = contact_duplicates(phones_e164=[e164], emails=[], limit=1)
    if contacts:
        return {"contact": contacts[0], "account": contacts[0].account}
    from sencrm.customers.models import Account

    account = (
        Account.objects.filter(
            pk__in=Phone.objects.filter(e164=e164, account__isnull=False).values("account")
        )
        .order_by("id")
        .first()
    )
    if account is not None:
        return {"account": account}
    lead = (
        Lead.objects.filter(pk__in=LeadPhone.objects.filter(e164=e164).values("lead"))
        .exclude(status=LeadStatus.CONVERTED)
        .order_by("-id")
        .first()
    )
    return {"lead": lead} if lead is not None else {}


def _announce(call: Call, event: str, user_id: int) -> None:
    live.publish_on_commit(
        live.user_channel(user_id),
        {
            "type": "call",
            "event": event,
            "call": call.pk,
            "number": display(call.number),
            "card": reverse("support:call_card", args=[call.pk]),
        },
    )


def _create(event: CallEvent, owner: Any, actor: Any) -> Call:
    try:
        with transaction.atomic():
            return calls.call_start(
                provider=event.provider,
                call_id=event.call_id,
                number=event.number,
                direction=event.direction,
                extension=event.extension,
                at=event.at,
                owner=owner,
                customer=caller_of(event.number),
                actor=actor,
                actor_label=f"telephony:{event.provider}",
            )
    except IntegrityError:
        # Another event of this call created it at the same moment (two processes): use that one.
        return Call.all_objects.select_for_update().get(call_id=event.call_id)


@transaction.atomic
def receive(
    event: CallEvent, *, fallback_owner: Any, actor: Any = None, create: bool = True
) -> dict[str, Any]:
    """Process one event once. `create`: an answered/ended event of a call not seen ringing creates it
    (when it carries the number); otherwise it is refused (generic door) or ignored (Asterisk)."""
    answer: dict[str, Any] = {"duplicate": False, "call_id": event.call_id, "event": event.event}
    if not _first_time(event.provider, event.call_id, event.dedupe or event.event, event.at, event.payload):
        return {**answer, "duplicate": True}
    agent = agent_for(event.extension)
    call = Call.all_objects.select_for_update().filter(call_id=event.call_id).first()
    created = False
    if call is None:
        if event.event != RINGING and not (create and event.number):
            if not create:
                return {**answer, "ignored": True}
            raise ValidationError(
                {
                    "call_id": _(
                        "Unknown call: send its ringing event first, or include the customer's number."
                    )
                }
            )
        owner = agent or fallback_owner
        if owner is None:
            raise ValidationError(_("No user to give the call to: set TELEPHONY_DEFAULT_USER."))
        call, created = _create(event, owner, actor), True
    if call.deleted_at is not None:
        return {**answer, "call": call.pk, "ignored": True}
    label = f"telephony:{event.provider}"
    if event.event == RINGING:
        # A new call pops up for its agent; a call already known rings another agent's phone too.
        target = call.owner_id if created or agent is None else agent.pk
        if call.ended_at is None:
            _announce(call, RINGING, target)
    elif event.event == ANSWERED:
        call = calls.call_answer(
            call, at=event.at, owner=agent, extension=event.extension, actor=actor, actor_label=label
        )
        _announce(call, ANSWERED, call.owner_id)
    else:
        call = calls.call_end(
            call,
            at=event.at,
            duration=event.duration,
            recording_url=event.recording_url,
            actor=actor,
            actor_label=label,
        )
        _announce(call, ENDED, call.owner_id)
    return {**answer, "call": call.pk, "owner": call.owner_id}


# --- Asterisk AMI ----------------------------------------------------------------------------------------


def _ami(message: dict[str, Any], key: str) -> str:
    value = _text(message.get(key), MAX_ID)
    return "" if value is None else value


def _ami_time(message: dict[str, Any]) -> dt.datetime:
    """The event's `Timestamp` (AMI with timestampevents=yes: seconds since the epoch), else now."""
    raw = _ami(message, "Timestamp")
    try:
        at = dt.datetime.fromtimestamp(float(raw), tz=dt.UTC) if raw else timezone.now()
    except (ValueError, OverflowError, OSError):
        raise ValidationError({"Timestamp": _("Not a valid time: %(value)s") % {"value": raw[:40]}}) from None
    if not EARLIEST <= at <= timezone.now() + FUTURE_SLACK:
        raise ValidationError({"Timestamp": _("The time is too far in the past or in the future.")})
    return at


def _peer(channel: str) -> str:
    """The endpoint of a channel name: "PJSIP/101-0000002a" → "101", "Local/101@from-queue-…;1" → "101"."""
    rest = channel.partition("/")[2]
    return rest.split("@", 1)[0] if "@" in rest else rest.rsplit("-", 1)[0]


def _leg_extension(message: dict[str, Any]) -> str:
    """The agent's extension on a leg: its CallerIDNum, Exten or channel peer, whichever is an agent's."""
    candidates = [
        c
        for c in (_ami(message, "CallerIDNum"), _ami(message, "Exten"), _peer(_ami(message, "Channel")))
        if c
    ]
    known = set(AgentExtension.objects.filter(extension__in=candidates).values_list("extension", flat=True))
    return next((c for c in candidates if c in known), "")


def _customer_number(raw: str) -> str | None:
    """A caller id as the customer's E.164 number: "" when withheld, None for an internal number or junk."""
    if raw.lower() in NO_NUMBER:
        return ""
    if EXTENSION.match(raw):
        return None
    return to_e164(raw)


def _ami_event(
    kind: str, linkedid: str, message: dict[str, Any], at: dt.datetime, **fields: Any
) -> CallEvent:
    return CallEvent(provider="asterisk", event=kind, call_id=linkedid, at=at, payload=message, **fields)


@transaction.atomic
def asterisk_receive(message: Any, *, fallback_owner: Any) -> dict[str, Any]:
    """One AMI event (see the module's docstring). Events of other kinds, internal calls and legs that are
    not an agent's are acknowledged as ignored."""
    if not isinstance(message, dict):
        raise ValidationError(_("Each AMI event must be a JSON object."))
    name = _ami(message, "Event")
    linkedid, uniqueid = _ami(message, "Linkedid"), _ami(message, "Uniqueid")
    ignored = {"ignored": True, "event": name[:40], "call_id": linkedid}
    if name not in ("Newchannel", "Newstate", "Hangup"):
        return ignored
    if not linkedid or not uniqueid:
        raise ValidationError({"Linkedid": _("AMI call events need Uniqueid and Linkedid.")})
    at = _ami_time(message)
    first_leg = uniqueid == linkedid
    if name == "Newchannel" and first_leg:
        if not _first_time("asterisk", linkedid, "origin", at, message):
            return {"duplicate": True, "call_id": linkedid, "event": "origin"}
        caller = _ami(message, "CallerIDNum")
        if agent_for(caller) is None:
            return {
                "duplicate": False,
                "call_id": linkedid,
                "event": "origin",
            }  # incoming: wait for the agent's leg
        # An agent dialling out: their card shows whom they call.
        number = _customer_number(_ami(message, "Exten"))
        if not number:
            return ignored
        event = _ami_event(
            RINGING, linkedid, message, at, number=number, extension=caller, direction=CallDirection.OUTBOUND
        )
        return receive(event, fallback_owner=fallback_owner)
    if name == "Newchannel":
        origin = TelephonyEvent.objects.filter(provider="asterisk", call_id=linkedid, event="origin").first()
        caller = _ami(origin.payload, "CallerIDNum") if origin else _ami(message, "ConnectedLineNum")
        if origin is not None and agent_for(caller) is not None:
            return ignored  # the outgoing leg of an agent's call: the call is already known
        extension = _leg_extension(message)
        number = _customer_number(caller)
        if not extension or number is None:
            return ignored
        event = _ami_event(
            RINGING, linkedid, message, at, number=number, extension=extension, dedupe=f"ringing:{extension}"
        )
        return receive(event, fallback_owner=fallback_owner)
    if name == "Newstate":
        up = _ami(message, "ChannelState") == "6" or _ami(message, "ChannelStateDesc") == "Up"
        if first_leg or not up:
            return ignored
        event = _ami_event(ANSWERED, linkedid, message, at, number="", extension=_leg_extension(message))
        return receive(event, fallback_owner=fallback_owner, create=False)
    if not first_leg:
        return ignored
    return receive(
        _ami_event(ENDED, linkedid, message, at, number=""), fallback_owner=fallback_owner, create=False
    )


# --- Stringee --------------------------------------------------------------------------------------------

STRINGEE_SIGNATURE_HEADER = "HTTP_X_STRINGEE_SIGNATURE"
STRINGEE_STATUSES = {
    "started": RINGING,
    "ringing": RINGING,
    "answered": ANSWERED,
    "ended": ENDED,
    "agentEnded": ENDED,
}


def stringee_signature(raw: bytes, secret: str) -> str:
    return base64.b64encode(hmac.new(secret.encode(), raw, hashlib.sha1).digest()).decode()


def stringee_signature_ok(raw: bytes, header: str, secret: str) -> bool:
    if not (header and secret):
        return False
    return hmac.compare_digest(stringee_signature(raw, secret).encode(), header.strip().encode())


def _party(payload: dict[str, Any], key: str) -> tuple[str, str]:
    party = payload.get(key)
    if not isinstance(party, dict):
        raise ValidationError({key: _("Expected an object with number and type.")})
    number = _text(party.get("number"), 40)
    kind = party.get("type")
    if number is None or kind not in ("internal", "external"):
        raise ValidationError({key: _("Expected an object with number and type.")})
    return number, str(kind)


def stringee_event(payload: Any) -> CallEvent | None:
    """The call event of an event_url call, or None for a status that is not one (created, and others)."""
    if not isinstance(payload, dict):
        raise ValidationError(_("The body must be a JSON object."))
    status = payload.get("call_status")
    if not isinstance(status, str):
        raise ValidationError({"call_status": _("The call status is required.")})
    if status not in STRINGEE_STATUSES:
        return None
    call_id = _text(payload.get("call_id"), MAX_ID)
    if not call_id:
        raise ValidationError(
            {"call_id": _("The call id is required (a string of at most %(n)s characters).") % {"n": MAX_ID}}
        )
    (from_number, from_kind), (to_number, to_kind) = _party(payload, "from"), _party(payload, "to")
    if from_kind == to_kind == "internal":
        return None  # app to app: no customer on the line
    inbound = from_kind == "external"
    customer, agent_side = (from_number, to_number) if inbound else (to_number, from_number)
    extension = agent_side if (to_kind if inbound else from_kind) == "internal" else ""
    extension = extension or (_text(payload.get("request_from_user_id"), 20) or "")
    millis = payload.get("timestamp_ms")
    at = timezone.now()
    if isinstance(millis, int) and not isinstance(millis, bool):
        try:
            at = dt.datetime.fromtimestamp(millis / 1000, tz=dt.UTC)
        except (ValueError, OverflowError, OSError):
            raise ValidationError({"timestamp_ms": _("Not a valid time.")}) from None
        if not EARLIEST <= at <= timezone.now() + FUTURE_SLACK:
            raise ValidationError({"timestamp_ms": _("The time is too far in the past or in the future.")})
    talk = payload.get("answerDuration")
    kind = STRINGEE_STATUSES[status]
    return CallEvent(
        provider="stringee",
        event=kind,
        call_id=call_id,
        number=_customer_number(customer) or "",
        extension=extension[:20],
        direction=CallDirection.INBOUND if inbound else CallDirection.OUTBOUND,
        at=at,
        payload=payload,
        duration=talk
        if kind == ENDED and isinstance(talk, int) and 0 <= talk <= calls.MAX_DURATION
        else None,
    )
