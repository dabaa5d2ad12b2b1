"""The kanban board in a real browser: drag a card to the next stage, see the totals change and the
stage saved; a card changed by someone else meanwhile comes back with a conflict message; the home
page's charts render under the Content-Security-Policy."""

from __future__ import annotations

import pytest
from playwright.sync_api import Page, expect

from sencrm.core.tests.test_browser import browser, page, sign_in  # noqa: F401  (shared fixtures)
from sencrm.sales import services
from sencrm.sales.models import Opportunity

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def drag(pg: Page, card_selector: str, target_selector: str) -> None:
    """A mouse drag in small steps (SortableJS's fallback mode follows mouse events)."""
    source = pg.locator(f"{card_selector} [data-testid=card-amount]")
    source.scroll_into_view_if_needed()
    box = source.bounding_box()
    target = pg.locator(target_selector).bounding_box()
    pg.mouse.move(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)
    pg.mouse.down()
    x, y = target["x"] + target["width"] / 2, target["y"] + 20
    pg.mouse.move(box["x"] + box["width"] / 2 + 10, box["y"] + box["height"] / 2 + 10, steps=5)
    pg.mouse.move(x, y, steps=20)
    pg.mouse.move(x, y + 5, steps=5)
    pg.mouse.up()


def test_drag_a_card_to_the_next_stage_and_see_a_conflict(page, org, retail, make_opportunity):  # noqa: F811
    new, advised, survey = list(retail.stages.order_by("position"))[:3]
    first = make_opportunity(name="Điều hòa phòng khách", amount=50_000_000)
    second = make_opportunity(name="Điều hòa phòng ngủ", amount=30_000_000)
    sign_in(page, "sales1")
    page.locator("[data-nav='sales:opportunity_board']").click()
    columns = page.locator(".board-column")
    expect(columns.nth(0).get_by_test_id("column-count")).to_have_text("2")
    expect(columns.nth(0).get_by_test_id("column-amount")).to_have_text("80.000.000 ₫")
    expect(columns.nth(1).get_by_test_id("column-count")).to_have_text("0")

    drag(page, f"[data-testid=card-{first.pk}]", f"#cards-{advised.pk}")
    expect(columns.nth(1).get_by_test_id("column-count")).to_have_text("1")
    expect(columns.nth(0).get_by_test_id("column-count")).to_have_text("1")
    expect(columns.nth(1).get_by_test_id("column-amount")).to_have_text("50.000.000 ₫")
    expect(columns.nth(1).get_by_test_id("column-weighted")).to_have_text("12.500.000 ₫")  # 25 %
    expect(page.locator(f"#cards-{advised.pk} [data-testid=card-{first.pk}]")).to_have_attribute(
        "data-version", "2"
    )
    first.refresh_from_db()
    assert first.stage == advised and first.version == 2

    # Someone else moves the second card after the page was loaded: dragging it is a conflict.
    services.opportunity_move(second, actor=org["manager"], stage=survey, version=second.version)
    drag(page, f"[data-testid=card-{second.pk}]", f"#cards-{advised.pk}")
    conflict = page.get_by_test_id("board-conflict")
    expect(conflict).to_be_visible()
    expect(conflict.get_by_role("link")).to_be_visible()  # "reload the board"
    expect(page.locator(f"#cards-{new.pk} [data-testid=card-{second.pk}]")).to_have_count(1)
    expect(columns.nth(1).get_by_test_id("column-count")).to_have_text("1")
    second.refresh_from_db()
    assert second.stage == survey and second.version == 2

    # The card's "Move to…" form does the same without dragging.
    card = page.get_by_test_id(f"card-{first.pk}")
    card.get_by_test_id("move-select").select_option(str(survey.pk))
    card.get_by_test_id("move-button").click()
    # The server's totals also count the card the manager moved there meanwhile.
    expect(columns.nth(2).get_by_test_id("column-count")).to_have_text("2")
    expect(page.locator(f"#cards-{survey.pk} [data-testid=card-{first.pk}]")).to_have_count(1)
    assert Opportunity.objects.get(pk=first.pk).stage == survey
    assert page.csp_errors == []


def test_dragging_into_lost_asks_for_the_reason(page, org, retail, make_opportunity):  # noqa: F811
    new, *_rest, lost = list(retail.stages.order_by("position"))
    opp = make_opportunity(name="Khách do dự", amount=10_000_000)
    sign_in(page, "sales1")
    page.goto("/opportunities/")
    drag(page, f"[data-testid=card-{opp.pk}]", f"#cards-{lost.pk}")
    modal = page.get_by_test_id("lost-modal")
    expect(modal).to_be_visible()
    modal.get_by_test_id("lost-reason").fill("Chọn hãng khác rẻ hơn")
    modal.get_by_test_id("lost-submit").click()
    expect(page.locator(".board-column.board-lost").get_by_test_id("column-count")).to_have_text("1")
    opp.refresh_from_db()
    assert opp.status == "lost" and opp.close_reason == "Chọn hãng khác rẻ hơn"
    assert page.csp_errors == []


def test_home_dashboard_charts_render(page, org, retail, make_opportunity):  # noqa: F811
    make_opportunity(name="Điều hòa văn phòng", amount=80_000_000)
    sign_in(page, "sales1")
    canvas = page.get_by_test_id("pipeline-chart")
    expect(canvas).to_be_visible()
    expect(canvas).to_have_attribute("data-drawn", "1")
    assert page.evaluate(
        "() => !!window.Chart.getChart(document.querySelector('[data-testid=pipeline-chart]'))"
    )
    width = canvas.evaluate("c => c.width")
    assert width > 0
    expect(page.get_by_test_id("forecast-chart")).to_have_attribute("data-drawn", "1")
    page.goto("/opportunities/forecast/")
    expect(page.get_by_test_id("forecast-chart")).to_have_attribute("data-drawn", "1")
    assert page.csp_errors == []
