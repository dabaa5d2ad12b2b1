"""The daily pass: reminders once each, sent through a real SMTP server; recurring invoices once."""

from __future__ import annotations

import email
import socket
from datetime import timedelta

import pytest
from aiosmtpd.controller import Controller
from django.utils import timezone

from sencrm.billing.models import Invoice
from sencrm.billing.tasks import remind_invoices
from sencrm.events.models import Event, Notification

pytestmark = pytest.mark.django_db


class Inbox:
    def __init__(self) -> None:
        self.messages: list[email.message.Message] = []

    async def handle_DATA(self, server, session, envelope):  # noqa: N802  (aiosmtpd's hook name)
        self.messages.append(email.message_from_bytes(envelope.content))
        return "250 OK"


@pytest.fixture
def smtp(settings):
    inbox = Inbox()
    with socket.socket() as probe:  # a free port (aiosmtpd checks its own readiness on the port)
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    controller = Controller(inbox, hostname="127.0.0.1", port=port)
    controller.start()
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST = "127.0.0.1"
    settings.EMAIL_PORT = port
    settings.EMAIL_USE_TLS = settings.EMAIL_USE_SSL = False
    yield inbox
    controller.stop()


def test_reminders_before_and_after_once_each_by_email(
    issued, smtp, customer, django_capture_on_commit_callbacks
):
    from sencrm.customers.models import Contact

    # The contact's first email (what the reminder is sent to) is kept on the row.
    Contact.objects.filter(pk=customer.pk).update(primary_email="tuyet@example.vn")
    today = timezone.localdate()
    Invoice.objects.filter(pk=issued.pk).update(due_date=today + timedelta(days=2))
    with django_capture_on_commit_callbacks(execute=True):
        assert remind_invoices(today) == (1, 0)
        assert remind_invoices(today) == (0, 0)  # once
        Invoice.objects.filter(pk=issued.pk).update(due_date=today - timedelta(days=1))
        assert remind_invoices(today) == (0, 1)
        assert remind_invoices(today) == (0, 0)
    assert Event.objects.filter(type="invoice.reminded", subject_id=issued.pk).count() == 1
    overdue = Event.objects.get(type="invoice.overdue", subject_id=issued.pk)
    assert overdue.data["emailed_to"] == "tuyet@example.vn"
    assert Notification.objects.filter(recipient=issued.owner, kind="invoice_overdue").count() == 1
    assert len(smtp.messages) == 2
    subjects = [
        str(email.header.make_header(email.header.decode_header(m["Subject"]))) for m in smtp.messages
    ]
    assert all(issued.number in s for s in subjects)
    attachments = [p.get_filename() for m in smtp.messages for p in m.walk() if p.get_filename()]
    assert attachments == [f"{issued.number}.pdf"] * 2


def test_paid_invoices_are_not_reminded(issued, accountant):
    from sencrm.billing.tests.conftest import receipt

    receipt(accountant, issued, issued.total)
    Invoice.objects.filter(pk=issued.pk).update(due_date=timezone.localdate() - timedelta(days=5))
    assert remind_invoices() == (0, 0)
