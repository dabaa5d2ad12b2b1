"""`/api/v1/segments/` (CRUD through the gate, `count` of the members the caller may see),
`GET /api/v1/segments/{id}/members/` (the members, cursor pages, as `/api/v1/contacts/` shows them),
`POST /api/v1/segments/count/` (the live count of rules being edited) and
`GET /api/v1/segments/fields/` (what the rule builder offers)."""

from __future__ import annotations

from typing import Any

from django.db import models
from drf_spectacular.utils import OpenApiResponse, extend_schema, inline_serializer
from rest_framework import serializers
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.routers import SimpleRouter

from sencrm.core.api.base import ACTIONS, RecordViewSet
from sencrm.core.api.filters import StrictOrderingFilter
from sencrm.core.api.serializers import RecordSerializer
from sencrm.core.modules import Action
from sencrm.customers.api.serializers import ContactSerializer
from sencrm.marketing import segment_rules, segments
from sencrm.marketing.models import Segment, SegmentKind
from sencrm.users.models import User

ACTIONS.update({"members": Action.VIEW, "freeze": Action.EDIT})

RULES_HELP = (
    'A group {"match": "all" | "any", "rules": [rule or group, …]}; a rule is {"field", "op", "value"}. '
    "GET /api/v1/segments/fields/ lists the fields, their operators and choices."
)


_CHOICE: dict[str, serializers.Field[Any, Any, Any, Any]] = {
    "key": serializers.CharField(required=False),
    "value": serializers.CharField(required=False),
    "label": serializers.CharField(),
}
SegmentFieldSerializer = inline_serializer(
    "SegmentField",
    {
        "key": serializers.CharField(help_text='The rule\'s "field", e.g. "region", "custom.so_may".'),
        "label": serializers.CharField(),
        "group": serializers.CharField(),
        "kind": serializers.CharField(
            help_text="text, choice, ref, date, number, bool, multi, tags, consent, …"
        ),
        "ref": serializers.CharField(
            help_text="For ids: the list they come from (province, tag, campaign…)."
        ),
        "ops": inline_serializer("SegmentFieldOp", _CHOICE, many=True),
        "choices": inline_serializer("SegmentFieldChoice", _CHOICE, many=True),
    },
    many=True,
)


class SegmentSerializer(RecordSerializer):
    url = serializers.HyperlinkedIdentityField(view_name="api:segment-detail", read_only=True)
    owner = serializers.PrimaryKeyRelatedField(queryset=User.objects.filter(is_active=True), required=False)
    kind = serializers.ChoiceField(choices=SegmentKind.choices, required=False)
    rules = serializers.JSONField(help_text=RULES_HELP)
    count = serializers.SerializerMethodField(help_text="Members the caller may see, now.")
    version = serializers.IntegerField(required=False, min_value=1)

    class Meta:
        model = Segment
        fields = [
            "id", "url", "name", "description", "kind", "rules", "count", "frozen_at", "owner", "team",
            "version", "created_at", "updated_at",
        ]  # fmt: skip
        read_only_fields = ["frozen_at", "team", "created_at", "updated_at"]

    def get_count(self, segment: Segment) -> int | None:
        known: dict[int, int | None] | None = self.context.get("counts")
        if known is not None and segment.pk in known:
            return known[segment.pk]
        request = self.context.get("request")
        return segments.counts(getattr(request, "user", None), [segment]).get(segment.pk)

    def to_representation(self, instance: Any) -> dict[str, Any]:
        data: dict[str, Any] = super().to_representation(instance)
        data["version"] = instance.version
        return data


class SegmentViewSet(RecordViewSet):
    """Audience segments (tệp đối tượng): contacts chosen by rules, dynamic (re-evaluated at each use) or
    frozen (a snapshot kept). Every count and member list covers only the contacts the caller may see."""

    model = Segment
    serializer_class = SegmentSerializer
    filter_backends = [StrictOrderingFilter]
    ordering_fields = ["name", "created_at", "updated_at"]
    create_service = staticmethod(segments.segment_create)
    update_service = staticmethod(segments.segment_update)
    delete_service = staticmethod(segments.segment_delete)

    def get_queryset(self) -> models.QuerySet[Any]:
        return super().get_queryset().order_by("name", "id")

    def list(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        # Every segment of the page counted in two queries (segments.counts), not one each.
        queryset = self.filter_queryset(self.get_queryset())
        page = self.paginate_queryset(queryset)
        if page is None:
            return super().list(request, *args, **kwargs)
        counted = segments.counts(request.user, page)
        serializer = self.get_serializer(
            page, many=True, context={**self.get_serializer_context(), "counts": counted}
        )
        return self.get_paginated_response(serializer.data)

    @extend_schema(
        summary="A segment's members",
        description="The contacts of the segment that the caller may see, in cursor pages (`page_size` "
        "1–500), shaped as in `/api/v1/contacts/`.",
        responses={200: ContactSerializer(many=True)},
    )
    @action(detail=True, methods=["get"])
    def members(self, request: Request, pk: str | None = None) -> Response:
        segment = self.get_object()
        qs = (
            segments.members(request.user, segment)
            .select_related("owner", "province", "source", "account")
            .prefetch_related("phones", "emails", "tags", "consents")
        )
        page = self.paginate_queryset(qs)
        serializer = ContactSerializer(page, many=True, context=self.get_serializer_context())
        return self.get_paginated_response(serializer.data)

    @extend_schema(
        summary="Take the snapshot again",
        description="A frozen segment's members become what its rules select now (under the caller's "
        "scope); a dynamic segment becomes frozen.",
        request=None,
        responses={200: SegmentSerializer},
    )
    @action(detail=True, methods=["post"])
    def freeze(self, request: Request, pk: str | None = None) -> Response:
        segment = segments.segment_freeze(self.get_object(), actor=request.user)
        return self.answer(segment)

    @extend_schema(
        summary="Count rules while editing",
        description="`{rules}` → `{count}`: the contacts the caller may see that the rules select. A bad "
        "rule is a 400 naming it.",
        request=inline_serializer(
            "SegmentCountRequest", {"rules": serializers.JSONField(help_text=RULES_HELP)}
        ),
        responses={
            200: inline_serializer("SegmentCount", {"count": serializers.IntegerField()}),
            400: OpenApiResponse(description="A rule is not valid."),
        },
    )
    @action(detail=False, methods=["post"], url_path="count")
    def count(self, request: Request) -> Response:
        rules = request.data.get("rules") if isinstance(request.data, dict) else None
        return Response({"count": segments.count(request.user, rules)})

    @extend_schema(
        operation_id="segments_fields_read",
        summary="What the rule builder offers",
        description="Every field a rule can use (contacts, their company, custom fields, consent, "
        "activities, purchases, campaigns) with its operators and choices.",
        responses={200: SegmentFieldSerializer},
    )
    @action(detail=False, methods=["get"], pagination_class=None)
    def fields(self, request: Request) -> Response:
        return Response(segment_rules.catalogue())


ACTIONS.update({"count": Action.VIEW, "fields": Action.VIEW})

router = SimpleRouter()
router.register("segments", SegmentViewSet, basename="segment")
urlpatterns = router.urls
