"""The kanban board in a real browser: drag a card to the next stage, see the totals change and the
stage saved; a card changed by someone else meanwhile comes back with a conflict message; the home
page's charts render under the Content-Security-Policy."""

from __future__ import annotations

import re

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


def drag_by_title(pg: Page, card_selector: str, target_selector: str) -> None:
    """The same drag, grabbing the card's title (a link), the largest part of the card."""
    title = pg.locator(f"{card_selector} .board-card-name")
    title.scroll_into_view_if_needed()
    box = title.bounding_box()
    target = pg.locator(target_selector).bounding_box()
    x0, y0 = box["x"] + box["width"] / 2, box["y"] + box["height"] / 2
    pg.mouse.move(x0, y0)
    pg.mouse.down()
    pg.mouse.move(x0 + 10, y0 + 10, steps=5)
    x, y = target["x"] + target["width"] / 2, target["y"] + 20
    pg.mouse.move(x, y, steps=20)
    pg.mouse.move(x, y + 5, steps=5)
    pg.mouse.up()


def test_drag_by_the_title_updates_the_summary_line(page, org, retail, make_opportunity):  # noqa: F811
    new, advised, survey = list(retail.stages.order_by("position"))[:3]
    won = retail.stages.get(is_won=True)
    first = make_opportunity(name="Máy lọc nước gia đình", amount=40_000_000)
    second = make_opportunity(name="Máy lọc nước văn phòng", amount=20_000_000)
    sign_in(page, "sales1")
    page.goto("/opportunities/")
    summary = page.get_by_test_id("board-summary")

    def weighted(*cards: tuple[int, int]) -> str:
        total = sum(amount * probability for amount, probability in cards) // 100
        return f"{total:,}".replace(",", ".") + " ₫"

    expect(summary).to_contain_text(weighted((40_000_000, new.probability), (20_000_000, new.probability)))
    url = page.url

    drag_by_title(page, f"[data-testid=card-{first.pk}]", f"#cards-{advised.pk}")
    expect(page.locator(f"#cards-{advised.pk} [data-testid=card-{first.pk}]")).to_have_count(1)
    expect(summary).to_contain_text(
        weighted((40_000_000, advised.probability), (20_000_000, new.probability))
    )
    assert page.url == url  # the drag did not follow the title's link, and nothing was reloaded
    first.refresh_from_db()
    assert first.stage == advised

    # The "Move to…" menu: a won deal leaves the open deals.
    card = page.get_by_test_id(f"card-{second.pk}")
    card.get_by_test_id("move-select").select_option(str(won.pk))
    card.get_by_test_id("move-button").click()
    expect(summary).to_contain_text(weighted((40_000_000, advised.probability)))
    expect(summary).to_have_text(re.compile(r"^\s*1 "))

    # A click on the title without movement still opens the deal.
    page.get_by_test_id(f"card-{first.pk}").locator(".board-card-name").click()
    expect(page).to_have_url(re.compile(re.escape(first.get_absolute_url()) + "$"))
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
