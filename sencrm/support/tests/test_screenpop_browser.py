"""The screen pop end to end, in a real browser (Playwright driving Debian's Chromium), with two app server
processes and Redis: the care agent's browser is connected to process A; the ringing event is posted to
process B; the caller's card shows in the page — measured from the post to the card in the DOM — in under
a second. Then an unknown caller: the card offers to make a contact of them, prefilled with their number.

Both processes are the ASGI application under uvicorn (as scripts/run.sh serves it) on this test's
database (the SQLite file, or the PostgreSQL test database) with REDIS_URL on one Redis database."""

# The shared fixtures (browser) are imported: arguments naming them redefine nothing.
# ruff: noqa: F811

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest
from django.db import connection
from playwright.sync_api import expect

from sencrm.core.tests.test_browser import browser, sign_in  # noqa: F401  (shared fixtures)
from sencrm.customers.models import Contact
from sencrm.marketing.tests.email_helpers import free_port
from sencrm.support.models import Call
from sencrm.support.tests.telephony_helpers import CALLER, STRANGER, customer, phones, token_for  # noqa: F401

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

ROOT = Path(__file__).resolve().parents[3]
REDIS = ("127.0.0.1", 6379)
REDIS_DB = 13
BUDGET_MS = 1000


def redis_available() -> bool:
    try:
        with socket.create_connection(REDIS, timeout=1):
            return True
    except OSError:
        return False


def database_url() -> str:
    """The test database, for the server processes."""
    settings = connection.settings_dict
    if connection.vendor == "sqlite":
        return f"sqlite:///{settings['NAME']}"
    password = f":{settings['PASSWORD']}" if settings.get("PASSWORD") else ""
    host = f"{settings['HOST']}:{settings['PORT'] or 5432}"
    return f"postgresql://{settings['USER']}{password}@{host}/{settings['NAME']}"


def start_server(name: str, tmp_path: Path) -> tuple[subprocess.Popen[bytes], str]:
    port = free_port()
    env = {
        k: v
        for k, v in os.environ.items()
        if k not in {"DJANGO_ALLOW_ASYNC_UNSAFE", "DATABASE_URL", "REDIS_URL"}
    }
    data_dir = tmp_path / name
    data_dir.mkdir()
    env.update(
        {
            "DJANGO_SETTINGS_MODULE": "config.settings_test",
            "DATABASE_URL": database_url(),
            "REDIS_URL": f"redis://{REDIS[0]}:{REDIS[1]}/{REDIS_DB}",
            "DATA_DIR": str(data_dir),
            "HTTPS": "false",
            "LOG_LEVEL": "ERROR",
        }
    )
    command = [
        sys.executable, "-m", "uvicorn", "config.asgi:application",
        "--host", "127.0.0.1", "--port", str(port),
        "--no-access-log", "--log-level", "warning",
    ]  # fmt: skip
    log = (data_dir / "server.log").open("wb")
    process = subprocess.Popen(command, cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT)
    return process, f"http://127.0.0.1:{port}"


def wait_until_up(url: str, process: subprocess.Popen[bytes], log: Path) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if process.poll() is not None:
            pytest.fail(f"the server at {url} stopped:\n{log.read_text(errors='replace')}")
        try:
            with urllib.request.urlopen(f"{url}/login/", timeout=2) as answer:  # noqa: S310  (our own server)
                if answer.status == 200:
                    return
        except OSError:
            time.sleep(0.2)
    pytest.fail(f"the server at {url} did not start:\n{log.read_text(errors='replace')}")


@pytest.fixture
def servers(tmp_path, org) -> Iterator[tuple[str, str]]:
    """Two app server processes on this test's database and one Redis database: (A, B)."""
    if not redis_available():
        if os.environ.get("CI") == "true":
            pytest.fail("Redis is not reachable at 127.0.0.1:6379: CI requires it.")
        pytest.skip("Redis is not reachable at 127.0.0.1:6379")
    started = [start_server(name, tmp_path) for name in ("a", "b")]
    try:
        for (process, url), name in zip(started, ("a", "b"), strict=True):
            wait_until_up(url, process, tmp_path / name / "server.log")
        yield started[0][1], started[1][1]
    finally:
        for process, _url in started:
            process.terminate()
        for process, _url in started:
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait(timeout=10)


def post_event(
    server: str, token: str, call_id: str, number: str, kind: str = "ringing"
) -> dict[str, object]:
    body = json.dumps(
        {"event": kind, "call_id": call_id, "from": number, "to": "02873001234", "extension": "101"}
    )
    request = urllib.request.Request(  # noqa: S310  (our own server)
        f"{server}/api/v1/telephony/events/",
        data=body.encode(),
        headers={"Authorization": f"Bearer {token}", "Content-Type": "application/json"},
        method="POST",
    )
    with urllib.request.urlopen(request, timeout=10) as answer:  # noqa: S310
        assert answer.status == 200
        result: dict[str, object] = json.loads(answer.read())
        return result


# When the card appears in the DOM, by the browser's clock (the same machine's wall clock as the test's).
WATCH_CARD = """() => {
  window.cardShownAt = null;
  const box = document.getElementById("screenpop");
  new MutationObserver(() => {
    if (window.cardShownAt === null && box.querySelector("[data-testid=caller-card]")) {
      window.cardShownAt = Date.now();
    }
  }).observe(box, {childList: true, subtree: true});
}"""


def open_live_page(browser, server: str, username: str):
    context = browser.new_context(base_url=server, locale="vi-VN")
    page = context.new_page()
    page.csp_errors = []
    page.on(
        "console", lambda m: page.csp_errors.append(m.text) if "Content Security Policy" in m.text else None
    )
    sign_in(page, username)
    page.goto("/care/live/")
    expect(page.get_by_test_id("screenpop")).to_have_attribute("data-live", "open")
    page.evaluate(WATCH_CARD)
    return context, page


def test_the_card_pops_up_within_a_second_across_two_server_processes(browser, servers, phones, customer):
    server_a, server_b = servers
    token = token_for(phones["care"])
    context, page = open_live_page(browser, server_a, "care")
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))

    posted_at = time.time() * 1000
    answer = post_event(server_b, token, "pop-1", CALLER)
    card = page.get_by_test_id("caller-card")
    expect(card).to_be_visible(timeout=5000)
    seen_at = time.time() * 1000
    shown_at = page.evaluate("window.cardShownAt")
    assert shown_at is not None
    elapsed = shown_at - posted_at
    print(f"\nscreen pop: event posted to B → card in the DOM of A's page: {elapsed:.0f} ms "
          f"(seen by the test after {seen_at - posted_at:.0f} ms)")  # fmt: skip
    assert elapsed < BUDGET_MS

    call = Call.objects.get(call_id="pop-1")
    assert answer["call"] == call.pk and call.owner == phones["care"]
    expect(page.get_by_test_id("caller-name")).to_have_text("Nguyễn Thị Ánh Tuyết")
    expect(page.get_by_test_id("caller-account")).to_contain_text("Công ty TNHH Ánh Dương")
    expect(page.get_by_test_id("caller-owner")).to_have_text("Nguyễn Văn Nam")
    expect(page.get_by_test_id("call-state")).to_have_attribute("data-state", "ringing")
    expect(page.get_by_test_id("new-ticket")).to_have_attribute(
        "href", f"/tickets/new/?contact={customer.pk}&call={call.pk}"
    )
    # Answered and ended (posted to B): the card on A follows.
    post_event(server_b, token, "pop-1", CALLER, "answered")
    expect(page.get_by_test_id("call-state")).to_have_attribute("data-state", "answered")
    post_event(server_b, token, "pop-1", CALLER, "ended")
    expect(page.get_by_test_id("call-state")).to_have_attribute("data-state", "ended")
    call.refresh_from_db()
    assert call.ended_at is not None and call.answered_at is not None
    assert page.csp_errors == [] and errors == []
    context.close()


def test_an_unknown_caller_can_be_made_a_contact_from_the_card(browser, servers, phones, org):
    from sencrm.users.models import Grant, Role

    # This company lets its care agents create contacts (the built-in care role only reads them).
    Grant.objects.get_or_create(
        role=Role.objects.get(code="care"), module="customers", action="create", scope="own"
    )
    server_a, server_b = servers
    context, page = open_live_page(browser, server_a, "care")
    posted_at = time.time() * 1000
    post_event(server_b, token_for(phones["care"]), "pop-2", STRANGER)
    form = page.get_by_test_id("quick-create")
    expect(form).to_be_visible(timeout=5000)
    assert page.evaluate("window.cardShownAt") - posted_at < BUDGET_MS
    expect(page.get_by_test_id("caller-unknown")).to_be_visible()
    expect(page.get_by_test_id("caller-number")).to_have_text("0987 654 321")
    expect(page.get_by_test_id("quick-create-phone")).to_have_value("0987 654 321")
    page.get_by_test_id("quick-create-name").fill("Lý Văn Phúc")
    page.get_by_test_id("quick-create-save").click()
    expect(page.get_by_test_id("caller-name")).to_have_text("Lý Văn Phúc")
    contact = Contact.objects.get(full_name="Lý Văn Phúc")
    assert contact.owner == phones["care"] and contact.phones.get().e164 == "+84987654321"
    assert Call.objects.get(call_id="pop-2").contact == contact
    assert page.csp_errors == []
    context.close()
