"""Writes of sales documents: quotes, orders and their deliveries, contracts — through the spine.

Each write checks the gate, computes totals in one place (lines.apply_totals), saves and records its
event in one transaction. Business rules that reach other records (an accepted quote wins its deal, a
confirmed order or a signed contract makes its customer a *customer*) happen in the same transaction.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from datetime import date
from decimal import Decimal
from typing import Any, TypeVar

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from sencrm.commerce import promotions
from sencrm.commerce.lines import apply_totals, clean_lines, lines_writer, own_lines
from sencrm.commerce.models import (
    Contract,
    ContractLine,
    ContractStatus,
    Delivery,
    DeliveryLine,
    Document,
    Order,
    OrderLine,
    OrderStatus,
    Quote,
    QuoteLine,
    QuoteStatus,
)
from sencrm.core import access
from sencrm.core.modules import Action, Module
from sencrm.core.numbering import next_number
from sencrm.core.text import clean_text, fold
from sencrm.customers.choices import LifecycleStage
from sencrm.customers.services import customer_promote
from sencrm.events.services import event_emit, record_create, record_delete, record_update

D = TypeVar("D", bound=Document)

# Fields a door may set on each document (the rest is computed or moved by a transition).
DOCUMENT_FIELDS = (
    "contact",
    "account",
    "discount_percent",
    "discount_amount",
    "notes",
    "issue_date",
    "owner",
)
QUOTE_FIELDS = (*DOCUMENT_FIELDS, "opportunity", "valid_until", "promotion_code")
ORDER_FIELDS = (
    *DOCUMENT_FIELDS,
    "opportunity",
    "contract",
    "delivery_date",
    "delivery_address",
    "promotion_code",
)
# The documents that take a promotion (sencrm/commerce/promotions.py), by the kind the engine is told.
PROMOTED: dict[type[Document], str] = {Quote: "quote", Order: "order"}
# What changes a promotion's answer besides the lines: the customer (groups, per-customer limits), the date.
PROMOTION_INPUTS = {"promotion_code", "contact", "account", "issue_date"}
CONTRACT_FIELDS = (
    *DOCUMENT_FIELDS,
    "name",
    "customer_group",
    "opportunity",
    "start_date",
    "end_date",
    "billing_schedule",
    "warranty_months",
)


class Warning_:
    """A save that went through but the user should know about (an order above its contract)."""

    def __init__(self, code: str, message: str) -> None:
        self.code = code
        self.message = message

    def as_dict(self) -> dict[str, str]:
        return {"code": self.code, "message": self.message}


def _prepare(data: Mapping[str, Any], allowed: Iterable[str]) -> dict[str, Any]:
    allowed = set(allowed)
    unknown = set(data) - allowed
    if unknown:
        raise ValidationError({name: _("This field cannot be set here.") for name in sorted(unknown)})
    cleaned = dict(data)
    for name in ("notes", "name", "delivery_address"):
        if isinstance(cleaned.get(name), str):
            cleaned[name] = cleaned[name].strip() if name == "notes" else clean_text(cleaned[name])
    return cleaned


def _fill_customer(data: dict[str, Any]) -> None:
    """A document names a contact or an account; from an opportunity it takes the opportunity's."""
    opportunity = data.get("opportunity")
    if opportunity is not None:
        data.setdefault("contact", opportunity.contact)
        data.setdefault("account", opportunity.account)
        if data.get("contact") is None and opportunity.contact_id:
            data["contact"] = opportunity.contact
        if data.get("account") is None and opportunity.account_id:
            data["account"] = opportunity.account
    contact = data.get("contact")
    if data.get("account") is None and contact is not None and contact.account_id:
        data["account"] = contact.account


def _check_customer(document: Document) -> None:
    if document.contact_id is None and document.account_id is None:
        raise ValidationError({"contact": _("Choose the customer: a contact or an account.")})


def _search_key(document: Document) -> str:
    names = [document.number, str(document.account or ""), str(document.contact or "")]
    if isinstance(document, Contract):
        names.append(document.name)
    return fold(" ".join(n for n in names if n))[:400]


def _number(kind: str, on: date) -> str:
    return next_number(kind, on)


def _create(
    model: type[D],
    line_model: type[Any],
    parent: str,
    *,
    actor: Any,
    kind: str,
    data: dict[str, Any],
    lines: Iterable[Mapping[str, Any]],
    actor_label: str = "",
    extra: Mapping[str, Any] | None = None,
    carried_from: Quote | None = None,
) -> D:
    access.check_module(actor, Module.COMMERCE, Action.CREATE)
    owner = data.pop("owner", None)
    code = data.pop("promotion_code", "")
    _fill_customer(data)
    on = data.get("issue_date") or timezone.localdate()
    data["issue_date"] = on
    probe = model(**data)
    cleaned = clean_lines(actor, lines, customer=probe.contact or probe.account, on=on)
    prepared = None
    if model in PROMOTED:
        prepared = promotions.prepare(
            actor=actor,
            kind=PROMOTED[model],
            document=probe,
            lines=cleaned,
            code=code,
            on=on,
            carried_from=carried_from,
        )
        cleaned = prepared.lines
        data.update(prepared.fields)
        for name, value in prepared.fields.items():
            setattr(probe, name, value)
    computed = apply_totals(probe, cleaned, on=on)
    data.update({name: getattr(probe, name) for name in ("subtotal", "discount_total", "vat_total", "total")})
    data["number"] = _number(kind, on)
    data.update(extra or {})
    _check_customer(probe)
    document = record_create(
        model,
        actor=actor,
        data=data,
        owner=owner,
        actor_label=actor_label,
        related=lines_writer(line_model, parent, computed),
    )
    type(document).all_objects.filter(pk=document.pk).update(search_key=_search_key(document))
    if prepared is not None:
        promotions.claim(actor=actor, kind=PROMOTED[model], document=document, offer=prepared.offer)
    return document


def _update(
    document: D,
    line_model: type[Any],
    parent: str,
    *,
    actor: Any,
    changes: dict[str, Any],
    version: int | None,
    lines: Iterable[Mapping[str, Any]] | None,
    event_type: str = "updated",
    extra_data: dict[str, Any] | None = None,
) -> D:
    if "issue_date" in changes and changes["issue_date"] is None:
        changes.pop("issue_date")  # a date left empty on the form keeps the document's date
    probe = type(document).all_objects.get(pk=document.pk)
    for name, value in changes.items():
        setattr(probe, name, value)
    on = probe.issue_date
    customer = probe.contact or probe.account
    kind = PROMOTED.get(type(document))
    # Only a draft's promotion follows its customer and code; a confirmed order keeps what it was given.
    promoted_draft = kind is not None and getattr(document, "status", "") == "draft"
    triggers = {"discount_percent", "discount_amount", "issue_date"} | (
        PROMOTION_INPUTS if promoted_draft else set()
    )
    prepared = None
    if lines is None and not (triggers & changes.keys()):
        computed = None
    else:
        current = (
            list(lines)
            if lines is not None
            else own_lines(line_model.objects.filter(**{parent: document}).order_by("position", "id"))
        )
        cleaned = clean_lines(actor, current, customer=customer, on=on)
        if kind is not None:
            prepared = promotions.prepare(
                actor=actor,
                kind=kind,
                document=probe,
                lines=cleaned,
                code=getattr(probe, "promotion_code", ""),
                on=on,
                current=document,
            )
            cleaned = prepared.lines
            changes.update(prepared.fields)
        computed = apply_totals(probe, cleaned, on=on)
        changes.update({n: getattr(probe, n) for n in ("subtotal", "discount_total", "vat_total", "total")})
    _check_customer(probe)
    updated = record_update(
        document,
        actor=actor,
        changes=changes,
        version=version,
        related=lines_writer(line_model, parent, computed),
        event_type=event_type,
        extra_data=extra_data,
    )
    type(updated).all_objects.filter(pk=updated.pk).update(search_key=_search_key(updated))
    if prepared is not None and kind is not None:
        promotions.claim(actor=actor, kind=kind, document=updated, offer=prepared.offer)
    return updated


def document_transition(
    document: D,
    *,
    actor: Any,
    changes: dict[str, Any],
    event_type: str,
    version: int | None = None,
    extra_data: dict[str, Any] | None = None,
    system: bool = False,
    actor_label: str = "",
) -> D:
    """A status change (sent, accepted, confirmed, signed…): one event named after it."""
    return record_update(
        document,
        actor=actor,
        changes=changes,
        version=version,
        event_type=event_type,
        extra_data=extra_data,
        system=system,
        actor_label=actor_label or ("system:scheduler" if system and actor is None else ""),
    )


def _promote_customers(document: Document, *, actor: Any, because: str) -> None:
    """The seeds' rule: the first confirmed order or signed contract makes its contact and account
    customers (target, lead or prospect → customer), never the other way."""
    for customer in (document.contact, document.account):
        if customer is not None and customer.lifecycle_stage in {
            LifecycleStage.TARGET,
            LifecycleStage.LEAD,
            LifecycleStage.PROSPECT,
        }:
            customer_promote(customer, stage=LifecycleStage.CUSTOMER, actor=actor, actor_label=because)


# --- quotes --------------------------------------------------------------------------------------


@transaction.atomic
def quote_create(
    *,
    actor: Any,
    data: Mapping[str, Any],
    lines: Iterable[Mapping[str, Any]] = (),
    actor_label: str = "",
) -> Quote:
    return _create(
        Quote,
        QuoteLine,
        "quote",
        actor=actor,
        kind="quote",
        data=_prepare(data, QUOTE_FIELDS),
        lines=lines,
        actor_label=actor_label,
    )


def _editable(quote: Quote) -> None:
    if quote.status != QuoteStatus.DRAFT:
        raise ValidationError(
            _("A sent quote is not edited: revise it into a new version (the sent one stays as it was).")
        )


@transaction.atomic
def quote_update(
    quote: Quote,
    *,
    actor: Any,
    changes: Mapping[str, Any],
    version: int | None,
    lines: Iterable[Mapping[str, Any]] | None = None,
) -> Quote:
    access.check(actor, Action.EDIT, quote)
    _editable(quote)
    return _update(
        quote,
        QuoteLine,
        "quote",
        actor=actor,
        changes=_prepare(changes, QUOTE_FIELDS),
        version=version,
        lines=lines,
    )


@transaction.atomic
def quote_mark_sent(quote: Quote, *, actor: Any, to: str = "", version: int | None = None) -> Quote:
    """Draft → sent (the email itself is sent by commerce.mail.quote_send after this commits)."""
    access.check(actor, Action.EDIT, quote)
    if quote.status not in {QuoteStatus.DRAFT, QuoteStatus.SENT}:
        raise ValidationError(_("Only a draft or sent quote can be sent."))
    if not quote.lines.exists():
        raise ValidationError({"lines": [_("Add at least one line before sending the quote.")]})
    return document_transition(
        quote,
        actor=actor,
        changes={"status": QuoteStatus.SENT, "sent_at": timezone.now()},
        event_type="sent",
        version=version,
        extra_data={"to": to[:254]},
    )


@transaction.atomic
def quote_revise(quote: Quote, *, actor: Any) -> Quote:
    """A new draft version of a sent (or rejected, or expired) quote; the old one stays as it was."""
    access.check(actor, Action.EDIT, quote)
    access.check_module(actor, Module.COMMERCE, Action.CREATE)
    if quote.status == QuoteStatus.DRAFT:
        raise ValidationError(_("A draft is edited directly; only a sent quote is revised."))
    if quote.status == QuoteStatus.ACCEPTED:
        raise ValidationError(_("An accepted quote became an order; it is not revised."))
    if Quote.all_objects.filter(previous=quote).exists():
        raise ValidationError(_("This quote has a newer version already."))
    data = {name: getattr(quote, name) for name in QUOTE_FIELDS if name != "owner"}
    data["issue_date"] = timezone.localdate()
    probe = Quote(**data)
    cleaned = clean_lines(
        actor, own_lines(quote.lines.all()), customer=quote.contact or quote.account, on=data["issue_date"]
    )
    warnings: list[Warning_] = []
    try:
        # The new version goes on with the offer the customer had: its promotion is carried.
        prepared = promotions.prepare(
            actor=actor, kind="quote", document=probe, lines=cleaned, code=quote.promotion_code,
            on=data["issue_date"], carried_from=quote,
        )  # fmt: skip
    except ValidationError as exc:
        prepared = promotions.prepare(
            actor=actor, kind="quote", document=probe, lines=cleaned, code="", on=data["issue_date"]
        )
        reason = " ".join(exc.messages)
        warnings.append(
            Warning_(
                "promotion_dropped", _("The promotion was not carried over: %(reason)s") % {"reason": reason}
            )
        )
    data.update(prepared.fields)
    for name, value in prepared.fields.items():
        setattr(probe, name, value)
    computed = apply_totals(probe, prepared.lines, on=data["issue_date"])
    data.update({n: getattr(probe, n) for n in ("subtotal", "discount_total", "vat_total", "total")})
    data.update({"number": quote.number, "revision": quote.revision + 1, "previous": quote})
    new = record_create(
        Quote,
        actor=actor,
        data=data,
        owner=quote.owner,
        related=lines_writer(QuoteLine, "quote", computed),
    )
    Quote.all_objects.filter(pk=new.pk).update(search_key=_search_key(new))
    promotions.claim(actor=actor, kind="quote", document=new, offer=prepared.offer)
    event_emit(
        type="quote.revised",
        subject=quote,
        actor=actor,
        data={"next": new.pk, "version": new.revision},
    )
    new.warnings = warnings  # type: ignore[attr-defined]
    return new


@transaction.atomic
def quote_reject(quote: Quote, *, actor: Any, reason: str = "", version: int | None = None) -> Quote:
    access.check(actor, Action.EDIT, quote)
    if quote.status != QuoteStatus.SENT:
        raise ValidationError(_("Only a sent quote can be rejected."))
    return document_transition(
        quote,
        actor=actor,
        changes={"status": QuoteStatus.REJECTED, "decided_at": timezone.now()},
        event_type="rejected",
        version=version,
        extra_data={"reason": clean_text(reason)[:300]},
    )


@transaction.atomic
def quote_accept(quote: Quote, *, actor: Any, version: int | None = None) -> Order:
    """Accepted → an order in one step; an open opportunity behind it is won with the order's total."""
    from sencrm.sales.choices import OpportunityStatus
    from sencrm.sales.services import opportunity_mark_won, opportunity_update

    access.check(actor, Action.EDIT, quote)
    if quote.status not in {QuoteStatus.DRAFT, QuoteStatus.SENT}:
        raise ValidationError(_("Only a draft or sent quote can be accepted."))
    if Quote.all_objects.filter(previous=quote).exists():
        raise ValidationError(_("A newer version of this quote exists: accept that one."))
    if not quote.lines.exists():
        raise ValidationError({"lines": [_("A quote without lines cannot be accepted.")]})
    accepted = document_transition(
        quote,
        actor=actor,
        changes={"status": QuoteStatus.ACCEPTED, "decided_at": timezone.now()},
        event_type="accepted",
        version=version,
    )
    order = _create(
        Order,
        OrderLine,
        "order",
        actor=actor,
        kind="order",
        data={
            "contact": quote.contact,
            "account": quote.account,
            "opportunity": quote.opportunity,
            "discount_percent": quote.discount_percent,
            "discount_amount": quote.discount_amount,
            "notes": quote.notes,
            "owner": quote.owner,
            "promotion_code": quote.promotion_code,
        },
        lines=own_lines(quote.lines.all()),
        extra={"quote": accepted},
        carried_from=quote,
    )
    opportunity = quote.opportunity
    if opportunity is not None and opportunity.status == OpportunityStatus.OPEN:
        opportunity = opportunity_update(
            opportunity, actor=actor, changes={"amount": order.total}, version=None
        )
        opportunity_mark_won(
            opportunity,
            actor=actor,
            version=opportunity.version,
            reason=_("Quote %(number)s accepted") % {"number": str(quote)},
        )
    return order


def quotes_expire(today: date | None = None) -> int:
    """The worker's daily pass: sent quotes past their validity date become expired."""
    today = today or timezone.localdate()
    expired = 0
    for quote in Quote.objects.filter(status=QuoteStatus.SENT, valid_until__lt=today):
        with transaction.atomic():
            document_transition(
                quote,
                actor=None,
                changes={"status": QuoteStatus.EXPIRED},
                event_type="expired",
                system=True,
            )
        expired += 1
    return expired


@transaction.atomic
def quote_delete(quote: Quote, *, actor: Any, version: int | None = None) -> Quote:
    if quote.status == QuoteStatus.ACCEPTED:
        raise ValidationError(_("An accepted quote has an order; it is kept."))
    deleted = record_delete(quote, actor=actor, version=version)
    promotions.release(actor=actor, document=deleted)
    return deleted


# --- orders --------------------------------------------------------------------------------------


def _contract_overrun(contract: Contract | None, *, actor: Any) -> list[Warning_]:
    """Recompute the contract's ordered total; warn (and record contract.overrun) when above its total."""
    if contract is None:
        return []
    ordered = sum(
        (
            o.total
            for o in Order.objects.filter(contract=contract).exclude(
                status__in=[OrderStatus.DRAFT, OrderStatus.CANCELLED]
            )
        ),
        Decimal(0),
    )
    Contract.all_objects.filter(pk=contract.pk).update(ordered_total=ordered)
    contract.ordered_total = ordered
    if ordered <= contract.total:
        return []
    message = _("The orders of contract %(number)s total %(ordered)s, above the contract's %(total)s.") % {
        "number": contract.number,
        "ordered": f"{ordered:,.0f}".replace(",", "."),
        "total": f"{contract.total:,.0f}".replace(",", "."),
    }
    event_emit(
        type="contract.overrun",
        subject=contract,
        actor=actor,
        data={"ordered_total": str(ordered), "total": str(contract.total)},
    )
    return [Warning_("contract_overrun", message)]


@transaction.atomic
def order_create(
    *,
    actor: Any,
    data: Mapping[str, Any],
    lines: Iterable[Mapping[str, Any]] = (),
    actor_label: str = "",
) -> Order:
    order = _create(
        Order,
        OrderLine,
        "order",
        actor=actor,
        kind="order",
        data=_prepare(data, ORDER_FIELDS),
        lines=lines,
        actor_label=actor_label,
    )
    order.warnings = []  # type: ignore[attr-defined]  # what the door shows after the save
    return order


@transaction.atomic
def order_update(
    order: Order,
    *,
    actor: Any,
    changes: Mapping[str, Any],
    version: int | None,
    lines: Iterable[Mapping[str, Any]] | None = None,
) -> Order:
    access.check(actor, Action.EDIT, order)
    if order.status in {OrderStatus.DELIVERED, OrderStatus.CANCELLED}:
        raise ValidationError(_("A delivered or cancelled order is not edited."))
    if lines is not None and order.status != OrderStatus.DRAFT:
        raise ValidationError({"lines": [_("The lines of a confirmed order are not edited.")]})
    if (
        order.status != OrderStatus.DRAFT
        and "promotion_code" in changes
        and promotions.normalise_code(changes["promotion_code"]) != order.promotion_code
    ):
        raise ValidationError({"promotion_code": [_("The promotion of a confirmed order is not changed.")]})
    before_contract = order.contract
    updated = _update(
        order,
        OrderLine,
        "order",
        actor=actor,
        changes=_prepare(changes, ORDER_FIELDS),
        version=version,
        lines=lines,
    )
    warnings: list[Warning_] = []
    if updated.status != OrderStatus.DRAFT:
        warnings = _contract_overrun(updated.contract, actor=actor)
        if before_contract is not None and before_contract != updated.contract:
            _contract_overrun(before_contract, actor=actor)
    updated.warnings = warnings  # type: ignore[attr-defined]
    return updated


@transaction.atomic
def order_confirm(order: Order, *, actor: Any, version: int | None = None) -> Order:
    access.check(actor, Action.EDIT, order)
    if order.status != OrderStatus.DRAFT:
        raise ValidationError(_("Only a draft order can be confirmed."))
    if not order.lines.exists():
        raise ValidationError({"lines": [_("Add at least one line before confirming the order.")]})
    # A draft restored from the trash gave its promotion's use back: it takes it again, or is refused.
    promotions.reclaim(actor=actor, document=order)
    confirmed = document_transition(
        order,
        actor=actor,
        changes={"status": OrderStatus.CONFIRMED, "confirmed_at": timezone.now()},
        event_type="confirmed",
        version=version,
    )
    _promote_customers(confirmed, actor=actor, because=f"order#{confirmed.pk}")
    confirmed.warnings = _contract_overrun(confirmed.contract, actor=actor)  # type: ignore[attr-defined]
    return confirmed


# Called with (delivery, actor) after a delivery is recorded, inside its transaction: modules above commerce
# (after-sales makes the installed products) register here, since commerce may not import them.
DELIVERY_HOOKS: list[Callable[[Delivery, Any], None]] = []


@transaction.atomic
def order_record_delivery(
    order: Order,
    *,
    actor: Any,
    delivered_on: date,
    quantities: Mapping[int, Decimal],
    note: str = "",
) -> Delivery:
    """Record a delivery of some quantities of some lines; the order becomes partly delivered or delivered."""
    access.check(actor, Action.EDIT, order)
    current = Order.all_objects.select_for_update().get(pk=order.pk)
    if current.status not in {OrderStatus.CONFIRMED, OrderStatus.PARTLY_DELIVERED}:
        raise ValidationError(_("Only a confirmed order is delivered."))
    lines = {line.pk: line for line in current.lines.all()}
    wanted = {pk: qty for pk, qty in quantities.items() if qty}
    if not wanted:
        raise ValidationError({"lines": [_("Enter the delivered quantity of at least one line.")]})
    for pk, qty in wanted.items():
        line = lines.get(pk)
        if line is None:
            raise ValidationError({"lines": [_("Line %(id)s is not on this order.") % {"id": pk}]})
        if qty < 0 or qty != qty.quantize(Decimal("0.001")):
            raise ValidationError(
                {"lines": [_("A delivered quantity is positive, with at most 3 decimals.")]}
            )
        if line.delivered_quantity + qty > line.quantity:
            raise ValidationError(
                {
                    "lines": [
                        _("%(line)s: only %(left)s left to deliver.")
                        % {
                            "line": line.description,
                            "left": (line.quantity - line.delivered_quantity).normalize(),
                        }
                    ]
                }
            )
    if delivered_on > timezone.localdate():
        raise ValidationError({"delivered_on": _("A delivery is recorded once it happened.")})
    delivery = Delivery.objects.create(
        order=current, delivered_on=delivered_on, note=clean_text(note)[:300], created_by=actor
    )
    for pk, qty in wanted.items():
        DeliveryLine.objects.create(delivery=delivery, order_line_id=pk, quantity=qty)
        line = lines[pk]
        line.delivered_quantity += qty
        line.save(update_fields=["delivered_quantity"])
    done = all(line.delivered_quantity >= line.quantity for line in lines.values())
    status = OrderStatus.DELIVERED if done else OrderStatus.PARTLY_DELIVERED
    document_transition(
        current,
        actor=actor,
        changes={"status": status},
        event_type="delivered" if done else "partly_delivered",
        extra_data={
            "delivery": delivery.pk,
            "delivered_on": delivered_on.isoformat(),
            "quantities": {lines[pk].description: str(q) for pk, q in wanted.items()},
        },
    )
    for hook in DELIVERY_HOOKS:
        hook(delivery, actor)
    return delivery


@transaction.atomic
def order_cancel(order: Order, *, actor: Any, reason: str, version: int | None = None) -> Order:
    access.check(actor, Action.EDIT, order)
    if order.status in {OrderStatus.DELIVERED, OrderStatus.CANCELLED}:
        raise ValidationError(_("A delivered or cancelled order cannot be cancelled."))
    if not clean_text(reason):
        raise ValidationError({"cancelled_reason": _("Say why the order is cancelled.")})
    cancelled = document_transition(
        order,
        actor=actor,
        changes={"status": OrderStatus.CANCELLED, "cancelled_reason": clean_text(reason)[:300]},
        event_type="cancelled",
        version=version,
    )
    _contract_overrun(cancelled.contract, actor=actor)
    promotions.release(actor=actor, document=cancelled)  # a cancelled order's promotion use is free again
    return cancelled


@transaction.atomic
def order_delete(order: Order, *, actor: Any, version: int | None = None) -> Order:
    if order.status != OrderStatus.DRAFT:
        raise ValidationError(_("Only a draft order is deleted; cancel a confirmed one."))
    deleted = record_delete(order, actor=actor, version=version)
    promotions.release(actor=actor, document=deleted)
    return deleted


# --- contracts -----------------------------------------------------------------------------------


def _contract_defaults(data: dict[str, Any]) -> None:
    if "customer_group" not in data:
        customer = data.get("account") or data.get("contact")
        data["customer_group"] = getattr(customer, "customer_group", None)
    if not data.get("name"):
        raise ValidationError({"name": _("Give the contract a name.")})
    if not data.get("start_date"):
        raise ValidationError({"start_date": _("Enter the start date.")})


@transaction.atomic
def contract_create(
    *,
    actor: Any,
    data: Mapping[str, Any],
    lines: Iterable[Mapping[str, Any]] = (),
    actor_label: str = "",
) -> Contract:
    cleaned = _prepare(data, CONTRACT_FIELDS)
    _fill_customer(cleaned)
    _contract_defaults(cleaned)
    contract = _create(
        Contract,
        ContractLine,
        "contract",
        actor=actor,
        kind="contract",
        data=cleaned,
        lines=lines,
        actor_label=actor_label,
    )
    contract.warnings = []  # type: ignore[attr-defined]
    return contract


@transaction.atomic
def contract_update(
    contract: Contract,
    *,
    actor: Any,
    changes: Mapping[str, Any],
    version: int | None,
    lines: Iterable[Mapping[str, Any]] | None = None,
) -> Contract:
    access.check(actor, Action.EDIT, contract)
    if contract.status in {ContractStatus.EXPIRED, ContractStatus.TERMINATED}:
        raise ValidationError(_("An expired or terminated contract is not edited."))
    updated = _update(
        contract,
        ContractLine,
        "contract",
        actor=actor,
        changes=_prepare(changes, CONTRACT_FIELDS),
        version=version,
        lines=lines,
    )
    updated.warnings = _contract_overrun(updated, actor=actor)  # type: ignore[attr-defined]
    return updated


@transaction.atomic
def contract_sign(contract: Contract, *, actor: Any, version: int | None = None) -> Contract:
    access.check(actor, Action.EDIT, contract)
    if contract.status != ContractStatus.DRAFT:
        raise ValidationError(_("Only a draft contract is signed."))
    signed = document_transition(
        contract,
        actor=actor,
        changes={"status": ContractStatus.SIGNED, "signed_at": timezone.now()},
        event_type="signed",
        version=version,
    )
    _promote_customers(signed, actor=actor, because=f"contract#{signed.pk}")
    return signed


@transaction.atomic
def contract_terminate(
    contract: Contract, *, actor: Any, reason: str, version: int | None = None
) -> Contract:
    access.check(actor, Action.EDIT, contract)
    if contract.status != ContractStatus.SIGNED:
        raise ValidationError(_("Only a signed contract is terminated."))
    if not clean_text(reason):
        raise ValidationError({"terminated_reason": _("Say why the contract ends early.")})
    return document_transition(
        contract,
        actor=actor,
        changes={"status": ContractStatus.TERMINATED, "terminated_reason": clean_text(reason)[:300]},
        event_type="terminated",
        version=version,
    )


@transaction.atomic
def contract_attach_signed(contract: Contract, *, actor: Any, stored_path: str, name: str) -> Contract:
    """Attach the signed copy (already checked and stored by commerce.files)."""
    access.check(actor, Action.EDIT, contract)
    return document_transition(
        contract,
        actor=actor,
        changes={"signed_file": stored_path, "signed_file_name": clean_text(name)[:200]},
        event_type="file_attached",
        extra_data={"file": clean_text(name)[:200]},
    )


def contract_delete(contract: Contract, *, actor: Any, version: int | None = None) -> Contract:
    if contract.status != ContractStatus.DRAFT:
        raise ValidationError(_("Only a draft contract is deleted; terminate a signed one."))
    if contract.orders.exists():
        raise ValidationError(_("Orders are linked to this contract; it is kept."))
    return record_delete(contract, actor=actor, version=version)
