"""Shared fixtures: the demo organisation (roles, teams, users) and stand-in records."""

from __future__ import annotations

import os

import pytest

# Playwright's sync API runs an event loop in the test thread; Django's async-safety check would
# otherwise refuse database access from the browser tests.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")


def pytest_collection_modifyitems(config, items):
    """`DB_TESTS_ONLY=1` (make test's PostgreSQL run): only the tests that use the database. The others
    (settings, translations, PDF rendering, worker processes on their own SQLite file…) ran on SQLite
    just before and would do exactly the same again."""
    if os.environ.get("DB_TESTS_ONLY") != "1":
        return
    db_fixtures = {"db", "transactional_db", "live_server", "django_db_reset_sequences"}
    keep, drop = [], []
    for item in items:
        uses_db = item.get_closest_marker("django_db") or db_fixtures & set(getattr(item, "fixturenames", ()))
        (keep if uses_db else drop).append(item)
    if drop:
        config.hook.pytest_deselected(items=drop)
        items[:] = keep


@pytest.fixture(scope="session")
def django_db_setup(django_db_setup, django_db_blocker):
    """Each test database (one per xdist worker) starts with the demo organisation, loaded once: every
    test's transaction is rolled back to it, so `org` only reads it (160 queries less per test)."""
    from sencrm.demo.organisation import load_organisation

    with django_db_blocker.unblock():
        load_organisation()


@pytest.fixture
def org(db):
    """The demo organisation: admin, manager, sales1, sales2, marketing, care, tech, accountant, board."""
    from sencrm.demo.organisation import USERS, load_organisation
    from sencrm.users.models import User

    users = {u.username: u for u in User.objects.select_related("role").filter(username__in=USERS)}
    if len(users) < len(USERS):  # a transactional test flushed the tables: load it again
        return load_organisation()
    return {name: users[name] for name in USERS}


@pytest.fixture(scope="session")
def migrated_sqlite(tmp_path_factory):
    """A SQLite database with every migration applied, made once per run and shared by the xdist
    workers (under a lock): the tests that start real worker processes copy it instead of migrating
    (half a minute each)."""
    import fcntl
    import sqlite3
    import subprocess
    import sys
    from pathlib import Path

    shared = tmp_path_factory.getbasetemp().parent  # the same for every xdist worker of this run
    template = shared / "migrated.sqlite3"
    with open(shared / "migrated.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if not template.exists():
            data_dir = shared / "migrated-data"
            data_dir.mkdir(exist_ok=True)
            env = {k: v for k, v in os.environ.items() if k not in {"DATABASE_URL", "REDIS_URL"}}
            env.update({"DATA_DIR": str(data_dir), "DJANGO_SETTINGS_MODULE": "config.settings_test"})
            subprocess.run(
                [sys.executable, "manage.py", "migrate", "-v", "0"],
                cwd=Path(__file__).resolve().parent,
                env=env,
                check=True,
                capture_output=True,
                timeout=600,
            )
            source, copy = sqlite3.connect(data_dir / "sencrm.sqlite3"), sqlite3.connect(template)
            with copy:
                source.backup(copy)
            source.close()
            copy.close()
    return template


@pytest.fixture
def sqlite_data_dir(tmp_path, migrated_sqlite):
    """A data directory whose SQLite database is migrated: DATA_DIR for a `manage.py` subprocess."""
    import shutil

    shutil.copyfile(migrated_sqlite, tmp_path / "sencrm.sqlite3")
    return tmp_path


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
