"""The web-to-lead form in a real browser: a visitor submits it (directly and embedded on another
site through the script snippet), and the administrator configures it and finds the lead."""

from __future__ import annotations

import re
import threading
from functools import partial
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer

import pytest
from playwright.sync_api import expect

from sencrm.core.tests.test_browser import browser, page, sign_in  # noqa: F401  (shared fixtures)
from sencrm.sales.models import Lead, WebForm
from sencrm.sales.services import settings as settings_services

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

THANKS = "Cảm ơn anh/chị! Chúng tôi sẽ gọi lại trong 30 phút."


@pytest.fixture
def webform(org, pipelines, settings):
    from sencrm.customers.models import SourceChannel

    # A person needs a few seconds to fill the form; the test robot does not.
    settings.WEBFORM_MIN_SECONDS = 0
    return settings_services.webform_save(
        actor=org["admin"],
        name="Trang chủ",
        title="Đăng ký tư vấn điều hòa",
        fields=["phone", "email", "interest"],
        required_fields=["phone"],
        thank_you=THANKS,
        owner=org["sales1"],
        source=SourceChannel.objects.get(code="website"),
    )


def fill_and_send(frame) -> None:
    frame.locator("#id_full_name").fill("Trần Thị Bích Ngọc")
    frame.locator("#id_phone").fill("0912 345 678")
    frame.locator("#id_email").fill("ngoc.tran@example.vn")
    frame.locator("#id_consent").check()
    frame.get_by_test_id("webform-submit").click()


def test_visitor_submits_the_public_form_and_admin_finds_the_lead(page, webform):  # noqa: F811
    page.goto(f"/f/{webform.key}/?utm_source=facebook&utm_campaign=thang8")
    expect(page.get_by_test_id("webform-title")).to_have_text("Đăng ký tư vấn điều hòa")
    # Sending without the consent box ticked is refused with a message, and nothing is lost.
    page.locator("#id_full_name").fill("Trần Thị Bích Ngọc")
    page.locator("#id_phone").fill("0912 345 678")
    page.get_by_test_id("webform-submit").click()
    expect(page.get_by_test_id("error-consent")).to_be_visible()
    expect(page.locator("#id_full_name")).to_have_value("Trần Thị Bích Ngọc")
    fill_and_send(page)
    expect(page.get_by_test_id("webform-thanks")).to_contain_text(THANKS)
    assert page.csp_errors == []

    lead = Lead.objects.get()
    assert lead.full_name == "Trần Thị Bích Ngọc" and lead.primary_phone == "0912 345 678"
    assert lead.utm == {"utm_source": "facebook", "utm_campaign": "thang8"}
    assert lead.campaign == "thang8" and lead.consents.get(channel="phone").granted

    sign_in(page, "admin")
    page.goto(f"/settings/web-forms/{webform.pk}/")
    log = page.get_by_test_id("submission-log")
    expect(log).to_contain_text("Trần Thị Bích Ngọc")
    assert page.csp_errors == []


@pytest.fixture
def host_site(tmp_path):
    """Another website (another origin on this machine) that the form is embedded on."""
    server = ThreadingHTTPServer(("127.0.0.1", 0), partial(_QuietHandler, directory=str(tmp_path)))
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield tmp_path, f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


class _QuietHandler(SimpleHTTPRequestHandler):
    def log_message(self, format, *args):  # noqa: A002
        pass


def test_the_script_snippet_embeds_the_form_on_another_site(page, webform, live_server, host_site):  # noqa: F811
    folder, origin = host_site
    form_url = f"{live_server.url}/f/{webform.key}/"
    script = (
        f'<script src="{live_server.url}/static/js/senform-embed.js" data-form="{form_url}" async></script>'
    )
    (folder / "khuyen-mai.html").write_text(
        f"<!doctype html><html><body><h1>Khuyến mãi hè</h1>{script}<p>Chân trang</p></body></html>",
        encoding="utf-8",
    )
    host = f"{origin}/khuyen-mai.html?utm_source=zalo&utm_medium=oa&utm_campaign=he2025"
    page.goto(host)
    frame = page.frame_locator("iframe")
    expect(frame.get_by_test_id("webform-title")).to_have_text("Đăng ký tư vấn điều hòa")
    fill_and_send(frame)
    expect(frame.get_by_test_id("webform-thanks")).to_contain_text(THANKS)
    # The iframe takes the form's height (the form page reports it to the embed script).
    assert page.locator("iframe").evaluate("f => f.height") != "720"

    lead = Lead.objects.get()
    assert lead.utm == {"utm_source": "zalo", "utm_medium": "oa", "utm_campaign": "he2025"}
    assert lead.referrer == host
    assert lead.web_form_id == webform.pk


def test_admin_configures_a_web_form_and_gets_the_snippets(page, org, pipelines):  # noqa: F811
    sign_in(page, "admin")
    page.goto("/settings/web-forms/")
    page.get_by_test_id("new-webform").click()
    page.locator("#id_name").fill("Form Fanpage")
    page.locator("#id_title").fill("Nhận báo giá điều hòa")
    page.locator("#id_owner").select_option(str(org["sales2"].pk))
    page.get_by_test_id("save").click()
    webform = WebForm.objects.get(name="Form Fanpage")
    expect(page).to_have_url(re.compile(rf"/settings/web-forms/{webform.pk}/$"))
    expect(page.get_by_test_id("webform-url")).to_have_value(re.compile(rf"^http://.+/f/{webform.key}/$"))
    expect(page.get_by_test_id("webform-script")).to_have_value(re.compile(r"senform-embed\.js"))
    expect(page.get_by_test_id("webform-iframe")).to_have_value(re.compile(r"^<iframe src="))
    assert webform.fields == ["phone", "email", "interest"] and webform.source.code == "website"
    assert page.csp_errors == []


def test_admin_edits_stages_and_a_scoring_rule(page, org, pipelines):  # noqa: F811
    sign_in(page, "admin")
    page.goto("/settings/pipelines/")
    page.get_by_test_id("pipeline-table").get_by_role("link", name="Bán lẻ").click()
    new_row = page.get_by_test_id("new-stage-row")
    new_row.locator("input[name$='-name']").fill("Chờ lắp đặt")
    new_row.locator("input[name$='-probability']").fill("90")
    page.get_by_test_id("save").click()
    expect(page.get_by_test_id("stage-table").locator("input[value='Chờ lắp đặt']")).to_be_visible()

    page.goto("/settings/scoring/")
    page.get_by_test_id("new-rule").click()
    page.locator("#id_name").fill("Khách Hà Nội")
    page.locator("#id_kind").select_option("province")
    # htmx swaps in the province list for this kind of rule.
    expect(page.locator("select#id_value")).to_be_visible()
    page.locator("select#id_value").select_option("ha-noi")
    page.locator("#id_points").fill("20")
    page.get_by_test_id("save").click()
    expect(page.get_by_test_id("rule-table")).to_contain_text("Khách Hà Nội")
    expect(page.get_by_test_id("rule-table")).to_contain_text("Hà Nội")
    assert page.csp_errors == []
