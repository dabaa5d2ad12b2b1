"""One webhook POST: to the checked address only, with timeouts, a bounded answer and checked redirects.

The standard library's http.client is enough and lets us connect to the address the SSRF guard
approved (the Host header and TLS certificate check still use the URL's host name), so a DNS answer
that changes between the check and the connection cannot point us inward.
"""

from __future__ import annotations

import http.client
import socket
import ssl
import time
from dataclasses import dataclass
from urllib.parse import urljoin

from django.conf import settings
from django.utils.translation import gettext as _

from sencrm.events.webhooks import ssrf

FOLLOWED_REDIRECTS = {301, 302, 307, 308}
MAX_REDIRECTS = 3
MAX_RESPONSE_BYTES = 64 * 1024  # a receiver answering 10 MB costs us 64 KB
EXCERPT_CHARS = 1000
ERROR_CHARS = 500


@dataclass
class Outcome:
    status: int | None
    error: str
    duration_ms: int
    excerpt: str = ""
    url: str = ""

    @property
    def ok(self) -> bool:
        return self.status is not None and 200 <= self.status < 300


def open_socket(ip: ssrf.IPAddress, port: int, timeout: float) -> socket.socket:
    """The one place a webhook connection is opened (the tests guard it)."""
    return socket.create_connection((str(ip), port), timeout=timeout)


class _PinnedHTTPConnection(http.client.HTTPConnection):
    def __init__(self, target: ssrf.Target, ip: ssrf.IPAddress, timeout: float) -> None:
        super().__init__(target.host, target.port, timeout=timeout)
        self._ip = ip
        self._connect_timeout = timeout

    def connect(self) -> None:
        self.sock = open_socket(self._ip, self.port, self._connect_timeout)


class _PinnedHTTPSConnection(http.client.HTTPSConnection):
    def __init__(self, target: ssrf.Target, ip: ssrf.IPAddress, timeout: float) -> None:
        super().__init__(target.host, target.port, timeout=timeout, context=ssl.create_default_context())
        self._ip = ip
        self._connect_timeout = timeout

    def connect(self) -> None:
        raw = open_socket(self._ip, self.port, self._connect_timeout)
        # The certificate is checked against the URL's host name, not the address we pinned.
        self.sock = self._context.wrap_socket(raw, server_hostname=self.host)  # type: ignore[attr-defined]


def _connect(target: ssrf.Target, addresses: list[ssrf.IPAddress]) -> http.client.HTTPConnection:
    cls = _PinnedHTTPSConnection if target.scheme == "https" else _PinnedHTTPConnection
    error: OSError | None = None
    for ip in addresses:
        conn = cls(target, ip, settings.WEBHOOK_CONNECT_TIMEOUT)
        try:
            conn.connect()
        except OSError as exc:
            conn.close()
            error = exc
            continue
        return conn
    raise error or OSError("no address")


def _read_bounded(response: http.client.HTTPResponse, deadline: float) -> bytes:
    data = bytearray()
    while len(data) < MAX_RESPONSE_BYTES and time.monotonic() < deadline:
        chunk = response.read1(min(16384, MAX_RESPONSE_BYTES - len(data)))
        if not chunk:
            break
        data += chunk
    return bytes(data)


def _describe(exc: BaseException) -> str:
    if isinstance(exc, TimeoutError | socket.timeout):
        return _("Timed out: no answer within the time limit (connect %(c)s s, read %(r)s s).") % {
            "c": settings.WEBHOOK_CONNECT_TIMEOUT,
            "r": settings.WEBHOOK_READ_TIMEOUT,
        }
    if isinstance(exc, ssl.SSLError):
        return _("TLS error: %(error)s") % {"error": exc}
    if isinstance(exc, http.client.HTTPException):
        return _("Invalid HTTP answer: %(error)s") % {"error": type(exc).__name__}
    return _("Connection failed: %(error)s") % {"error": exc}


def _send_once(
    target: ssrf.Target,
    addresses: list[ssrf.IPAddress],
    body: bytes,
    headers: dict[str, str],
    deadline: float,
) -> tuple[int, bytes, str | None]:
    conn = _connect(target, addresses)
    try:
        assert conn.sock is not None  # noqa: S101 - connected above
        conn.sock.settimeout(max(0.1, min(settings.WEBHOOK_READ_TIMEOUT, deadline - time.monotonic())))
        conn.request("POST", target.path, body=body, headers=headers)
        response = conn.getresponse()
        data = _read_bounded(response, deadline)
        return response.status, data, response.getheader("Location")
    finally:
        conn.close()


def post(url: str, body: bytes, headers: dict[str, str]) -> Outcome:
    """POST `body` to `url`; never raises: the outcome says what happened, for the delivery log."""
    started = time.monotonic()
    deadline = started + settings.WEBHOOK_CONNECT_TIMEOUT + 2 * settings.WEBHOOK_READ_TIMEOUT

    def outcome(status: int | None, error: str, data: bytes = b"", at: str = url) -> Outcome:
        excerpt = data[: EXCERPT_CHARS * 2].decode("utf-8", "replace")[:EXCERPT_CHARS]
        duration = int((time.monotonic() - started) * 1000)
        return Outcome(status, error[:ERROR_CHARS], duration, excerpt, at[:2000])

    current = url
    redirect_status: int | None = None
    for hop in range(MAX_REDIRECTS + 1):
        try:
            target, addresses = ssrf.check_url(current)
        except ssrf.UnsafeURL as exc:
            if hop == 0:
                return outcome(None, str(exc))
            reason = _("Redirect to %(url)s refused. %(reason)s") % {"url": current[:300], "reason": exc}
            return outcome(redirect_status, reason, at=current)
        try:
            status, data, location = _send_once(target, addresses, body, headers, deadline)
        except Exception as exc:  # any network failure is one failed attempt, logged
            return outcome(None, _describe(exc), at=current)
        if status not in FOLLOWED_REDIRECTS or not location:
            if 300 <= status < 400:
                return outcome(
                    status,
                    _("Redirect not followed (status %(status)s): give the final URL of the receiver.")
                    % {"status": status},
                    data,
                    current,
                )
            error = "" if 200 <= status < 300 else _("The receiver answered %(status)s.") % {"status": status}
            return outcome(status, error, data, current)
        redirect_status = status
        current = urljoin(current, location)
    return outcome(
        redirect_status, _("Too many redirects (more than %(max)s).") % {"max": MAX_REDIRECTS}, at=current
    )
