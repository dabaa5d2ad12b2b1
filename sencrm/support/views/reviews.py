"""Ratings pages: the reviews with CSAT and NPS by agent, the NPS surveys (list, create, send, results),
and the customer's public rating page `/r/<token>/` (no login: the signed token is the credential)."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import messages
from django.contrib.auth import get_user_model
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.db.models import Count, QuerySet
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import path
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from sencrm.core import access
from sencrm.core.htmx import render_page_or_partial
from sencrm.core.modules import Action, Module
from sencrm.core.pagination import BadCursor, keyset_page
from sencrm.core.record_views import call_service, get_record
from sencrm.customers.models import Account, Contact
from sencrm.documents.selectors import company_profile
from sencrm.support import reviews
from sencrm.support.models import Review, ReviewKind, Survey

PAGE_SIZE = 50


def _label(user: Any, rows: list[Review]) -> None:
    """Name each review's customer only when the reader may open it."""
    contacts = access.visible_pks(user, Contact, [r.contact_id for r in rows])
    accounts = access.visible_pks(user, Account, [r.account_id for r in rows])
    for row in rows:
        row.shown_contact = row.contact if row.contact_id in contacts else None  # type: ignore[attr-defined]
        row.shown_account = row.account if row.account_id in accounts else None  # type: ignore[attr-defined]


def _by_agent(qs: QuerySet[Review]) -> list[dict[str, Any]]:
    rows = reviews.csat_by(qs, "agent")
    nps = {row["id"]: row for row in reviews.nps_by(qs, "agent")}
    for row in rows:
        row["nps"] = nps.pop(row["id"], None)
    rows += [{"id": pk, "count": 0, "nps": row} for pk, row in nps.items()]
    names = get_user_model().objects.in_bulk([row["id"] for row in rows])
    for row in rows:
        row["agent"] = names.get(row["id"])
    return rows


@login_required
@require_GET
def review_list(request: HttpRequest) -> HttpResponse:
    user = request.user
    access.check_module(user, Module.SUPPORT, Action.VIEW)
    kind = request.GET.get("kind", "")
    answered = request.GET.get("answered", "")
    context: dict[str, Any] = {"kind": kind, "answered": answered, "kinds": ReviewKind.choices}
    scoped = access.scope(user, Review, Action.VIEW)
    try:
        if kind not in ("", *ReviewKind.values) or answered not in ("", "1"):
            raise ValidationError(_("Some filters are not valid: %(fields)s") % {"fields": "kind, answered"})
        qs = scoped.filter(kind=kind) if kind else scoped
        if answered:
            qs = qs.filter(answered_at__isnull=False)
        page = keyset_page(
            qs.select_related("owner", "ticket", "survey", "contact", "account"),
            sort="requested_at",
            descending=True,
            cursor=request.GET.get("cursor"),
            size=PAGE_SIZE,
        )
    except ValidationError as exc:
        context["error"] = " ".join(exc.messages)
        return render(request, "support/review_list.html", context, status=400)
    except BadCursor:
        context["error"] = _("This page link is no longer valid. Start again from the first page.")
        return render(request, "support/review_list.html", context, status=400)
    _label(user, page.rows)
    context.update(
        page=page,
        csat=reviews.csat_summary(scoped),
        nps=reviews.nps_summary(scoped),
        by_agent=_by_agent(scoped),
    )
    return render_page_or_partial(
        request, "support/review_list.html", "support/partials/review_rows.html", context
    )


# --- NPS surveys ------------------------------------------------------------------------------------


class SurveyForm(forms.Form):
    name = forms.CharField(label=gettext_lazy("Name"), max_length=150)
    segment: forms.ModelChoiceField[Any] = forms.ModelChoiceField(
        label=gettext_lazy("Segment"), queryset=None
    )
    question = forms.CharField(
        label=gettext_lazy("Question (answered from 0 to 10)"),
        max_length=300,
        initial=gettext_lazy("How likely are you to recommend us to a friend or colleague?"),
    )

    def __init__(self, *args: Any, user: Any, **kwargs: Any) -> None:
        from sencrm.marketing.models import Segment

        super().__init__(*args, **kwargs)
        segment: Any = self.fields["segment"]
        segment.queryset = access.scope(user, Segment, Action.VIEW).order_by("name", "pk")


@login_required
@require_GET
def survey_list(request: HttpRequest) -> HttpResponse:
    user = request.user
    access.check_module(user, Module.SUPPORT, Action.VIEW)
    surveys = list(
        access.scope(user, Survey, Action.VIEW)
        .select_related("owner", "segment")
        .order_by("-created_at", "-pk")[:200]
    )
    results = {
        row["id"]: row
        for row in reviews.nps_by(Review.objects.filter(survey_id__in=[s.pk for s in surveys]), "survey")
    }
    for survey in surveys:
        survey.results = results.get(survey.pk)  # type: ignore[attr-defined]
    context = {"surveys": surveys, "can_create": access.can(user, Module.SUPPORT, Action.CREATE)}
    return render(request, "support/survey_list.html", context)


@login_required
@require_http_methods(["GET", "POST"])
def survey_create(request: HttpRequest) -> HttpResponse:
    user = request.user
    access.check_module(user, Module.SUPPORT, Action.CREATE)
    form = SurveyForm(request.POST or None, user=user)
    status = 200
    if request.method == "POST":
        status = 400
        if form.is_valid():
            created, status = call_service(
                form, lambda: reviews.survey_create(actor=user, data=dict(form.cleaned_data))
            )
            if created is not None:
                messages.success(request, _("Survey saved. Check it, then send it."))
                return redirect("support:survey_detail", pk=created.pk)
    return render(request, "support/survey_form.html", {"form": form}, status=status)


@login_required
@require_GET
def survey_detail(request: HttpRequest, pk: int) -> HttpResponse:
    user = request.user
    survey = get_record(request, Survey.objects.select_related("owner", "segment"), pk)
    answers = list(
        Review.objects.filter(survey=survey, answered_at__isnull=False)
        .select_related("contact", "account")
        .order_by("-answered_at", "-pk")[:200]
    )
    _label(user, answers)
    asked = Review.objects.filter(survey=survey)
    context: dict[str, Any] = {
        "object": survey,
        "nps": reviews.nps_summary(asked),
        "asked": asked.count(),
        "emailed": asked.exclude(sent_to="").count(),
        "answers": answers,
        "can_send": survey.sent_at is None and access.in_scope(user, Action.EDIT, survey),
        "segment_visible": access.in_scope(user, Action.VIEW, survey.segment),
        "distribution": _distribution(asked),
    }
    if context["can_send"] and context["segment_visible"]:
        context["audience"] = reviews.survey_audience(user, survey).count()
    return render(request, "support/survey_detail.html", context)


def _distribution(qs: QuerySet[Review]) -> list[tuple[int, int]]:
    """How many answered each score from 0 to 10."""
    rows = qs.filter(answered_at__isnull=False, score__isnull=False).values("score").annotate(n=Count("pk"))
    counts = {row["score"]: row["n"] for row in rows.order_by("score")}
    return [(score, counts.get(score, 0)) for score in range(11)]


@login_required
@require_POST
def survey_send(request: HttpRequest, pk: int) -> HttpResponse:
    survey = get_record(request, Survey, pk, Action.EDIT)
    try:
        sent = reviews.survey_send(survey, actor=request.user)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
        return redirect("support:survey_detail", pk=survey.pk)
    asked = Review.objects.filter(survey=sent).count()
    messages.success(request, _("The survey is being emailed to %(n)s people.") % {"n": asked})
    return redirect("support:survey_detail", pk=sent.pk)


# --- the customer's page ----------------------------------------------------------------------------


def _public(request: HttpRequest, context: dict[str, Any], status: int = 200) -> HttpResponse:
    context.setdefault("company", str(company_profile().name or ""))
    return render(request, "support/public_review.html", context, status=status)


@require_http_methods(["GET", "POST"])
def public_review(request: HttpRequest, token: str) -> HttpResponse:
    """The rating page: GET shows the question (a score in the link, from the email's buttons, is only
    preselected: mail scanners follow links), POST records the answer once."""
    try:
        review = reviews.review_from_token(token)
    except reviews.BadToken as bad:
        return _public(request, {"bad": True, "expired": bad.expired}, status=400)
    low, high = reviews.SCORES[ReviewKind(review.kind)]
    context: dict[str, Any] = {
        "review": review,
        "scores": range(low, high + 1),
        "csat": review.kind == ReviewKind.CSAT,
        "chosen": request.GET.get("score", "")[:2],
        "comment": "",
    }
    if review.answered_at is not None:
        return _public(request, {**context, "already": True}, status=409 if request.method == "POST" else 200)
    if request.method == "POST":
        context["chosen"] = request.POST.get("score", "")[:2]
        context["comment"] = request.POST.get("comment", "")[: reviews.COMMENT_MAX + 1]
        try:
            reviews.review_answer(
                review, score=request.POST.get("score", ""), comment=request.POST.get("comment", "")
            )
        except reviews.AlreadyAnswered:
            return _public(request, {**context, "already": True}, status=409)
        except ValidationError as exc:
            return _public(request, {**context, "error": " ".join(exc.messages)}, status=400)
        return _public(request, {**context, "thanks": True})
    return _public(request, context)


urlpatterns = [
    path("care/reviews/", review_list, name="review_list"),
    path("care/surveys/", survey_list, name="survey_list"),
    path("care/surveys/new/", survey_create, name="survey_create"),
    path("care/surveys/<int:pk>/", survey_detail, name="survey_detail"),
    path("care/surveys/<int:pk>/send/", survey_send, name="survey_send"),
    path("r/<str:token>/", public_review, name="public_review"),
]
