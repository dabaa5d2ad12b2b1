"""`/api/v1/consents/`: the consent ledger of contacts (docs/api.md; field names are a contract).

Append-only: list (`?contact=`, `?channel=`, `?purpose=`), read, and `POST` to record an answer given or
withdrawn; `PUT`/`PATCH`/`DELETE` answer 405. Only the ledgers of contacts the reader may see are listed
(another id reads as an empty list, a row of one as 404); recording needs the right to edit the contact.
"""

from __future__ import annotations

from typing import Any

import django_filters
from django import forms
from django.db import models, transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django_filters.rest_framework import DjangoFilterBackend
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.permissions import BasePermission, IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.routers import SimpleRouter

from sencrm.core import access
from sencrm.core.api import csv_format
from sencrm.core.modules import Action, Module
from sencrm.customers import ledger
from sencrm.customers.choices import ConsentChannel
from sencrm.customers.consents import api_evidence
from sencrm.customers.models import ConsentPurpose, ConsentRecord, ConsentSource, Contact

# The doors an API client may name: the system's own (conversion, merge, the unsubscribe link, a
# personal-data request) are written only by the CRM itself.
API_SOURCES = [
    ConsentSource.API,
    ConsentSource.FORM,
    ConsentSource.WEB_FORM,
    ConsentSource.CALL,
    ConsentSource.IMPORT,
    ConsentSource.MESSAGE,
]


class ConsentRecordSerializer(serializers.ModelSerializer):  # type: ignore[type-arg]
    contact = serializers.PrimaryKeyRelatedField(queryset=Contact.objects.none())
    channel = serializers.ChoiceField(choices=ConsentChannel.choices)
    purpose = serializers.ChoiceField(choices=ConsentPurpose.choices, default=ConsentPurpose.MARKETING)
    granted = serializers.BooleanField()
    at = serializers.DateTimeField(
        required=False, help_text=_("When the answer was given (default: now); never in the future.")
    )
    source = serializers.ChoiceField(  # type: ignore[assignment]  # named like Field.source in the stubs
        choices=[(s, ConsentSource(s).label) for s in API_SOURCES], default=ConsentSource.API
    )
    evidence = serializers.CharField(
        required=False,
        allow_blank=True,
        max_length=400,
        help_text=_("What proves it: the form's text and version, the call's id, the file's name…"),
    )

    class Meta:
        model = ConsentRecord
        fields = ["id", "contact", "channel", "purpose", "granted", "at", "source", "evidence", "recorded_at"]
        read_only_fields = ["id", "recorded_at"]

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        request = self.context.get("request")
        contact: Any = self.fields["contact"]
        # A contact the caller may not see reads as one that does not exist.
        contact.queryset = access.scope(getattr(request, "user", None), Contact, Action.VIEW)

    def validate_at(self, value: Any) -> Any:
        if value.year < 2000:  # a typo (0102-…): Django's own "Enter a valid date/time."
            raise serializers.ValidationError(forms.DateTimeField.default_error_messages["invalid"])
        if value > timezone.now():
            raise serializers.ValidationError(_("The date of a consent cannot be in the future."))
        return value


class ConsentFilter(django_filters.FilterSet):  # type: ignore[misc]
    contact = django_filters.NumberFilter(field_name="contact_id", label="The contact's id.")
    channel = django_filters.ChoiceFilter(choices=ConsentChannel.choices)
    purpose = django_filters.ChoiceFilter(choices=ConsentPurpose.choices)

    class Meta:
        model = ConsentRecord
        fields = ["contact", "channel", "purpose"]


class CustomersRight(BasePermission):
    """403 for a role that may not see contacts at all; which contacts is decided per row."""

    message = _("Your role does not allow this.")

    def has_permission(self, request: Request, view: Any) -> bool:
        return access.can(request.user, Module.CUSTOMERS, Action.VIEW)


class ConsentRecordViewSet(
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    viewsets.GenericViewSet[ConsentRecord],
):
    """The consent ledger (Law 91/2025/QH15, Decree 356/2025): every consent given or withdrawn per
    channel and purpose, with its date, source and evidence. The current answer is the latest row."""

    serializer_class = ConsentRecordSerializer
    permission_classes = [IsAuthenticated, CustomersRight]
    filter_backends = [DjangoFilterBackend]
    filterset_class = ConsentFilter
    access_module = Module.CUSTOMERS
    http_method_names = ["get", "post", "head", "options"]

    def get_queryset(self) -> models.QuerySet[ConsentRecord]:
        user = self.request.user
        action = Action.EXPORT if csv_format.wants_csv(self.request) else Action.VIEW
        contacts = access.scope(user, Contact, action)
        return ConsentRecord.objects.filter(contact__in=contacts.values("pk")).order_by("-id")

    def create(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        serializer = self.get_serializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        contact = data["contact"]
        access.check(request.user, Action.EDIT, contact)
        with transaction.atomic():
            row = ledger.consent_append(
                person=contact,
                channel=data["channel"],
                purpose=data["purpose"],
                granted=data["granted"],
                at=data.get("at"),
                source=data["source"],
                evidence=api_evidence(request.user, data.get("evidence", "").strip()),
                actor=request.user,
            )
        return Response(self.get_serializer(row).data, status=status.HTTP_201_CREATED)


router = SimpleRouter()
router.register("consents", ConsentRecordViewSet, basename="consent")
urlpatterns = [*router.urls]
