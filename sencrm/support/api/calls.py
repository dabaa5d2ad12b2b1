"""`/api/v1/calls/`: the call log (docs/api.md, "Customer care"). Calls from the telephony system are
logged by themselves (`/api/v1/telephony/events/`); an agent logs a care call or completes one here
(outcome, notes, recording link, call back at…, which adds the follow-up task). The facts the telephony
system reported (direction, number, start, duration) are changed only on calls logged by hand. No
delete: the log is a record of what happened."""

from __future__ import annotations

from django_filters.rest_framework import DjangoFilterBackend
from rest_framework.routers import SimpleRouter

from sencrm.core.api.base import RecordViewSet
from sencrm.core.api.filters import StrictOrderingFilter
from sencrm.support import calls
from sencrm.support.api.filters import CallFilter
from sencrm.support.api.serializers import CallSerializer
from sencrm.support.models import Call


class CallViewSet(RecordViewSet):
    """The call log: every call in and out, with its customer, agent, duration and outcome."""

    model = Call
    serializer_class = CallSerializer
    filterset_class = CallFilter
    filter_backends = [DjangoFilterBackend, StrictOrderingFilter]
    ordering_fields = ["started_at", "duration", "created_at"]
    ordering = ["-started_at"]
    http_method_names = ["get", "post", "patch", "head", "options"]
    create_service = staticmethod(calls.call_log)  # the agent is the user logging the call
    update_service = staticmethod(calls.call_update)


def register(router: SimpleRouter) -> None:
    router.register("calls", CallViewSet, basename="call")
