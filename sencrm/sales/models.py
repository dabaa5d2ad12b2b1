"""Sales: leads (khách hàng tiềm năng), pipelines and their stages, opportunities (cơ hội bán hàng)."""

from __future__ import annotations

import secrets
from decimal import Decimal
from typing import Any, ClassVar

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from sencrm.core.models import Record
from sencrm.core.modules import Module
from sencrm.customers.models import ConsentAnswer
from sencrm.sales.choices import LeadStatus, OpportunityStatus, RuleKind

MAX_AMOUNT = Decimal(10) ** 15  # 10^15 VND fits (BAD_INPUTS 23)


class Pipeline(models.Model):
    """A sales pipeline (retail, projects, …): an ordered set of stages an administrator edits."""

    name = models.CharField(_("name"), max_length=80, unique=True)
    position = models.PositiveSmallIntegerField(_("position"), default=0)
    is_default = models.BooleanField(_("default pipeline"), default=False)
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        verbose_name = _("pipeline")
        verbose_name_plural = _("pipelines")
        ordering = ["position", "id"]

    def __str__(self) -> str:
        return self.name

    def get_absolute_url(self) -> str:
        return reverse("sales:opportunity_board") + f"?pipeline={self.pk}"


class Stage(models.Model):
    """A stage of a pipeline with its default probability; won and lost stages close the deal."""

    pipeline = models.ForeignKey(Pipeline, on_delete=models.CASCADE, related_name="stages")
    name = models.CharField(_("name"), max_length=80)
    position = models.PositiveSmallIntegerField(_("position"), default=0)
    probability = models.PositiveSmallIntegerField(
        _("probability (%)"), default=10, validators=[MaxValueValidator(100)]
    )
    is_won = models.BooleanField(_("won stage"), default=False)
    is_lost = models.BooleanField(_("lost stage"), default=False)

    class Meta:
        verbose_name = _("stage")
        verbose_name_plural = _("stages")
        ordering = ["pipeline", "position", "id"]
        constraints = [
            models.CheckConstraint(
                condition=~models.Q(is_won=True, is_lost=True), name="sales_stage_not_won_and_lost"
            )
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def is_closed(self) -> bool:
        return self.is_won or self.is_lost


class Lead(Record):
    """Someone who showed interest and is not (yet) a customer: captured, qualified, converted."""

    access_module: ClassVar[str] = Module.LEADS

    full_name = models.CharField(_("full name"), max_length=150)
    sort_key = models.CharField(max_length=200, default="", blank=True, editable=False)
    company = models.CharField(_("company"), max_length=200, blank=True)
    title = models.CharField(_("job title"), max_length=100, blank=True)
    province = models.ForeignKey(
        "customers.Province",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("province"),
    )
    source = models.ForeignKey(
        "customers.SourceChannel",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("source channel"),
    )
    # A free reference (e.g. "Fanpage tháng 8 - điều hòa"); the campaign records are below.
    campaign = models.CharField(_("campaign"), max_length=200, blank=True)
    first_campaign = models.ForeignKey(
        "marketing.Campaign",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("first campaign"),
    )
    latest_campaign = models.ForeignKey(
        "marketing.Campaign",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("latest campaign"),
    )
    first_touch_at = models.DateTimeField(
        _("first touch"),
        null=True,
        blank=True,
        help_text=_("When the person first contacted us (may be before the lead was created)."),
    )
    interest = models.TextField(_("interest"), blank=True, help_text=_("Products of interest, needs, notes."))
    status = models.CharField(_("status"), max_length=12, choices=LeadStatus.choices, default=LeadStatus.NEW)
    unqualified_reason = models.CharField(_("reason (unqualified)"), max_length=200, blank=True)
    next_action = models.CharField(_("next action"), max_length=200, blank=True)
    next_action_at = models.DateTimeField(_("next action at"), null=True, blank=True)
    # Where a web form submission came from.
    utm = models.JSONField(_("UTM parameters"), default=dict, blank=True)
    referrer = models.CharField(_("referring page"), max_length=500, blank=True)
    web_form = models.ForeignKey(
        "sales.WebForm",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="leads",
        verbose_name=_("web form"),
    )
    score = models.IntegerField(_("score"), default=0, editable=False)
    # [[rule id, rule name, points], …]: why the lead has its score.
    score_details = models.JSONField(default=list, blank=True, editable=False)
    custom_field_data = models.JSONField(_("custom fields"), default=dict, blank=True)
    converted_at = models.DateTimeField(_("converted at"), null=True, blank=True, editable=False)
    converted_contact = models.ForeignKey(
        "customers.Contact",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        editable=False,
        related_name="source_leads",
        verbose_name=_("converted to contact"),
    )
    converted_account = models.ForeignKey(
        "customers.Account",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        editable=False,
        related_name="source_leads",
        verbose_name=_("converted to account"),
    )
    converted_opportunity = models.ForeignKey(
        "sales.Opportunity",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        editable=False,
        related_name="+",
        verbose_name=_("converted to opportunity"),
    )
    search_key = models.TextField(default="", blank=True, editable=False)
    primary_phone = models.CharField(_("phone"), max_length=40, blank=True, editable=False)
    primary_email = models.CharField(_("email"), max_length=254, blank=True, editable=False)

    audit_exclude = Record.audit_exclude | {
        "search_key",
        "sort_key",
        "primary_phone",
        "primary_email",
        "score",
        "score_details",
    }

    class Meta:
        verbose_name = _("lead")
        verbose_name_plural = _("leads")
        indexes = [
            models.Index(fields=["sort_key", "id"], name="sales_lead_sort_idx"),
            models.Index(fields=["score", "id"], name="sales_lead_score_idx"),
            models.Index(fields=["owner", "status", "next_action_at"], name="sales_lead_followup_idx"),
        ]

    def __str__(self) -> str:
        return self.full_name

    def get_absolute_url(self) -> str:
        return reverse("sales:lead_detail", args=[self.pk])

    def event_customer(self) -> models.Model:
        # Until conversion the lead's own page shows its journey; conversion hands it to the contact.
        return self.converted_contact or self

    @property
    def is_converted(self) -> bool:
        return self.status == LeadStatus.CONVERTED


class LeadPhone(models.Model):
    """A lead's phone number, as typed and as E.164 (matched against contacts and other leads)."""

    lead = models.ForeignKey(Lead, on_delete=models.CASCADE, related_name="phones")
    number = models.CharField(_("phone"), max_length=40)
    e164 = models.CharField(_("E.164"), max_length=20, db_index=True)
    position = models.PositiveSmallIntegerField(default=0)

    class Meta:
        verbose_name = _("phone")
        verbose_name_plural = _("phones")
        ordering = ["position", "id"]

    def __str__(self) -> str:
        return self.number


class LeadEmail(models.Model):
    """A lead's email address (matched lower-cased)."""

    lead = models.ForeignKey(Lead, on_delete=models.CASCADE, related_name="emails")
    address = models.EmailField(_("email"), max_length=254)
    address_key = models.CharField(max_length=254, db_index=True)
    position = models.PositiveSmallIntegerField(default=0)

    class Meta:
        verbose_name = _("email")
        verbose_name_plural = _("emails")
        ordering = ["position", "id"]

    def __str__(self) -> str:
        return self.address


class LeadConsent(ConsentAnswer):
    """A lead's consent (or refusal) to be contacted on one channel, with when and how it was given: the
    same shape as a contact's (`customers.Consent`), written by the same helper (`customers.consents`) and
    copied to the contact on conversion."""

    lead = models.ForeignKey(Lead, on_delete=models.CASCADE, related_name="consents")

    class Meta(ConsentAnswer.Meta):
        constraints = [
            models.UniqueConstraint(fields=["lead", "channel"], name="sales_leadconsent_unique_lead_channel")
        ]


class Opportunity(Record):
    """A deal in a pipeline: amount in VND, expected close date, stage, probability, won or lost."""

    access_module: ClassVar[str] = Module.SALES

    name = models.CharField(_("name"), max_length=200)
    account = models.ForeignKey(
        "customers.Account",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="opportunities",
        verbose_name=_("account"),
    )
    contact = models.ForeignKey(
        "customers.Contact",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="opportunities",
        verbose_name=_("contact"),
    )
    amount = models.DecimalField(
        _("amount"),
        max_digits=18,
        decimal_places=0,
        default=Decimal(0),
        validators=[MinValueValidator(Decimal(0)), MaxValueValidator(MAX_AMOUNT)],
    )
    currency = models.CharField(_("currency"), max_length=3, default="VND", editable=False)
    expected_close_date = models.DateField(_("expected close date"), null=True, blank=True)
    pipeline = models.ForeignKey(
        Pipeline, on_delete=models.PROTECT, related_name="+", verbose_name=_("pipeline")
    )
    stage = models.ForeignKey(Stage, on_delete=models.PROTECT, related_name="+", verbose_name=_("stage"))
    probability = models.PositiveSmallIntegerField(
        _("probability (%)"), default=10, validators=[MaxValueValidator(100)]
    )
    # Set when someone typed a probability: a stage change then keeps it instead of the stage's.
    probability_manual = models.BooleanField(_("probability set by hand"), default=False)
    products = models.TextField(_("products of interest"), blank=True)
    description = models.TextField(_("notes"), blank=True)
    status = models.CharField(
        _("status"), max_length=5, choices=OpportunityStatus.choices, default=OpportunityStatus.OPEN
    )
    close_reason = models.CharField(_("won / lost reason"), max_length=200, blank=True)
    closed_at = models.DateTimeField(_("closed at"), null=True, blank=True)
    stage_entered_at = models.DateTimeField(_("in stage since"), null=True, blank=True, editable=False)
    lead = models.ForeignKey(
        Lead,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        editable=False,
        related_name="opportunities",
        verbose_name=_("lead"),
    )
    source = models.ForeignKey(
        "customers.SourceChannel",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("source channel"),
    )
    campaign = models.CharField(_("campaign"), max_length=200, blank=True)
    first_campaign = models.ForeignKey(
        "marketing.Campaign",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("first campaign"),
    )
    latest_campaign = models.ForeignKey(
        "marketing.Campaign",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("latest campaign"),
    )
    custom_field_data = models.JSONField(_("custom fields"), default=dict, blank=True)
    # The name folded (no accents, lower case: sencrm.core.text.fold), for accent-insensitive search.
    search_key = models.TextField(default="", blank=True, editable=False)

    audit_exclude = Record.audit_exclude | {"stage_entered_at", "search_key"}

    class Meta:
        verbose_name = _("opportunity")
        verbose_name_plural = _("opportunities")
        indexes = [
            # The kanban board: one pipeline's open deals, column by column, newest first.
            models.Index(fields=["pipeline", "status", "stage", "id"], name="sales_opp_board_idx"),
            models.Index(fields=["status", "expected_close_date"], name="sales_opp_forecast_idx"),
            models.Index(fields=["owner", "status"], name="sales_opp_owner_idx"),
        ]

    def __str__(self) -> str:
        return self.name

    def get_absolute_url(self) -> str:
        return reverse("sales:opportunity_detail", args=[self.pk])

    def event_customer(self) -> models.Model | None:
        return self.contact or self.account

    def clean(self) -> None:
        if self.stage_id and self.pipeline_id and self.stage.pipeline_id != self.pipeline_id:
            raise ValidationError({"stage": _("This stage belongs to another pipeline.")})

    @property
    def weighted_amount(self) -> Decimal:
        return (self.amount * self.probability / 100).quantize(Decimal(1))


class StageChange(models.Model):
    """One move of an opportunity between stages: when it entered, when it left, who moved it."""

    opportunity = models.ForeignKey(Opportunity, on_delete=models.CASCADE, related_name="stage_changes")
    from_stage = models.ForeignKey(Stage, on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    to_stage = models.ForeignKey(Stage, on_delete=models.PROTECT, related_name="+")
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    entered_at = models.DateTimeField(_("entered"))
    left_at = models.DateTimeField(_("left"), null=True, blank=True)

    class Meta:
        verbose_name = _("stage change")
        verbose_name_plural = _("stage changes")
        ordering = ["entered_at", "id"]

    def __str__(self) -> str:
        return f"{self.opportunity_id}: {self.from_stage_id} → {self.to_stage_id}"

    @property
    def duration(self) -> Any:
        return (self.left_at - self.entered_at) if self.left_at else None


class ScoringRule(models.Model):
    """A lead scoring rule: when the lead matches, it gets `points` (negative points lower the score)."""

    name = models.CharField(_("name"), max_length=120)
    kind = models.CharField(_("rule"), max_length=20, choices=RuleKind.choices)
    # source/province: a code; field_present: a field name; email_domain: domains separated by
    # commas; activity_count and recency: a whole number.
    value = models.CharField(_("value"), max_length=200, blank=True)
    points = models.SmallIntegerField(
        _("points"), validators=[MinValueValidator(-100), MaxValueValidator(100)]
    )
    is_active = models.BooleanField(_("active"), default=True)
    position = models.PositiveSmallIntegerField(default=0)

    class Meta:
        verbose_name = _("scoring rule")
        verbose_name_plural = _("scoring rules")
        ordering = ["position", "id"]

    def __str__(self) -> str:
        return self.name


def _form_key() -> str:
    return secrets.token_urlsafe(12)


class WebForm(models.Model):
    """A web-to-lead form an administrator configures and embeds on any website."""

    name = models.CharField(_("name"), max_length=120)
    key = models.CharField(max_length=32, unique=True, default=_form_key, editable=False)
    is_active = models.BooleanField(_("active"), default=True)
    title = models.CharField(_("title shown on the form"), max_length=200, blank=True)
    fields = models.JSONField(_("fields"), default=list, blank=True)
    required_fields = models.JSONField(_("required fields"), default=list, blank=True)
    thank_you = models.TextField(_("thank-you text"), blank=True)
    consent_text = models.CharField(_("consent text"), max_length=500, blank=True)
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("owner of new leads"),
    )
    team = models.ForeignKey(
        "users.Team",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("round robin within team"),
    )
    source = models.ForeignKey(
        "customers.SourceChannel",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("source channel"),
    )
    campaign = models.CharField(_("campaign"), max_length=200, blank=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        verbose_name = _("web form")
        verbose_name_plural = _("web forms")
        ordering = ["name", "id"]

    def __str__(self) -> str:
        return self.name

    def get_absolute_url(self) -> str:
        return reverse("sales:webform_edit", args=[self.pk])


class WebFormSubmission(models.Model):
    """Every submission of a public form, accepted or refused: the rate limit counts these."""

    form = models.ForeignKey(WebForm, on_delete=models.CASCADE, related_name="submissions")
    ip_hash = models.CharField(max_length=64, db_index=True)
    submitted_at = models.DateTimeField(auto_now_add=True, db_index=True)
    outcome = models.CharField(max_length=12)  # created, invalid, spam, limited
    lead = models.ForeignKey(Lead, on_delete=models.SET_NULL, null=True, blank=True, related_name="+")

    class Meta:
        verbose_name = _("web form submission")
        verbose_name_plural = _("web form submissions")

    def __str__(self) -> str:
        return f"{self.form_id} {self.outcome}"


class RoundRobinState(models.Model):
    """Who in a team got the last lead by round robin."""

    team = models.OneToOneField("users.Team", on_delete=models.CASCADE, related_name="+")
    last_user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )

    def __str__(self) -> str:
        return f"{self.team_id} → {self.last_user_id}"
