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
