"""The email campaign benchmark (issue 16): EMAIL_RECIPIENTS (100,000) recipients sent to a local SMTP sink.

    BENCH=email DATABASE_URL=postgresql://postgres@127.0.0.1:5432/sencrm_bench make bench
    BENCH=email EMAIL_RECIPIENTS=10000 make bench            # SQLite, a smaller run

It runs in a process of its own (bench/run.py starts it) on its own database: PostgreSQL
EMAIL_DATABASE_URL, by default DATABASE_URL's with "_email" added (dropped, created, migrated), else
SQLite in a temporary DATA_DIR. The contacts (with an address) and their email consents are written in
SQL (INSERT … SELECT), then ANALYZEd; the segment ("everyone") and the email campaign go through the
services. Measured, through sencrm.marketing.email_sender:

- queueing: the campaign started — its audience (segment ∩ current consent ∩ an address) written as
  recipient rows in one INSERT … SELECT;
- sending: EMAIL_SENDERS (2, as EMAIL_CAMPAIGN_SENDERS) processes of `manage.py email_campaign_send` at
  once (they share the rows by their leases) to an aiosmtpd server in this process that counts what it
  is handed, rate unlimited (EMAIL_CAMPAIGN_RATE=0). Each message is rendered in the sandbox with its
  merge fields, its links rewritten, sent over SMTP, and recorded (recipient row, timeline event)
  before the next.

Target: ≥ 200 messages/s. Results: a table, and JSON in bench/results/<db>-<n>-email-<stamp>.json.
"""

from __future__ import annotations

import json
import os
import platform
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
TARGET_PER_S = 200.0
BODY = (
    "<p>Kính gửi {{ contact.salutation }} {{ contact.name }},</p>"
    "<p>Đã đến kỳ vệ sinh điều hòa. {{ company.name }} giảm 20 % cho khách quen trong tháng này: "
    '<a href="https://senco.vn/bao-duong?ma=KHQ">đặt lịch ngay</a>.</p>'
    '<p>Xem thêm <a href="https://senco.vn/khuyen-mai">các ưu đãi khác</a>.</p>'
)


def log(line: str) -> None:
    print(line, flush=True)


class Sink:
    def __init__(self) -> None:
        self.count = 0
        self.bytes = 0
        self.lock = threading.Lock()

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:  # noqa: N802
        with self.lock:
            self.count += 1
            self.bytes += len(envelope.content)
        return "250 OK"


def generate(recipients: int) -> dict[str, Any]:
    from django.db import connection, transaction

    from sencrm.core.db import analyze
    from sencrm.demo.organisation import load_organisation

    users = load_organisation()
    sales1 = users["sales1"]
    team = sales1.teams.first()
    started = time.perf_counter()
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(
            """
            INSERT INTO customers_contact (owner_id, team_id, created_at, updated_at, version, ward, street,
                lifecycle_stage, notes, custom_field_data, search_key, primary_phone, primary_email,
                full_name, family_name, middle_name, given_name, sort_key, gender, title)
            SELECT %s, %s, %s, %s, 1, '', '', 'customer', '', '{}', '', '', 'khach' || g || '@khach.vn',
                'Nguyễn Văn Khách ' || g, 'Nguyễn', 'Văn', 'Khách ' || g, 'khach ' || g,
                CASE WHEN g %% 2 = 0 THEN 'female' ELSE 'male' END, ''
            FROM (SELECT value AS g FROM generate_series(1, %s) AS value) s
            """
            if connection.vendor == "postgresql"
            else """
            WITH RECURSIVE s(g) AS (SELECT 1 UNION ALL SELECT g + 1 FROM s WHERE g < %s)
            INSERT INTO customers_contact (owner_id, team_id, created_at, updated_at, version, ward, street,
                lifecycle_stage, notes, custom_field_data, search_key, primary_phone, primary_email,
                full_name, family_name, middle_name, given_name, sort_key, gender, title)
            SELECT %s, %s, %s, %s, 1, '', '', 'customer', '', '{}', '', '', 'khach' || g || '@khach.vn',
                'Nguyễn Văn Khách ' || g, 'Nguyễn', 'Văn', 'Khách ' || g, 'khach ' || g,
                CASE WHEN g %% 2 = 0 THEN 'female' ELSE 'male' END, ''
            FROM s
            """,
            _contact_params(connection.vendor, sales1.pk, team.pk, recipients),
        )
        cursor.execute(
            """
            INSERT INTO customers_consentrecord (contact_id, lead_id, channel, purpose, granted, at, source,
                evidence, recorded_at, recorded_by_id)
            SELECT id, NULL, 'email', 'marketing', TRUE, created_at, 'web_form', '', created_at, NULL
            FROM customers_contact
            """
        )
    analyze(["customers_contact", "customers_consentrecord"])
    return {"contacts_s": round(time.perf_counter() - started, 2), "marketing": users["marketing"]}


def _contact_params(vendor: str, owner: int, team: int, n: int) -> list[Any]:
    from django.utils import timezone

    now = timezone.now()
    head = [owner, team, now, now]
    return [*head, n] if vendor == "postgresql" else [n, *head]


def main() -> None:
    recipients = int(os.environ.get("EMAIL_RECIPIENTS") or 100_000)
    senders = int(os.environ.get("EMAIL_SENDERS") or 2)
    sys.path.insert(0, str(ROOT))
    from bench.run import database_version, module_database_url, prepare_environment

    url = module_database_url("email")
    data_dir = prepare_environment("email", url, reuse=False)
    os.environ["EMAIL_CAMPAIGN_RATE"] = "0"
    from aiosmtpd.controller import Controller

    sink = Sink()
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    os.environ["EMAIL_URL"] = f"smtp://127.0.0.1:{port}"
    controller = Controller(sink, hostname="127.0.0.1", port=port)
    controller.start()
    import django

    django.setup()
    from django.core.management import call_command
    from django.utils import timezone

    from sencrm.marketing import email_sender, emailing
    from sencrm.marketing.models import EmailCampaign, EmailRecipient
    from sencrm.marketing.segments import segment_create

    try:
        call_command("migrate", verbosity=0)
        log(f"Sen CRM email benchmark: {recipients:,} recipients, {senders} sender(s), {database_version()}")
        made = generate(recipients)
        marketer = made["marketing"]
        segment = segment_create(
            actor=marketer, data={"name": "Mọi khách", "rules": {"match": "all", "rules": []}}
        )
        email = emailing.email_create(
            actor=marketer,
            data={"name": "Bảo dưỡng mùa hè", "segment": segment, "subject": "{{ contact.first_name }} ơi, "
                  "đến kỳ vệ sinh điều hòa", "body": BODY},
        )  # fmt: skip
        EmailCampaign.objects.filter(pk=email.pk).update(status="scheduled", scheduled_at=timezone.now())
        started = time.perf_counter()
        email_sender.start(email.pk)
        queue_s = time.perf_counter() - started
        queued = EmailRecipient.objects.filter(email_campaign=email).count()
        log(f"queued {queued:,} recipients in {queue_s:.2f} s; sending…")
        env = {**os.environ}
        started = time.perf_counter()
        procs = [
            subprocess.Popen(  # noqa: S603
                [sys.executable, str(ROOT / "manage.py"), "email_campaign_send", str(email.pk)],
                cwd=ROOT,
                env=env,
            )
            for _ in range(senders)
        ]
        ticks = 0
        while any(p.poll() is None for p in procs):
            time.sleep(0.2)
            ticks += 1
            if ticks % 50 == 0:
                log(f"  {sink.count:,} handed over ({sink.count / (time.perf_counter() - started):.0f}/s)")
        send_s = time.perf_counter() - started
        email.refresh_from_db()
    finally:
        controller.stop()
    rate = sink.count / send_s if send_s else 0.0
    rows = [
        {
            "operation": "queue the audience (INSERT … SELECT)",
            "value": f"{queue_s:.2f} s",
            "target": "",
            "ok": "",
        },
        {
            "operation": f"send {sink.count:,} messages, {senders} sender(s)",
            "value": f"{rate:.0f} msg/s ({send_s:.0f} s)",
            "target": f"≥ {TARGET_PER_S:.0f} msg/s",
            "ok": "yes" if rate >= TARGET_PER_S else "NO",
        },
    ]
    for row in rows:
        log(f"{row['operation']:<48} {row['value']:>22} {row['target']:>14}  {row['ok']}")
    result = {
        "recipients": recipients,
        "queued": queued,
        "senders": senders,
        "handed_to_smtp": sink.count,
        "bytes": sink.bytes,
        "campaign": {"status": email.status, "sent": email.sent, "bounced": email.bounced},
        "queue_s": round(queue_s, 2),
        "send_s": round(send_s, 2),
        "messages_per_s": round(rate, 1),
        "target_per_s": TARGET_PER_S,
        "contacts_generation_s": made["contacts_s"],
        "database": database_version(),
        "python": platform.python_version(),
        "cpus": os.cpu_count(),
        "load": os.getloadavg(),
        "data_dir": data_dir,
    }
    out = ROOT / "bench" / "results"
    out.mkdir(parents=True, exist_ok=True)
    vendor = "postgresql" if url else "sqlite"
    path = out / f"{vendor}-{recipients}-email-{time.strftime('%Y%m%d-%H%M%S')}.json"
    path.write_text(json.dumps(result, indent=2, default=str), encoding="utf-8")
    log(f"results: {path}")


if __name__ == "__main__":
    main()
