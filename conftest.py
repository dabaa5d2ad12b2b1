"""Shared fixtures: the demo organisation (roles, teams, users) and stand-in records."""

from __future__ import annotations

import os

import pytest

# Playwright's sync API runs an event loop in the test thread; Django's async-safety check would
# otherwise refuse database access from the browser tests.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")


@pytest.fixture
def org(db):
    """The demo organisation: admin, manager, sales1, sales2, marketing, care, tech, board."""
    from sencrm.demo.organisation import load_organisation

    return load_organisation()


@pytest.fixture
def make_gadget(org):
    from sencrm.core.tests.testapp.models import Gadget
    from sencrm.users.models import Team

    def make(owner: str, team: str | None = "auto", name: str = "", **fields):
        user = org[owner]
        if team == "auto":
            team_obj = user.teams.first()
        else:
            team_obj = Team.objects.get(name=team) if team else None
        return Gadget.objects.create(owner=user, team=team_obj, name=name or f"gadget of {owner}", **fields)

    return make


@pytest.fixture
def client_as(client, org):
    def login(username: str):
        client.force_login(org[username])
        return client

    return login


@pytest.fixture
def hanoi(db):
    from sencrm.customers.choices import sync_reference_data
    from sencrm.customers.models import Province, SourceChannel

    # Transactional (browser) tests flush the tables that the data migration filled.
    sync_reference_data(Province, SourceChannel)
    return Province.objects.get(code="ha-noi")


@pytest.fixture
def make_contact(org, hanoi):
    from sencrm.customers import services

    def make(owner="sales1", full_name="Nguyễn Thị Ánh Tuyết", phones=("0912 345 678",), emails=(), **data):
        user = org[owner]
        return services.contact_create(
            actor=user,
            data={"full_name": full_name, "province": hanoi, **data},
            phones=list(phones),
            emails=list(emails),
        )

    return make


@pytest.fixture(autouse=True)
def _no_outside_network(monkeypatch):
    """Network rule of this workplace, for every test: the webhook sender connects only to 127.0.0.1
    and no real DNS query is made (a fuzzed or typed public URL must never be called). The webhook
    tests replace this with their own receiver-aware guard (sencrm/events/tests/conftest.py)."""
    import socket

    from sencrm.events.webhooks import client, ssrf

    real_open = client.open_socket

    def guarded(ip, port, timeout):
        if str(ip) != "127.0.0.1":
            raise OSError(f"tests may not connect to {ip}:{port}")
        return real_open(ip, port, timeout)

    def no_dns(host, port):
        if host == "localhost":
            return socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
        raise socket.gaierror(socket.EAI_NONAME, "Name or service not known")

    monkeypatch.setattr(client, "open_socket", guarded)
    monkeypatch.setattr(ssrf, "_getaddrinfo", no_dns)
