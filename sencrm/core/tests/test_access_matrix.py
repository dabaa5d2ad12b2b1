"""The access gate, proven: role × action × record (own / team / other team / no team), per module.

The expectations are written out by hand from the issue's role definitions, independently of the
default grants in sencrm/users/defaults.py, so a wrong default fails here.
"""

from __future__ import annotations

import pytest
from django.core.exceptions import PermissionDenied
from django.http import Http404

from sencrm.core import access
from sencrm.core.tests.testapp.models import Gadget

ACTIONS = ["view", "create", "edit", "delete", "export", "import"]

# The stand-in records, by who owns them and which team they are in.
RECORDS = {
    "sales1_hn": ("sales1", "Kinh doanh Hà Nội"),
    "manager_hn": ("manager", "Kinh doanh Hà Nội"),
    "admin_in_hn": ("admin", "Kinh doanh Hà Nội"),
    "sales2_hcm": ("sales2", "Kinh doanh TP.HCM"),
    "admin_no_team": ("admin", None),
}
EVERYTHING = set(RECORDS)

# What each scope reaches, for each user (by hand).
REACH = {
    ("sales1", "own"): {"sales1_hn"},
    ("sales2", "own"): {"sales2_hcm"},
    ("manager", "team"): {"sales1_hn", "manager_hn", "admin_in_hn"},
    ("marketing", "own"): set(),
    ("tech", "own"): set(),
    ("tech", "team"): set(),  # no team; second-line queues add their tickets (support.Ticket.access_q)
    ("care", "own"): set(),
    ("accountant", "own"): set(),
}

# module -> user -> action -> scope (absent: no right). Admin has everything everywhere.
EXPECTED = {
    "customers": {
        "manager": dict.fromkeys(ACTIONS, "team"),
        "sales1": {"view": "own", "create": "own", "edit": "own", "delete": "own", "export": "own"},
        "sales2": {"view": "own", "create": "own", "edit": "own", "delete": "own", "export": "own"},
        "marketing": {"view": "all"},
        "care": {"view": "all", "create": "own", "edit": "own"},
        "tech": {"view": "own"},
        "board": {},
        "accountant": {"view": "all", "export": "all"},
    },
    "leads": {
        "manager": dict.fromkeys(ACTIONS, "team"),
        "sales1": {"view": "own", "create": "own", "edit": "own", "delete": "own", "export": "own"},
        "sales2": {"view": "own", "create": "own", "edit": "own", "delete": "own", "export": "own"},
        "marketing": {"view": "all", "create": "own", "edit": "own", "import": "own"},
        "care": {},
        "tech": {},
        "board": {},
        "accountant": {},
    },
    "support": {
        "manager": dict.fromkeys(ACTIONS, "team"),
        "sales1": {},
        "sales2": {},
        "marketing": {},
        "care": {"view": "all", "create": "all", "edit": "all", "export": "all"},
        "tech": {"view": "team", "create": "team", "edit": "team"},
        "board": {},
        "accountant": {},
    },
    # Sales name campaigns on their leads; marketing reads every campaign and changes its own.
    "marketing": {
        "manager": dict.fromkeys(ACTIONS, "team"),
        "sales1": {"view": "all"},
        "sales2": {"view": "all"},
        "marketing": {
            "view": "all",
            "export": "all",
            "create": "own",
            "edit": "own",
            "delete": "own",
            "import": "own",
        },
        "care": {},
        "tech": {},
        "board": {},
        "accountant": {},
    },
    "sales": {
        "manager": dict.fromkeys(ACTIONS, "team"),
        "sales1": {"view": "own", "create": "own", "edit": "own", "delete": "own", "export": "own"},
        "sales2": {"view": "own", "create": "own", "edit": "own", "delete": "own", "export": "own"},
        "marketing": {},
        "care": {},
        "tech": {},
        "board": {},
        "accountant": {},
    },
    "activities": {
        "manager": dict.fromkeys(ACTIONS, "team"),
        "sales1": {"view": "own", "create": "own", "edit": "own", "delete": "own", "export": "own"},
        "sales2": {"view": "own", "create": "own", "edit": "own", "delete": "own", "export": "own"},
        "marketing": {"view": "own", "create": "own", "edit": "own"},
        "care": {"view": "own", "create": "own", "edit": "own"},
        "tech": {"view": "own", "create": "own", "edit": "own"},
        "board": {},
        "accountant": {"view": "own", "create": "own", "edit": "own"},
    },
    "commerce": {
        "manager": dict.fromkeys(ACTIONS, "team"),
        "sales1": {"view": "own", "create": "own", "edit": "own", "delete": "own", "export": "own"},
        "sales2": {"view": "own", "create": "own", "edit": "own", "delete": "own", "export": "own"},
        "marketing": {},
        "care": {"view": "all"},  # care reads quotes, orders and contracts
        "tech": {},
        "board": {},
        "accountant": {"view": "all", "export": "all"},
    },
    # The catalogue is shared: whoever reads it reads all of it; managers maintain it.
    "catalog": {
        "manager": dict.fromkeys(ACTIONS, "all"),
        "sales1": {"view": "all", "export": "all"},
        "sales2": {"view": "all", "export": "all"},
        "marketing": {"view": "all"},
        "care": {"view": "all"},
        "tech": {"view": "all"},
        "board": {},
        "accountant": {"view": "all", "export": "all"},
    },
    "fieldservice": {
        "manager": dict.fromkeys(ACTIONS, "team"),
        "sales1": {},
        "sales2": {},
        "marketing": {},
        # Care dispatches field work (users.0008_fieldservice_grants).
        "care": {"view": "all", "create": "all", "edit": "all", "export": "all"},
        "tech": {"view": "own", "edit": "own"},
        "board": {},
        "accountant": {},
    },
    "collaboration": {
        "manager": dict.fromkeys(ACTIONS, "team"),
        "sales1": {"view": "own", "create": "own", "edit": "own"},
        "sales2": {"view": "own", "create": "own", "edit": "own"},
        "marketing": {},
        "care": {},
        "tech": {},
        "board": {},
        "accountant": {},
    },
    "admin": {
        "manager": {},
        "sales1": {},
        "sales2": {},
        "marketing": {},
        "care": {},
        "tech": {},
        "board": {},
        "accountant": {},
    },
    # Invoices and payments: the accountant does all of it; sales read their own customers' invoices,
    # managers their teams'; the board sees totals on its home page, not the invoices.
    "billing": {
        "manager": {"view": "team", "export": "team"},
        "sales1": {"view": "own", "export": "own"},
        "sales2": {"view": "own", "export": "own"},
        "marketing": {},
        "care": {},
        "tech": {},
        "board": {},
        "accountant": dict.fromkeys(ACTIONS, "all"),
    },
    "reports": {
        "manager": {"view": "team", "export": "team"},
        "sales1": {},
        "sales2": {},
        "marketing": {"view": "all", "export": "all"},
        "care": {},
        "tech": {},
        "board": {"view": "all", "export": "all"},
        "accountant": {"view": "all", "export": "all"},
    },
}
# Personal-data requests: marketing handles them, care registers them as customers call in.
EXPECTED["privacy"] = {
    "manager": {},
    "sales1": {},
    "sales2": {},
    "marketing": dict.fromkeys(ACTIONS, "all"),
    "care": {"view": "all", "create": "all"},
    "tech": {},
    "board": {},
    "accountant": {},
}
for _module, _table in EXPECTED.items():
    _table["admin"] = dict.fromkeys(ACTIONS, "all")

USERS = ["admin", "manager", "sales1", "sales2", "marketing", "care", "tech", "board", "accountant"]


def reachable(user: str, level: str | None) -> set[str]:
    if level is None:
        return set()
    if level == "all":
        return EVERYTHING
    return REACH[(user, level)]


@pytest.fixture
def records(make_gadget):
    return {key: make_gadget(owner, team, name=key) for key, (owner, team) in RECORDS.items()}


CASES = [(m, u, a) for m in EXPECTED for u in USERS for a in ACTIONS]


@pytest.mark.parametrize(("module", "username", "action"), CASES)
def test_scope_and_check_agree_with_the_role_definitions(module, username, action, org, records, monkeypatch):
    monkeypatch.setattr(Gadget, "access_module", module)
    user = org[username]
    level = EXPECTED[module][username].get(action)
    view_level = EXPECTED[module][username].get("view")
    allowed = reachable(username, level)
    visible = reachable(username, view_level)

    # The list/search/export filter.
    in_scope = set(access.scope(user, Gadget, action).values_list("name", flat=True))
    assert in_scope == allowed

    # The module-level right (menus, create pages, imports).
    assert access.can(user, module, action) is (level is not None)

    # The per-record check: 404 outside the view scope, 403 for a visible record without the right.
    for key, obj in records.items():
        if key not in visible:
            with pytest.raises(Http404):
                access.check(user, action, obj)
        elif key not in allowed:
            with pytest.raises(PermissionDenied):
                access.check(user, action, obj)
        else:
            access.check(user, action, obj)


def test_anonymous_and_inactive_users_see_nothing(org, records):
    from django.contrib.auth.models import AnonymousUser

    assert not access.scope(AnonymousUser(), Gadget).exists()
    admin = org["admin"]
    admin.is_active = False
    assert not access.scope(admin, Gadget).exists()
    with pytest.raises(Http404):
        access.check(admin, "view", records["admin_no_team"])


def test_a_user_without_a_role_sees_nothing(org, records):
    sales1 = org["sales1"]
    sales1.role = None
    sales1.forget_access_cache()
    assert not access.scope(sales1, Gadget).exists()


def test_the_grant_lookup_costs_a_fixed_number_of_queries(org, records, django_assert_max_num_queries):
    manager = org["manager"]
    manager.forget_access_cache()
    with django_assert_max_num_queries(4):
        list(access.scope(manager, Gadget))
        for obj in records.values():
            access.in_scope(manager, "edit", obj)


def test_every_module_has_written_expectations():
    from sencrm.core.modules import Module

    assert set(EXPECTED) == set(Module.values), "write the new module's expected grants here, by hand"


# --- every real gated model ----------------------------------------------------------------------
# The same matrix over the product's own records, not only the stand-in: each gated model needs a
# maker here (a record with the given owner and team), so a new module's model fails until covered.


def _pipeline_stage():
    from sencrm.sales.models import Pipeline, Stage

    pipeline, _ = Pipeline.objects.get_or_create(name="Ma trận", defaults={"position": 99})
    stage, _ = Stage.objects.get_or_create(pipeline=pipeline, name="Mới", defaults={"position": 0})
    return pipeline, stage


def _make(model, owner, team, name):
    fields = {"owner": owner, "team": team}
    label = model._meta.label_lower
    if label in ("customers.contact", "sales.lead"):
        fields["full_name"] = name
    elif label == "customers.account":
        fields["name"] = name
    elif label == "sales.opportunity":
        pipeline, stage = _pipeline_stage()
        fields.update(name=name, pipeline=pipeline, stage=stage)
    elif label == "activities.activity":
        fields.update(kind="task", subject=name)
    elif label == "catalog.product":
        fields.update(code=name[:40], name=name)
    elif label == "catalog.pricelist":
        import datetime as dt

        fields.update(name=name, valid_from=dt.date(2026, 1, 1))
    elif label in ("commerce.quote", "commerce.order"):
        fields.update(number=f"{label}-{name}"[:40])
    elif label in ("billing.invoice", "billing.payment", "billing.return"):
        fields.update(number=f"{label}-{name}"[:40])
        if label == "billing.payment":
            fields["amount"] = 1000
        if label == "billing.return":
            from sencrm.commerce.models import Order

            fields["order"] = Order.objects.create(owner=owner, team=team, number=f"o-{name}"[:40])
            fields["reason"] = "x"
    elif label == "billing.bankstatement":
        fields.update(name=name)
    elif label == "commerce.contract":
        import datetime as dt

        fields.update(number=f"{label}-{name}"[:40], name=name, start_date=dt.date(2026, 1, 1))
    elif label == "marketing.campaign":
        import datetime as dt

        fields.update(name=name, channel="zalo", start_date=dt.date(2026, 1, 1))
    elif label == "marketing.segment":
        fields.update(name=name, rules={"match": "all", "rules": []})
    elif label == "marketing.careoccasion":
        fields.update(name=name, kind="tet", task_subject="Gửi quà Tết")
    elif label == "marketing.emailcampaign":
        import datetime as dt

        from sencrm.marketing.models import Campaign

        campaign = Campaign.objects.create(
            owner=owner, team=team, name=name, channel="email", start_date=dt.date(2026, 1, 1)
        )
        fields.update(name=name, campaign=campaign, subject="Chào {{ contact.name }}", body="<p>Xin chào</p>")
    elif label == "promotions.promotion":
        fields.update(name=name, code=f"KM-{name}"[:40].upper(), kind="percent", value=10)
    elif label == "privacy.datarequest":
        import datetime as dt

        from sencrm.customers.models import Contact

        when = dt.datetime(2026, 8, 3, 9, tzinfo=dt.UTC)
        person = Contact.objects.create(owner=owner, team=team, full_name=f"Người hỏi {name}")
        fields.update(
            number=f"{label}-{name}"[:40],
            contact=person,
            kind="access",
            received_at=when,
            acknowledge_due_at=when,
            due_at=when,
        )
    elif label == "support.ticket":
        fields.update(number=f"{label}-{name}"[:30], subject=name)
    elif label == "support.call":
        fields.update(number="+84901234567")
    elif label == "support.carecall":
        import datetime as dt

        fields.update(purpose=name, due_date=dt.date(2026, 8, 3))
    elif label == "support.survey":
        from sencrm.marketing.models import Segment

        segment = Segment.objects.create(
            owner=owner, team=team, name=f"NPS {name}", rules={"match": "all", "rules": []}
        )
        fields.update(name=name, segment=segment, question="Bạn có giới thiệu chúng tôi không?")
    elif label == "support.review":
        fields.update(kind="csat")
    elif label == "fieldservice.asset":
        from sencrm.catalog.models import Product

        product = Product.objects.create(owner=owner, team=team, code=f"tb-{name}"[:40], name=name)
        fields.update(product=product, serial_number=name)
    elif label == "fieldservice.maintenanceplan":
        import datetime as dt

        fields.update(name=name, interval_months=6, start_date=dt.date(2026, 1, 1))
    elif label == "fieldservice.workorder":
        fields.update(number=f"cv-{name}"[:30], title=name)
    else:
        raise AssertionError(f"add a maker for {label} to the access matrix")
    return model.objects.create(**fields)


def gated_models():
    from django.apps import apps

    from sencrm.core.models import Record

    return sorted(
        (m for m in apps.get_models() if issubclass(m, Record) and access.is_gated(m) and m is not Gadget),
        key=lambda m: m._meta.label_lower,
    )


def test_the_product_has_gated_models():
    labels = {m._meta.label_lower for m in gated_models()}
    assert {"customers.contact", "customers.account", "sales.lead", "sales.opportunity"} <= labels
    assert "activities.activity" in labels


@pytest.mark.parametrize("model", gated_models(), ids=lambda m: m._meta.label_lower)
def test_every_gated_model_follows_its_modules_grants(model, org):
    from sencrm.users.models import Team

    made = {}
    for key, (owner, team) in RECORDS.items():
        team_obj = Team.objects.get(name=team) if team else None
        made[key] = _make(model, org[owner], team_obj, key)
    module = model.access_module
    ids = {obj.pk: key for key, obj in made.items()}
    for username in USERS:
        user = org[username]
        for action in ACTIONS:
            level = EXPECTED[module][username].get(action)
            allowed = reachable(username, level)
            in_scope = {
                ids[pk] for pk in access.scope(user, model, action).values_list("pk", flat=True) if pk in ids
            }
            assert in_scope == allowed, (username, action)
            for key, obj in made.items():
                assert access.in_scope(user, action, obj) is (key in allowed), (username, action, key)
