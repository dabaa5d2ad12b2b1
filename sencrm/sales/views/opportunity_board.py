"""The kanban board of a pipeline: columns with totals, more cards on demand, and the move (drag) endpoint."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from decimal import Decimal
from typing import Any, cast

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Count, F, Sum
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect, JsonResponse, QueryDict
from django.shortcuts import render
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from sencrm.core import access
from sencrm.core.exceptions import StaleRecord
from sencrm.core.modules import Action, Module
from sencrm.core.money import format_money
from sencrm.core.text import clean_text
from sencrm.sales import selectors, services
from sencrm.sales.models import Opportunity, Pipeline, Stage
from sencrm.sales.opportunity_forms import BoardFilterForm
from sencrm.sales.views.opportunity_common import decorate_cards, get_opportunity, stage_options

FILTER_KEYS = ("owner", "team", "close_from", "close_to")


def _default(pipelines: list[Pipeline]) -> Pipeline | None:
    return next((p for p in pipelines if p.is_default), pipelines[0] if pipelines else None)


def _filter_query(params: QueryDict, pipeline: Pipeline | None) -> str:
    """The board's valid filters as a query string (carried by "load more" and the move requests)."""
    query = QueryDict(mutable=True)
    if pipeline is not None:
        query["pipeline"] = str(pipeline.pk)
    for key in FILTER_KEYS:
        value = params.get(key)
        if value:
            query[key] = value[:20]
    return query.urlencode()


@login_required
@require_GET
def opportunity_board(request: HttpRequest) -> HttpResponse:
    access.check_module(request.user, Module.SALES, Action.VIEW)
    pipelines = selectors.pipelines()
    form = BoardFilterForm(request.GET or None, user=request.user)
    context: dict[str, Any] = {
        "pipelines": pipelines,
        "form": form,
        "can_create": access.can(request.user, Module.SALES, Action.CREATE),
        "columns": [],
    }
    if form.is_bound and not form.is_valid():
        context["error"] = _("Some filters are not valid: %(fields)s") % {
            "fields": "; ".join(
                f"{form.fields[k].label or k}: {' '.join(cast('list[str]', v))}"  # ErrorList yields str
                for k, v in form.errors.items()
            )
        }
        context["pipeline"] = _default(pipelines)
        return render(request, "sales/board.html", context, status=400)
    chosen = form.cleaned_data.get("pipeline") if form.is_bound else None
    # The prefetched instance (its stages are already loaded), not the form's copy.
    pipeline = next((p for p in pipelines if chosen and p.pk == chosen.pk), None) or _default(pipelines)
    context["pipeline"] = pipeline
    if pipeline is None:
        context["error"] = _("No sales pipeline is set up. An administrator creates one first.")
        return render(request, "sales/board.html", context)
    filters = form.filters() if form.is_bound else {}
    columns = selectors.board_columns(request.user, pipeline, filters)
    decorate_cards(request.user, [card for column in columns for card in column["cards"]])
    context.update(
        columns=columns,
        stages=list(pipeline.stages.all()),
        stage_options=stage_options(list(pipeline.stages.all())),
        filter_query=_filter_query(request.GET, pipeline),
        board_url=request.get_full_path(),
        filtered=any(filters.values()),
        totals=open_totals((c["stage"], c["count"], c["amount"], c["weighted"]) for c in columns),
    )
    return render(request, "sales/board.html", context)


@login_required
@require_GET
def board_more(request: HttpRequest) -> HttpResponse:
    """The next cards of one column (htmx "load more"), older than `before`."""
    access.check_module(request.user, Module.SALES, Action.VIEW)
    try:
        stage_id = int(request.GET.get("stage", ""))
        before = int(request.GET.get("before", ""))
    except ValueError:
        return HttpResponse(_("Invalid column or page."), status=400)
    if not (0 < stage_id < 2**31 and 0 < before < 2**63):
        return HttpResponse(_("Invalid column or page."), status=400)
    stage = Stage.objects.select_related("pipeline").filter(pk=stage_id, pipeline__is_active=True).first()
    if stage is None:
        return HttpResponse(_("This column does not exist any more. Reload the board."), status=404)
    form = BoardFilterForm(request.GET, user=request.user)
    if not form.is_valid():
        return HttpResponse(_("Some filters are not valid."), status=400)
    cards = decorate_cards(request.user, selectors.board_more(request.user, stage, form.filters(), before))
    return render(
        request,
        "sales/partials/board_cards.html",
        {
            "cards": cards,
            "stage": stage,
            "stage_options": stage_options(list(stage.pipeline.stages.all())),
            "more": len(cards) == selectors.BOARD_CARDS,
            "last_id": cards[-1].pk if cards else None,
            "filter_query": _filter_query(request.GET, stage.pipeline),
            "board_url": reverse("sales:opportunity_board")
            + "?"
            + _filter_query(request.GET, stage.pipeline),
        },
    )


def open_totals(columns: Iterable[tuple[Stage, int, Decimal, Decimal]]) -> dict[str, Any]:
    """The board's summary line: open deals (stages not closed), their total and weighted total."""
    totals: dict[str, Any] = {"count": 0, "amount": Decimal(0), "weighted": Decimal(0)}
    for stage, count, amount, weighted in columns:
        if not stage.is_closed:
            totals["count"] += count
            totals["amount"] += amount
            totals["weighted"] += weighted
    return totals


def column_totals(
    user: Any, pipeline: Pipeline, filters: dict[str, Any]
) -> tuple[dict[str, dict[str, Any]], dict[str, Any]]:
    """Each stage's count and sums for the board's filters (one grouped query), formatted for the page,
    and the summary line's open totals (unformatted, the template formats them)."""
    rows: dict[int, Mapping[str, Any]] = {
        row["stage_id"]: row
        for row in selectors.board_queryset(user, pipeline, filters)
        .values("stage_id")
        .annotate(n=Count("id"), total=Sum("amount"), weighted=Sum(F("amount") * F("probability")))
    }
    totals = {}
    sums = []
    for stage in pipeline.stages.all():
        row = rows.get(stage.pk, {})
        amount = row.get("total") or Decimal(0)
        weighted = ((row.get("weighted") or Decimal(0)) / 100).quantize(Decimal(1))
        sums.append((stage, row.get("n", 0), amount, weighted))
        totals[str(stage.pk)] = {
            "count": row.get("n", 0),
            "amount": format_money(amount),
            "weighted": format_money(weighted),
        }
    return totals, open_totals(sums)


def _wants_json(request: HttpRequest) -> bool:
    return "application/json" in request.headers.get("Accept", "")


def _refused(request: HttpRequest, status: int, message: str, **extra: Any) -> HttpResponse:
    if _wants_json(request):
        return JsonResponse({"ok": False, "error": message, **extra}, status=status)
    return render(
        request,
        "sales/board_move_error.html",
        {"message": message, "status": status, "back": _back_url(request)},
        status=status,
    )


def _back_url(request: HttpRequest, default: str = "") -> str:
    target = request.POST.get("next", "")
    if target and url_has_allowed_host_and_scheme(target, {request.get_host()}, request.is_secure()):
        return target
    return default or reverse("sales:opportunity_board")


class MoveRefused(ValueError):
    def __init__(self, message: str, *, need_reason: bool = False) -> None:
        super().__init__(message)
        self.need_reason = need_reason


def _parse_move(request: HttpRequest, opp: Opportunity) -> tuple[Stage, int, str]:
    """(stage, version, reason) from the POST, or MoveRefused with the message for the user."""
    try:
        stage_id = int(request.POST.get("stage", ""))
        version = int(request.POST.get("version", ""))
    except ValueError:
        raise MoveRefused(_("Choose a stage. Reload the board if this keeps happening.")) from None
    if not (0 < stage_id < 2**31 and 0 < version < 2**31):
        raise MoveRefused(_("Choose a stage. Reload the board if this keeps happening."))
    stage = Stage.objects.select_related("pipeline").filter(pk=stage_id).first()
    if stage is None:
        raise MoveRefused(_("This stage does not exist any more. Reload the board."))
    if stage.pipeline_id != opp.pipeline_id:
        raise MoveRefused(_("This stage belongs to another pipeline."))
    reason = clean_text(request.POST.get("reason", ""))[:200]
    if stage.is_lost and stage.pk != opp.stage_id and not reason:
        raise MoveRefused(_("Say why the deal was lost."), need_reason=True)
    return stage, version, reason


@login_required
@require_POST
def opportunity_move(request: HttpRequest, pk: int) -> HttpResponse:
    """Move a card to another stage (drag and drop, or the card's "Move to…" form).

    Answers JSON to the board's script (the new card and every column's totals), or redirects a
    plain form post. A stale version is a 409 and moves nothing: the card goes back and the user
    is told someone else changed the deal.
    """
    try:
        opp = get_opportunity(request, pk, Action.EDIT)
    except Http404:
        return _refused(request, 404, _("The opportunity does not exist or you do not have access to it."))
    except PermissionDenied:
        return _refused(request, 403, _("Your role does not allow you to move this opportunity."))
    try:
        stage, version, reason = _parse_move(request, opp)
    except MoveRefused as exc:
        return _refused(request, 400, str(exc), need_reason=exc.need_reason)
    try:
        moved = services.opportunity_move(
            opp, actor=request.user, stage=stage, version=version, reason=reason or None
        )
    except StaleRecord:
        return _refused(
            request,
            409,
            _(
                "Someone else changed this opportunity after you opened the board, so it was not moved. "
                "Reload the board to see the current state."
            ),
            conflict=True,
        )
    except ValidationError as exc:
        return _refused(request, 400, " ".join(exc.messages))
    except PermissionDenied as exc:
        return _refused(request, 403, str(exc))
    if not _wants_json(request):
        messages.success(
            request, _("%(name)s moved to %(stage)s.") % {"name": moved.name, "stage": stage.name}
        )
        board = reverse("sales:opportunity_board") + f"?pipeline={stage.pipeline_id}"
        return HttpResponseRedirect(_back_url(request, board))
    card = Opportunity.objects.select_related("owner", "contact", "account").get(pk=moved.pk)
    decorate_cards(request.user, [card])
    pipeline = Pipeline.objects.prefetch_related("stages").get(pk=card.pipeline_id)
    stages = list(pipeline.stages.all())
    filters = BoardFilterForm(request.POST, user=request.user)
    payload: dict[str, Any] = {
        "ok": True,
        "id": card.pk,
        "version": card.version,
        "stage": card.stage_id,
        "card": render_to_string(
            "sales/partials/board_card.html",
            {"card": card, "stage_options": stage_options(stages), "board_url": _back_url(request)},
            request,
        ),
    }
    if filters.is_valid():
        chosen = filters.filters()
        payload["columns"], summary = column_totals(request.user, pipeline, chosen)
        # The summary line above the board changes with the move too (a card into a won stage leaves
        # the open deals): the script swaps it in, as it does the card.
        payload["summary"] = render_to_string(
            "sales/partials/board_summary.html",
            {"totals": summary, "filtered": any(chosen.values())},
            request,
        )
    return JsonResponse(payload)
