"""A sender killed mid-send and started again: every recipient gets the email exactly once.

The worker is a real process (`manage.py email_campaign_send`) on its own SQLite database, sending to a
real SMTP server in this test; the server kills the sender while it hands over a message (before the
server's answer, so that message is not delivered), and the next run — after the lease — sends the rest."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import pytest
from aiosmtpd.controller import Controller

from sencrm.marketing.tests.email_helpers import Inbox, free_port

ROOT = Path(__file__).resolve().parents[3]
PEOPLE = 30
KILL_AT = 12

SETUP = f"""
from django.utils import timezone
from sencrm.customers import ledger, services
from sencrm.demo.organisation import load_organisation
from sencrm.marketing import emailing
from sencrm.marketing.models import EmailCampaign
from sencrm.marketing.segments import segment_create
org = load_organisation()
for i in range({PEOPLE}):
    c = services.contact_create(actor=org["sales1"], data={{"full_name": f"Khách {{i:02d}}"}},
                                phones=[f"0912 300 {{i:03d}}"], emails=[f"k{{i:02d}}@khach.vn"])
    ledger.consent_append(person=c, channel="email", granted=True, source="form")
everyone = {{"match": "all", "rules": []}}
seg = segment_create(actor=org["marketing"], data={{"name": "Tất cả", "rules": everyone}})
e = emailing.email_create(actor=org["marketing"], data={{"name": "Thư", "segment": seg, "subject": "Chào",
                          "body": "<p>Chào {{{{ contact.name }}}}</p>"}})
EmailCampaign.objects.filter(pk=e.pk).update(status="scheduled", scheduled_at=timezone.now())
print(e.pk)
"""

STATE = """
from sencrm.marketing.models import EmailCampaign, EmailRecipient
e = EmailCampaign.objects.get()
print(e.status, e.sent, EmailRecipient.objects.filter(status="sent").count())
"""


class KillingInbox(Inbox):
    """Kills the sender while it hands over message number KILL_AT (that one is not taken)."""

    def __init__(self) -> None:
        super().__init__()
        self.seen = 0
        self.worker: subprocess.Popen[bytes] | None = None

    async def handle_DATA(self, server, session, envelope):  # noqa: N802
        self.seen += 1
        if self.seen == KILL_AT and self.worker is not None:
            self.worker.kill()
            self.worker.wait(timeout=30)
            return "451 4.3.0 The sender went away"
        return await super().handle_DATA(server, session, envelope)


def manage(env, *args, **kwargs):
    return subprocess.run(
        [sys.executable, "manage.py", *args], cwd=ROOT, env=env, check=True, capture_output=True, text=True,
        timeout=180, **kwargs,
    )  # fmt: skip


@pytest.mark.django_db(transaction=True)
def test_a_killed_sender_restarted_sends_each_recipient_exactly_once(sqlite_data_dir):
    inbox = KillingInbox()
    port = free_port()
    controller = Controller(inbox, hostname="127.0.0.1", port=port)
    controller.start()
    env = {k: v for k, v in os.environ.items() if k not in {"DATABASE_URL", "REDIS_URL"}}
    env.update(
        {
            "DATA_DIR": str(sqlite_data_dir),
            "DJANGO_SETTINGS_MODULE": "config.settings_test",
            "HUEY_IMMEDIATE": "0",
            "EMAIL_URL": f"smtp://127.0.0.1:{port}",
            "EMAIL_CAMPAIGN_RATE": "0",
            "EMAIL_CAMPAIGN_LEASE_SECONDS": "2",
        }
    )
    try:
        email_id = manage(env, "shell", "--no-imports", "-c", SETUP).stdout.strip().splitlines()[-1]
        inbox.worker = subprocess.Popen(
            [sys.executable, "manage.py", "email_campaign_send", email_id],
            cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        )  # fmt: skip
        assert inbox.worker.wait(timeout=180) != 0  # killed
        assert len(inbox.messages) == KILL_AT - 1
        # Every message the server took is recorded as sent (the campaign's counter moves per batch).
        status, _counter, rows = manage(env, "shell", "--no-imports", "-c", STATE).stdout.split()
        assert (status, rows) == ("sending", str(KILL_AT - 1))
        inbox.worker = None
        time.sleep(2.5)  # the killed sender's lease on its batch ends
        manage(env, "email_campaign_send", email_id)
    finally:
        controller.stop()
    received = sorted(m["To"] for m in inbox.messages)
    assert received == [f"k{i:02d}@khach.vn" for i in range(PEOPLE)]  # each once, nobody skipped
    assert manage(env, "shell", "--no-imports", "-c", STATE).stdout.split() == [
        "sent",
        str(PEOPLE),
        str(PEOPLE),
    ]
