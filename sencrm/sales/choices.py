from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy


class LeadStatus(models.TextChoices):
    NEW = "new", _("New")
    CONTACTED = "contacted", _("Contacted")
    QUALIFIED = "qualified", _("Qualified")
    UNQUALIFIED = "unqualified", _("Unqualified")
    CONVERTED = "converted", _("Converted")


# Statuses a user may set by hand: "converted" is reached only through lead_convert.
EDITABLE_LEAD_STATUSES = [s for s in LeadStatus if s != LeadStatus.CONVERTED]
OPEN_LEAD_STATUSES = [LeadStatus.NEW, LeadStatus.CONTACTED, LeadStatus.QUALIFIED]


class OpportunityStatus(models.TextChoices):
    OPEN = "open", pgettext_lazy("opportunity status", "Open")
    WON = "won", _("Won")
    LOST = "lost", _("Lost")


class RuleKind(models.TextChoices):
    SOURCE = "source", _("Source channel is")
    FIELD_PRESENT = "field_present", _("Field is filled in")
    PROVINCE = "province", _("Province is")
    ACTIVITY_COUNT = "activity_count", _("At least N activities")
    EMAIL_DOMAIN = "email_domain", _("Email domain is")
    RECENCY = "recency", _("First touch within N days")


# Lead fields a "field is filled in" rule may name (value → label).
SCORABLE_FIELDS = {
    "phone": _("Phone"),
    "email": _("Email"),
    "company": _("Company"),
    "province": _("Province"),
    "interest": _("Interest"),
    "campaign": _("Campaign"),
    "title": _("Job title"),
}


class WebFormField(models.TextChoices):
    """Fields a web-to-lead form may ask for (the name is always asked)."""

    PHONE = "phone", _("Phone")
    EMAIL = "email", _("Email")
    COMPANY = "company", _("Company")
    PROVINCE = "province", _("Province")
    INTEREST = "interest", _("What are you interested in?")
