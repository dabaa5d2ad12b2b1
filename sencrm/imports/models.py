"""Import jobs: a file of contacts, accounts, leads or products, its mapping, its progress and its report."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class ImportTarget(models.TextChoices):
    CONTACTS = "contacts", _("Contacts")
    ACCOUNTS = "accounts", _("Accounts")
    LEADS = "leads", _("Leads")
    PRODUCTS = "products", _("Products")


class ImportStatus(models.TextChoices):
    UPLOADED = "uploaded", _("Waiting for the column mapping")
    ANALYSING = "analysing", _("Checking the file")
    READY = "ready", _("Ready to import")
    QUEUED = "queued", _("Queued")
    RUNNING = "running", _("Importing")
    DONE = "done", _("Finished")
    CANCELLED = "cancelled", _("Cancelled")
    FAILED = "failed", _("Failed")
    UNDOING = "undoing", _("Being undone")
    UNDONE = "undone", _("Undone")


class DedupeMode(models.TextChoices):
    SKIP = "skip", _("Skip the row")
    UPDATE = "update", _("Update the existing record")
    CREATE = "create", _("Create a new record anyway")


class ImportJob(models.Model):
    """One import of a CSV/XLSX file into contacts, accounts, leads or products: its file, mapping, progress
    and report.

    Counters always add up: rows_read = created + updated + skipped + rejected (empty rows are not read).
    Only its creator (and administrators) may see a job and its rejected-rows file.
    """

    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+", verbose_name=_("imported by")
    )
    target = models.CharField(_("import into"), max_length=10, choices=ImportTarget.choices)
    file_name = models.CharField(_("file"), max_length=200)
    # Random name of the uploaded copy under DATA_DIR/imports (empty: deleted, or a command-line file).
    stored_name = models.CharField(max_length=80, blank=True)
    file_size = models.BigIntegerField(default=0)
    file_kind = models.CharField(max_length=4, default="csv")  # csv | xlsx
    encoding = models.CharField(_("encoding"), max_length=20, blank=True)
    delimiter = models.CharField(_("delimiter"), max_length=2, blank=True)
    sheet = models.CharField(_("sheet"), max_length=100, blank=True)
    header_row = models.PositiveIntegerField(_("header row"), default=1)
    columns = models.JSONField(default=list, blank=True)  # header names, one per column
    mapping = models.JSONField(default=list, blank=True)  # field key per column ("" = ignored)
    dedupe_mode = models.CharField(
        _("when a row matches an existing record"),
        max_length=6,
        choices=DedupeMode.choices,
        default=DedupeMode.SKIP,
    )
    match_keys = models.JSONField(default=list, blank=True)  # "id", "phone", "email", "tax_code", "code"
    # Off: a value that cannot be placed in a field that identifies no one (province, source, date of
    # birth…) is a warning and the row is imported; on: such a row is rejected.
    reject_warnings = models.BooleanField(_("reject rows with warnings"), default=False)
    warnings = models.JSONField(default=list, blank=True)  # about reading the file (encoding…)
    status = models.CharField(_("status"), max_length=10, choices=ImportStatus.choices, default="uploaded")
    cancel_requested = models.BooleanField(default=False)
    preview = models.JSONField(default=dict, blank=True)  # counts of new / duplicate / invalid rows
    rows_total = models.PositiveIntegerField(null=True, blank=True)
    rows_read = models.PositiveIntegerField(_("rows read"), default=0)
    created = models.PositiveIntegerField(_("created"), default=0)
    updated = models.PositiveIntegerField(_("updated"), default=0)
    skipped = models.PositiveIntegerField(_("skipped"), default=0)
    rejected = models.PositiveIntegerField(_("rejected"), default=0)
    # Rows created or updated with a value that could not be placed (kept as typed on the record).
    warned = models.PositiveIntegerField(_("with warnings"), default=0)
    empty_rows = models.PositiveIntegerField(default=0)
    last_line = models.PositiveIntegerField(
        default=0
    )  # the last line written: a restarted job resumes after it
    skip_reasons = models.JSONField(default=dict, blank=True)  # {reason code: count}
    undo_result = models.JSONField(default=dict, blank=True)
    error_message = models.TextField(blank=True)
    created_at = models.DateTimeField(_("uploaded at"), auto_now_add=True)
    started_at = models.DateTimeField(_("started at"), null=True, blank=True)
    finished_at = models.DateTimeField(_("finished at"), null=True, blank=True)
    heartbeat_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("import")
        verbose_name_plural = _("imports")
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["created_by", "-created_at"], name="extras_importjob_user_idx")]

    def __str__(self) -> str:
        return f"#{self.pk} {self.file_name}"

    def get_absolute_url(self) -> str:
        from django.urls import reverse

        return reverse("imports:import_job", args=[self.pk])

    @property
    def actor_label(self) -> str:
        return f"system:import#{self.pk}"

    @property
    def percent(self) -> int:
        if self.status in (ImportStatus.DONE, ImportStatus.UNDONE):
            return 100
        if not self.rows_total:
            return 0
        return min(100, int(100 * self.rows_read / self.rows_total))


class ImportMapping(models.Model):
    """A named column mapping (header → field) that can be applied to the next file with the same headers."""

    target = models.CharField(_("import into"), max_length=10, choices=ImportTarget.choices)
    name = models.CharField(_("name"), max_length=80)
    # {folded header: field key}; "" keeps a column deliberately ignored.
    columns = models.JSONField(default=dict)
    dedupe_mode = models.CharField(max_length=6, choices=DedupeMode.choices, default=DedupeMode.SKIP)
    match_keys = models.JSONField(default=list, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("import mapping")
        verbose_name_plural = _("import mappings")
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(fields=["target", "name"], name="extras_importmapping_unique_name")
        ]

    def __str__(self) -> str:
        return self.name


class ImportChunk(models.Model):
    """What one batch of an import wrote, for undo: ids created, and the previous values of updated ones."""

    job = models.ForeignKey(ImportJob, on_delete=models.CASCADE, related_name="chunks")
    created_ids = models.JSONField(default=list, blank=True)
    # {record id: {"before": {field: old value, "phones": [...], …}, "version": version after the import}}
    updated = models.JSONField(default=dict, blank=True)

    class Meta:
        verbose_name = _("import batch")
        verbose_name_plural = _("import batches")

    def __str__(self) -> str:
        return f"{self.job_id}: {len(self.created_ids)} + {len(self.updated)}"


class ImportRowError(models.Model):
    """A row that was not imported: its line, what was wrong (column: reason) and its original cells.

    Rejected rows make the downloadable file (original columns + the reason) that can be fixed and
    imported again; rows imported with warnings make a second file; skipped rows with a reason worth
    telling are listed in the report only.
    """

    job = models.ForeignKey(ImportJob, on_delete=models.CASCADE, related_name="row_errors")
    line = models.PositiveIntegerField(_("row"))
    message = models.TextField(_("reason"))
    cells = models.JSONField(default=list, blank=True)
    # A row skipped for a reason worth telling (no access, several matches), not rejected.
    skipped = models.BooleanField(default=False)
    # A row imported with values that could not be placed (their own downloadable list), not rejected.
    warning = models.BooleanField(default=False)

    class Meta:
        verbose_name = _("rejected row")
        verbose_name_plural = _("rejected rows")
        ordering = ["job", "line"]
        indexes = [models.Index(fields=["job", "line"], name="extras_importrowerror_job_idx")]

    def __str__(self) -> str:
        return f"{self.job_id}:{self.line}"
