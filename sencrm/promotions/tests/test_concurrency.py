"""The limits under concurrency: two orders taking the last use at once, each in its own thread and
database connection — exactly one gets it, the other is refused whole (no order, no use, no event)."""

from __future__ import annotations

import contextlib
import threading

import pytest
from django.core.exceptions import ValidationError
from django.db import connection
from django.utils import translation
from django.utils.translation import gettext

from sencrm.commerce import services as commerce
from sencrm.commerce.models import Order
from sencrm.events.models import Event
from sencrm.promotions.models import PromotionUse


def vi(message: str, **values) -> str:
    """A refusal as a thread reads it: in the site's language (a thread has no translation override)."""
    with translation.override("vi"):
        return gettext(message) % values if values else gettext(message)


USED_UP = "The promotion code has been used up."
PER_CUSTOMER = "This customer has already used the promotion as many times as it allows (%(n)s)."


def race(callables) -> list[str]:
    barrier = threading.Barrier(len(callables))
    results: list[str] = []

    def run(call) -> None:
        try:
            barrier.wait(timeout=10)
            call()
            results.append("ok")
        except ValidationError as exc:
            results.append(" ".join(exc.message_dict.get("promotion_code", exc.messages)))
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(call,)) for call in callables]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    return sorted(results)


@pytest.mark.django_db(transaction=True)
def test_two_orders_taking_the_last_use_at_once_one_wins(org, promo, customer, vip, lines):
    promotion = promo("MOTLAN", "percent", 10, usage_limit=2)
    commerce.order_create(actor=org["sales1"], data={"contact": vip, "promotion_code": "MOTLAN"}, lines=lines)

    def order(who):
        return lambda: commerce.order_create(
            actor=org[who], data={"contact": customer, "promotion_code": "MOTLAN"}, lines=lines
        )

    assert race([order("sales1"), order("manager")]) == sorted([vi(USED_UP), "ok"])
    assert PromotionUse.objects.filter(promotion=promotion, released_at__isnull=True).count() == 2
    assert Order.objects.count() == 2  # the refused order rolled back whole
    assert Event.objects.filter(type="promotion.applied").count() == 2


@pytest.mark.django_db(transaction=True)
def test_two_orders_of_one_customer_at_once_respect_the_per_customer_limit(org, promo, customer, lines):
    promotion = promo("MOTKHACH", "amount", 500_000, per_customer_limit=1)

    def order():
        return commerce.order_create(
            actor=org["sales1"], data={"contact": customer, "promotion_code": "MOTKHACH"}, lines=lines
        )

    assert race([order, order]) == sorted([vi(PER_CUSTOMER, n=1), "ok"])
    assert PromotionUse.objects.filter(promotion=promotion).count() == 1


@pytest.fixture
def counted_together(monkeypatch):
    """Make both writers count the uses at the same moment unless something keeps one waiting: each
    waits (up to 2 s) for the other before counting. With the promotion's row locked, the second
    writer is held at the lock, the first counts alone after the wait, and the second counts after the
    first committed; without the lock both would count 0 and both would take the last use."""
    from sencrm.promotions import engine

    gate = threading.Barrier(2, timeout=2)
    real = engine.check_limits

    def check(promotion, document):
        with contextlib.suppress(threading.BrokenBarrierError):
            gate.wait()
        return real(promotion, document)

    monkeypatch.setattr(engine, "check_limits", check)


@pytest.mark.django_db(transaction=True)
def test_two_drafts_given_the_last_code_at_once_one_wins(org, promo, customer, vip, lines, counted_together):
    """Two existing drafts share no lock (no new number is taken): only the promotion's row lock stands
    between them and a second use."""
    promotion = promo("MOTLAN", "percent", 10, usage_limit=1)
    drafts = [
        commerce.order_create(actor=org["sales1"], data={"contact": contact}, lines=lines)
        for contact in (customer, vip)
    ]

    def apply(draft):
        return lambda: commerce.order_update(
            draft, actor=org["sales1"], changes={"promotion_code": "MOTLAN"}, version=draft.version
        )

    assert race([apply(d) for d in drafts]) == sorted([vi(USED_UP), "ok"])
    assert PromotionUse.objects.filter(promotion=promotion).count() == 1
    with_code = Order.objects.exclude(promotion_code="")
    assert with_code.count() == 1  # the refused update rolled back whole
