from __future__ import annotations

from typing import Any, ClassVar

from django.contrib.contenttypes.models import ContentType
from django.db import models
from django.db.models import OuterRef, Subquery
from django.shortcuts import get_object_or_404
from django.utils.translation import gettext as _
from django_filters.rest_framework import DjangoFilterBackend
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_view, inline_serializer
from rest_framework import exceptions, serializers, status
from rest_framework.decorators import action, api_view
from rest_framework.request import Request
from rest_framework.response import Response

from sencrm.core import access, callers
from sencrm.core.api.base import RecordViewSet
from sencrm.core.api.filters import StrictOrderingFilter
from sencrm.core.api.schema import SEARCH
from sencrm.core.db import prefetch_fast
from sencrm.core.modules import Action
from sencrm.core.phones import to_e164
from sencrm.customers import merge, selectors, services
from sencrm.customers.api.serializers import (
    AccountSerializer,
    CallerAccountSerializer,
    CallerContactSerializer,
    CallerRecordSerializer,
    ContactSerializer,
)
from sencrm.customers.filters import AccountFilter, ContactFilter
from sencrm.customers.models import Account, Contact, Phone
from sencrm.events.models import Event


def _children(data: dict[str, Any]) -> dict[str, Any]:
    """Split nested phones/emails/tags/consents off the validated data, for the service."""
    extra: dict[str, Any] = {}
    if "phones" in data:
        extra["phones"] = [dict(p) for p in data.pop("phones")]
    if "emails" in data:
        extra["emails"] = [e["address"] for e in data.pop("emails")]
    if "tags" in data:
        extra["tags"] = list(data.pop("tags"))
    return extra


class CustomerViewSet(RecordViewSet):
    model: ClassVar[type[Contact] | type[Account]]
    filter_backends = [DjangoFilterBackend, StrictOrderingFilter]
    ordering_fields = ["sort_key", "created_at", "updated_at"]
    related: ClassVar[list[str]] = ["owner", "province", "source"]

    def service_arguments(self, data: dict[str, Any], *, creating: bool) -> dict[str, Any]:
        return {**super().service_arguments(data, creating=creating), **_children(data)}

    def get_queryset(self) -> models.QuerySet[Any]:
        qs = (
            super()
            .get_queryset()
            .select_related(*self.related)
            .prefetch_related(*prefetch_fast("phones", "emails"))
        )
        # ?search= narrows the list only: a create or update re-reads its record through this queryset.
        search = self.request.query_params.get("search", "") if self.action == "list" else ""
        return selectors.search_filter(self.model, qs, search) if search else qs


@extend_schema_view(list=extend_schema(parameters=[SEARCH]))
class ContactViewSet(CustomerViewSet):
    """Contacts (people): CRUD, `?search=` (accent-insensitive, any phone format) and field filters."""

    model = Contact
    serializer_class = ContactSerializer
    create_service = staticmethod(services.contact_create)
    update_service = staticmethod(services.contact_update)
    delete_service = staticmethod(services.contact_delete)
    filterset_class = ContactFilter
    ordering_fields = ["sort_key", "full_name", "created_at", "updated_at"]
    related = ["owner", "province", "source", "account"]

    def get_queryset(self) -> models.QuerySet[Any]:
        return super().get_queryset().prefetch_related(*prefetch_fast("tags", "consents"))

    def service_arguments(self, data: dict[str, Any], *, creating: bool) -> dict[str, Any]:
        extra = super().service_arguments(data, creating=creating)
        # Consents are answers with a date and a source, validated on their own (not a model field).
        consents = self.request.data.get("consents") if isinstance(self.request.data, dict) else None
        if consents is not None:
            extra["consents"] = ContactSerializer().validate_consents(consents)
        return extra

    @extend_schema(
        request=inline_serializer("ContactMerge", {"loser": serializers.IntegerField()}),
        responses=ContactSerializer,
    )
    @action(detail=True, methods=["post"])
    def merge(self, request: Request, pk: str | None = None) -> Response:
        """Merge the contact `loser` into this one; this one keeps everything of both."""
        survivor = self.get_object()
        raw = request.data.get("loser") if isinstance(request.data, dict) else None
        if not isinstance(raw, int) and not (isinstance(raw, str) and raw.isdigit()):
            raise exceptions.ValidationError({"loser": [_("Give the id of the contact to merge.")]})
        loser = get_object_or_404(self.get_queryset(), pk=int(raw))
        access.check(request.user, Action.DELETE, loser)
        merged = merge.contact_merge(actor=request.user, survivor=survivor, loser=loser)
        return Response(self.get_serializer(self._fresh(merged)).data)

    def _fresh(self, obj: Any) -> Any:
        return self.get_queryset().get(pk=obj.pk)


@extend_schema_view(list=extend_schema(parameters=[SEARCH]))
class AccountViewSet(CustomerViewSet):
    """Accounts (organisations): CRUD, `?search=` and field filters."""

    model = Account
    serializer_class = AccountSerializer
    create_service = staticmethod(services.account_create)
    update_service = staticmethod(services.account_update)
    delete_service = staticmethod(services.account_delete)
    filterset_class = AccountFilter


def _with_last_activity(qs: models.QuerySet[Any], model: type[models.Model]) -> models.QuerySet[Any]:
    latest = (
        Event.objects.filter(
            customer_type=ContentType.objects.get_for_model(model), customer_id=OuterRef("pk")
        )
        .order_by("-occurred_at")
        .values("occurred_at")[:1]
    )
    annotated: models.QuerySet[Any] = qs.annotate(last_activity=Subquery(latest))
    return annotated


@extend_schema(
    parameters=[OpenApiParameter("phone", str, required=True, description="A phone number in any format.")],
    responses=inline_serializer(
        "CallerId",
        {
            "phone": serializers.CharField(),
            "contacts": CallerContactSerializer(many=True),
            "accounts": CallerAccountSerializer(many=True),
            "leads": CallerRecordSerializer(many=True),
        },
    ),
)
@api_view(["GET"])
def caller_id(request: Request) -> Response:
    """Who is calling: the contacts, accounts and leads not yet converted with this number, within the
    caller's access scope."""
    phone = request.query_params.get("phone", "")[:40]
    e164 = to_e164(phone)
    if e164 is None:
        return Response(
            {
                "code": "invalid",
                "message": _("Not a valid phone number: %(numbers)s") % {"numbers": phone},
                "errors": {"phone": [_("Not a valid phone number.")]},
            },
            status=status.HTTP_400_BAD_REQUEST,
        )
    # First the indexed E.164 lookup; the records are only queried when the number matched.
    matches = list(Phone.objects.filter(e164=e164).values_list("contact_id", "account_id")[:100])
    contact_ids = {c for c, _a in matches if c}
    account_ids = {a for _c, a in matches if a}
    contacts: Any = []
    accounts: Any = []
    if contact_ids:
        contacts = (
            _with_last_activity(
                access.scope(request.user, Contact, Action.VIEW).filter(pk__in=contact_ids), Contact
            )
            .select_related("account", "owner")
            .only(
                "id",
                "full_name",
                "lifecycle_stage",
                "owner_id",
                "account_id",
                "account__name",
                "owner__username",
                "owner__full_name",
            )
            .order_by("id")[:20]
        )
        contacts = list(contacts)
        access.label_related(request.user, contacts, "account")
    if account_ids:
        accounts = (
            _with_last_activity(
                access.scope(request.user, Account, Action.VIEW).filter(pk__in=account_ids), Account
            )
            .select_related("owner")
            .only("id", "name", "lifecycle_stage", "owner_id", "owner__username", "owner__full_name")
            .order_by("id")[:20]
        )
    return Response(
        {
            "phone": e164,
            "contacts": CallerContactSerializer(contacts, many=True).data,
            "accounts": CallerAccountSerializer(accounts, many=True).data,
            # Other modules' records (leads…), each list scoped by its module (sencrm.core.callers).
            **{
                key: [c.as_json() for c in found] for key, found in callers.lookup(request.user, e164).items()
            },
        }
    )
