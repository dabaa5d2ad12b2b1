"""Webhook test tools: a real HTTP receiver on 127.0.0.1, a fake DNS, and a guard on every connection.

Network rule: the webhook sender may connect only to 127.0.0.1, on a port a test opened. Names other
than `localhost` (read from /etc/hosts) are answered by FAKE_DNS, so no real DNS query is made.
"""

from __future__ import annotations

import http.server
import socket
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import pytest
from django.utils import translation

from sencrm.events.webhooks import client, ssrf

FAKE_DNS: dict[str, list[str]] = {
    "hooks.example.vn": ["93.184.216.34"],
    "intranet.example.vn": ["10.0.0.7"],
    "metadata.example.vn": ["169.254.169.254"],
    "mixed.example.vn": ["93.184.216.34", "192.168.1.5"],
    "six.example.vn": ["::1"],
}


@dataclass
class Reply:
    status: int = 200
    body: bytes = b"ok"
    headers: dict[str, str] = field(default_factory=dict)
    delay: float = 0.0  # seconds before answering


@dataclass
class Received:
    path: str
    headers: dict[str, str]
    body: bytes
    at: float


class Receiver:
    """A real HTTP server on 127.0.0.1 (a free port) in a thread; records every request it gets."""

    def __init__(self, replies: list[Reply] | None = None) -> None:
        self.replies = list(replies or [])
        self.default = Reply()
        self.requests: list[Received] = []
        self.release = threading.Event()  # ends any delay early (test teardown)
        receiver = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802 - the http.server API
                length = int(self.headers.get("Content-Length", "0"))
                body = self.rfile.read(length)
                receiver.requests.append(Received(self.path, dict(self.headers.items()), body, time.time()))
                reply = receiver.replies.pop(0) if receiver.replies else receiver.default
                if reply.delay:
                    receiver.release.wait(reply.delay)
                payload = reply.body
                try:
                    self.send_response(reply.status)
                    for name, value in reply.headers.items():
                        self.send_header(name, value)
                    self.send_header("Content-Length", str(len(payload)))
                    self.end_headers()
                    view = memoryview(payload)
                    for start in range(0, len(payload), 65536):
                        self.wfile.write(view[start : start + 65536])
                except OSError:
                    pass  # the sender stopped reading (bounded answer, timeout): expected

            def log_message(self, format: str, *args: Any) -> None:  # noqa: A002
                pass

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.port = self.server.server_address[1]
        self.thread = threading.Thread(target=self.server.serve_forever, args=(0.05,), daemon=True)

    def url(self, path: str = "/hook", host: str = "127.0.0.1") -> str:
        return f"http://{host}:{self.port}{path}"

    def start(self) -> Receiver:
        self.thread.start()
        return self

    def stop(self) -> None:
        self.release.set()
        self.server.shutdown()
        self.server.server_close()


def _fake_getaddrinfo(host: str, port: int) -> list[tuple[Any, ...]]:
    if host == "localhost":
        return socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)  # /etc/hosts, no DNS query
    if host not in FAKE_DNS:
        raise socket.gaierror(socket.EAI_NONAME, "Name or service not known")
    infos = []
    for ip in FAKE_DNS[host]:
        family = socket.AF_INET6 if ":" in ip else socket.AF_INET
        sockaddr = (ip, port, 0, 0) if family == socket.AF_INET6 else (ip, port)
        infos.append((family, socket.SOCK_STREAM, 6, "", sockaddr))
    return infos


@pytest.fixture(autouse=True)
def webhook_network_guard(monkeypatch) -> list[tuple[str, int]]:
    """Every webhook connection is recorded and refused unless it goes to 127.0.0.1."""
    connections: list[tuple[str, int]] = []
    real_open = client.open_socket

    def guarded(ip: Any, port: int, timeout: float) -> socket.socket:
        connections.append((str(ip), port))
        if str(ip) != "127.0.0.1":
            raise AssertionError(f"a test tried to connect to {ip}:{port}")
        return real_open(ip, port, timeout)

    monkeypatch.setattr(client, "open_socket", guarded)
    monkeypatch.setattr(ssrf, "_getaddrinfo", _fake_getaddrinfo)
    return connections


@pytest.fixture
def english() -> Iterator[None]:
    """The webhook tests read messages in English (the translations may change their wording)."""
    with translation.override("en"):
        yield


@pytest.fixture
def receiver(settings) -> Iterator[Receiver]:
    settings.WEBHOOK_ALLOWED_HOSTS = ["127.0.0.1"]
    server = Receiver().start()
    yield server
    server.stop()


@pytest.fixture
def second_receiver() -> Iterator[Receiver]:
    server = Receiver().start()
    yield server
    server.stop()
