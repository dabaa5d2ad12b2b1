"""Marketing: campaigns with their costs, and the Fanpage / Zalo conversations that are first touches.

A campaign is found for an incoming lead by its UTM codes; leads, contacts, accounts and opportunities
carry their first and latest campaign (`first_campaign`, `latest_campaign`), which attribution reads
(sencrm/marketing/attribution.py).

A conversation is one person's thread on one platform's page (a Facebook Page, a Zalo Official Account):
its first message is the person's first touch, even when the phone number comes days later. It sits in
the queue (no assignee) until someone takes it, and is matched to a lead or contact by the platform's
user id or by a phone number found in the messages.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any, ClassVar

from django.conf import settings
from django.core.validators import MinValueValidator
from django.db import models
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from sencrm.core.models import Record
from sencrm.core.modules import Module, Scope
from sencrm.customers.choices import ConsentChannel


def _money(verbose_name: Any, **kwargs: Any) -> models.DecimalField[Any, Any]:
    return models.DecimalField(verbose_name, max_digits=18, decimal_places=0, default=Decimal(0), **kwargs)


class CampaignChannel(models.TextChoices):
    FACEBOOK_ADS = "facebook_ads", _("Facebook Ads")
    GOOGLE_ADS = "google_ads", _("Google Ads")
    ZALO = "zalo", _("Zalo")
    TIKTOK = "tiktok", _("TikTok")
    EMAIL = "email", _("Email")
    EVENT = "event", _("Event")
    OTHER = "other", _("Other")


class Campaign(Record):
    """A marketing campaign: where it runs, when, its budget, the UTM codes that bring its leads in."""

    access_module: ClassVar[str] = Module.MARKETING
    audit_exclude = Record.audit_exclude | {"cost_total", "search_key"}

    name = models.CharField(_("name"), max_length=200)
    channel = models.CharField(_("channel"), max_length=14, choices=CampaignChannel.choices)
    start_date = models.DateField(_("start date"))
    end_date = models.DateField(_("end date"), null=True, blank=True)
    budget = _money(_("budget"), validators=[MinValueValidator(Decimal(0))])
    utm_source = models.CharField(_("UTM source"), max_length=100, blank=True)
    utm_medium = models.CharField(_("UTM medium"), max_length=100, blank=True)
    utm_campaign = models.CharField(_("UTM campaign"), max_length=100, blank=True)
    description = models.TextField(_("description"), blank=True)
    # How the campaign reaches its audience when it contacts them (the consent that must be current).
    contact_channel = models.CharField(
        _("contacts its audience by"), max_length=10, choices=ConsentChannel.choices, blank=True
    )
    # The sum of the cost entries, written with them (lists and the API read it).
    cost_total = _money(_("cost"), editable=False)
    search_key = models.CharField(max_length=400, default="", blank=True, editable=False)

    class Meta:
        verbose_name = _("campaign")
        verbose_name_plural = _("campaigns")
        indexes = [
            models.Index(fields=["-start_date", "-id"], name="marketing_campaign_date_idx"),
            models.Index(fields=["utm_campaign", "utm_source"], name="marketing_campaign_utm_idx"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(end_date__isnull=True) | models.Q(end_date__gte=models.F("start_date")),
                name="marketing_campaign_dates_ordered",
            ),
        ]

    def __str__(self) -> str:
        return self.name

    def get_absolute_url(self) -> str:
        return reverse("marketing:campaign_detail", args=[self.pk])


class CampaignMember(models.Model):
    """A contact in a campaign's audience (added one by one or by a bulk action on the contacts list).

    Being a member does not make a person reachable: the campaign reaches only the members with a
    current consent for its channel and the marketing purpose (sencrm/marketing/audience.py)."""

    campaign = models.ForeignKey(Campaign, on_delete=models.CASCADE, related_name="members")
    contact = models.ForeignKey("customers.Contact", on_delete=models.CASCADE, related_name="+")
    added_at = models.DateTimeField(_("added at"), default=timezone.now, editable=False)
    added_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )

    class Meta:
        verbose_name = _("campaign member")
        verbose_name_plural = _("campaign members")
        constraints = [
            models.UniqueConstraint(fields=["campaign", "contact"], name="marketing_member_unique_contact")
        ]

    def __str__(self) -> str:
        return f"{self.campaign_id}: {self.contact_id}"


class CostOrigin(models.TextChoices):
    MANUAL = "manual", _("Typed in")
    FACEBOOK = "facebook", _("Facebook Ads Manager export")
    GOOGLE = "google", _("Google Ads report export")


class CampaignCost(models.Model):
    """What a campaign spent on one day (or, typed in by month, on the month's first day).

    One row per campaign, day and origin: importing the same export again updates the same rows, so a
    re-import never doubles the cost."""

    campaign = models.ForeignKey(Campaign, on_delete=models.CASCADE, related_name="costs")
    date = models.DateField(_("date"))
    amount = models.DecimalField(
        _("amount"), max_digits=18, decimal_places=0, validators=[MinValueValidator(Decimal(0))]
    )
    origin = models.CharField(
        _("origin"), max_length=10, choices=CostOrigin.choices, default=CostOrigin.MANUAL
    )
    # The file an imported row came from (evidence for the figure).
    source_file = models.CharField(_("file"), max_length=200, blank=True)
    created_at = models.DateTimeField(_("created at"), default=timezone.now, editable=False)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )

    class Meta:
        verbose_name = _("campaign cost")
        verbose_name_plural = _("campaign costs")
        ordering = ["date", "id"]
        constraints = [
            models.UniqueConstraint(fields=["campaign", "date", "origin"], name="marketing_cost_unique_day"),
            models.CheckConstraint(condition=models.Q(amount__gte=0), name="marketing_cost_not_negative"),
        ]
        indexes = [models.Index(fields=["date", "campaign"], name="marketing_cost_date_idx")]

    def __str__(self) -> str:
        return f"{self.campaign_id} {self.date}: {self.amount}"


class Platform(models.TextChoices):
    FACEBOOK = "facebook", _("Facebook Fanpage")
    ZALO = "zalo", _("Zalo Official Account")


class InboundChannel(models.Model):
    """An administrator's settings for one platform's webhook: the page or OA it serves and its secrets,
    stored encrypted (sencrm/core/crypto.py) and never shown back."""

    platform = models.CharField(_("platform"), max_length=10, choices=Platform.choices, unique=True)
    is_active = models.BooleanField(_("active"), default=True)
    # Facebook: the Page id; Zalo: the OA id (used to name the conversations' page).
    page_id = models.CharField(_("page / OA id"), max_length=64, blank=True)
    # Facebook: the app secret (X-Hub-Signature-256); Zalo: the OA secret key (X-ZEvent-Signature).
    secret_encrypted = models.TextField(blank=True, editable=False)
    # Facebook: the verify token of the subscription handshake; Zalo: the app id.
    token_encrypted = models.TextField(blank=True, editable=False)
    # The campaign a new conversation on this page is credited to when nothing more precise is known.
    default_campaign = models.ForeignKey(
        Campaign,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("default campaign"),
    )
    updated_at = models.DateTimeField(_("updated at"), default=timezone.now, editable=False)
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )

    class Meta:
        verbose_name = _("inbound channel")
        verbose_name_plural = _("inbound channels")

    def __str__(self) -> str:
        return self.get_platform_display()


class ConversationStatus(models.TextChoices):
    NEW = "new", _("New")
    OPEN = "open", _("Assigned")
    CONVERTED = "converted", _("Converted")
    CLOSED = "closed", _("Closed")


class Conversation(models.Model):
    """One person's message thread with the company's Fanpage or Zalo OA.

    Gated by the leads module: "own" is what the user is assigned plus the unassigned queue; "team" adds
    what their teams are assigned."""

    access_module: ClassVar[str] = Module.LEADS

    platform = models.CharField(_("platform"), max_length=10, choices=Platform.choices)
    page_id = models.CharField(_("page / OA id"), max_length=64)
    platform_user_id = models.CharField(_("user id on the platform"), max_length=64)
    display_name = models.CharField(_("name"), max_length=150, blank=True)
    status = models.CharField(
        _("status"), max_length=10, choices=ConversationStatus.choices, default=ConversationStatus.NEW
    )
    assignee = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("assigned to"),
    )
    team = models.ForeignKey(
        "users.Team",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("team"),
    )
    lead = models.ForeignKey(
        "sales.Lead",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("lead"),
    )
    contact = models.ForeignKey(
        "customers.Contact",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("contact"),
    )
    campaign = models.ForeignKey(
        Campaign,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="conversations",
        verbose_name=_("campaign"),
    )
    # The first Vietnamese phone number found in the person's messages (E.164).
    phone = models.CharField(_("phone"), max_length=40, blank=True)
    first_message_at = models.DateTimeField(_("first message"))
    last_message_at = models.DateTimeField(_("last message"))
    message_count = models.PositiveIntegerField(_("messages"), default=0)
    created_at = models.DateTimeField(_("created at"), default=timezone.now, editable=False)
    version = models.PositiveIntegerField(_("version"), default=1, editable=False)

    class Meta:
        verbose_name = _("conversation")
        verbose_name_plural = _("conversations")
        constraints = [
            models.UniqueConstraint(
                fields=["platform", "page_id", "platform_user_id"], name="marketing_conversation_unique_user"
            )
        ]
        indexes = [
            models.Index(fields=["status", "-last_message_at"], name="marketing_conv_queue_idx"),
            models.Index(fields=["assignee", "-last_message_at"], name="marketing_conv_assignee_idx"),
            models.Index(fields=["platform", "platform_user_id"], name="marketing_conv_user_idx"),
        ]

    def __str__(self) -> str:
        return self.display_name or f"{self.get_platform_display()} {self.platform_user_id}"

    def get_absolute_url(self) -> str:
        return reverse("marketing:conversation_detail", args=[self.pk])

    def event_customer(self) -> models.Model | None:
        if self.contact_id:
            return self.contact
        if self.lead_id:
            lead: Any = self.lead
            customer: models.Model = lead.event_customer()
            return customer
        return None

    @classmethod
    def access_q(cls, user: Any, level: str) -> models.Q:
        queue = models.Q(assignee__isnull=True)
        own = queue | models.Q(assignee_id=user.id)
        if level == Scope.OWN:
            return own
        return own | models.Q(team_id__in=user.team_ids()) | models.Q(assignee_id__in=user.teammate_ids())

    def in_access_scope(self, user: Any, level: str) -> bool:
        if self.assignee_id is None or self.assignee_id == user.id:
            return True
        if level == Scope.OWN:
            return False
        return (self.team_id is not None and self.team_id in user.team_ids()) or (
            self.assignee_id in user.teammate_ids()
        )


class MessageDirection(models.TextChoices):
    INBOUND = "in", _("From the customer")
    OUTBOUND = "out", _("From us")


class ConversationMessage(models.Model):
    """One message of a conversation, stored once: the platform's message id is unique, so a retried
    webhook delivery adds nothing."""

    conversation = models.ForeignKey(Conversation, on_delete=models.CASCADE, related_name="messages")
    platform = models.CharField(_("platform"), max_length=10, choices=Platform.choices)
    platform_message_id = models.CharField(_("message id"), max_length=128)
    direction = models.CharField(
        _("direction"), max_length=3, choices=MessageDirection.choices, default=MessageDirection.INBOUND
    )
    text = models.TextField(_("text"), blank=True)
    attachments = models.PositiveSmallIntegerField(_("attachments"), default=0)
    sent_at = models.DateTimeField(_("sent at"))
    received_at = models.DateTimeField(_("received at"), default=timezone.now, editable=False)

    class Meta:
        verbose_name = _("message")
        verbose_name_plural = _("messages")
        ordering = ["sent_at", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["platform", "platform_message_id"], name="marketing_message_unique_platform_id"
            )
        ]
        indexes = [models.Index(fields=["conversation", "sent_at"], name="marketing_message_conv_idx")]

    def __str__(self) -> str:
        return self.platform_message_id


class ReceiptFact(models.Model):
    """One receipt as attribution reads it: the payment's own columns next to its customer's touch data
    (first/latest campaign, source, first touch, creation, whether it is the customer's first receipt),
    so that the report groups one narrow table instead of joining 2,000,000 receipts to 1,000,000
    customers. Derived, never edited: sencrm/marketing/facts.py keeps it in the writing transaction of
    every receipt and of every change to a customer's touch data, and `manage.py attribution_rebuild`
    rebuilds it (docs/decisions.md, "Attribution facts")."""

    payment = models.OneToOneField(
        "billing.Payment", on_delete=models.CASCADE, primary_key=True, related_name="+"
    )
    # The receipt's owner and team, for the reports scope (access.owner_team_q reads these names).
    owner_id = models.IntegerField(null=True)
    team_id = models.IntegerField(null=True)
    paid_at = models.DateTimeField()
    amount = models.BigIntegerField()  # whole đồng (a receipt's amount has at most 18 digits)
    first_campaign_id = models.IntegerField(null=True)
    latest_campaign_id = models.IntegerField(null=True)
    source = models.CharField(max_length=40, default="", blank=True)
    # The customer's first touch, else its creation: the lead view's date and where the lag starts.
    touch_at = models.DateTimeField(null=True)
    customer_created_at = models.DateTimeField(null=True)
    is_first = models.BooleanField(default=False)
    # The first day of the month (Vietnam time) of paid_at, touch_at and customer_created_at, and the days
    # from touch to payment: what the report groups by, computed once here rather than per row per report.
    paid_month = models.DateField()
    touch_month = models.DateField(null=True)
    created_month = models.DateField(null=True)
    lag_days = models.IntegerField(null=True)

    class Meta:
        indexes: ClassVar[list[models.Index]] = [
            models.Index(fields=["paid_at"], name="marketing_fact_paid_idx"),
            models.Index(fields=["touch_at"], name="marketing_fact_touch_idx"),
        ]

    def __str__(self) -> str:
        return f"receipt #{self.pk}"


class SegmentKind(models.TextChoices):
    DYNAMIC = "dynamic", _("Dynamic (re-evaluated when used)")
    FROZEN = "frozen", _("Frozen (a snapshot of its members)")


class Segment(Record):
    """An audience segment (tệp đối tượng): contacts chosen by rules (sencrm/marketing/segment_rules.py).

    A dynamic segment is its rules, evaluated whenever it is used; a frozen one keeps the members its rules
    gave when it was frozen (SegmentMember), whatever changes later. Either way a reader sees only the
    contacts their role lets them see."""

    access_module: ClassVar[str] = Module.MARKETING

    name = models.CharField(_("name"), max_length=200)
    description = models.TextField(_("description"), blank=True)
    kind = models.CharField(_("kind"), max_length=8, choices=SegmentKind.choices, default=SegmentKind.DYNAMIC)
    rules = models.JSONField(_("rules"), default=dict)
    frozen_at = models.DateTimeField(_("frozen at"), null=True, blank=True, editable=False)
    frozen_count = models.PositiveIntegerField(_("members when frozen"), default=0, editable=False)

    class Meta:
        verbose_name = _("segment")
        verbose_name_plural = _("segments")
        indexes = [models.Index(fields=["name", "id"], name="marketing_segment_name_idx")]

    def __str__(self) -> str:
        return self.name

    def get_absolute_url(self) -> str:
        return reverse("marketing:segment_detail", args=[self.pk])


class SegmentMember(models.Model):
    """A contact in a frozen segment's snapshot."""

    segment = models.ForeignKey(Segment, on_delete=models.CASCADE, related_name="snapshot")
    contact = models.ForeignKey("customers.Contact", on_delete=models.CASCADE, related_name="+")
    added_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["segment", "contact"], name="marketing_segment_member_unique")
        ]

    def __str__(self) -> str:
        return f"{self.segment_id}: {self.contact_id}"


class OccasionKind(models.TextChoices):
    BIRTHDAY = "birthday", _("Birthday")
    DATE = "date", _("A date every year (8/3, 20/10, 20/11…)")
    TET = "tet", _("Tết (lunar new year)")
    PURCHASE = "purchase", _("Days after a purchase")
    CONTRACT = "contract", _("Contract anniversary")


class CareOccasion(Record):
    """A care campaign on a date that matters (chăm sóc theo dịp): on the day, or `days_before` it, the
    worker gives each person concerned a task for their owner — once per person, occasion and year
    (sencrm/marketing/occasions.py)."""

    access_module: ClassVar[str] = Module.MARKETING

    name = models.CharField(_("name"), max_length=200)
    kind = models.CharField(_("occasion"), max_length=10, choices=OccasionKind.choices)
    day = models.PositiveSmallIntegerField(_("day"), null=True, blank=True)
    month = models.PositiveSmallIntegerField(_("month"), null=True, blank=True)
    days_before = models.PositiveSmallIntegerField(_("days before"), default=0)
    days_after = models.PositiveSmallIntegerField(
        _("days after the purchase"), null=True, blank=True, help_text=_("For “days after a purchase”.")
    )
    segment = models.ForeignKey(
        Segment,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("segment"),
        help_text=_("Only the people of this segment (else every contact the owner may see)."),
    )
    task_subject = models.CharField(
        _("task"),
        max_length=200,
        blank=True,
        help_text=_("What the owner is asked to do, e.g. “Gọi chúc mừng sinh nhật”."),
    )
    email = models.ForeignKey(
        "EmailCampaign",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("email to send"),
        help_text=_(
            "An email campaign whose subject and body are sent to each person with an email consent, "
            "once a year."
        ),
    )
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        verbose_name = _("care occasion")
        verbose_name_plural = _("care occasions")

    def __str__(self) -> str:
        return self.name

    def get_absolute_url(self) -> str:
        return reverse("marketing:occasion_list")


class OccasionTouch(models.Model):
    """A person already given this occasion's task this year (what makes the worker idempotent)."""

    occasion = models.ForeignKey(CareOccasion, on_delete=models.CASCADE, related_name="touches")
    contact = models.ForeignKey("customers.Contact", on_delete=models.CASCADE, related_name="+")
    year = models.PositiveSmallIntegerField()
    created_at = models.DateTimeField(default=timezone.now)
    activity_id = models.IntegerField(null=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["occasion", "contact", "year"], name="marketing_occasion_once")
        ]

    def __str__(self) -> str:
        return f"{self.occasion_id}: {self.contact_id} ({self.year})"


class EmailCampaignStatus(models.TextChoices):
    DRAFT = "draft", _("Draft")
    SCHEDULED = "scheduled", _("Scheduled")
    SENDING = "sending", _("Sending")
    SENT = "sent", _("Sent")
    CANCELLED = "cancelled", _("Cancelled")


class EmailCampaign(Record):
    """An email sent to a segment's people who have a current email consent for marketing.

    It is a campaign too (`campaign`, channel email, made with it): a person who clicks one of its links
    gets it as their latest campaign, so what they buy afterwards is credited to it in the attribution
    report. Subject and body are templates in the documents' sandbox (sencrm/documents/sandbox.py) with
    the merge fields of sencrm/marketing/emailing.py. Sending is sencrm/marketing/email_sender.py."""

    access_module: ClassVar[str] = Module.MARKETING
    audit_exclude = Record.audit_exclude | {
        "recipients_total", "sent", "bounced", "opened", "clicked", "unsubscribed", "started_at",
        "finished_at",
    }  # fmt: skip

    campaign = models.OneToOneField(
        Campaign, on_delete=models.PROTECT, related_name="email", verbose_name=_("campaign"), editable=False
    )
    name = models.CharField(_("name"), max_length=200)
    segment = models.ForeignKey(
        Segment, on_delete=models.PROTECT, null=True, blank=True, related_name="+", verbose_name=_("segment")
    )
    subject = models.CharField(_("subject"), max_length=300)
    body = models.TextField(_("body (HTML with merge fields)"))
    status = models.CharField(
        _("status"), max_length=10, choices=EmailCampaignStatus.choices, default=EmailCampaignStatus.DRAFT
    )
    scheduled_at = models.DateTimeField(_("scheduled at"), null=True, blank=True)
    started_at = models.DateTimeField(_("started at"), null=True, blank=True, editable=False)
    finished_at = models.DateTimeField(_("finished at"), null=True, blank=True, editable=False)
    # Per-recipient results, counted when a recipient's state changes (each transition once).
    recipients_total = models.PositiveIntegerField(_("recipients"), default=0, editable=False)
    sent = models.PositiveIntegerField(_("sent"), default=0, editable=False)
    bounced = models.PositiveIntegerField(_("bounced"), default=0, editable=False)
    opened = models.PositiveIntegerField(_("opened"), default=0, editable=False)
    clicked = models.PositiveIntegerField(_("clicked"), default=0, editable=False)
    unsubscribed = models.PositiveIntegerField(_("unsubscribed"), default=0, editable=False)

    class Meta:
        verbose_name = _("email campaign")
        verbose_name_plural = _("email campaigns")
        indexes = [models.Index(fields=["status", "scheduled_at"], name="marketing_email_due_idx")]

    def __str__(self) -> str:
        return self.name

    def get_absolute_url(self) -> str:
        return reverse("marketing:email_detail", args=[self.pk])


class RecipientStatus(models.TextChoices):
    QUEUED = "queued", _("Queued")
    SENT = "sent", _("Sent")
    BOUNCED = "bounced", _("Rejected by the server")
    OPENED = "opened", _("Opened")
    CLICKED = "clicked", _("Clicked")
    UNSUBSCRIBED = "unsubscribed", _("Unsubscribed")
    SKIPPED = "skipped", _("Skipped (no consent or address)")


class EmailRecipient(models.Model):
    """One person's copy of an email campaign: queued when sending starts, then its fate.

    `claimed_at` is a sender's lease on a queued row (email_sender.py): a worker killed mid-send leaves it,
    and once the lease is over another run sends it. `round` is 0 for a campaign and the year for a care
    occasion's yearly email (one copy per person per year)."""

    email_campaign = models.ForeignKey(EmailCampaign, on_delete=models.CASCADE, related_name="recipients")
    contact = models.ForeignKey(
        "customers.Contact", on_delete=models.CASCADE, related_name="+", verbose_name=_("contact")
    )
    round = models.PositiveSmallIntegerField(default=0)
    email = models.CharField(_("email"), max_length=254)
    status = models.CharField(
        _("status"), max_length=12, choices=RecipientStatus.choices, default=RecipientStatus.QUEUED
    )
    queued_at = models.DateTimeField(default=timezone.now)
    claimed_at = models.DateTimeField(null=True, blank=True)
    attempts = models.PositiveSmallIntegerField(default=0)
    sent_at = models.DateTimeField(_("sent at"), null=True, blank=True)
    bounced_at = models.DateTimeField(null=True, blank=True)
    opened_at = models.DateTimeField(_("opened at"), null=True, blank=True)
    clicked_at = models.DateTimeField(_("clicked at"), null=True, blank=True)
    unsubscribed_at = models.DateTimeField(null=True, blank=True)
    error = models.CharField(_("server's answer"), max_length=300, blank=True)

    class Meta:
        verbose_name = _("email recipient")
        verbose_name_plural = _("email recipients")
        constraints = [
            models.UniqueConstraint(
                fields=["email_campaign", "contact", "round"], name="marketing_email_recipient_once"
            )
        ]
        indexes = [
            models.Index(fields=["email_campaign", "status", "id"], name="marketing_email_rcpt_idx"),
            models.Index(fields=["contact"], name="marketing_email_rcpt_contact"),
        ]

    def __str__(self) -> str:
        return f"{self.email_campaign_id}: {self.email}"
