"""Document numbers (sencrm/core/numbering.py): formats, yearly restart, changes, and no duplicate and no
gap when 8 processes take numbers at once."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from datetime import date
from pathlib import Path
from urllib.parse import quote

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection, transaction
from django.db.transaction import TransactionManagementError
from django.utils import translation

from sencrm.core.models import NumberCounter
from sencrm.core.numbering import next_number, number_format_set, number_formats, number_preview

ROOT = Path(__file__).resolve().parents[3]
MAY = date(2026, 5, 4)


def take(kind: str, on: date = MAY) -> str:
    with transaction.atomic():
        return next_number(kind, on)


@pytest.mark.django_db
def test_each_kind_has_its_default_format():
    assert [take(kind) for kind in ("quote", "order", "contract", "invoice", "receipt", "payment")] == [
        "BG-2026-00001",
        "DH-2026-000001",
        "HD-2026-00001",
        "HDBH-2026-000001",
        "PT-2026-000001",
        "PC-2026-000001",
    ]
    assert [take("quote"), take("quote"), take("order")] == [
        "BG-2026-00002",
        "BG-2026-00003",
        "DH-2026-000002",
    ]


@pytest.mark.django_db
def test_numbers_restart_each_year_by_the_documents_date():
    assert take("quote", date(2026, 12, 31)) == "BG-2026-00001"
    assert take("quote", date(2027, 1, 1)) == "BG-2027-00001"
    assert take("quote", date(2026, 11, 2)) == "BG-2026-00002"  # back-dated: its own year's sequence
    assert take("quote", date(2027, 2, 1)) == "BG-2027-00002"


@pytest.mark.django_db
def test_a_rolled_back_document_gives_its_number_back():
    assert take("order") == "DH-2026-000001"
    with pytest.raises(RuntimeError), transaction.atomic():
        assert next_number("order", MAY) == "DH-2026-000002"
        raise RuntimeError("the document was refused")
    assert take("order") == "DH-2026-000002"


@pytest.mark.django_db(transaction=True)
def test_a_number_is_taken_only_inside_the_documents_transaction():
    with pytest.raises(TransactionManagementError):
        next_number("quote", MAY)
    assert not NumberCounter.objects.exists()


@pytest.mark.django_db
def test_an_unknown_kind_is_refused():
    with pytest.raises(ValueError, match="unknown kind"):
        take("qoute")


@pytest.mark.django_db
def test_the_preview_takes_nothing():
    assert number_preview("contract", MAY) == "HD-2026-00001"
    assert number_preview("contract", MAY) == "HD-2026-00001"
    take("contract")
    assert number_preview("contract", MAY) == "HD-2026-00002"


def test_an_administrator_changes_a_format(org):
    take("contract")
    sequence, changes = number_format_set(
        actor=org["admin"], kind="contract", prefix="HĐKT", padding=3, pattern="{number}/{year}/{prefix}"
    )
    assert changes == {
        "prefix": ["HD", "HĐKT"],
        "padding": [5, 3],
        "pattern": ["{prefix}-{year}-{number}", "{number}/{year}/{prefix}"],
    }
    assert (sequence.kind, sequence.prefix, sequence.padding) == ("contract", "HĐKT", 3)
    assert take("contract") == "002/2026/HĐKT"  # the sequence goes on
    assert number_formats()["contract"].prefix == "HĐKT" and number_formats()["quote"].prefix == "BG"
    _sequence, again = number_format_set(actor=org["admin"], kind="contract", prefix="HĐKT")
    assert again == {}


def test_the_two_digit_year(org):
    number_format_set(actor=None, kind="quote", pattern="{prefix}{yy}-{number}", padding=4)
    assert take("quote", date(2027, 3, 1)) == "BG27-0001"


def test_only_administrators_change_formats(org):
    with pytest.raises(PermissionDenied):
        number_format_set(actor=org["sales1"], kind="quote", prefix="XX")
    assert number_formats()["quote"].prefix == "BG"


@pytest.mark.parametrize(
    ("fields", "field"),
    [
        ({"pattern": "{prefix}-{year}"}, "pattern"),
        ({"pattern": "{prefix}-{number}"}, "pattern"),  # restarts each year: the year must be in it
        ({"pattern": "{prefix}-{year}-{number}-{settings}"}, "pattern"),
        ({"pattern": "{prefix.__class__}-{year}-{number}"}, "pattern"),
        ({"pattern": "<b>{year}{number}</b>"}, "pattern"),
        ({"prefix": "<script>"}, "prefix"),
        ({"prefix": "X" * 21}, "prefix"),
        ({"prefix": "B\nG"}, "prefix"),
        ({"prefix": "B G"}, "prefix"),
        ({"padding": 0}, "padding"),
        ({"padding": 13}, "padding"),
        ({"pattern": "{prefix}{prefix}{prefix}-{year}-{number}", "prefix": "X" * 20}, "pattern"),
        ({"kind": "bill"}, "kind"),
        ({"next_number_at_least": 0}, "next_number"),
    ],
)
def test_bad_formats_are_refused(org, fields, field):
    with translation.override("en"), pytest.raises(ValidationError) as error:
        number_format_set(actor=org["admin"], **{"kind": "quote", **fields})
    assert field in error.value.message_dict
    assert number_formats()["quote"].prefix == "BG"


def test_a_sequence_that_never_restarts(org):
    take("receipt", date(2025, 12, 30))
    take("receipt", date(2026, 1, 2))  # PT-2026-000001 and PT-2025-000001 so far
    number_format_set(
        actor=org["admin"], kind="receipt", yearly_reset=False, pattern="{prefix}{number}", on=MAY
    )
    # One sequence now, after the highest number any year gave.
    assert [take("receipt", date(2026, 2, 1)), take("receipt", date(2027, 1, 1))] == ["PT000002", "PT000003"]
    number_format_set(
        actor=org["admin"], kind="receipt", yearly_reset=True, pattern="{prefix}-{year}-{number}", on=MAY
    )
    # Back to one per year: this year goes on after the single sequence.
    assert take("receipt", date(2026, 6, 1)) == "PT-2026-000004"


def test_moving_from_another_system_goes_on_from_its_last_number(org):
    number_format_set(actor=org["admin"], kind="contract", next_number_at_least=188, on=MAY)
    assert take("contract") == "HD-2026-00188"
    number_format_set(actor=org["admin"], kind="contract", next_number_at_least=5, on=MAY)  # never back
    assert take("contract") == "HD-2026-00189"


# 8 processes take order numbers at once; every fifth attempt is rolled back after taking its number.
WORKER = """
import os, time
from datetime import date
from pathlib import Path
from django.db import transaction
from sencrm.core.numbering import next_number
worker, go = int(os.environ["NUMBERING_WORKER"]), Path(os.environ["NUMBERING_GO"])
Path(os.environ["NUMBERING_READY"]).touch()
while not go.exists():
    time.sleep(0.01)
taken = []
for i in range(25):
    try:
        with transaction.atomic():
            number = next_number("order", date(2026, 5, 4))
            time.sleep(0.002)  # hold the lock a moment, like a document being saved
            if (worker + i) % 5 == 0:
                raise RuntimeError
    except RuntimeError:
        continue
    taken.append(number)
print(" ".join(taken))
"""


def database_url() -> str:
    db = connection.settings_dict
    if connection.vendor == "sqlite":
        return f"sqlite:///{db['NAME']}"
    auth = quote(db["USER"] or "") + (f":{quote(db['PASSWORD'])}" if db["PASSWORD"] else "")
    return f"postgresql://{auth}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}"


@pytest.mark.django_db(transaction=True)
def test_eight_processes_get_no_duplicate_and_no_gap(tmp_path):
    env = {k: v for k, v in os.environ.items() if k != "DATABASE_URL"}
    env.update(
        {
            "DATABASE_URL": database_url(),
            "DATA_DIR": str(tmp_path),
            "DJANGO_SETTINGS_MODULE": "config.settings_test",
            "NUMBERING_GO": str(tmp_path / "go"),
        }
    )
    workers = [
        subprocess.Popen(
            [sys.executable, "manage.py", "shell", "--no-imports", "-c", WORKER],
            cwd=ROOT,
            env={**env, "NUMBERING_WORKER": str(n), "NUMBERING_READY": str(tmp_path / f"ready-{n}")},
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for n in range(8)
    ]
    try:
        deadline = time.monotonic() + 180
        while not all((tmp_path / f"ready-{n}").exists() for n in range(8)):
            assert all(w.poll() is None for w in workers), [
                w.communicate() for w in workers if w.poll() is not None
            ]
            assert time.monotonic() < deadline, "the workers did not start"
            time.sleep(0.05)
        (tmp_path / "go").touch()  # all at once
        outputs = [w.communicate(timeout=180) for w in workers]
    finally:
        for w in workers:
            if w.poll() is None:
                w.kill()
    assert [w.returncode for w in workers] == [0] * 8, [err for _out, err in outputs]
    numbers = [number for out, _err in outputs for number in out.split()]
    assert len(numbers) == 8 * 20  # 25 attempts each, 5 rolled back
    assert sorted(numbers) == [f"DH-2026-{n:06d}" for n in range(1, 161)]  # no duplicate, no gap
    assert NumberCounter.objects.get(kind="order", year=2026).last_number == 160
