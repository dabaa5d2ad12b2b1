"""The customers benchmark: realistic contacts in bulk, then the latency of the pages people wait on.

`generate()` writes SIZE contacts straight into the tables with `bulk_create` (batches of 5,000),
computing every derived field exactly as `sencrm.customers.services` does; `measure_all()` times
caller ID, search, the contact list (all records and one salesperson's own), a contact's page with
its timeline, and creating a contact, through `django.test.Client` in-process.

Django must be set up before these functions are called (bench/run.py, or the smoke test).
"""

from __future__ import annotations

import datetime as dt
import random
import statistics
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from itertools import accumulate
from typing import Any

BATCH = 5000
# The p95 targets of the issue, in milliseconds (None: measured, no target).
TARGETS: dict[str, float | None] = {
    "caller_id": 10,
    "search": 150,
    "list": 100,
    "list_scoped": 100,
    "detail": 100,
    "create": None,
}
LABELS = {
    "caller_id": "caller ID  GET /api/v1/caller-id/?phone=",
    "search": "search     GET /api/v1/contacts/?search=&page_size=20",
    "list": "list       GET /contacts/?lifecycle_stage=lead (admin)",
    "list_scoped": "list       GET /contacts/?lifecycle_stage=lead (sales1)",
    "detail": "detail     GET /contacts/<id>/ (with timeline)",
    "create": "create     POST /api/v1/contacts/",
}
# Sales regions of the demo company: who owns a contact from which province.
NORTH = {"ha-noi", "bac-ninh", "hai-phong", "hung-yen", "quang-ninh", "thanh-hoa", "nghe-an"}
SOUTH = {"ho-chi-minh", "dong-nai", "can-tho", "khanh-hoa"}
# Lifecycle progression used for the contacts that get update events.
PROGRESSION = ["target", "lead", "prospect", "customer", "inactive"]
# 2018 renumbering, reversed: new prefix → the old 11-digit prefix people still type.
_OLD_PREFIX = {"032": "0162", "033": "0163", "034": "0164", "035": "0165", "070": "0120", "079": "0121"}
_SCRAMBLE = 7919  # prime, coprime with 10**7: i → i * 7919 mod 10**7 is a bijection


@dataclass
class Sample:
    """A generated contact kept for the measurements' inputs."""

    id: int
    e164: str
    full_name: str


@dataclass
class Dataset:
    size: int
    vendor: str
    counts: dict[str, int]
    load_seconds: float
    analyze_seconds: float
    samples: list[Sample]
    seed: int
    next_phone_index: int
    extra: dict[str, Any] = field(default_factory=dict)

    def load_summary(self) -> dict[str, Any]:
        rows = sum(self.counts.values())
        return {
            "size": self.size,
            "rows": self.counts,
            "rows_total": rows,
            "seconds": round(self.load_seconds, 2),
            "rows_per_s": round(rows / self.load_seconds) if self.load_seconds else None,
            "contacts_per_s": round(self.size / self.load_seconds) if self.load_seconds else None,
            "analyze_seconds": round(self.analyze_seconds, 2),
            **self.extra,
        }


def national_number(index: int) -> str:
    """A valid Vietnamese mobile number (national form, 10 digits), unique per index (< 280 million)."""
    from sencrm.demo.customers import PREFIXES

    prefix = PREFIXES[index % len(PREFIXES)]
    rest = (index // len(PREFIXES)) * _SCRAMBLE % 10**7
    return f"{prefix}{rest:07d}"


def e164_of(national: str) -> str:
    return "+84" + national[1:]


def typed(national: str, style: int) -> str:
    """The number written the ways people write it (all resolve to the same E.164 key)."""
    n = national
    styles = [
        f"{n[:4]} {n[4:7]} {n[7:]}",
        n,
        f"+84 {n[1:4]} {n[4:7]} {n[7:]}",
        "84" + n[1:],
        f"({n[:3]}) {n[3:6]}-{n[6:]}",
        f"{n[:4]}.{n[4:7]}.{n[7:]}",
        f"+84{n[1:]}",
    ]
    if n[:3] in _OLD_PREFIX:  # the pre-2018 11-digit form
        styles.append(f"{_OLD_PREFIX[n[:3]]} {n[3:6]} {n[6:]}")
    return styles[style % len(styles)]


class _Names:
    """Realistic Vietnamese names (the demo's lists and weights), with their derived fields cached."""

    def __init__(self) -> None:
        from sencrm.demo.customers import FAMILY, GIVEN, MIDDLE

        self.family = [f for f, _w in FAMILY]
        self.family_cum = list(accumulate(w for _f, w in FAMILY))
        self.middle = MIDDLE
        self.given = GIVEN
        self._cache: dict[str, tuple[str, str, str, str, str]] = {}

    def pick(self, rng: random.Random, k: int) -> list[tuple[str, str]]:
        genders = ["female" if rng.random() < 0.5 else "male" for _ in range(k)]
        families = rng.choices(self.family, cum_weights=self.family_cum, k=k)
        return [
            (g, f"{f} {rng.choice(self.middle[g])} {rng.choice(self.given[g])}")
            for g, f in zip(genders, families, strict=True)
        ]

    def derived(self, full_name: str) -> tuple[str, str, str, str, str]:
        """(family, middle, given, sort_key, folded name), as services._derive_contact_names does."""
        from sencrm.core.text import fold, name_sort_key, split_vietnamese_name

        cached = self._cache.get(full_name)
        if cached is None:
            family, middle, given = split_vietnamese_name(full_name)
            cached = (family, middle, given, name_sort_key(full_name), fold(full_name))
            self._cache[full_name] = cached
        return cached


def _weighted_picker(pairs: list[tuple[str, int]]) -> Callable[[random.Random, int], list[str]]:
    values = [p[0] for p in pairs]
    cum = list(accumulate(p[1] for p in pairs))
    return lambda rng, k: rng.choices(values, cum_weights=cum, k=k)


def generate(
    size: int,
    *,
    seed: int = 2026,
    batch: int = BATCH,
    sample_limit: int = 20000,
    log: Callable[[str], None] | None = None,
) -> Dataset:
    """Load the demo organisation and `size` contacts with phones, emails and timeline events."""
    from django.contrib.contenttypes.models import ContentType
    from django.db import connection, transaction
    from django.utils import timezone

    from sencrm.core.phones import display, search_digits, to_e164
    from sencrm.customers.choices import sync_reference_data
    from sencrm.customers.models import Contact, Email, Phone, Province, SourceChannel
    from sencrm.demo.customers import PREFIXES, PROVINCE_WEIGHTS, SOURCES, STAGES, STREETS, WARDS
    from sencrm.demo.organisation import load_organisation
    from sencrm.events.models import Event

    for prefix in PREFIXES:  # the generated numbers must be ones the CRM accepts
        assert to_e164(prefix + "1234567") == e164_of(prefix + "1234567"), prefix

    org_started = time.perf_counter()
    users = load_organisation()  # users, roles, teams (password hashing: not part of the data load)
    sync_reference_data(Province, SourceChannel)
    organisation_seconds = time.perf_counter() - org_started
    started = time.perf_counter()
    rng = random.Random(seed)
    owners = {name: users[name] for name in ("sales1", "sales2", "manager")}
    team_of = {name: (u.teams.values_list("id", flat=True).first()) for name, u in owners.items()}
    provinces = {p.code: p.pk for p in Province.objects.all()}
    pick_province = _weighted_picker([(code, PROVINCE_WEIGHTS.get(code, 1)) for code in provinces])
    sources = {s.code: s.pk for s in SourceChannel.objects.all()}
    pick_source = _weighted_picker([(code, w) for code, w in SOURCES if code in sources])
    pick_stage = _weighted_picker(STAGES)
    names = _Names()
    ct = ContentType.objects.get_for_model(Contact)
    now = timezone.now()
    span = dt.timedelta(days=730)
    start_at = now - span
    counts = {"contacts": 0, "phones": 0, "emails": 0, "events": 0}
    samples: list[Sample] = []
    keep = min(1.0, sample_limit / max(size, 1))
    chunk_size = min(batch, 2000)

    def owner_for(code: str) -> str:
        if code in NORTH:
            return "sales1" if rng.random() < 0.75 else "manager"
        if code in SOUTH:
            return "sales2"
        return rng.choice(("sales1", "sales2", "manager"))

    for first in range(0, size, batch):
        k = min(batch, size - first)
        picked = names.pick(rng, k)
        codes = pick_province(rng, k)
        stages = pick_stage(rng, k)
        source_codes = pick_source(rng, k)
        contacts, extras = [], []
        for j in range(k):
            i = first + j
            gender, full_name = picked[j]
            family, middle, given, sort_key, folded = names.derived(full_name)
            code = codes[j]
            owner_name = owner_for(code)
            owner = owners[owner_name]
            # ids grow with creation time, as they do in a real database
            created = start_at + span * (i / max(size, 1)) + dt.timedelta(seconds=rng.randint(0, 600))
            created = min(created, now)
            nationals = [national_number(i)] + ([national_number(size + i)] if rng.random() < 0.2 else [])
            phones = [(typed(n, rng.randrange(8)), e164_of(n)) for n in nationals]
            emails = [f"{folded.replace(' ', '.')}{i}@gmail.com"] if rng.random() < 0.5 else []
            updates = rng.randint(1, 4) if rng.random() < 0.1 else 0
            if updates:
                s = rng.randint(0, len(PROGRESSION) - 1 - updates)
                path = PROGRESSION[s : s + updates + 1]
            else:
                path = [stages[j]]
            # search_key: folded name, then each phone's digits, then the emails lower-cased
            # (services._refresh_search_key's order)
            parts = [folded] + [search_digits(e) for _n, e in phones] + [a.lower() for a in emails]
            updated = created
            update_times = []
            for _u in range(updates):
                updated = min(
                    updated + dt.timedelta(days=rng.randint(1, 30), minutes=rng.randint(0, 600)), now
                )
                update_times.append(updated)
            contacts.append(
                Contact(
                    full_name=full_name,
                    family_name=family,
                    middle_name=middle,
                    given_name=given,
                    sort_key=sort_key,
                    gender=gender,
                    date_of_birth=dt.date(rng.randint(1960, 2004), rng.randint(1, 12), rng.randint(1, 28))
                    if rng.random() < 0.4
                    else None,
                    province_id=provinces[code],
                    ward=rng.choice(WARDS.get(code, [""])),
                    street=f"{rng.randint(1, 500)} {rng.choice(STREETS)}",
                    source_id=sources[source_codes[j]],
                    lifecycle_stage=path[-1],
                    first_touch_at=created - dt.timedelta(days=rng.randint(0, 20)),
                    search_key=" ".join(p for p in parts if p),
                    primary_phone=display(phones[0][1]),
                    primary_email=emails[0] if emails else "",
                    owner_id=owner.pk,
                    team_id=team_of[owner_name],
                    created_by_id=owner.pk,
                    updated_by_id=owner.pk,
                    created_at=created,
                    updated_at=updated,
                    version=1 + updates,
                )
            )
            extras.append((phones, emails, path, update_times, owner.pk, code))

        with transaction.atomic():
            Contact.objects.bulk_create(contacts, batch_size=chunk_size)
            phone_rows, email_rows, events = [], [], []
            for contact, (phones, emails, path, update_times, owner_id, code) in zip(
                contacts, extras, strict=True
            ):
                for pos, (number, e164) in enumerate(phones):
                    phone_rows.append(Phone(contact_id=contact.pk, number=number, e164=e164, position=pos))
                for pos, address in enumerate(emails):
                    email_rows.append(
                        Email(
                            contact_id=contact.pk, address=address, address_key=address.lower(), position=pos
                        )
                    )
                common = {
                    "actor_id": owner_id,
                    "actor_label": "system:bench",
                    "subject_type": ct,
                    "subject_id": contact.pk,
                    "subject_repr": contact.full_name,
                    "customer_type": ct,
                    "customer_id": contact.pk,
                }
                record = {
                    "full_name": contact.full_name,
                    "lifecycle_stage": path[0],
                    "province": provinces[code],
                    "owner": owner_id,
                    "phones": [n for n, _e in phones],
                    "emails": emails,
                }
                events.append(
                    Event(
                        type="contact.created",
                        occurred_at=contact.created_at,
                        data={"record": record},
                        version=1,
                        **common,
                    )
                )
                for step, at in enumerate(update_times):
                    events.append(
                        Event(
                            type="contact.updated",
                            occurred_at=at,
                            data={"changes": {"lifecycle_stage": path[step : step + 2]}, "labels": {}},
                            version=step + 2,
                            **common,
                        )
                    )
                if rng.random() < keep:
                    samples.append(Sample(contact.pk, phones[0][1], contact.full_name))
            Phone.objects.bulk_create(phone_rows, batch_size=chunk_size)
            Email.objects.bulk_create(email_rows, batch_size=chunk_size)
            Event.objects.bulk_create(events, batch_size=chunk_size)
        counts["contacts"] += len(contacts)
        counts["phones"] += len(phone_rows)
        counts["emails"] += len(email_rows)
        counts["events"] += len(events)
        done = first + k
        if log and (done % 50000 == 0 or done == size):
            elapsed = time.perf_counter() - started
            log(f"  {done:>9,} contacts  {elapsed:7.1f} s  ({done / elapsed:,.0f} contacts/s)")
    load_seconds = time.perf_counter() - started

    analyze_started = time.perf_counter()
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")
    analyze_seconds = time.perf_counter() - analyze_started
    if not samples:
        raise RuntimeError("no contacts generated")
    return Dataset(
        size=size,
        vendor=connection.vendor,
        counts=counts,
        load_seconds=load_seconds,
        analyze_seconds=analyze_seconds,
        samples=samples,
        seed=seed,
        next_phone_index=2 * size,
        extra={"organisation_seconds": round(organisation_seconds, 2)},
    )


# --- measurements ---------------------------------------------------------------------------------


def percentiles(samples: list[float]) -> tuple[float, float]:
    """(p50, p95) in ms: statistics.quantiles, inclusive method (never beyond the slowest sample)."""
    if len(samples) < 2:
        return samples[0], samples[0]
    cuts = statistics.quantiles(samples, n=100, method="inclusive")
    return cuts[49], cuts[94]


def run_operation(
    name: str,
    call: Callable[[Any], Any],
    inputs: list[Any],
    check: Callable[[Any, Any], str | None],
    *,
    warmup: int,
) -> dict[str, Any]:
    """Time `call(input)` for each input (after `warmup` untimed calls); `check` names a failure."""
    for item in inputs[:warmup]:
        call(item)
    timings: list[float] = []
    failures: list[str] = []
    for item in inputs[warmup:]:
        start = time.perf_counter()
        response = call(item)
        timings.append((time.perf_counter() - start) * 1000)
        problem = check(response, item)
        if problem:
            failures.append(problem)
    p50, p95 = percentiles(timings)
    target = TARGETS.get(name)
    return {
        "name": name,
        "label": LABELS.get(name, name),
        "requests": len(timings),
        "failures": len(failures),
        "failure_examples": failures[:5],
        "p50_ms": round(p50, 2),
        "p95_ms": round(p95, 2),
        "max_ms": round(max(timings), 2),
        "mean_ms": round(statistics.fmean(timings), 2),
        "target_p95_ms": target,
        "passed": None if target is None else (p95 <= target and not failures),
    }


def _http_error(response: Any, item: Any) -> str:
    """What went wrong with a request: its status and, for a server error, the exception."""
    exc_info = getattr(response, "exc_info", None)
    cause = f" ({exc_info[0].__name__}: {exc_info[1]})" if exc_info else ""
    return f"{item!r}: HTTP {response.status_code}{cause}"[:300]


def _status(expected: int) -> Callable[[Any, Any], str | None]:
    def check(response: Any, item: Any) -> str | None:
        return _http_error(response, item) if response.status_code != expected else None

    return check


def _fragment(rng: random.Random, folded: str) -> str:
    """A piece of a folded name people would type: whole name, middle + given, family + middle, given."""
    words = folded.split(" ")
    roll = rng.random()
    if roll < 0.4 or len(words) < 3:
        piece = folded
    elif roll < 0.7:
        piece = " ".join(words[-2:])
    elif roll < 0.85:
        piece = " ".join(words[:2])
    else:
        piece = words[-1]
    return piece if len(piece) >= 3 else folded


def measure_all(
    dataset: Dataset, *, requests: int = 200, warmup: int = 10, log: Callable[[str], None] | None = None
) -> list[dict[str, Any]]:
    """Every customers measurement, `requests` timed requests each; returns one row per operation."""
    import logging

    # A failing request is counted and shown in the results, not logged with a traceback each time.
    request_logger = logging.getLogger("django.request")
    level = request_logger.level
    request_logger.setLevel(logging.CRITICAL)
    try:
        return _measure_all(dataset, requests=requests, warmup=warmup, log=log)
    finally:
        request_logger.setLevel(level)


def _measure_all(
    dataset: Dataset, *, requests: int, warmup: int, log: Callable[[str], None] | None
) -> list[dict[str, Any]]:
    from django.test import Client

    from sencrm.core.text import fold
    from sencrm.users.models import User

    rng = random.Random(dataset.seed + 1)
    n = requests + warmup
    backend = "django.contrib.auth.backends.ModelBackend"

    def client_for(username: str) -> Any:
        # A server error is counted as a failed request, not raised: the run goes on.
        client = Client(HTTP_HOST="127.0.0.1", raise_request_exception=False)
        client.force_login(User.objects.get(username=username), backend=backend)
        return client

    admin, sales1 = client_for("admin"), client_for("sales1")
    rows: list[dict[str, Any]] = []

    def done(row: dict[str, Any]) -> None:
        rows.append(row)
        if log:
            log(f"  {row['name']:<12} p50 {row['p50_ms']:8.2f} ms  p95 {row['p95_ms']:8.2f} ms")

    # Caller ID: existing numbers in the formats people type them.
    calls = [
        (s, typed(s.e164.replace("+84", "0", 1), rng.randrange(8))) for s in rng.choices(dataset.samples, k=n)
    ]

    def caller_check(response: Any, item: Any) -> str | None:
        if response.status_code != 200:
            return _http_error(response, item[1])
        if item[0].id not in {c["id"] for c in response.json()["contacts"]}:
            return f"{item[1]!r}: contact {item[0].id} not found"
        return None

    done(
        run_operation(
            "caller_id",
            lambda item: admin.get("/api/v1/caller-id/", {"phone": item[1]}),
            calls,
            caller_check,
            warmup=warmup,
        )
    )

    # Search: folded fragments of existing names.
    queries = [_fragment(rng, fold(s.full_name)) for s in rng.choices(dataset.samples, k=n)]

    def search_check(response: Any, item: Any) -> str | None:
        if response.status_code != 200:
            return _http_error(response, item)
        if not response.json()["results"]:
            return f"{item!r}: no results"
        return None

    done(
        run_operation(
            "search",
            lambda q: admin.get("/api/v1/contacts/", {"search": q, "page_size": 20}),
            queries,
            search_check,
            warmup=warmup,
        )
    )

    # The contact list, first page, one filter: everyone's (admin) and one salesperson's own.
    pages = ["lead"] * n
    done(
        run_operation(
            "list",
            lambda stage: admin.get("/contacts/", {"lifecycle_stage": stage}),
            pages,
            _status(200),
            warmup=warmup,
        )
    )
    done(
        run_operation(
            "list_scoped",
            lambda stage: sales1.get("/contacts/", {"lifecycle_stage": stage}),
            pages,
            _status(200),
            warmup=warmup,
        )
    )

    # A contact's page with its timeline.
    details = rng.choices(dataset.samples, k=n)

    def detail_check(response: Any, item: Sample) -> str | None:
        if response.status_code != 200:
            return _http_error(response, f"contact {item.id}")
        if item.full_name not in response.content.decode():
            return f"contact {item.id}: name not on the page"
        return None

    done(
        run_operation(
            "detail", lambda s: admin.get(f"/contacts/{s.id}/"), details, detail_check, warmup=warmup
        )
    )

    # Creating a contact through the API (new, unique numbers).
    names = _Names()
    first_index = dataset.next_phone_index
    bodies = [
        {"full_name": full_name, "phones": [{"number": typed(national_number(first_index + j), j)}]}
        for j, (_gender, full_name) in enumerate(names.pick(rng, n))
    ]
    dataset.next_phone_index += n
    done(
        run_operation(
            "create",
            lambda body: admin.post("/api/v1/contacts/", body, content_type="application/json"),
            bodies,
            _status(201),
            warmup=warmup,
        )
    )
    for row in rows:
        row["user"] = "sales1" if row["name"] == "list_scoped" else "admin"
    return rows
