"""After-sales (hậu mãi): installed products (assets) with their warranty, periodic maintenance plans,
and field-service work orders (phiếu công việc) done by technicians on site.

Configuration (skills, technicians' profiles, checklists per work type) is edited by administrators and
read by everyone who dispatches; it is not gated. Assets, plans and work orders are records of the
`fieldservice` module and go through the access gate: a technician's "own" work orders are those they
are assigned to, and their "own" assets and customers are those on their work orders.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any, ClassVar

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from sencrm.core import access
from sencrm.core.models import Record
from sencrm.core.modules import Module, Scope

# --- choices -------------------------------------------------------------------------------------


class AssetStatus(models.TextChoices):
    INSTALLED = "installed", pgettext_lazy("asset status", "Installed")
    UNDER_REPAIR = "under_repair", _("Under repair")
    REPLACED = "replaced", pgettext_lazy("asset status", "Replaced")
    REMOVED = "removed", pgettext_lazy("asset status", "Removed")


class WarrantyRule(models.TextChoices):
    """What decided an asset's warranty (the answer of the warranty check names it)."""

    NONE = "none", _("No warranty")
    PRODUCT = "product", _("Product warranty")
    CONTRACT = "contract", _("Extended by contract")
    MANUAL = "manual", _("Set by hand")
    VOIDED = "voided", _("Warranty voided")


class WorkKind(models.TextChoices):
    INSTALL = "install", _("Installation")
    REPAIR = "repair", _("Repair")
    WARRANTY_REPAIR = "warranty_repair", _("Warranty repair")
    MAINTENANCE = "maintenance", _("Maintenance")


class WorkStatus(models.TextChoices):
    SCHEDULED = "scheduled", _("Scheduled")
    ON_THE_WAY = "on_the_way", _("On the way")
    IN_PROGRESS = "in_progress", _("In progress")
    DONE = "done", pgettext_lazy("work order status", "Done")
    FAILED = "failed", _("Could not complete")
    CANCELLED = "cancelled", pgettext_lazy("work order status", "Cancelled")


# The transition map (services check it): done, failed and cancelled are final. "Scheduled" also means
# "waiting to be scheduled" when the work order has no technician or no time yet.
WORK_TRANSITIONS: dict[str, tuple[str, ...]] = {
    WorkStatus.SCHEDULED: (WorkStatus.ON_THE_WAY, WorkStatus.IN_PROGRESS, WorkStatus.CANCELLED),
    WorkStatus.ON_THE_WAY: (WorkStatus.IN_PROGRESS, WorkStatus.FAILED, WorkStatus.SCHEDULED),
    WorkStatus.IN_PROGRESS: (WorkStatus.DONE, WorkStatus.FAILED),
    WorkStatus.DONE: (),
    WorkStatus.FAILED: (),
    WorkStatus.CANCELLED: (),
}
OPEN_WORK = (WorkStatus.SCHEDULED, WorkStatus.ON_THE_WAY, WorkStatus.IN_PROGRESS)
FINAL_WORK = (WorkStatus.DONE, WorkStatus.FAILED, WorkStatus.CANCELLED)


class VisitStatus(models.TextChoices):
    PLANNED = "planned", _("Planned")
    ORDERED = "ordered", _("Work order created")
    SKIPPED = "skipped", _("Skipped")
    DONE = "done", pgettext_lazy("maintenance visit", "Done")


# --- configuration ---------------------------------------------------------------------------------


class Skill(models.Model):
    """What a technician can do (lắp đặt điều hòa, sửa máy giặt, điện lạnh công nghiệp…)."""

    name = models.CharField(_("name"), max_length=100, unique=True)
    active = models.BooleanField(_("active"), default=True)

    class Meta:
        verbose_name = _("skill")
        verbose_name_plural = _("skills")
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class Technician(models.Model):
    """A user who goes on site: their skills, the provinces they serve, and whether they take jobs."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="technician", verbose_name=_("user")
    )
    skills = models.ManyToManyField(Skill, blank=True, related_name="technicians", verbose_name=_("skills"))
    provinces = models.ManyToManyField(
        "customers.Province",
        blank=True,
        related_name="+",
        verbose_name=_("provinces served"),
        help_text=_("Empty: every province."),
    )
    phone = models.CharField(_("phone"), max_length=20, blank=True)
    color = models.CharField(_("colour"), max_length=7, default="#0d6efd")
    active = models.BooleanField(_("takes jobs"), default=True)

    class Meta:
        verbose_name = _("technician")
        verbose_name_plural = _("technicians")
        ordering = ["user__first_name", "user__username"]

    def __str__(self) -> str:
        return str(self.user)


class ChecklistItem(models.Model):
    """One step of a work type's checklist (copied onto each work order of that type when created)."""

    kind = models.CharField(_("work type"), max_length=20, choices=WorkKind.choices)
    text = models.CharField(_("step"), max_length=200)
    position = models.PositiveSmallIntegerField(_("position"), default=0)
    active = models.BooleanField(_("active"), default=True)

    class Meta:
        verbose_name = _("checklist step")
        verbose_name_plural = _("checklist steps")
        ordering = ["kind", "position", "id"]

    def __str__(self) -> str:
        return self.text


# --- records --------------------------------------------------------------------------------------


class Site(models.Model):
    """Where the work is: an address with province and ward, and the person to ask for on site."""

    site_street = models.CharField(_("street address"), max_length=200, blank=True)
    site_ward = models.CharField(_("ward / commune"), max_length=100, blank=True)
    site_province = models.ForeignKey(
        "customers.Province",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("province"),
    )
    site_contact_name = models.CharField(_("contact person on site"), max_length=150, blank=True)
    site_contact_phone = models.CharField(_("phone on site"), max_length=40, blank=True)

    class Meta:
        abstract = True

    @property
    def site_address(self) -> str:
        province = getattr(self, "site_province", None)
        parts = [self.site_street, self.site_ward, str(province) if province else ""]
        return ", ".join(p for p in parts if p)


class CustomerSiteRecord(Record, Site):
    """A field-service record about a contact and/or an account, at a site; on that customer's timeline."""

    access_module: ClassVar[str] = Module.FIELDSERVICE

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

    @property
    def customer(self) -> Any:
        return getattr(self, "account", None) or getattr(self, "contact", None)


class Asset(CustomerSiteRecord):
    """An installed product (thiết bị đã lắp đặt) at a customer's site, with its warranty.

    `warranty_until` is the last day in warranty (inclusive), derived by sencrm/fieldservice/warranty.py
    from the product's warranty months or the contract's terms, unless set by hand; a recorded void
    ends it from `warranty_void_on`.
    """

    product = models.ForeignKey(
        "catalog.Product", on_delete=models.PROTECT, related_name="+", verbose_name=_("product")
    )
    serial_number = models.CharField(_("serial number"), max_length=80, blank=True)
    status = models.CharField(
        _("status"), max_length=12, choices=AssetStatus.choices, default=AssetStatus.INSTALLED
    )
    installed_on = models.DateField(_("installation date"), null=True, blank=True)
    warranty_start = models.DateField(_("warranty start"), null=True, blank=True)
    warranty_until = models.DateField(_("warranty until"), null=True, blank=True)
    warranty_rule = models.CharField(
        _("warranty rule"), max_length=10, choices=WarrantyRule.choices, default=WarrantyRule.NONE
    )
    warranty_void_reason = models.CharField(_("reason the warranty is void"), max_length=300, blank=True)
    warranty_void_on = models.DateField(_("warranty void from"), null=True, blank=True)
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
    # The delivered line it came from: a delivery creates its assets once (one per unit when the
    # product is serialised, else one for the line), `unit` numbering them within the line.
    delivery_line = models.ForeignKey(
        "commerce.DeliveryLine",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        editable=False,
        related_name="+",
    )
    unit = models.PositiveIntegerField(default=1, editable=False)
    quantity = models.PositiveIntegerField(_("quantity"), default=1)
    replaced_by = models.ForeignKey(
        "self",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("replaced by"),
    )
    notes = models.TextField(_("notes"), blank=True)
    # Folded product, serial, customer and site: what search matches against.
    search_key = models.CharField(max_length=500, default="", blank=True, editable=False)
    warranty_reminded_at = models.DateTimeField(null=True, blank=True, editable=False)

    audit_exclude = Record.audit_exclude | {"search_key", "warranty_reminded_at"}

    class Meta:
        verbose_name = _("installed product")
        verbose_name_plural = _("installed products")
        indexes = [
            models.Index(fields=["contact", "status"], name="fs_asset_contact_idx"),
            models.Index(fields=["account", "status"], name="fs_asset_account_idx"),
            models.Index(fields=["warranty_until"], name="fs_asset_warranty_idx"),
            models.Index(fields=["-created_at", "-id"], name="fs_asset_created_idx"),
            models.Index(fields=["serial_number"], name="fs_asset_serial_idx"),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["product", "serial_number"],
                condition=~models.Q(serial_number="") & models.Q(deleted_at__isnull=True),
                name="fs_asset_unique_serial",
            ),
            models.UniqueConstraint(
                fields=["delivery_line", "unit"],
                condition=models.Q(delivery_line__isnull=False),
                name="fs_asset_once_per_delivered_unit",
            ),
        ]

    def __str__(self) -> str:
        name = self.product.name if self.product_id else ""
        return f"{name} · {self.serial_number}" if self.serial_number else name

    def get_absolute_url(self) -> str:
        return reverse("fieldservice:asset_detail", args=[self.pk])

    @classmethod
    def access_q(cls, user: Any, level: str) -> models.Q:
        """Own: owned by the user, or on a work order assigned to them (a technician's)."""
        q = access.owner_team_q(user, level)
        mine = WorkOrderAsset.objects.filter(work_order__technician_id=user.pk).values("asset_id")
        return q | models.Q(pk__in=mine)

    def in_access_scope(self, user: Any, level: str) -> bool:
        if super().in_access_scope(user, level):
            return True
        return WorkOrderAsset.objects.filter(asset_id=self.pk, work_order__technician_id=user.pk).exists()


class MaintenancePlan(Record):
    """Periodic maintenance (bảo dưỡng định kỳ): every `interval_months` from `start_date`, for one asset
    or for a customer's assets of a product / under a contract. Visits are generated `lead_days` ahead;
    their due dates stay on the cycle (start + k × interval) whatever happens to one visit. A plan
    under a contract ends with it."""

    access_module: ClassVar[str] = Module.FIELDSERVICE
    event_prefix: ClassVar[str] = "maintenance_plan"

    name = models.CharField(_("name"), max_length=200)
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
    contract = models.ForeignKey(
        "commerce.Contract",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("contract"),
    )
    product = models.ForeignKey(
        "catalog.Product",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("product"),
        help_text=_("Empty: every asset chosen below, whatever the product."),
    )
    assets = models.ManyToManyField(Asset, blank=True, related_name="plans", verbose_name=_("assets"))
    interval_months = models.PositiveSmallIntegerField(
        _("every (months)"), validators=[MinValueValidator(1), MaxValueValidator(120)]
    )
    start_date = models.DateField(_("first visit"))
    end_date = models.DateField(
        _("end date"), null=True, blank=True, help_text=_("Empty: until the contract ends, or no end.")
    )
    lead_days = models.PositiveSmallIntegerField(
        _("create visits (days ahead)"), default=14, validators=[MaxValueValidator(365)]
    )
    remind_days = models.PositiveSmallIntegerField(
        _("remind the customer (days ahead)"), default=3, validators=[MaxValueValidator(60)]
    )
    duration_minutes = models.PositiveSmallIntegerField(
        _("duration (minutes)"), default=60, validators=[MinValueValidator(5), MaxValueValidator(24 * 60)]
    )
    skill = models.ForeignKey(
        Skill, on_delete=models.SET_NULL, null=True, blank=True, related_name="+", verbose_name=_("skill")
    )
    active = models.BooleanField(_("active"), default=True)
    ended_at = models.DateTimeField(_("ended at"), null=True, blank=True, editable=False)
    ended_reason = models.CharField(_("reason"), max_length=300, blank=True, editable=False)
    notes = models.TextField(_("notes"), blank=True)

    class Meta:
        verbose_name = _("maintenance plan")
        verbose_name_plural = _("maintenance plans")
        indexes = [models.Index(fields=["active", "start_date"], name="fs_plan_active_idx")]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(end_date__isnull=True) | models.Q(end_date__gte=models.F("start_date")),
                name="fs_plan_period",
            )
        ]

    def __str__(self) -> str:
        return self.name

    def get_absolute_url(self) -> str:
        return reverse("fieldservice:plan_detail", args=[self.pk])

    def event_customer(self) -> models.Model | None:
        customer: models.Model | None = self.contact or self.account
        return customer


class MaintenanceVisit(models.Model):
    """The k-th visit of a plan: `due_date` is on the cycle and never moves; `planned_date` is when it
    is actually booked (a rescheduled visit); skipped visits keep their place in the cycle."""

    plan = models.ForeignKey(MaintenancePlan, on_delete=models.CASCADE, related_name="visits")
    sequence = models.PositiveIntegerField(_("visit"))
    due_date = models.DateField(_("due date"))
    planned_date = models.DateField(_("planned date"))
    status = models.CharField(
        _("status"), max_length=10, choices=VisitStatus.choices, default=VisitStatus.PLANNED
    )
    work_order = models.ForeignKey(
        "WorkOrder",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("work order"),
    )
    reminded_at = models.DateTimeField(_("customer reminded at"), null=True, blank=True)
    note = models.CharField(_("note"), max_length=300, blank=True)

    class Meta:
        verbose_name = _("maintenance visit")
        verbose_name_plural = _("maintenance visits")
        ordering = ["plan", "sequence"]
        constraints = [
            models.UniqueConstraint(fields=["plan", "sequence"], name="fs_visit_once_per_cycle"),
        ]
        indexes = [models.Index(fields=["status", "planned_date"], name="fs_visit_due_idx")]

    def __str__(self) -> str:
        return f"{self.plan_id} #{self.sequence} {self.due_date:%d/%m/%Y}"


class WorkOrder(CustomerSiteRecord):
    """A work order (phiếu công việc): install, repair, warranty repair or maintenance at a site, by a
    technician at a booked time. `owner` is who created or dispatches it; `technician` does it (empty
    while unassigned, shown on the dispatch board's side)."""

    event_prefix: ClassVar[str] = "work_order"

    number = models.CharField(_("number"), max_length=30, unique=True, editable=False)
    kind = models.CharField(_("work type"), max_length=20, choices=WorkKind.choices, default=WorkKind.REPAIR)
    status = models.CharField(
        _("status"), max_length=12, choices=WorkStatus.choices, default=WorkStatus.SCHEDULED, editable=False
    )
    title = models.CharField(_("title"), max_length=200)
    description = models.TextField(_("description"), blank=True)
    technician = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("technician"),
    )
    skill = models.ForeignKey(
        Skill,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("skill needed"),
    )
    scheduled_start = models.DateTimeField(_("scheduled start"), null=True, blank=True)
    scheduled_end = models.DateTimeField(_("scheduled end"), null=True, blank=True)
    assets = models.ManyToManyField(
        Asset, through="WorkOrderAsset", blank=True, related_name="work_orders", verbose_name=_("assets")
    )
    ticket = models.ForeignKey(
        "support.Ticket",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("ticket"),
    )
    order = models.ForeignKey(
        "commerce.Order",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("order"),
    )
    delivery = models.ForeignKey(
        "commerce.Delivery",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=pgettext_lazy("order delivery", "delivery"),
    )
    contract = models.ForeignKey(
        "commerce.Contract",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("contract"),
    )
    plan = models.ForeignKey(
        MaintenancePlan,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="work_orders",
        verbose_name=_("maintenance plan"),
    )
    # Chargeable work puts its parts (and labour) on an invoice; warranty work is free.
    chargeable = models.BooleanField(_("chargeable"), default=True)
    labour_price = models.DecimalField(
        _("labour"),
        max_digits=18,
        decimal_places=0,
        default=Decimal(0),
        validators=[MinValueValidator(Decimal(0)), MaxValueValidator(Decimal(10) ** 15)],
    )
    invoice = models.ForeignKey(
        "billing.Invoice",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        editable=False,
        related_name="+",
        verbose_name=_("invoice"),
    )
    on_the_way_at = models.DateTimeField(_("on the way at"), null=True, blank=True, editable=False)
    started_at = models.DateTimeField(_("started at"), null=True, blank=True, editable=False)
    finished_at = models.DateTimeField(_("finished at"), null=True, blank=True, editable=False)
    minutes_spent = models.PositiveIntegerField(
        _("time spent (minutes)"), null=True, blank=True, validators=[MaxValueValidator(7 * 24 * 60)]
    )
    result_notes = models.TextField(_("result"), blank=True)
    failure_reason = models.CharField(_("why it could not be completed"), max_length=300, blank=True)
    cancel_reason = models.CharField(_("cancellation reason"), max_length=300, blank=True)
    # The customer's signature drawn on the technician's screen: a PNG stored outside the web root.
    signature_file = models.CharField(max_length=100, blank=True, editable=False)
    signed_at = models.DateTimeField(_("signed at"), null=True, blank=True, editable=False)
    signed_by = models.CharField(_("signed by"), max_length=150, blank=True, editable=False)
    search_key = models.CharField(max_length=500, default="", blank=True, editable=False)

    audit_exclude = Record.audit_exclude | {"search_key", "signature_file"}

    class Meta:
        verbose_name = _("work order")
        verbose_name_plural = _("work orders")
        indexes = [
            models.Index(fields=["technician", "scheduled_start"], name="fs_wo_tech_start_idx"),
            models.Index(fields=["status", "scheduled_start"], name="fs_wo_status_start_idx"),
            models.Index(fields=["-created_at", "-id"], name="fs_wo_created_idx"),
            models.Index(fields=["contact", "status"], name="fs_wo_contact_idx"),
            models.Index(fields=["account", "status"], name="fs_wo_account_idx"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(scheduled_start__isnull=True)
                | models.Q(scheduled_end__isnull=True)
                | models.Q(scheduled_end__gt=models.F("scheduled_start")),
                name="fs_wo_period",
            )
        ]

    def __str__(self) -> str:
        return f"{self.number} {self.title}"

    def get_absolute_url(self) -> str:
        return reverse("fieldservice:workorder_detail", args=[self.pk])

    @classmethod
    def access_q(cls, user: Any, level: str) -> models.Q:
        """Own: assigned to the user (the technician) or created by them. Team: also those of their
        teams and teammates, and those their teammates are assigned to."""
        q = access.owner_team_q(user, level) | models.Q(technician_id=user.pk)
        if level == Scope.TEAM:
            q |= models.Q(technician_id__in=user.teammate_ids())
        return q

    def in_access_scope(self, user: Any, level: str) -> bool:
        if super().in_access_scope(user, level) or self.technician_id == user.pk:
            return True
        return level == Scope.TEAM and self.technician_id in user.teammate_ids()

    @property
    def is_open(self) -> bool:
        return self.status in OPEN_WORK


class WorkOrderAsset(models.Model):
    """An asset on a work order, with its warranty as checked on the work order's day."""

    work_order = models.ForeignKey(WorkOrder, on_delete=models.CASCADE, related_name="asset_links")
    asset = models.ForeignKey(Asset, on_delete=models.PROTECT, related_name="work_order_links")
    in_warranty = models.BooleanField(_("in warranty"), default=False)
    warranty_rule = models.CharField(
        _("warranty rule"), max_length=10, choices=WarrantyRule.choices, default=WarrantyRule.NONE
    )

    class Meta:
        verbose_name = _("asset on a work order")
        verbose_name_plural = _("assets on work orders")
        constraints = [
            models.UniqueConstraint(fields=["work_order", "asset"], name="fs_woasset_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.work_order_id}: {self.asset_id}"


class WorkOrderCheck(models.Model):
    """A checklist step on a work order (copied from the work type's checklist), ticked on site."""

    work_order = models.ForeignKey(WorkOrder, on_delete=models.CASCADE, related_name="checks")
    text = models.CharField(_("step"), max_length=200)
    position = models.PositiveSmallIntegerField(default=0)
    done = models.BooleanField(_("done"), default=False)
    note = models.CharField(_("note"), max_length=300, blank=True)

    class Meta:
        verbose_name = _("checklist step")
        verbose_name_plural = _("checklist steps")
        ordering = ["position", "id"]

    def __str__(self) -> str:
        return self.text


class WorkOrderPart(models.Model):
    """A part used (vật tư): product and quantity. Free when under warranty, else it goes on the invoice."""

    work_order = models.ForeignKey(WorkOrder, on_delete=models.CASCADE, related_name="parts")
    product = models.ForeignKey(
        "catalog.Product", on_delete=models.PROTECT, related_name="+", verbose_name=_("product")
    )
    asset = models.ForeignKey(
        Asset, on_delete=models.SET_NULL, null=True, blank=True, related_name="+", verbose_name=_("asset")
    )
    quantity = models.DecimalField(
        _("quantity"),
        max_digits=12,
        decimal_places=3,
        validators=[MinValueValidator(Decimal("0.001")), MaxValueValidator(Decimal(100000))],
    )
    unit_price = models.DecimalField(
        _("unit price"),
        max_digits=18,
        decimal_places=0,
        default=Decimal(0),
        validators=[MinValueValidator(Decimal(0)), MaxValueValidator(Decimal(10) ** 15)],
    )
    chargeable = models.BooleanField(_("chargeable"), default=True)
    created_at = models.DateTimeField(default=timezone.now, editable=False)

    class Meta:
        verbose_name = _("part used")
        verbose_name_plural = _("parts used")
        ordering = ["id"]

    def __str__(self) -> str:
        return f"{self.product_id} × {self.quantity}"


class WorkOrderPhoto(models.Model):
    """A photo taken on site (checked to be a real JPEG/PNG/WebP image, re-encoded, stored outside the
    web root under a random name)."""

    work_order = models.ForeignKey(WorkOrder, on_delete=models.CASCADE, related_name="photos")
    file = models.CharField(max_length=100, editable=False)
    caption = models.CharField(_("caption"), max_length=200, blank=True)
    width = models.PositiveIntegerField(default=0, editable=False)
    height = models.PositiveIntegerField(default=0, editable=False)
    size = models.PositiveIntegerField(default=0, editable=False)
    taken_at = models.DateTimeField(_("taken at"), default=timezone.now)
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )

    class Meta:
        verbose_name = _("photo")
        verbose_name_plural = _("photos")
        ordering = ["taken_at", "id"]

    def __str__(self) -> str:
        return self.caption or self.file


class OfflineChange(models.Model):
    """A change sent by the technician's phone screen, kept by the id the browser gave it: a change
    replayed after a lost connection is answered from here instead of being applied twice."""

    client_id = models.CharField(max_length=64, unique=True)
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    work_order = models.ForeignKey(WorkOrder, on_delete=models.CASCADE, related_name="+")
    action = models.CharField(max_length=30)
    received_at = models.DateTimeField(default=timezone.now)
    status_code = models.PositiveSmallIntegerField(default=200)
    result = models.JSONField(default=dict)

    class Meta:
        verbose_name = _("offline change")
        verbose_name_plural = _("offline changes")

    def __str__(self) -> str:
        return self.client_id
