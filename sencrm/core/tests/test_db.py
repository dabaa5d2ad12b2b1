"""The two places of sencrm/core/db.py that lean on what Django does not document: these fail the day a
Django upgrade changes what they rely on."""

from __future__ import annotations

from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext

from sencrm.core.db import on_commit_once, prefetch_fast
from sencrm.customers.models import Contact


def test_on_commit_once_queues_one_call_per_transaction(db):
    calls = []

    def wake() -> None:
        calls.append(1)

    with transaction.atomic():
        for _ in range(3):
            on_commit_once(wake)
        # Django's own list of what waits for the commit: (savepoint ids, callable, robust).
        assert [entry[1] for entry in transaction.get_connection().run_on_commit].count(wake) == 1


def test_prefetch_fast_hands_the_rows_to_the_managers(org, make_contact, monkeypatch):
    make_contact(full_name="Nguyễn Thị Mai", phones=["0912 000 001", "0912 000 002"], emails=["mai@x.vn"])
    make_contact(full_name="Trần Văn Bình", phones=["0912 000 003"])
    rel_filters = []
    manager_class = Contact.phones.related_manager_cls  # the class Django builds contact.phones from
    real = manager_class._apply_rel_filters
    monkeypatch.setattr(
        manager_class, "_apply_rel_filters", lambda self, qs: rel_filters.append(1) or real(self, qs)
    )
    list(Contact.objects.prefetch_related("phones"))  # the plain way: one queryset built per contact
    assert len(rel_filters) == 2
    rel_filters.clear()

    with CaptureQueriesContext(connection) as ctx:
        contacts = list(
            Contact.objects.order_by("id").prefetch_related(
                *prefetch_fast("phones", "emails", "tags", "consents")
            )
        )
        seen = {
            c.full_name: (
                [p.number for p in c.phones.all()],
                [e.address for e in c.emails.all()],
                list(c.tags.all()),
                list(c.consents.all()),
            )
            for c in contacts
        }
    assert len(ctx.captured_queries) == 5  # the contacts, then one query per relation, none per row
    assert seen["Nguyễn Thị Mai"][:2] == (["0912 000 001", "0912 000 002"], ["mai@x.vn"])
    assert seen["Trần Văn Bình"][:2] == (["0912 000 003"], [])
    assert contacts[0].phones_prefetched == list(contacts[0].phones.all())
    assert not rel_filters  # no queryset was built per contact

    # Not prefetched: the attribute is missing (Django's prefetch checks it with hasattr), the manager reads.
    fresh = Contact.objects.get(pk=contacts[0].pk)
    assert not hasattr(fresh, "phones_prefetched")
    assert [p.number for p in fresh.phones.all()] == ["0912 000 001", "0912 000 002"]
