"""The rules of a promotion applied to a quote or an order: what commerce's hook asks (sencrm/commerce/
promotions.py, registered by PromotionsConfig.ready()).

- **Which promotion**: the code typed (upper-case, any live promotion: a code is what the customer brings,
  so it is not looked up through the reader's scope), or with no code the automatic promotions whose rules
  hold — the one saving the most (the oldest on a tie). An order made from a quote takes the quote's.
- **Checked in this order**, each refusal a ValidationError on `promotion_code` in the user's language:
  the promotion is active and valid on the document's date (both ends included), the customer is in one
  of its groups, some lines are of its products or categories (sub-categories included; a promotion
  naming neither applies to every line), the lines reach its minimum order (their net after their own
  discounts, before VAT), and its uses — in all, and by this customer — are below its limits.
- **Held** promotions are kept: a document that already holds a use of the promotion is not checked again
  for the dates and limits (an edit of a draft does not lose what it was given), and an order made from a
  quote is not checked again for the dates (the customer was offered it on the quote's day).
- **Limits count orders**: a live use of an order (not cancelled, not trashed). `claim` counts them with
  the promotion's row locked (SELECT … FOR UPDATE; SQLite's immediate transactions serialise writers), in
  the transaction that saves the order, so two orders taking the last use at once cannot both get it.
"""

from __future__ import annotations

from collections.abc import Iterable
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q
from django.utils import formats, timezone
from django.utils.translation import gettext as _

from sencrm.catalog.models import Category
from sencrm.commerce.models import Order, Quote
from sencrm.commerce.promotions import Offer, Request
from sencrm.core.money import format_money
from sencrm.events.services import event_emit
from sencrm.promotions.choices import PromotionKind
from sencrm.promotions.models import Promotion, PromotionUse

ZERO = Decimal(0)


class Refused(ValidationError):
    """A promotion that does not apply to the document, with the reason (on `promotion_code`)."""

    def __init__(self, reason: str) -> None:
        super().__init__({"promotion_code": [reason]})
        self.reason = reason


# --- reading ---------------------------------------------------------------------------------------


def _field(document: Any) -> str:
    return "order" if isinstance(document, Order) else "quote"


def live_use(document: Any) -> PromotionUse | None:
    if document is None or document.pk is None:
        return None
    return (
        PromotionUse.objects.select_related("promotion")
        .filter(**{_field(document): document}, released_at__isnull=True)
        .first()
    )


def _customer_q(document: Any) -> Q | None:
    """The per-customer count's filter: by the account when the document names one, else the contact."""
    if getattr(document, "account_id", None):
        return Q(account_id=document.account_id)
    if getattr(document, "contact_id", None):
        return Q(contact_id=document.contact_id)
    return None


def order_uses(promotion: Promotion, *, exclude: Any = None) -> models.QuerySet[PromotionUse]:
    """The uses that count against the limits: live uses of orders (an order's own left out)."""
    uses = PromotionUse.objects.filter(promotion=promotion, order__isnull=False, released_at__isnull=True)
    if exclude is not None and exclude.pk is not None:
        uses = uses.exclude(order_id=exclude.pk)
    return uses


def check_limits(promotion: Promotion, document: Any) -> None:
    """Refuse when the promotion is used up, in all or by this document's customer."""
    mine = document if isinstance(document, Order) else None
    if (
        promotion.usage_limit is not None
        and order_uses(promotion, exclude=mine).count() >= promotion.usage_limit
    ):
        raise Refused(_("The promotion code has been used up."))
    customer = _customer_q(document)
    if promotion.per_customer_limit is not None and customer is not None:
        used = order_uses(promotion, exclude=mine).filter(customer).count()
        if used >= promotion.per_customer_limit:
            raise Refused(
                _("This customer has already used the promotion as many times as it allows (%(n)s).")
                % {"n": promotion.per_customer_limit}
            )


def category_tree(ids: Iterable[int]) -> set[int]:
    """These categories and every category below them."""
    found = set(ids)
    frontier = set(found)
    while frontier:
        children = set(Category.objects.filter(parent_id__in=frontier).values_list("pk", flat=True)) - found
        found |= children
        frontier = children
    return found


def _eligible(promotion: Promotion, request: Request) -> list[bool]:
    product_ids = set(promotion.products.values_list("pk", flat=True))
    category_ids = category_tree(promotion.categories.values_list("pk", flat=True))
    if not product_ids and not category_ids:
        return [True] * len(request.lines)
    return [
        line.product is not None
        and (line.product.pk in product_ids or line.product.category_id in category_ids)
        for line in request.lines
    ]


def _date(value: Any) -> str:
    return formats.date_format(value, "d/m/Y")


def _allocate(amount: int, weights: list[int]) -> list[int]:
    """`amount` split in proportion to `weights`, in whole đồng adding up to it (largest remainder)."""
    total = sum(weights)
    if amount <= 0 or total <= 0:
        return [0] * len(weights)
    shares = [amount * w // total for w in weights]
    order = sorted(range(len(weights)), key=lambda i: (-(amount * weights[i] % total), i))
    for i in order[: amount - sum(shares)]:
        shares[i] += 1
    return shares


def evaluate(promotion: Promotion, request: Request, *, held: bool = False, carried: bool = False) -> Offer:
    """The offer of `promotion` for the request's document, or Refused with the reason."""
    if not held and not carried:
        if not promotion.active or promotion.is_deleted:
            raise Refused(_("The promotion is not running."))
        if promotion.valid_from is not None and request.on < promotion.valid_from:
            raise Refused(
                _("The promotion code is not valid yet: it starts on %(date)s.")
                % {"date": _date(promotion.valid_from)}
            )
        if promotion.valid_until is not None and request.on > promotion.valid_until:
            raise Refused(_("The promotion code has expired."))
    document = request.document
    groups = set(promotion.customer_groups.values_list("pk", flat=True))
    if groups:
        mine = {
            getattr(customer, "customer_group_id", None)
            for customer in (document.contact, document.account)
            if customer is not None
        }
        if not groups & mine:
            raise Refused(_("The promotion is not for this customer's group."))
    eligible = _eligible(promotion, request)
    nets = [int(line.net) for line in request.lines]
    weights = [n if e else 0 for n, e in zip(nets, eligible, strict=True)]
    # A discount needs something to take off; a gift needs one line it is for.
    if not any(eligible) or (promotion.kind != PromotionKind.GIFT and not any(weights)):
        raise Refused(_("The promotion does not apply to these products."))
    if request.lines_net < promotion.min_order:
        raise Refused(
            _("The order has not reached the promotion's minimum order value (%(amount)s).")
            % {"amount": format_money(promotion.min_order)}
        )
    # A use already held counts again only for another customer (the per-customer limit is theirs).
    if not held or _moved(request.current, document):
        check_limits(promotion, request.current if request.current is not None else document)
    discounts = [0] * len(nets)
    gift_value = ZERO
    if promotion.kind == PromotionKind.PERCENT:
        discounts = [
            int((Decimal(w) * promotion.value / 100).quantize(Decimal(1), rounding=ROUND_HALF_UP))
            for w in weights
        ]
    elif promotion.kind == PromotionKind.AMOUNT:
        discounts = _allocate(min(int(promotion.value), sum(weights)), weights)
    else:
        product = promotion.gift_product
        if product is None or product.is_deleted:
            raise Refused(_("The promotion's gift is no longer available."))
        gift_value = (product.list_price * promotion.gift_quantity).quantize(
            Decimal(1), rounding=ROUND_HALF_UP
        )
    return Offer(
        promotion_id=promotion.pk,
        code=promotion.code,
        name=promotion.name,
        line_discounts=tuple(Decimal(d) for d in discounts),
        gift_product=promotion.gift_product if promotion.kind == PromotionKind.GIFT else None,
        gift_quantity=promotion.gift_quantity if promotion.kind == PromotionKind.GIFT else ZERO,
        gift_value=gift_value,
    )


def _moved(use_holder: Any, document: Any) -> bool:
    """Whether the document names another customer than when its use was recorded."""
    use = live_use(use_holder)
    return use is not None and (use.contact_id, use.account_id) != (document.contact_id, document.account_id)


def _automatic(request: Request, held: PromotionUse | None) -> Offer | None:
    """The automatic promotion that saves the most, of those whose rules hold (None: none does)."""
    on = request.on
    candidates = list(
        Promotion.objects.filter(code="", active=True)
        .filter(Q(valid_from__isnull=True) | Q(valid_from__lte=on))
        .filter(Q(valid_until__isnull=True) | Q(valid_until__gte=on))
        .select_related("gift_product")
        .order_by("pk")
    )
    if held is not None and held.promotion.code == "" and held.promotion not in candidates:
        candidates.append(held.promotion)
    best: Offer | None = None
    for promotion in candidates:
        try:
            offer = evaluate(promotion, request, held=held is not None and held.promotion_id == promotion.pk)
        except ValidationError:
            continue
        if best is None or offer.saving > best.saving:
            best = offer
    return best


class Engine:
    """What commerce's hook calls (sencrm/commerce/promotions.Engine)."""

    def offer(self, request: Request) -> Offer | None:
        if request.carried_from is not None:
            source = live_use(request.carried_from)
            if source is None:
                return None
            return evaluate(source.promotion, request, carried=True)
        held = live_use(request.current)
        if not request.code:
            return _automatic(request, held)
        if held is not None and held.promotion.code == request.code:
            return evaluate(held.promotion, request, held=True)
        promotion = Promotion.objects.filter(code=request.code).select_related("gift_product").first()
        if promotion is None:
            raise Refused(_("The promotion code does not exist."))
        return evaluate(promotion, request)

    def claim(self, *, actor: Any, kind: str, document: Any, offer: Offer | None) -> None:
        current = live_use(document)
        if offer is None:
            if current is not None:
                current.delete()  # the document no longer takes it (its history holds the change)
            return
        # The lock that makes the limits hold: whoever takes it second counts the first one's use.
        promotion = Promotion.all_objects.select_for_update().get(pk=offer.promotion_id)
        customer = {"contact_id": document.contact_id, "account_id": document.account_id}
        if current is not None and current.promotion_id == promotion.pk:
            if kind == "order" and (current.contact_id, current.account_id) != tuple(customer.values()):
                check_limits(promotion, document)  # another customer: their own limit
            PromotionUse.objects.filter(pk=current.pk).update(discount=offer.saving, **customer)
            return
        if current is not None:
            current.delete()
        if kind == "order":
            check_limits(promotion, document)
        use = PromotionUse.objects.filter(promotion=promotion, **{kind: document}).first()
        if use is None:
            use = PromotionUse.objects.create(
                promotion=promotion, discount=offer.saving, **{kind: document}, **customer
            )
        else:  # the same promotion again after it was released (a draft restored, then edited)
            PromotionUse.objects.filter(pk=use.pk).update(
                released_at=None, used_at=timezone.now(), discount=offer.saving, **customer
            )
        _applied(actor, promotion, document, offer.saving)

    def release(self, *, actor: Any, document: Any) -> None:
        use = live_use(document)
        if use is None:
            return
        PromotionUse.objects.filter(pk=use.pk).update(released_at=timezone.now())
        if isinstance(document, Order):
            event_emit(
                type="promotion.released",
                subject=use.promotion,
                actor=actor,
                customer=document.event_customer(),
                data=_document_data(use.promotion, document, use.discount),
            )

    def reclaim(self, *, actor: Any, document: Any) -> None:
        if live_use(document) is not None or not getattr(document, "promotion_name", ""):
            return
        released = PromotionUse.objects.filter(order=document).order_by("-used_at", "-pk").first()
        if released is None:
            return
        promotion = Promotion.all_objects.select_for_update().get(pk=released.promotion_id)
        check_limits(promotion, document)
        PromotionUse.objects.filter(pk=released.pk).update(released_at=None, used_at=timezone.now())
        _applied(actor, promotion, document, released.discount)


def _document_data(promotion: Promotion, document: Any, discount: Decimal) -> dict[str, Any]:
    customer = document.account or document.contact
    return {
        "promotion": {"id": promotion.pk, "code": promotion.code, "name": promotion.name},
        "document": {"type": _field(document), "id": document.pk, "number": str(document)},
        "customer": (
            {"type": customer._meta.model_name, "id": customer.pk} if customer is not None else None
        ),
        "discount": str(discount),
    }


def _applied(actor: Any, promotion: Promotion, document: Quote | Order, discount: Decimal) -> None:
    event_emit(
        type="promotion.applied",
        subject=promotion,
        actor=actor,
        customer=document.event_customer(),
        data=_document_data(promotion, document, discount),
    )
