"""Customers: accounts (organisations) and contacts (people), with their phones, emails and consent."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable
from typing import Any, ClassVar

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator
from django.db import models
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from sencrm.core.db import PrefetchedInto
from sencrm.core.models import Record
from sencrm.core.modules import Module
from sencrm.customers.choices import ConsentChannel, Gender, LifecycleStage, PhoneLabel


def validate_tax_code(value: str) -> None:
    """Mã số thuế: 10 digits, a branch's 10-3 digits, or (since 2025) a 12-digit personal number."""
    if value and not re.fullmatch(r"\d{10}(-\d{3})?|\d{12}", value):
        raise ValidationError(
            _("A tax code has 10 digits (a branch: 10 digits, “-”, 3 digits) or 12 digits."), code="tax_code"
        )


def validate_not_future(value: dt.date) -> None:
    if value > timezone.localdate():
        raise ValidationError(_("The date cannot be in the future."), code="future")


class Province(models.Model):
    """A province or centrally-run city (an updatable reference list: the 34 of 2025 to start with)."""

    code = models.SlugField(_("code"), max_length=40, unique=True)
    name = models.CharField(_("name"), max_length=80)
    position = models.PositiveSmallIntegerField(default=0)

    class Meta:
        verbose_name = _("province")
        verbose_name_plural = _("provinces")
        ordering = ["position", "name"]

    def __str__(self) -> str:
        return self.name


class SourceChannel(models.Model):
    """Where a customer came from (Facebook Fanpage, Zalo, …): an editable list with stable codes."""

    code = models.SlugField(_("code"), max_length=40, unique=True)
    name = models.CharField(_("name"), max_length=80)
    is_active = models.BooleanField(_("active"), default=True)
    position = models.PositiveSmallIntegerField(default=0)

    class Meta:
        verbose_name = _("source channel")
        verbose_name_plural = _("source channels")
        ordering = ["position", "name"]

    def __str__(self) -> str:
        return self.name


class CustomerGroup(models.Model):
    """A customer group (nhóm khách hàng): VIP, dealers, project customers, …"""

    name = models.CharField(_("name"), max_length=80, unique=True)
    description = models.TextField(_("description"), blank=True)

    class Meta:
        verbose_name = _("customer group")
        verbose_name_plural = _("customer groups")
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class Tag(models.Model):
    """A free label on contacts."""

    name = models.CharField(_("name"), max_length=50, unique=True)

    class Meta:
        verbose_name = _("tag")
        verbose_name_plural = _("tags")
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


# Other modules widen a user's "own"/"team" customers with those they work for (a technician's second-line
# tickets, later their work orders): each returns a filter on the customer model, or None (customers
# cannot import those modules: they register here, in their AppConfig.ready()).
Reach = Callable[[Any, str, "type[Customer]"], "models.Q | None"]
REACH: list[Reach] = []


class Customer(Record):
    """What accounts and contacts share: address, group, source, lifecycle, search key, custom fields."""

    access_module: ClassVar[str] = Module.CUSTOMERS
    # Where prefetch_fast("phones", "emails") puts the rows (sencrm/core/db.py).
    phones_prefetched = PrefetchedInto("phones")
    emails_prefetched = PrefetchedInto("emails")

    province = models.ForeignKey(
        Province,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("province"),
    )
    ward = models.CharField(_("ward / commune"), max_length=100, blank=True)
    street = models.CharField(_("street address"), max_length=200, blank=True)
    customer_group = models.ForeignKey(
        CustomerGroup,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("customer group"),
    )
    source = models.ForeignKey(
        SourceChannel,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("source channel"),
    )
    lifecycle_stage = models.CharField(
        _("lifecycle stage"), max_length=10, choices=LifecycleStage.choices, default=LifecycleStage.LEAD
    )
    # The campaigns of the customer's first and latest touch (attribution reads the first).
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
    # The customer's first receipt ever (written by billing with the receipt): attribution's "new
    # customer" and conversion lag read it without scanning every payment.
    first_receipt = models.ForeignKey(
        "billing.Payment",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        editable=False,
        related_name="+",
        verbose_name=_("first receipt"),
    )
    first_receipt_at = models.DateTimeField(_("first payment"), null=True, blank=True, editable=False)
    notes = models.TextField(_("notes"), blank=True)
    # Days between an invoice's issue date and its due date; empty: the company's default.
    payment_terms_days = models.PositiveSmallIntegerField(
        _("payment terms (days)"),
        null=True,
        blank=True,
        validators=[MaxValueValidator(365)],
        help_text=_("Days to pay an invoice; empty: the company's default."),
    )
    custom_field_data = models.JSONField(_("custom fields"), default=dict, blank=True)
    # Folded name, phones and emails (sencrm.core.text.fold): what search matches against.
    search_key = models.TextField(default="", blank=True, editable=False)
    # The first phone and email, kept on the row so that lists need no extra query.
    primary_phone = models.CharField(_("phone"), max_length=40, blank=True, editable=False)
    primary_email = models.CharField(_("email"), max_length=254, blank=True, editable=False)

    audit_exclude = Record.audit_exclude | {
        "search_key",
        "sort_key",
        "primary_phone",
        "primary_email",
        "first_receipt",
        "first_receipt_at",
    }

    class Meta:
        abstract = True

    @classmethod
    def access_q(cls, user: Any, level: str) -> models.Q:
        q = super().access_q(user, level)
        for reach in REACH:
            extra = reach(user, level, cls)
            if extra is not None:
                q |= extra
        return q

    def in_access_scope(self, user: Any, level: str) -> bool:
        if super().in_access_scope(user, level):
            return True
        for reach in REACH:
            extra = reach(user, level, type(self))
            if extra is not None and type(self)._default_manager.filter(extra, pk=self.pk).exists():
                return True
        return False

    def event_customer(self) -> models.Model:
        return self

    @property
    def address(self) -> str:
        return ", ".join(p for p in [self.street, self.ward, str(self.province or "")] if p)


class Account(Customer):
    """An organisation that buys from us (khách hàng tổ chức)."""

    name = models.CharField(_("name"), max_length=200)
    tax_code = models.CharField(
        _("tax code"),
        max_length=14,
        blank=True,
        db_index=True,
        validators=[validate_tax_code],
        help_text=_("10 digits, 10 digits + “-” + 3 digits for a branch, or a 12-digit personal tax code."),
    )
    industry = models.CharField(_("industry"), max_length=100, blank=True)
    first_touch_at = models.DateTimeField(_("first touch"), null=True, blank=True)
    website = models.URLField(_("website"), max_length=200, blank=True)
    # A supplier (nhà cung cấp) is an account too: products name it as theirs.
    is_supplier = models.BooleanField(_("supplier"), default=False)
    sort_key = models.CharField(max_length=200, default="", blank=True, editable=False, db_index=True)

    class Meta:
        verbose_name = _("account")
        verbose_name_plural = _("accounts")
        indexes = [
            models.Index(fields=["sort_key", "id"], name="customers_account_sort_idx"),
            # New customers of a period (attribution, the board's dashboard): a range on this column.
            models.Index(
                fields=["first_receipt_at"],
                name="customers_account_first_rc_idx",
                condition=models.Q(first_receipt_at__isnull=False),
            ),
        ]

    def __str__(self) -> str:
        return self.name

    def get_absolute_url(self) -> str:
        return reverse("customers:account_detail", args=[self.pk])


class Contact(Customer):
    """A person: a customer on their own or someone at an account (người liên hệ)."""

    tags_prefetched = PrefetchedInto("tags")
    consents_prefetched = PrefetchedInto("consents")

    full_name = models.CharField(_("full name"), max_length=150)
    family_name = models.CharField(_("family name"), max_length=50, blank=True, editable=False)
    middle_name = models.CharField(_("middle name"), max_length=80, blank=True, editable=False)
    given_name = models.CharField(_("given name"), max_length=50, blank=True, editable=False)
    # "given family middle", folded: lists sort by the given name (tên) as Vietnamese lists do.
    sort_key = models.CharField(max_length=200, default="", blank=True, editable=False)
    gender = models.CharField(_("gender"), max_length=6, choices=Gender.choices, blank=True)
    date_of_birth = models.DateField(
        _("date of birth"), null=True, blank=True, validators=[validate_not_future]
    )
    title = models.CharField(_("job title"), max_length=100, blank=True)
    account = models.ForeignKey(
        Account,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="contacts",
        verbose_name=_("account"),
    )
    tags = models.ManyToManyField(Tag, blank=True, related_name="contacts", verbose_name=_("tags"))
    first_touch_at = models.DateTimeField(_("first touch"), null=True, blank=True)
    # Set on a contact merged into another one (it then stays in the trash as a tombstone).
    merged_into = models.ForeignKey(
        "self",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        editable=False,
        related_name="+",
        verbose_name=_("merged into"),
    )
    # Not a column: the account's name as the reader may see it, set by access.label_related on the
    # contacts a list, the search or caller ID shows.
    account_label: str

    class Meta:
        verbose_name = _("contact")
        verbose_name_plural = _("contacts")
        indexes = [
            models.Index(fields=["sort_key", "id"], name="customers_contact_sort_idx"),
            models.Index(fields=["owner", "sort_key", "id"], name="customers_contact_owner_idx"),
            # New customers of a period (attribution, the board's dashboard): a range on this column.
            models.Index(
                fields=["first_receipt_at"],
                name="customers_contact_first_rc_idx",
                condition=models.Q(first_receipt_at__isnull=False),
            ),
        ]

    def __str__(self) -> str:
        return self.full_name

    def get_absolute_url(self) -> str:
        return reverse("customers:contact_detail", args=[self.pk])


class Phone(models.Model):
    """A phone number of a contact or an account: as typed, and as E.164 for matching."""

    contact = models.ForeignKey(
        Contact, on_delete=models.CASCADE, null=True, blank=True, related_name="phones"
    )
    account = models.ForeignKey(
        Account, on_delete=models.CASCADE, null=True, blank=True, related_name="phones"
    )
    number = models.CharField(_("phone"), max_length=40)
    e164 = models.CharField(_("E.164"), max_length=20, db_index=True)
    label = models.CharField(_("label"), max_length=10, choices=PhoneLabel.choices, default=PhoneLabel.MOBILE)
    position = models.PositiveSmallIntegerField(default=0)

    class Meta:
        verbose_name = _("phone")
        verbose_name_plural = _("phones")
        ordering = ["position", "id"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(contact__isnull=False) | models.Q(account__isnull=False),
                name="customers_phone_has_owner",
            )
        ]

    def __str__(self) -> str:
        return self.number


class Email(models.Model):
    """An email address of a contact or an account (matched lower-cased)."""

    contact = models.ForeignKey(
        Contact, on_delete=models.CASCADE, null=True, blank=True, related_name="emails"
    )
    account = models.ForeignKey(
        Account, on_delete=models.CASCADE, null=True, blank=True, related_name="emails"
    )
    address = models.EmailField(_("email"), max_length=254)
    address_key = models.CharField(max_length=254, db_index=True)
    position = models.PositiveSmallIntegerField(default=0)

    class Meta:
        verbose_name = _("email")
        verbose_name_plural = _("emails")
        ordering = ["position", "id"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(contact__isnull=False) | models.Q(account__isnull=False),
                name="customers_email_has_owner",
            )
        ]

    def __str__(self) -> str:
        return self.address


class ConsentAnswer(models.Model):
    """An answer to "may we contact you on this channel?", with when and how it was given: what a contact's
    and a lead's (sales.LeadConsent) consent rows share; `customers.consents` writes both."""

    channel = models.CharField(_("channel"), max_length=10, choices=ConsentChannel.choices)
    granted = models.BooleanField(_("granted"))
    recorded_at = models.DateTimeField(_("date"))
    source = models.CharField(_("source"), max_length=200, blank=True)

    class Meta:
        abstract = True
        verbose_name = _("consent")
        verbose_name_plural = _("consents")

    def __str__(self) -> str:
        return f"{self.channel}: {self.granted}"

    def as_dict(self) -> dict[str, Any]:
        return {"granted": self.granted, "at": self.recorded_at.isoformat(), "source": self.source}


class Consent(ConsentAnswer):
    """A contact's consent (or refusal) to be contacted on one channel, with when and how it was given."""

    contact = models.ForeignKey(Contact, on_delete=models.CASCADE, related_name="consents")

    class Meta(ConsentAnswer.Meta):
        constraints = [
            models.UniqueConstraint(
                fields=["contact", "channel"], name="customers_consent_unique_contact_channel"
            )
        ]


class ConsentPurpose(models.TextChoices):
    MARKETING = "marketing", _("Marketing")
    CARE = "care", _("Customer care")
    SERVICE = "service", _("Service and maintenance")


class ConsentSource(models.TextChoices):
    FORM = "form", _("Form")
    WEB_FORM = "web_form", _("Web form")
    CALL = "call", _("Call")
    IMPORT = "import", _("Import")
    API = "api", _("API")
    UNSUBSCRIBE = "unsubscribe", _("Unsubscribe link")
    MESSAGE = "message", _("Fanpage / Zalo message")
    CONVERSION = "conversion", _("Lead conversion")
    MERGE = "merge", _("Merge")
    REQUEST = "request", _("Personal-data request")


class ConsentRecord(models.Model):
    """The consent ledger: one row per consent given or withdrawn, per channel and purpose, never changed
    nor deleted (Law 91/2025/QH15 and Decree 356/2025: consent must be explicit and verifiable, its
    evidence kept). The current answer for a channel and purpose is the latest row.

    A row belongs to a contact or to a lead (a lead's rows are copied to the contact it becomes)."""

    contact = models.ForeignKey(
        Contact, on_delete=models.CASCADE, null=True, blank=True, related_name="consent_records"
    )
    lead = models.ForeignKey(
        "sales.Lead", on_delete=models.CASCADE, null=True, blank=True, related_name="consent_records"
    )
    channel = models.CharField(_("channel"), max_length=10, choices=ConsentChannel.choices)
    purpose = models.CharField(
        _("purpose"), max_length=10, choices=ConsentPurpose.choices, default=ConsentPurpose.MARKETING
    )
    granted = models.BooleanField(_("granted"))
    at = models.DateTimeField(_("date"))
    source = models.CharField(_("source"), max_length=12, choices=ConsentSource.choices)
    # The form's text and version, the call's id, the imported file's name, the link's token…
    evidence = models.CharField(_("evidence"), max_length=500, blank=True)
    recorded_at = models.DateTimeField(_("recorded at"), default=timezone.now, editable=False)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("recorded by"),
    )

    class Meta:
        verbose_name = _("consent record")
        verbose_name_plural = _("consent ledger")
        constraints = [
            models.CheckConstraint(
                condition=models.Q(contact__isnull=False) | models.Q(lead__isnull=False),
                name="customers_consentrecord_has_person",
            )
        ]
        indexes = [
            models.Index(
                fields=["contact", "channel", "purpose", "-at"], name="customers_consentrec_cur_idx"
            ),
            models.Index(fields=["lead", "channel", "purpose", "-at"], name="customers_consentrec_lead_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.channel}/{self.purpose}: {self.granted}"
