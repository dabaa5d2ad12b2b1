"""Customer care (CSKH): tickets (sự cố, khiếu nại) in first- and second-line queues with routing
rules and SLA clocks, the call log and screen pop, care call lists and customer ratings (CSAT/NPS).

Configuration (categories, calendars, queues, routing rules, SLA policies, care call rules) is
edited by administrators and read by every care agent; it is not gated. Tickets, calls, care calls,
surveys and reviews are records of the `support` module and go through the access gate.
"""

from __future__ import annotations

from typing import Any, ClassVar

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from sencrm.core import access
from sencrm.core.models import Record
from sencrm.core.modules import Module, Scope
from sencrm.customers.choices import Region

# --- choices -------------------------------------------------------------------------------------


class Priority(models.TextChoices):
    LOW = "low", _("Low")
    NORMAL = "normal", _("Normal")
    HIGH = "high", _("High")
    URGENT = "urgent", _("Urgent")


PRIORITY_RANK = {Priority.LOW: 0, Priority.NORMAL: 1, Priority.HIGH: 2, Priority.URGENT: 3}


class Channel(models.TextChoices):
    PHONE = "phone", _("Phone")
    EMAIL = "email", _("Email")
    WEB = "web", _("Web form")
    ZALO = "zalo", _("Zalo")
    FACEBOOK = "facebook", _("Facebook")
    WALK_IN = "walk_in", _("Walk-in")


class TicketStatus(models.TextChoices):
    NEW = "new", _("New")
    OPEN = "open", _("Open")
    WAITING = "waiting", _("Waiting for the customer")
    RESOLVED = "resolved", _("Resolved")
    CLOSED = "closed", _("Closed")


# The transition map: from a status, the statuses a ticket may move to (reopening a resolved or
# closed ticket is allowed within SUPPORT_REOPEN_DAYS of its resolution; services check the date).
TRANSITIONS: dict[str, tuple[str, ...]] = {
    TicketStatus.NEW: (TicketStatus.OPEN, TicketStatus.WAITING, TicketStatus.RESOLVED),
    TicketStatus.OPEN: (TicketStatus.WAITING, TicketStatus.RESOLVED),
    TicketStatus.WAITING: (TicketStatus.OPEN, TicketStatus.RESOLVED),
    TicketStatus.RESOLVED: (TicketStatus.CLOSED, TicketStatus.OPEN),
    TicketStatus.CLOSED: (TicketStatus.OPEN,),
}
OPEN_STATUSES = (TicketStatus.NEW, TicketStatus.OPEN, TicketStatus.WAITING)


class Line(models.TextChoices):
    FIRST = "first", _("First line")
    SECOND = "second", _("Second line")


class Assignment(models.TextChoices):
    ROUND_ROBIN = "round_robin", _("Round robin")
    LEAST_BUSY = "least_busy", _("Least busy")


class MessageKind(models.TextChoices):
    NOTE = "note", _("Internal note")
    REPLY = "reply", _("Reply to the customer")
    CUSTOMER = "customer", _("Message from the customer")


class CallDirection(models.TextChoices):
    INBOUND = "inbound", _("Incoming")
    OUTBOUND = "outbound", _("Outgoing")


class CallOutcome(models.TextChoices):
    REACHED = "reached", _("Reached")
    NO_ANSWER = "no_answer", _("No answer")
    BUSY = "busy", _("Busy")
    WRONG_NUMBER = "wrong_number", _("Wrong number")
    CALL_BACK = "call_back", _("Call back at an agreed time")
    MISSED = "missed", _("Missed")


class CareCallStatus(models.TextChoices):
    PLANNED = "planned", _("To call")
    DONE = "done", _("Done")
    CANCELLED = "cancelled", _("Cancelled")


class CareTrigger(models.TextChoices):
    AFTER_DELIVERY = "after_delivery", _("Days after a delivery")
    AFTER_RESOLVED = "after_resolved", _("Days after a ticket is resolved")
    BEFORE_CONTRACT_END = "before_contract_end", _("Days before a contract ends")
    BEFORE_WARRANTY_END = "before_warranty_end", _("Days before a warranty ends")


class ReviewKind(models.TextChoices):
    CSAT = "csat", _("Satisfaction (CSAT 1–5)")
    NPS = "nps", _("Recommendation (NPS 0–10)")


# --- configuration ---------------------------------------------------------------------------------


class TicketCategory(models.Model):
    """A node of the editable category tree (Lỗi kỹ thuật › Điều hòa không lạnh…)."""

    name = models.CharField(_("name"), max_length=100)
    parent = models.ForeignKey(
        "self",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="children",
        verbose_name=_("parent category"),
    )
    position = models.PositiveSmallIntegerField(_("position"), default=0)
    active = models.BooleanField(_("active"), default=True)

    class Meta:
        verbose_name = _("ticket category")
        verbose_name_plural = _("ticket categories")
        ordering = ["position", "name"]

    def __str__(self) -> str:
        return f"{self.parent.name} › {self.name}" if self.parent_id and self.parent else self.name

    def ancestor_ids(self) -> list[int]:
        """This category and its parents, nearest first (routing matches a rule on any of them)."""
        ids: list[int] = []
        node: TicketCategory | None = self
        while node is not None and node.pk not in ids:
            ids.append(node.pk)
            node = node.parent
        return ids


class BusinessCalendar(models.Model):
    """Working hours for SLA clocks: per weekday, a list of [start, end] times ("08:00", "17:30"),
    in the calendar's time zone; Vietnam's public holidays are skipped when `skip_holidays`."""

    name = models.CharField(_("name"), max_length=100, unique=True)
    time_zone = models.CharField(_("time zone"), max_length=64, default="Asia/Ho_Chi_Minh")
    # {"0": [["08:00", "12:00"], ["13:30", "17:30"]], … "6": []}: Monday is "0".
    hours = models.JSONField(_("working hours"), default=dict)
    skip_holidays = models.BooleanField(_("skip Vietnam's public holidays"), default=True)
    # Extra days off (company holidays) as ISO dates.
    extra_days_off = models.JSONField(_("other days off"), default=list, blank=True)

    class Meta:
        verbose_name = _("business calendar")
        verbose_name_plural = _("business calendars")

    def __str__(self) -> str:
        return self.name


class Queue(models.Model):
    """A team of agents that tickets are routed to: first line (tuyến 1) or second line (tuyến 2)."""

    name = models.CharField(_("name"), max_length=100, unique=True)
    line = models.CharField(_("line"), max_length=6, choices=Line.choices, default=Line.FIRST)
    calendar = models.ForeignKey(
        BusinessCalendar,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="queues",
        verbose_name=_("business calendar"),
    )
    members = models.ManyToManyField(
        settings.AUTH_USER_MODEL, blank=True, related_name="support_queues", verbose_name=_("members")
    )
    lead = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("queue lead"),
    )
    assignment = models.CharField(
        _("assignment"), max_length=12, choices=Assignment.choices, default=Assignment.ROUND_ROBIN
    )
    # Where tickets go when escalated (a first-line queue names its second line).
    escalation_queue = models.ForeignKey(
        "self",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("escalates to"),
    )
    # Round robin's memory: the member who got the last ticket (written under a row lock).
    last_assigned = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        editable=False,
        related_name="+",
    )
    email = models.EmailField(_("reply-from address"), blank=True)
    active = models.BooleanField(_("active"), default=True)

    class Meta:
        verbose_name = _("queue")
        verbose_name_plural = _("queues")
        ordering = ["line", "name"]

    def __str__(self) -> str:
        return self.name


class Absence(models.Model):
    """An agent away (leave, sick day): routing skips them between the two times."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="absences", verbose_name=_("user")
    )
    starts_at = models.DateTimeField(_("from"))
    ends_at = models.DateTimeField(_("until"))
    note = models.CharField(_("note"), max_length=200, blank=True)

    class Meta:
        verbose_name = _("absence")
        verbose_name_plural = _("absences")
        indexes = [models.Index(fields=["user", "ends_at"], name="support_absence_user_idx")]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(ends_at__gt=models.F("starts_at")), name="support_absence_ends_after"
            )
        ]

    def __str__(self) -> str:
        return f"{self.user} {self.starts_at:%d/%m/%Y}–{self.ends_at:%d/%m/%Y}"


class RoutingRule(models.Model):
    """Sends a new ticket to a queue when every condition it names matches (empty = any); the first
    matching rule by position wins, and a ticket no rule matches goes to the default first-line queue."""

    name = models.CharField(_("name"), max_length=100)
    position = models.PositiveSmallIntegerField(_("position"), default=0)
    queue = models.ForeignKey(Queue, on_delete=models.CASCADE, related_name="rules", verbose_name=_("queue"))
    category = models.ForeignKey(
        TicketCategory,
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("category (or its sub-categories)"),
    )
    product = models.ForeignKey(
        "catalog.Product",
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("product"),
    )
    region = models.CharField(_("region"), max_length=10, choices=Region.choices, blank=True)
    customer_group = models.ForeignKey(
        "customers.CustomerGroup",
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("customer group"),
    )
    priority = models.CharField(_("priority"), max_length=6, choices=Priority.choices, blank=True)
    active = models.BooleanField(_("active"), default=True)

    class Meta:
        verbose_name = _("routing rule")
        verbose_name_plural = _("routing rules")
        ordering = ["position", "id"]

    def __str__(self) -> str:
        return self.name


class SlaPolicy(models.Model):
    """Targets in business minutes for tickets of a priority (and customer group: empty = any);
    the most specific active policy applies (group and priority, then priority, then group, then any)."""

    name = models.CharField(_("name"), max_length=100)
    priority = models.CharField(_("priority"), max_length=6, choices=Priority.choices, blank=True)
    customer_group = models.ForeignKey(
        "customers.CustomerGroup",
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("customer group"),
    )
    first_response_minutes = models.PositiveIntegerField(
        _("first response within (business minutes)"), validators=[MinValueValidator(1)]
    )
    resolution_minutes = models.PositiveIntegerField(
        _("resolution within (business minutes)"), validators=[MinValueValidator(1)]
    )
    warn_before_minutes = models.PositiveIntegerField(_("warn this many business minutes before"), default=30)
    escalate_on_breach = models.BooleanField(_("escalate to second line on a breach"), default=True)
    active = models.BooleanField(_("active"), default=True)

    class Meta:
        verbose_name = _("SLA policy")
        verbose_name_plural = _("SLA policies")
        ordering = ["priority", "name"]

    def __str__(self) -> str:
        return self.name


class CareCallRule(models.Model):
    """Puts a call on an agent's care list N days after/before something (a delivery, a resolved
    ticket, the end of a contract or a warranty); the daily job adds each call once."""

    name = models.CharField(_("name"), max_length=150)
    trigger = models.CharField(_("when"), max_length=20, choices=CareTrigger.choices)
    days = models.PositiveSmallIntegerField(_("days"), validators=[MaxValueValidator(3650)])
    purpose = models.CharField(_("purpose of the call"), max_length=200)
    # Whose list the call lands on: an agent, else the queue's members in turn, else the customer's owner.
    agent = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("agent"),
    )
    queue = models.ForeignKey(
        Queue, on_delete=models.SET_NULL, null=True, blank=True, related_name="+", verbose_name=_("queue")
    )
    active = models.BooleanField(_("active"), default=True)

    class Meta:
        verbose_name = _("care call rule")
        verbose_name_plural = _("care call rules")
        ordering = ["trigger", "days"]

    def __str__(self) -> str:
        return self.name


# --- records --------------------------------------------------------------------------------------


class CustomerRecord(Record):
    """A support record about a contact and/or an account; on that customer's timeline."""

    access_module: ClassVar[str] = Module.SUPPORT

    contact = models.ForeignKey(
        "customers.Contact",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("contact"),
    )
    account = models.ForeignKey(
        "customers.Account",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("account"),
    )

    class Meta:
        abstract = True

    def event_customer(self) -> models.Model | None:
        customer: models.Model | None = getattr(self, "contact", None) or getattr(self, "account", None)
        return customer


class Ticket(CustomerRecord):
    """A complaint or an incident (sự cố, khiếu nại). `owner` is the agent it is assigned to."""

    number = models.CharField(_("number"), max_length=30, unique=True, editable=False)
    subject = models.CharField(_("subject"), max_length=200)
    description = models.TextField(_("description"), blank=True)
    category = models.ForeignKey(
        TicketCategory,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="tickets",
        verbose_name=_("category"),
    )
    priority = models.CharField(
        _("priority"), max_length=6, choices=Priority.choices, default=Priority.NORMAL
    )
    channel = models.CharField(_("channel"), max_length=8, choices=Channel.choices, default=Channel.PHONE)
    status = models.CharField(
        _("status"), max_length=8, choices=TicketStatus.choices, default=TicketStatus.NEW, editable=False
    )
    line = models.CharField(_("line"), max_length=6, choices=Line.choices, default=Line.FIRST, editable=False)
    queue = models.ForeignKey(
        Queue,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="tickets",
        verbose_name=_("queue"),
    )
    product = models.ForeignKey(
        "catalog.Product",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("product"),
    )
    order = models.ForeignKey(
        "commerce.Order",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("order"),
    )
    contract = models.ForeignKey(
        "commerce.Contract",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("contract"),
    )
    # Who to write to when the ticket has no contact with an address (the public form, an email).
    requester_name = models.CharField(_("requester's name"), max_length=150, blank=True)
    requester_email = models.EmailField(_("requester's email"), blank=True)
    requester_phone = models.CharField(_("requester's phone"), max_length=20, blank=True)

    # SLA clock (sla.py): due times in UTC; while waiting for the customer the clock is paused and the
    # business seconds left are kept, to be added again from the moment the ticket is reopened.
    sla_policy = models.ForeignKey(
        SlaPolicy, on_delete=models.SET_NULL, null=True, blank=True, editable=False, related_name="+"
    )
    first_response_due = models.DateTimeField(_("first response due"), null=True, blank=True, editable=False)
    resolution_due = models.DateTimeField(_("resolution due"), null=True, blank=True, editable=False)
    first_responded_at = models.DateTimeField(_("first response at"), null=True, blank=True, editable=False)
    sla_paused_at = models.DateTimeField(null=True, blank=True, editable=False)
    first_response_left = models.PositiveIntegerField(null=True, blank=True, editable=False)  # seconds
    resolution_left = models.PositiveIntegerField(null=True, blank=True, editable=False)  # seconds
    sla_warned_at = models.DateTimeField(null=True, blank=True, editable=False)
    breached = models.BooleanField(_("SLA breached"), default=False, editable=False)
    breached_at = models.DateTimeField(_("SLA breached at"), null=True, blank=True, editable=False)
    escalated_at = models.DateTimeField(_("escalated at"), null=True, blank=True, editable=False)
    resolved_at = models.DateTimeField(_("resolved at"), null=True, blank=True, editable=False)
    # Business minutes (the queue's calendar; 24×7 without one) from creation to the first reply and to
    # the resolution, stamped when they happen (sla.business_minutes), so that reports can average them.
    first_response_business_minutes = models.PositiveIntegerField(
        _("first response (business minutes)"), null=True, blank=True, editable=False
    )
    resolution_business_minutes = models.PositiveIntegerField(
        _("resolution (business minutes)"), null=True, blank=True, editable=False
    )
    closed_at = models.DateTimeField(_("closed at"), null=True, blank=True, editable=False)
    merged_into = models.ForeignKey(
        "self",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        editable=False,
        related_name="+",
        verbose_name=_("merged into"),
    )

    audit_exclude = Record.audit_exclude | {
        "first_response_left",
        "resolution_left",
        "sla_paused_at",
        "sla_warned_at",
    }

    class Meta:
        verbose_name = _("ticket")
        verbose_name_plural = _("tickets")
        indexes = [
            models.Index(fields=["-created_at", "-id"], name="support_ticket_created_idx"),
            models.Index(fields=["owner", "status"], name="support_ticket_owner_idx"),
            models.Index(fields=["queue", "status"], name="support_ticket_queue_idx"),
            models.Index(fields=["contact", "status"], name="support_ticket_contact_idx"),
            models.Index(fields=["account", "status"], name="support_ticket_account_idx"),
            models.Index(fields=["status", "resolution_due"], name="support_ticket_due_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.number} {self.subject}"

    def get_absolute_url(self) -> str:
        return reverse("support:ticket_detail", args=[self.pk])

    @classmethod
    def access_q(cls, user: Any, level: str) -> models.Q:
        """Own: assigned to the user. Team: also every ticket of a queue the user belongs to, and
        those of their teams."""
        q = access.owner_team_q(user, level)
        if level == Scope.TEAM:
            member_of = Queue.members.through.objects.filter(user_id=user.pk).values("queue_id")
            q |= models.Q(queue_id__in=member_of)
        return q

    def in_access_scope(self, user: Any, level: str) -> bool:
        if super().in_access_scope(user, level):
            return True
        if level == Scope.TEAM and self.queue_id is not None:
            return Queue.members.through.objects.filter(queue_id=self.queue_id, user_id=user.pk).exists()
        return False

    @property
    def is_open(self) -> bool:
        return self.status in OPEN_STATUSES


class TicketMessage(models.Model):
    """What was written on a ticket: an internal note, a reply to the customer (emailed), or the
    customer's own message (from the signed page or an email)."""

    ticket = models.ForeignKey(
        Ticket, on_delete=models.CASCADE, related_name="messages", verbose_name=_("ticket")
    )
    kind = models.CharField(_("kind"), max_length=8, choices=MessageKind.choices)
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("author"),
    )
    body = models.TextField(_("message"))
    created_at = models.DateTimeField(_("written at"), default=timezone.now)
    emailed_to = models.CharField(_("emailed to"), max_length=254, blank=True)
    emailed_at = models.DateTimeField(_("emailed at"), null=True, blank=True)

    class Meta:
        verbose_name = _("ticket message")
        verbose_name_plural = _("ticket messages")
        ordering = ["created_at", "id"]
        indexes = [models.Index(fields=["ticket", "created_at"], name="support_message_ticket_idx")]

    def __str__(self) -> str:
        return f"{self.ticket_id} {self.kind}"


class TicketTask(models.Model):
    """A task (an activity of kind task) done for a ticket."""

    ticket = models.ForeignKey(Ticket, on_delete=models.CASCADE, related_name="task_links")
    activity = models.OneToOneField("activities.Activity", on_delete=models.CASCADE, related_name="+")

    class Meta:
        verbose_name = _("ticket task")
        verbose_name_plural = _("ticket tasks")

    def __str__(self) -> str:
        return f"{self.ticket_id} → {self.activity_id}"


class Call(CustomerRecord):
    """One phone call in the call log: from the telephony system (screen pop) or typed by an agent
    after a care call. `owner` is the agent."""

    call_id = models.CharField(
        _("call id"), max_length=120, null=True, blank=True, unique=True, editable=False
    )
    provider = models.CharField(_("telephony"), max_length=20, blank=True, editable=False)
    direction = models.CharField(
        _("direction"), max_length=8, choices=CallDirection.choices, default=CallDirection.INBOUND
    )
    number = models.CharField(_("customer's number"), max_length=20, blank=True)  # E.164
    extension = models.CharField(_("extension"), max_length=20, blank=True)
    lead = models.ForeignKey(
        "sales.Lead",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("lead"),
    )
    started_at = models.DateTimeField(_("started at"), default=timezone.now)
    answered_at = models.DateTimeField(_("answered at"), null=True, blank=True)
    ended_at = models.DateTimeField(_("ended at"), null=True, blank=True)
    duration = models.PositiveIntegerField(_("duration (seconds)"), default=0)
    outcome = models.CharField(_("outcome"), max_length=12, choices=CallOutcome.choices, blank=True)
    callback_at = models.DateTimeField(_("call back at"), null=True, blank=True)
    notes = models.TextField(_("notes"), blank=True)
    recording_url = models.URLField(_("recording link"), max_length=500, blank=True)
    ticket = models.ForeignKey(
        Ticket,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="calls",
        verbose_name=_("ticket"),
    )

    class Meta:
        verbose_name = _("call")
        verbose_name_plural = _("calls")
        indexes = [
            models.Index(fields=["-started_at", "-id"], name="support_call_started_idx"),
            models.Index(fields=["contact", "-started_at"], name="support_call_contact_idx"),
            models.Index(fields=["owner", "-started_at"], name="support_call_owner_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.number} {timezone.localtime(self.started_at):%d/%m/%Y %H:%M}"

    def get_absolute_url(self) -> str:
        return reverse("support:call_detail", args=[self.pk])


class CareCall(CustomerRecord):
    """A call to make on an agent's care list (gọi CSKH), with a target date; done when logged."""

    purpose = models.CharField(_("purpose"), max_length=200)
    due_date = models.DateField(_("call by"))
    status = models.CharField(
        _("status"),
        max_length=10,
        choices=CareCallStatus.choices,
        default=CareCallStatus.PLANNED,
        editable=False,
    )
    rule = models.ForeignKey(
        CareCallRule,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("rule"),
    )
    # What the rule fired on ("delivery:12", "ticket:7", "contract:3"): a rule adds one call per source.
    source_key = models.CharField(max_length=60, blank=True, editable=False)
    call = models.ForeignKey(
        Call,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        editable=False,
        verbose_name=_("call"),
    )
    ticket = models.ForeignKey(
        Ticket, on_delete=models.SET_NULL, null=True, blank=True, related_name="+", verbose_name=_("ticket")
    )
    done_at = models.DateTimeField(_("done at"), null=True, blank=True, editable=False)

    class Meta:
        verbose_name = _("care call")
        verbose_name_plural = _("care calls")
        indexes = [models.Index(fields=["owner", "status", "due_date"], name="support_carecall_owner_idx")]
        constraints = [
            models.UniqueConstraint(
                fields=["rule", "source_key"],
                condition=models.Q(rule__isnull=False),
                name="support_carecall_once_per_source",
            )
        ]

    def __str__(self) -> str:
        return f"{self.purpose} ({self.due_date:%d/%m/%Y})"

    def get_absolute_url(self) -> str:
        return reverse("support:carecall_list")


class Survey(Record):
    """An NPS survey sent to a segment's contacts (by email, through their consent)."""

    access_module: ClassVar[str] = Module.SUPPORT

    name = models.CharField(_("name"), max_length=150)
    segment = models.ForeignKey(
        "marketing.Segment", on_delete=models.PROTECT, related_name="+", verbose_name=_("segment")
    )
    question = models.CharField(_("question"), max_length=300)
    sent_at = models.DateTimeField(_("sent at"), null=True, blank=True, editable=False)

    class Meta:
        verbose_name = _("NPS survey")
        verbose_name_plural = _("NPS surveys")

    def __str__(self) -> str:
        return self.name


class Review(CustomerRecord):
    """A rating asked of a customer (CSAT after a ticket, NPS from a survey), answered once through a
    signed link. `owner` is the agent rated (CSAT) or the survey's owner (NPS)."""

    kind = models.CharField(_("kind"), max_length=4, choices=ReviewKind.choices, default=ReviewKind.CSAT)
    ticket = models.ForeignKey(
        Ticket,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="reviews",
        verbose_name=_("ticket"),
    )
    work_order = models.ForeignKey(
        "fieldservice.WorkOrder",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="reviews",
        verbose_name=_("work order"),
    )
    survey = models.ForeignKey(
        Survey,
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="reviews",
        verbose_name=_("survey"),
    )
    score = models.PositiveSmallIntegerField(
        _("score"), null=True, blank=True, validators=[MaxValueValidator(10)]
    )
    comment = models.TextField(_("comment"), blank=True)
    requested_at = models.DateTimeField(_("asked at"), default=timezone.now)
    sent_to = models.CharField(_("sent to"), max_length=254, blank=True)
    answered_at = models.DateTimeField(_("answered at"), null=True, blank=True)

    class Meta:
        verbose_name = _("review")
        verbose_name_plural = _("reviews")
        indexes = [
            models.Index(fields=["owner", "answered_at"], name="support_review_owner_idx"),
            models.Index(fields=["contact", "answered_at"], name="support_review_contact_idx"),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["ticket"],
                condition=models.Q(ticket__isnull=False, kind="csat"),
                name="support_review_one_per_ticket",
            ),
            models.UniqueConstraint(
                fields=["work_order"],
                condition=models.Q(work_order__isnull=False, kind="csat"),
                name="support_review_one_per_work_order",
            ),
            models.UniqueConstraint(
                fields=["survey", "contact"],
                condition=models.Q(survey__isnull=False),
                name="support_review_one_per_survey_contact",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.score if self.score is not None else '—'}"


# --- telephony ------------------------------------------------------------------------------------


class AgentExtension(models.Model):
    """Which user answers an extension of the phone system (set per user by an administrator)."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="phone_extension",
        verbose_name=_("user"),
    )
    extension = models.CharField(_("extension"), max_length=20, unique=True)

    class Meta:
        verbose_name = _("phone extension")
        verbose_name_plural = _("phone extensions")

    def __str__(self) -> str:
        return f"{self.extension} → {self.user}"


class TelephonyEvent(models.Model):
    """Each call event received once: a replayed event (same provider, call and kind) is ignored."""

    provider = models.CharField(max_length=20)
    call_id = models.CharField(max_length=120)
    event = models.CharField(max_length=20)
    received_at = models.DateTimeField(default=timezone.now)
    occurred_at = models.DateTimeField(null=True, blank=True)
    payload = models.JSONField(default=dict)

    class Meta:
        verbose_name = _("telephony event")
        verbose_name_plural = _("telephony events")
        constraints = [
            models.UniqueConstraint(
                fields=["provider", "call_id", "event"], name="support_telephony_event_once"
            )
        ]

    def __str__(self) -> str:
        return f"{self.provider} {self.call_id} {self.event}"
