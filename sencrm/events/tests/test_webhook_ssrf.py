"""The SSRF guard: internal addresses in every notation are refused on save, at send time and on redirects."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError

from sencrm.events.consumers import run_consumer
from sencrm.events.models import DeliveryState, WebhookDelivery
from sencrm.events.tests.conftest import FAKE_DNS, Reply
from sencrm.events.webhooks import consumer, delivery, services, ssrf

pytestmark = pytest.mark.usefixtures("english")

INTERNAL = [
    ("http://127.0.0.1/hook", "127.0.0.1"),
    ("http://0177.0.0.1/hook", "127.0.0.1"),  # octal
    ("http://0x7f000001/hook", "127.0.0.1"),  # hex
    ("http://0x7f.1/hook", "127.0.0.1"),  # hex, short form
    ("http://2130706433/hook", "127.0.0.1"),  # decimal
    ("http://127.1/hook", "127.0.0.1"),  # short form
    ("http://017700000001/hook", "127.0.0.1"),  # octal, one number
    ("http://127.0.0.1./hook", "127.0.0.1"),  # trailing dot
    ("http://[::1]/hook", "::1"),
    ("http://[::ffff:7f00:1]/hook", "::ffff:7f00:1"),  # IPv4-mapped IPv6
    ("http://[::ffff:127.0.0.1]/hook", "::ffff:7f00:1"),
    ("http://[0:0:0:0:0:ffff:7f00:1]/hook", "::ffff:7f00:1"),
    ("http://[::127.0.0.1]/hook", "::7f00:1"),  # IPv4-compatible (deprecated)
    ("http://[2002:7f00:1::]/hook", "2002:7f00:1::"),  # 6to4 around 127.0.0.1
    ("http://[64:ff9b::a00:1]/hook", "64:ff9b::a00:1"),  # NAT64 around 10.0.0.1
    ("http://[fe80::1]/hook", "fe80::1"),  # link-local
    ("http://[fd00::1]/hook", "fd00::1"),  # unique local
    ("http://[::]/hook", "::"),
    ("http://169.254.169.254/latest/meta-data/", "169.254.169.254"),  # cloud metadata
    ("http://10.0.0.1/hook", "10.0.0.1"),
    ("http://10.255.255.254:8080/hook", "10.255.255.254"),
    ("http://192.168.1.1/hook", "192.168.1.1"),
    ("http://172.16.0.1/hook", "172.16.0.1"),
    ("http://172.31.255.255/hook", "172.31.255.255"),
    ("http://100.64.0.1/hook", "100.64.0.1"),  # shared address space (CGNAT)
    ("http://0.0.0.0/hook", "0.0.0.0"),  # noqa: S104 - the address under test
    ("http://0/hook", "0.0.0.0"),  # noqa: S104
    ("http://224.0.0.1/hook", "224.0.0.1"),  # multicast
    ("http://240.0.0.1/hook", "240.0.0.1"),  # reserved
    ("http://255.255.255.255/hook", "255.255.255.255"),
    ("http://198.18.0.1/hook", "198.18.0.1"),  # benchmarking
    ("http://localhost:8000/hook", "127.0.0.1"),  # a DNS name that resolves to loopback
    ("http://LOCALHOST/hook", "127.0.0.1"),
    ("http://ｌｏｃａｌｈｏｓｔ/hook", "127.0.0.1"),  # full-width letters (IDNA maps them)
    ("http://intranet.example.vn/hook", "10.0.0.7"),  # a name in private space
    ("http://metadata.example.vn/hook", "169.254.169.254"),
    ("http://mixed.example.vn/hook", "192.168.1.5"),  # one public and one private address
    ("http://six.example.vn/hook", "::1"),
]

MALFORMED = [
    "file:///etc/passwd",
    "gopher://127.0.0.1:70/_x",
    "ftp://93.184.216.34/x",
    "javascript:alert(1)",
    "JaVaScRiPt:alert(1)",
    "data:text/html,<script>alert(1)</script>",
    "dict://93.184.216.34:11211/",
    "//93.184.216.34/hook",
    "93.184.216.34/hook",
    "http://user:pass@93.184.216.34/hook",  # credentials
    "http://user@93.184.216.34/hook",
    "http://93.184.216.34@127.0.0.1/hook",
    "http://evil.example\\@127.0.0.1/hook",  # backslash tricks
    "http://93.184.216.34 /hook",
    "http://93.184.216.34/ho\nok",
    "http://[fe80::1%25eth0]/hook",  # zone id
    "http://[::1/hook",
    "http://93.184.216.34:0/hook",
    "http://93.184.216.34:99999/hook",
    "http:///hook",
    "http://nowhere.invalid/hook",  # does not resolve
    "http://a..b/hook",
    "http://" + "a" * 2000 + ".vn/",
    "",
]

PUBLIC = [
    "http://93.184.216.34/hook",
    "https://93.184.216.34:8443/sen?token=abc",
    "https://hooks.example.vn/sen",
    "https://[2606:2800:220:1:248:1893:25c8:1946]/hook",
    "http://8.8.8.8/",
]


@pytest.mark.parametrize(("url", "address"), INTERNAL)
def test_internal_addresses_are_refused_in_any_notation(url, address):
    with pytest.raises(ssrf.UnsafeURL) as exc:
        ssrf.check_url(url)
    message = str(exc.value)
    assert address in message
    assert "WEBHOOK_ALLOWED_HOSTS" in message


@pytest.mark.parametrize("url", MALFORMED)
def test_other_schemes_credentials_and_malformed_urls_are_refused(url):
    with pytest.raises(ssrf.UnsafeURL) as exc:
        ssrf.check_url(url)
    assert str(exc.value)


@pytest.mark.parametrize("url", PUBLIC)
def test_public_addresses_are_accepted(url):
    # Only checked: nothing is ever sent to these addresses in the tests.
    target, addresses = ssrf.check_url(url)
    assert all(ssrf.is_public(ip) for ip in addresses)
    assert target.scheme in ("http", "https")


def test_the_request_line_keeps_the_path_and_query_and_the_host_is_normalised():
    target, _ = ssrf.check_url("https://HOOKS.example.vn.:443/a/b?x=1&y=2#frag")
    assert (target.host, target.port, target.path) == ("hooks.example.vn", 443, "/a/b?x=1&y=2")
    assert target.host_header == "hooks.example.vn"


@pytest.mark.parametrize(
    ("allowed", "url"),
    [
        (["127.0.0.1"], "http://127.0.0.1:8069/erp"),
        (["127.0.0.1"], "http://0x7f000001:8069/erp"),  # the same address in another notation
        (["localhost"], "http://localhost:8069/erp"),
        (["erp.local", "intranet.example.vn"], "http://intranet.example.vn/erp"),
        (["[::1]"], "http://[::1]:8069/erp"),
        (["10.0.0.7"], "https://10.0.0.7/erp"),
    ],
)
def test_webhook_allowed_hosts_exempts_a_host(settings, allowed, url):
    with pytest.raises(ssrf.UnsafeURL):
        ssrf.check_url(url)
    settings.WEBHOOK_ALLOWED_HOSTS = allowed
    ssrf.check_url(url)


def test_an_allowed_host_does_not_open_its_neighbours(settings):
    settings.WEBHOOK_ALLOWED_HOSTS = ["10.0.0.7"]
    for url in ("http://10.0.0.8/", "http://localhost/", "http://127.0.0.1/"):
        with pytest.raises(ssrf.UnsafeURL):
            ssrf.check_url(url)


# --- on save --------------------------------------------------------------------------------------


@pytest.mark.parametrize("url", ["http://0x7f000001/", "http://[::ffff:127.0.0.1]/", "javascript:alert(1)"])
def test_saving_an_unsafe_url_is_refused_with_a_message(org, url):
    with pytest.raises(ValidationError) as exc:
        services.webhook_create(actor=org["admin"], url=url, event_types=["*"])
    assert exc.value.message_dict["url"]


def test_changing_the_url_to_an_internal_one_is_refused(org):
    subscription, _secret = services.webhook_create(
        actor=org["admin"], url="https://hooks.example.vn/sen", event_types=["*"]
    )
    with pytest.raises(ValidationError):
        services.webhook_update(subscription, actor=org["admin"], url="http://169.254.169.254/")
    subscription.refresh_from_db()
    assert subscription.url == "https://hooks.example.vn/sen"


# --- at send time ---------------------------------------------------------------------------------


def _pending_delivery(org, url: str) -> WebhookDelivery:
    from sencrm.core.tests.testapp.models import Gadget
    from sencrm.events import services as spine

    services.webhook_create(actor=org["admin"], url=url, event_types=["gadget.created"])
    spine.record_create(Gadget, actor=org["sales1"], data={"name": "Máy lọc nước"})
    run_consumer(consumer.NAME)
    return WebhookDelivery.objects.get(event_type="gadget.created")


def test_a_name_that_changes_to_a_private_address_is_refused_at_send_time(
    org, monkeypatch, webhook_network_guard
):
    d = _pending_delivery(org, "https://hooks.example.vn/sen")  # public when saved
    monkeypatch.setitem(FAKE_DNS, "hooks.example.vn", ["10.0.0.9"])  # DNS rebinding
    assert delivery.deliver(d.pk) == DeliveryState.PENDING
    d.refresh_from_db()
    assert "10.0.0.9" in d.last_error
    assert d.attempt_log.get().error == d.last_error
    assert webhook_network_guard == []  # no connection was even tried


def test_an_allowed_host_removed_from_the_setting_is_refused_at_send_time(org, settings, receiver):
    d = _pending_delivery(org, receiver.url())
    settings.WEBHOOK_ALLOWED_HOSTS = []
    delivery.deliver(d.pk)
    d.refresh_from_db()
    assert d.state == DeliveryState.PENDING
    assert "127.0.0.1" in d.last_error
    assert receiver.requests == []


# --- redirects ------------------------------------------------------------------------------------


def test_a_redirect_to_an_internal_address_is_refused(org, receiver, second_receiver, webhook_network_guard):
    # Only 127.0.0.1 is allowed; the redirect names the second receiver as "localhost" (loopback too,
    # but not allowed), so following it would be server-side request forgery.
    internal = second_receiver.url("/internal", host="localhost")
    receiver.replies = [Reply(302, headers={"Location": internal})]
    d = _pending_delivery(org, receiver.url())
    assert delivery.deliver(d.pk) == DeliveryState.PENDING
    d.refresh_from_db()
    assert d.last_status_code == 302
    assert "Redirect to" in d.last_error and "refused" in d.last_error
    assert "localhost" in d.last_error
    assert len(receiver.requests) == 1
    assert second_receiver.requests == []
    assert webhook_network_guard == [("127.0.0.1", receiver.port)]


@pytest.mark.parametrize(
    "location",
    ["http://169.254.169.254/latest/meta-data/", "http://[::ffff:127.0.0.1]/", "file:///etc/passwd"],
)
def test_redirects_to_metadata_or_other_schemes_are_refused(org, receiver, location, webhook_network_guard):
    receiver.replies = [Reply(307, headers={"Location": location})]
    d = _pending_delivery(org, receiver.url())
    delivery.deliver(d.pk)
    d.refresh_from_db()
    assert d.state == DeliveryState.PENDING and "refused" in d.last_error
    assert webhook_network_guard == [("127.0.0.1", receiver.port)]


def test_a_redirect_to_an_allowed_host_is_followed_with_the_same_signed_request(
    org, receiver, second_receiver
):
    receiver.replies = [Reply(308, headers={"Location": second_receiver.url("/moved")})]
    d = _pending_delivery(org, receiver.url())
    assert delivery.deliver(d.pk) == DeliveryState.DELIVERED
    first, second = receiver.requests[0], second_receiver.requests[0]
    assert second.path == "/moved"
    assert second.body == first.body
    assert second.headers["X-Sen-Signature"] == first.headers["X-Sen-Signature"]
    assert d.attempt_log.get().url.endswith("/moved")


def test_endless_redirects_stop(org, receiver):
    receiver.default = Reply(302, headers={"Location": receiver.url("/again")})
    d = _pending_delivery(org, receiver.url())
    delivery.deliver(d.pk)
    d.refresh_from_db()
    assert d.state == DeliveryState.PENDING
    assert "Too many redirects" in d.last_error
    assert len(receiver.requests) == 4  # the first request and three redirects


def test_a_see_other_redirect_is_not_followed(org, receiver):
    receiver.replies = [Reply(303, headers={"Location": receiver.url("/other")})]
    d = _pending_delivery(org, receiver.url())
    delivery.deliver(d.pk)
    d.refresh_from_db()
    assert d.last_status_code == 303 and "not followed" in d.last_error
    assert len(receiver.requests) == 1
