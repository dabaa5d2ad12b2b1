"""Segment pages (tệp đối tượng): the list with each segment's member count (a page counted in two queries),
a segment's page (its rules in words, its first members), the rule builder (static/js/segments.js, which
counts live through `POST /api/v1/segments/count/`), freezing, deleting and the members' CSV.

The services (sencrm/marketing/segments.py) validate the rules again on every save: a bad rule is a 400
naming it on the form, never a 500."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from decimal import Decimal, InvalidOperation
from typing import Any

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.db.models import Q
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.http.response import HttpResponseBase
from django.shortcuts import render
from django.urls import path, reverse
from django.utils import formats, timezone
from django.utils.functional import SimpleLazyObject
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from sencrm.core import access
from sencrm.core.export import csv_response
from sencrm.core.modules import Action, Module
from sencrm.core.money import format_money
from sencrm.core.pagination import BadCursor, keyset_page
from sencrm.core.record_views import RecordForm, get_record, record_edit_page, service_form_page
from sencrm.marketing import segment_rules, segments
from sencrm.marketing.models import Segment, SegmentKind
from sencrm.marketing.segment_builder import (
    builder_context,
    builder_labels,
)

PAGE_SIZE = 50
SHOWN = 100  # members listed on a segment's page
EXPORT_CHUNK = 2000
EMPTY_RULES: dict[str, Any] = {"match": "all", "rules": []}


# --- the form -----------------------------------------------------------------------------------------


class SegmentForm(RecordForm):
    """Name, description, kind and the rules (a hidden JSON input the builder fills)."""

    rules = forms.JSONField(
        label=gettext_lazy("Rules"),
        required=False,
        widget=forms.HiddenInput(attrs={"data-segment-rules": ""}),
        error_messages={
            "invalid": gettext_lazy(
                "The rules could not be read (they are not valid JSON). Build them again and save."
            )
        },
    )

    class Meta:
        model = Segment
        fields = ["name", "description", "kind", "rules"]
        widgets = {
            "description": forms.Textarea(attrs={"rows": 2}),
            "kind": forms.RadioSelect(attrs={"class": "form-check-input"}),
        }

    def __init__(self, *args: Any, user: Any = None, **kwargs: Any) -> None:
        super().__init__(*args, user=user, **kwargs)
        if not self.instance.pk:
            self.fields["version"].required = False
            self.initial.setdefault("rules", EMPTY_RULES)
        self.fields["name"].widget.attrs.update({"data-testid": "segment-name", "maxlength": 200})

    def clean_rules(self) -> Any:
        """Nothing posted: no rules yet (every contact); anything else goes to the service as it is."""
        raw = self.data.get(self.add_prefix("rules"), "") if self.is_bound else ""
        return EMPTY_RULES if not str(raw).strip() else self.cleaned_data.get("rules")

    def validate_unique(self) -> None:
        """Names need not be unique."""

    def _post_clean(self) -> None:
        # The rules and the other checks run in the service, with the words a user reads.
        pass


# --- the rules in words --------------------------------------------------------------------------------

_LIST_REFS = {"ref", "tags", "campaign"}


def _as_list(value: Any) -> list[Any]:
    if isinstance(value, list):
        return value
    return [] if value in (None, "") else [value]


def _walk(node: Any) -> Iterator[Mapping[str, Any]]:
    if isinstance(node, Mapping):
        if "rules" in node and isinstance(node.get("rules"), list):
            for child in node["rules"]:
                yield from _walk(child)
        else:
            yield node


def _ref_ids(rules: Any, specs: Mapping[str, Any]) -> dict[str, set[int]]:
    """The ids each rule names, by list (to look their names up in one query per list)."""
    wanted: dict[str, set[int]] = {}

    def add(ref: str, values: Any) -> None:
        for item in _as_list(values):
            try:
                wanted.setdefault(ref, set()).add(int(str(item)))
            except ValueError:
                continue

    for rule in _walk(rules):
        key = rule.get("field")
        spec = specs.get(key) if isinstance(key, str) else None
        if spec is None:
            continue
        if spec["kind"] in _LIST_REFS and spec["ref"]:
            add(spec["ref"], rule.get("value"))
        elif spec["kind"] == "purchase" and isinstance(rule.get("value"), Mapping):
            add("product", rule["value"].get("product"))
            add("category", rule["value"].get("category"))
    return wanted


def _ref_names(user: Any, wanted: Mapping[str, set[int]]) -> dict[str, dict[int, str]]:
    from sencrm.catalog.models import Category, Product
    from sencrm.customers.models import CustomerGroup, Province, SourceChannel, Tag
    from sencrm.marketing.models import Campaign
    from sencrm.users.models import Team, User

    sources: dict[str, Any] = {
        "customer_group": CustomerGroup.objects.all(), "source": SourceChannel.objects.all(),
        "province": Province.objects.all(), "tag": Tag.objects.all(), "team": Team.objects.all(),
        "category": Category.objects.all(), "campaign": access.scope(user, Campaign, Action.VIEW),
        "product": access.scope(user, Product, Action.VIEW),
    }  # fmt: skip
    names: dict[str, dict[int, str]] = {}
    for ref, ids in wanted.items():
        if not ids:
            continue
        if ref == "user":
            rows = User.objects.filter(pk__in=ids).values_list("pk", "full_name", "username")
            names[ref] = {pk: full or username for pk, full, username in rows}
        elif ref in sources:
            names[ref] = dict(sources[ref].filter(pk__in=ids).values_list("pk", "name"))
    return names


def _day(value: Any) -> str:
    import datetime as dt

    try:
        return formats.date_format(dt.date.fromisoformat(str(value)), "d/m/Y")
    except ValueError:
        return str(value)[:40]


def _amount(value: Any) -> str:
    try:
        return format_money(Decimal(str(value)))
    except (InvalidOperation, ValueError):
        return str(value)[:40]


class _Describer:
    def __init__(self, user: Any, rules: Any) -> None:
        self.specs = {f["key"]: f for f in segment_rules.catalogue()}
        self.names = _ref_names(user, _ref_ids(rules, self.specs))
        self.labels = builder_labels()

    def group(self, node: Any, depth: int = 0) -> dict[str, Any]:
        children = node.get("rules") if isinstance(node, Mapping) else None
        items: list[dict[str, Any]] = []
        for child in children if isinstance(children, list) else []:
            if isinstance(child, Mapping) and "rules" in child:
                items.append({"group": self.group(child, depth + 1)})
            else:
                items.append({"text": self.rule(child)})
        match = node.get("match") if isinstance(node, Mapping) else "all"
        return {"match": _("Any of") if match == "any" else _("All of"), "items": items, "depth": depth}

    def refs(self, ref: str, values: Any) -> str:
        known = self.names.get(ref, {})
        out = []
        for item in _as_list(values)[:20]:
            try:
                out.append(known.get(int(str(item))) or f"#{item}")
            except ValueError:
                out.append(str(item)[:40])
        return ", ".join(out)

    def rule(self, rule: Any) -> str:
        if not isinstance(rule, Mapping):
            return _("(not a rule)")
        spec = self.specs.get(rule.get("field")) if isinstance(rule.get("field"), str) else None
        if spec is None:
            return _("Unknown field: %(value)s.") % {"value": str(rule.get("field"))[:60]}
        op = str(rule.get("op") or "")
        op_label = next((o["label"] for o in spec["ops"] if o["key"] == op), op)
        value = rule.get("value")
        if "…" in op_label:
            if spec["kind"] == "activity" and isinstance(value, Mapping):
                kinds = {c["value"]: c["label"] for c in self.labels["activity_kinds"]}
                what = kinds.get(str(value.get("kind") or ""), self.labels["any_activity"])
                days = str(value.get("days"))[:20]
                return f"{spec['label']} ({what}) {op_label.replace('…', days)}"
            return f"{spec['label']} {op_label.replace('…', str(value)[:20])}"
        text = self.value(spec, op, value)
        return " ".join(part for part in (spec["label"], op_label, text) if part)

    def value(self, spec: Mapping[str, Any], op: str, value: Any) -> str:
        kind = spec["kind"]
        if op in ("is_empty", "is_not_empty", "is_true", "is_false", "this_month"):
            return ""
        if kind in ("choice", "multi"):
            labels = {c["value"]: c["label"] for c in spec["choices"]}
            return ", ".join(labels.get(str(v), str(v)[:40]) for v in _as_list(value)[:20])
        if kind in _LIST_REFS:
            return self.refs(spec["ref"], value)
        if op == "between" and isinstance(value, list) and len(value) == 2:
            low, high = (_day(v) for v in value) if kind == "date" else (str(v)[:20] for v in value)
            return f"{low} – {high}"
        if kind == "date" and op in ("before", "after"):
            return _day(value)
        if kind == "text":
            return f"“{str(value)[:200]}”"
        if isinstance(value, Mapping):
            return self.settings(kind, value)
        return str(value)[:40] if value is not None else ""

    def settings(self, kind: str, value: Mapping[str, Any]) -> str:
        labels = self.labels
        if kind == "consent":
            channels = {c["value"]: c["label"] for c in labels["channels"]}
            purposes = {c["value"]: c["label"] for c in labels["purposes"]}
            channel = str(value.get("channel") or "")
            purpose = str(value.get("purpose") or "marketing")
            return f"{channels.get(channel, channel)} ({purposes.get(purpose, purpose)})"
        if kind == "purchase":
            parts = []
            if value.get("product"):
                parts.append(f"{labels['product']}: {self.refs('product', value['product'])}")
            if value.get("category"):
                parts.append(f"{labels['category']}: {self.refs('category', value['category'])}")
            if value.get("min_amount") not in (None, ""):
                parts.append(_("an order of at least %(amount)s") % {"amount": _amount(value["min_amount"])})
            if value.get("more_than_days_ago") not in (None, ""):
                parts.append(_("more than %(days)s days ago") % {"days": value["more_than_days_ago"]})
            if value.get("within_days") not in (None, ""):
                parts.append(_("in the last %(days)s days") % {"days": value["within_days"]})
            return "; ".join(parts) or _("anything")
        return ""


def describe(user: Any, rules: Any) -> dict[str, Any]:
    """The rules as nested groups of sentences (the detail page); never raises, whatever is stored."""
    return _Describer(user, rules).group(rules if isinstance(rules, Mapping) else {})


# --- pages ----------------------------------------------------------------------------------------------


@login_required
@require_GET
def segment_list(request: HttpRequest) -> HttpResponse:
    user = request.user
    access.check_module(user, Module.MARKETING, Action.VIEW)
    query = request.GET.get("q", "").strip()[:100]
    context: dict[str, Any] = {
        "query": query,
        "can_create": access.can(user, Module.MARKETING, Action.CREATE),
    }
    qs = access.scope(user, Segment, Action.VIEW).select_related("owner")
    if query:
        qs = qs.filter(Q(name__icontains=query) | Q(description__icontains=query))
    try:
        page = keyset_page(qs, sort="name", cursor=request.GET.get("cursor"), size=PAGE_SIZE)
    except BadCursor:
        context["error"] = _("This page link is no longer valid. Start again from the first page.")
        return render(request, "marketing/segment_list.html", context, status=400)
    counted = segments.counts(user, page.rows)
    for segment in page.rows:
        segment.member_count = counted.get(segment.pk)
    context["page"] = page
    return render(request, "marketing/segment_list.html", context)


def _form_context(request: HttpRequest, obj: Segment | None) -> dict[str, Any]:
    # Built only when the page is drawn (not on a successful save, which redirects).
    return {"object": obj, "builder": SimpleLazyObject(lambda: builder_context(request.user))}


@login_required
@require_http_methods(["GET", "POST"])
def segment_create(request: HttpRequest) -> HttpResponse:
    access.check_module(request.user, Module.MARKETING, Action.CREATE)
    form = SegmentForm(request.POST or None, user=request.user)

    def save() -> Segment:
        return segments.segment_create(actor=request.user, data=form.record_changes())

    return service_form_page(request, form, save, "marketing/segment_form.html", _form_context(request, None))


@login_required
@require_http_methods(["GET", "POST"])
def segment_edit(request: HttpRequest, pk: int) -> HttpResponse:
    segment = get_record(request, Segment, pk, Action.EDIT)
    return record_edit_page(
        request,
        segment,
        SegmentForm,
        segments.segment_update,
        "marketing/segment_form.html",
        _form_context(request, segment),
    )


@login_required
@require_GET
def segment_detail(request: HttpRequest, pk: int) -> HttpResponse:
    user = request.user
    segment: Segment = get_record(request, Segment.objects.select_related("owner", "team"), pk)
    problems: list[str] = []
    if segment.kind == SegmentKind.DYNAMIC:
        try:
            segment_rules.compile_rules(segment.rules)
        except ValidationError as exc:
            problems = list(exc.message_dict.get("rules", exc.messages))
    members = list(
        segments.members(user, segment).select_related("province", "owner").order_by("sort_key", "id")[:SHOWN]
    )
    context = {
        "object": segment,
        "summary": describe(user, segment.rules),
        "problems": problems,
        "members": members,
        "member_count": segments.counts(user, [segment]).get(segment.pk),
        "shown": SHOWN,
        "is_frozen": segment.kind == SegmentKind.FROZEN,
        "can_edit": access.in_scope(user, Action.EDIT, segment),
        "can_delete": access.in_scope(user, Action.DELETE, segment),
        "can_export": access.can(user, Module.MARKETING, Action.EXPORT),
    }
    return render(request, "marketing/segment_detail.html", context)


@login_required
@require_POST
def segment_freeze(request: HttpRequest, pk: int) -> HttpResponse:
    """Take the snapshot again (a frozen segment) or freeze a dynamic one now."""
    segment = get_record(request, Segment, pk, Action.EDIT)
    try:
        segment = segments.segment_freeze(segment, actor=request.user)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        messages.success(request, _("Snapshot taken: %(count)s members.") % {"count": segment.frozen_count})
    return HttpResponseRedirect(reverse("marketing:segment_detail", args=[segment.pk]))


@login_required
@require_POST
def segment_delete(request: HttpRequest, pk: int) -> HttpResponse:
    segment = get_record(request, Segment, pk, Action.DELETE)
    segments.segment_delete(segment, actor=request.user)
    messages.success(request, _("Moved to the trash. You can restore it from the trash."))
    return HttpResponseRedirect(reverse("marketing:segment_list"))


@login_required
@require_GET
def segment_export(request: HttpRequest, pk: int) -> HttpResponseBase:
    """The members the reader may see as CSV, streamed in chunks (phones and emails fetched per chunk)."""
    segment = get_record(request, Segment, pk)
    access.check_module(request.user, Module.MARKETING, Action.EXPORT)
    rows = (
        segments.members(request.user, segment)
        .select_related("province", "owner")
        .prefetch_related("phones", "emails")
        .order_by("sort_key", "id")
    )

    def lines() -> Iterator[list[Any]]:
        for contact in rows.iterator(chunk_size=EXPORT_CHUNK):
            yield [
                contact.full_name,
                "; ".join(p.number for p in contact.phones.all()),
                "; ".join(e.address for e in contact.emails.all()),
                str(contact.province or ""),
                contact.get_lifecycle_stage_display(),
                str(contact.owner),
            ]

    header = [_("Full name"), _("Phone"), _("Email"), _("Province"), _("Lifecycle stage"), _("Owner")]
    stamp = timezone.localdate().strftime("%Y%m%d")
    return csv_response(f"segment-{segment.pk}-{stamp}", header, lines())


urlpatterns = [
    path("segments/", segment_list, name="segment_list"),
    path("segments/new/", segment_create, name="segment_create"),
    path("segments/<int:pk>/", segment_detail, name="segment_detail"),
    path("segments/<int:pk>/edit/", segment_edit, name="segment_edit"),
    path("segments/<int:pk>/freeze/", segment_freeze, name="segment_freeze"),
    path("segments/<int:pk>/delete/", segment_delete, name="segment_delete"),
    path("segments/<int:pk>/export/", segment_export, name="segment_export"),
]
