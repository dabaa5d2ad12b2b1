"""The sales benchmark: the kanban board of a pipeline with 10,000 open opportunities, and creating a
lead with its duplicate check against the customers benchmark's SIZE contacts.

`generate()` adds five salespeople to the demo's two teams (through the users service), then writes
the deals straight into the tables with `bulk_create` in batches of 5,000 — bench data only: the
services would take minutes for 13,000 deals — with every field the services set (stage, status,
probability from the stage, closing time and reason, team from the owner) and one stage-history row
each; no events (the board does not read them). The measured pipeline ("Bán lẻ") gets BOARD_OPEN
open deals spread over its open stages plus BOARD_CLOSED won and lost ones; "Dự án" gets
OTHER_PIPELINE open deals, so the pipeline filter has something to leave out.

`measure_all()` times the board page `GET /opportunities/?pipeline=<id>` through `django.test.Client`
as manager (team scope), sales1 (own) and admin (all), and creating a lead the way the lead form does:
the numbers normalised, `selectors.lead_duplicates` (phone in any format, email, folded name) and
`services.lead_create`, as sales1; then the same through the API (`POST /api/v1/leads/`, which
answers the duplicates too). Inputs: a third existing contacts' numbers typed another way (with
their names), a third existing contacts' emails in other capitals (with their names), a third new
people (new names, which often share a common Vietnamese name with existing contacts, new numbers).
"""

from __future__ import annotations

import datetime as dt
import random
import statistics
import time
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from bench.customers import Dataset, _http_error, _Names, national_number, percentiles, typed

BATCH = 5000
BOARD_OPEN = 10_000
BOARD_CLOSED = 2_000
OTHER_PIPELINE = 1_000
TARGETS: dict[str, float | None] = {
    "board_manager": 200,
    "board_sales1": 200,
    "board_admin": 200,
    "lead_create": 50,
    "lead_create_api": None,
}
LABELS = {
    "board_manager": "kanban     GET /opportunities/?pipeline= (manager, team)",
    "board_sales1": "kanban     GET /opportunities/?pipeline= (sales1, own)",
    "board_admin": "kanban     GET /opportunities/?pipeline= (admin, all)",
    "lead_create": "lead       duplicate check + lead_create (sales1)",
    "lead_create_api": "lead       POST /api/v1/leads/ (sales1)",
}
# (username, full name, team): five more salespeople, so that a team is more than its manager.
EXTRA_SALES = [
    ("sales3", "Đỗ Minh Quân", "Kinh doanh Hà Nội"),
    ("sales4", "Ngô Thị Lan", "Kinh doanh Hà Nội"),
    ("sales5", "Phan Văn Lộc", "Kinh doanh TP.HCM"),
    ("sales6", "Võ Thị Kim Ngân", "Kinh doanh TP.HCM"),
    ("sales7", "Huỳnh Tấn Phát", "Kinh doanh TP.HCM"),
]
OPEN_STAGE_WEIGHTS = [35, 30, 20, 15]


@dataclass
class SalesDataset:
    pipeline_id: int
    counts: dict[str, int]
    load_seconds: float
    analyze_seconds: float
    users_seconds: float

    def load_summary(self) -> dict[str, Any]:
        rows = sum(self.counts.values())
        return {
            "rows": self.counts,
            "rows_total": rows,
            "seconds": round(self.load_seconds, 2),
            "rows_per_s": round(rows / self.load_seconds) if self.load_seconds else None,
            "analyze_seconds": round(self.analyze_seconds, 2),
            "users_seconds": round(self.users_seconds, 2),
        }


def _salespeople() -> list[Any]:
    from sencrm.demo.organisation import load_organisation
    from sencrm.users import services
    from sencrm.users.models import Role, Team, User

    users = load_organisation()
    people = [users["sales1"], users["sales2"], users["manager"]]
    for username, full_name, team in EXTRA_SALES:
        user = User.objects.filter(username=username).first() or services.user_create(
            actor=None,
            username=username,
            password="bench-only-not-a-login",  # noqa: S106 - nobody logs in as them
            full_name=full_name,
            role=Role.objects.get(code="sales"),
            teams=[Team.objects.get(name=team)],
            validate=False,
        )
        people.append(user)
    return people


def generate(
    dataset: Dataset,
    *,
    open_deals: int = BOARD_OPEN,
    closed_deals: int = BOARD_CLOSED,
    other_deals: int = OTHER_PIPELINE,
    batch: int = BATCH,
    log: Callable[[str], None] | None = None,
) -> SalesDataset:
    """Write the deals (see the module's docstring); needs the customers dataset's contacts."""
    from django.db import connection, transaction
    from django.utils import timezone

    from sencrm.core.text import fold
    from sencrm.demo.sales_data import LOST_REASONS, RETAIL_DEALS
    from sencrm.sales.defaults import sync_sales_defaults
    from sencrm.sales.models import Opportunity, Pipeline, ScoringRule, Stage, StageChange

    users_started = time.perf_counter()
    people = _salespeople()
    team_of = {u.pk: u.teams.values_list("id", flat=True).first() for u in people}
    sync_sales_defaults(Pipeline, Stage, ScoringRule)
    users_seconds = time.perf_counter() - users_started

    started = time.perf_counter()
    rng = random.Random(dataset.seed + 2)
    retail, projects = list(Pipeline.objects.order_by("position", "id")[:2])
    stages = {p.pk: list(p.stages.order_by("position", "id")) for p in (retail, projects)}
    now = timezone.now()
    today = timezone.localdate()
    plan: list[tuple[Any, Any]] = []  # (pipeline, stage) per deal, oldest first
    for pipeline, count, closed in ((retail, open_deals, closed_deals), (projects, other_deals, 0)):
        open_stages = [s for s in stages[pipeline.pk] if not s.is_closed]
        won = next(s for s in stages[pipeline.pk] if s.is_won)
        lost = next(s for s in stages[pipeline.pk] if s.is_lost)
        weights = OPEN_STAGE_WEIGHTS[: len(open_stages)] + [1] * max(len(open_stages) - 4, 0)
        plan += [(pipeline, s) for s in rng.choices(open_stages, weights=weights, k=count)]
        plan += [(pipeline, won if rng.random() < 0.65 else lost) for _ in range(closed)]
    rng.shuffle(plan)
    counts = {"opportunities": 0, "stage_changes": 0}
    span = dt.timedelta(days=365)
    for first in range(0, len(plan), batch):
        deals, history = [], []
        for j, (pipeline, stage) in enumerate(plan[first : first + batch]):
            i = first + j
            owner = people[i % len(people)]
            contact = rng.choice(dataset.samples)
            name, products, low, high = rng.choice(RETAIL_DEALS)
            created = now - span + span * (i / len(plan)) - dt.timedelta(minutes=rng.randint(0, 600))
            entered = created + (now - created) * rng.random()
            closed_at = entered if stage.is_closed else None
            status = "won" if stage.is_won else "lost" if stage.is_lost else "open"
            close = (closed_at.date() if closed_at else today) + dt.timedelta(days=rng.randint(-30, 180))
            deals.append(
                Opportunity(
                    name=f"{name} - {contact.full_name}",
                    search_key=fold(f"{name} - {contact.full_name}"),
                    contact_id=contact.id,
                    amount=Decimal(round(rng.uniform(low, high) * 10) * 100_000),
                    expected_close_date=close,
                    pipeline_id=pipeline.pk,
                    stage_id=stage.pk,
                    probability=stage.probability,
                    products=products,
                    status=status,
                    close_reason=rng.choice(LOST_REASONS) if stage.is_lost else "",
                    closed_at=closed_at,
                    stage_entered_at=entered,
                    owner_id=owner.pk,
                    team_id=team_of[owner.pk],
                    created_by_id=owner.pk,
                    updated_by_id=owner.pk,
                    created_at=created,
                    updated_at=entered,
                    version=1 if entered == created else 2,
                )
            )
        with transaction.atomic():
            Opportunity.objects.bulk_create(deals, batch_size=min(batch, 2000))
            for deal in deals:
                history.append(
                    StageChange(
                        opportunity_id=deal.pk,
                        to_stage_id=deal.stage_id,
                        actor_id=deal.owner_id,
                        entered_at=deal.stage_entered_at or deal.created_at,
                    )
                )
            StageChange.objects.bulk_create(history, batch_size=min(batch, 2000))
        counts["opportunities"] += len(deals)
        counts["stage_changes"] += len(history)
    load_seconds = time.perf_counter() - started
    analyze_started = time.perf_counter()
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE sales_opportunity, sales_stagechange")
    analyze_seconds = time.perf_counter() - analyze_started
    if log:
        log(
            f"sales: {counts['opportunities']:,} opportunities ({open_deals:,} open in {retail.name}) "
            f"in {load_seconds:.1f} s"
        )
    return SalesDataset(
        pipeline_id=retail.pk,
        counts=counts,
        load_seconds=load_seconds,
        analyze_seconds=analyze_seconds,
        users_seconds=users_seconds,
    )


def dataset_from_database() -> SalesDataset | None:
    """The deals a previous run loaded (BENCH_REUSE=1), or None when there are none."""
    from sencrm.sales.models import Opportunity, Pipeline, StageChange

    retail = Pipeline.objects.order_by("position", "id").first()
    if retail is None or Opportunity.objects.filter(pipeline=retail, status="open").count() < BOARD_OPEN:
        return None
    counts = {"opportunities": Opportunity.objects.count(), "stage_changes": StageChange.objects.count()}
    return SalesDataset(retail.pk, counts, load_seconds=0.0, analyze_seconds=0.0, users_seconds=0.0)


# --- measurements ---------------------------------------------------------------------------------


def run_operation(
    name: str,
    call: Callable[[Any], Any],
    inputs: list[Any],
    check: Callable[[Any, Any], str | None],
    *,
    warmup: int,
) -> dict[str, Any]:
    """bench.customers.run_operation, also timing the CPU the request took in this process.

    On a shared machine the wall time includes waiting for a CPU; the process's own CPU time does
    not (nor, on PostgreSQL, the database server's work), which tells contention from slowness.
    """
    for item in inputs[:warmup]:
        call(item)
    wall: list[float] = []
    cpu: list[float] = []
    failures: list[str] = []
    for item in inputs[warmup:]:
        start, start_cpu = time.perf_counter(), time.thread_time()
        response = call(item)
        wall.append((time.perf_counter() - start) * 1000)
        cpu.append((time.thread_time() - start_cpu) * 1000)
        problem = check(response, item)
        if problem:
            failures.append(problem)
    p50, p95 = percentiles(wall)
    cpu50, cpu95 = percentiles(cpu)
    target = TARGETS.get(name)
    return {
        "name": name,
        "label": LABELS.get(name, name),
        "requests": len(wall),
        "failures": len(failures),
        "failure_examples": failures[:5],
        "p50_ms": round(p50, 2),
        "p95_ms": round(p95, 2),
        "max_ms": round(max(wall), 2),
        "mean_ms": round(statistics.fmean(wall), 2),
        "cpu_p50_ms": round(cpu50, 2),
        "cpu_p95_ms": round(cpu95, 2),
        "target_p95_ms": target,
        "passed": None if target is None else (p95 <= target and not failures),
    }


@dataclass
class LeadInput:
    kind: str  # "phone" (an existing contact's number typed another way), "email", "new"
    full_name: str
    phone: str
    email: str
    contact_id: int | None


def lead_inputs(dataset: Dataset, n: int, rng: random.Random) -> list[LeadInput]:
    """n enquiries: one in three an existing contact's number, one in three an email, one in three new."""
    from django.db.models import Max, Min

    from sencrm.customers.models import Email

    bounds = Email.objects.aggregate(low=Min("id"), high=Max("id"))
    emails: list[Any] = []
    if bounds["low"] is not None:
        ids = {rng.randint(bounds["low"], bounds["high"]) for _ in range(n * 2)}
        emails = list(
            Email.objects.filter(id__in=ids, contact__isnull=False).values(
                "address", "contact_id", "contact__full_name"
            )
        )
        rng.shuffle(emails)
    names = _Names()
    first = dataset.next_phone_index
    dataset.next_phone_index += n
    inputs = []
    for j in range(n):
        kind = ("phone", "email", "new")[j % 3]
        if kind == "email" and not emails:
            kind = "phone"
        if kind == "phone":
            sample = rng.choice(dataset.samples)
            national = sample.e164.replace("+84", "0", 1)
            inputs.append(LeadInput(kind, sample.full_name, typed(national, rng.randrange(8)), "", sample.id))
        elif kind == "email":
            row = emails[j % len(emails)]
            address = row["address"]
            inputs.append(
                LeadInput(
                    kind, row["contact__full_name"], "", address[0].upper() + address[1:], row["contact_id"]
                )
            )
        else:
            _gender, full_name = names.pick(rng, 1)[0]
            phone = typed(national_number(first + j), j)
            inputs.append(LeadInput(kind, full_name, phone, "", None))
    return inputs


def measure_all(
    dataset: Dataset,
    sales: SalesDataset,
    *,
    requests: int = 200,
    warmup: int = 10,
    log: Callable[[str], None] | None = None,
) -> list[dict[str, Any]]:
    """Every sales measurement, `requests` timed requests each; returns one row per operation."""
    import logging

    request_logger = logging.getLogger("django.request")
    level = request_logger.level
    request_logger.setLevel(logging.CRITICAL)
    try:
        return _measure_all(dataset, sales, requests=requests, warmup=warmup, log=log)
    finally:
        request_logger.setLevel(level)


def _measure_all(
    dataset: Dataset,
    sales: SalesDataset,
    *,
    requests: int,
    warmup: int,
    log: Callable[[str], None] | None,
) -> list[dict[str, Any]]:
    from django.test import Client

    from sencrm.customers.services import normalise_emails, normalise_phones
    from sencrm.sales import selectors, services
    from sencrm.sales.models import Pipeline
    from sencrm.users.models import User

    rng = random.Random(dataset.seed + 3)
    n = requests + warmup
    backend = "django.contrib.auth.backends.ModelBackend"
    rows: list[dict[str, Any]] = []

    def done(row: dict[str, Any], user: str) -> None:
        row["user"] = user
        rows.append(row)
        if log:
            log(
                f"  {row['name']:<16} p50 {row['p50_ms']:8.2f} ms  p95 {row['p95_ms']:8.2f} ms  "
                f"(CPU in this process p50 {row['cpu_p50_ms']:.2f}, p95 {row['cpu_p95_ms']:.2f})"
            )

    def client_for(username: str) -> Any:
        client = Client(HTTP_HOST="127.0.0.1", raise_request_exception=False)
        client.force_login(User.objects.get(username=username), backend=backend)
        return client

    # The board: every column's count and sums, and its first cards, for the viewer's scope.
    pipeline = Pipeline.objects.prefetch_related("stages").get(pk=sales.pipeline_id)
    columns = len(pipeline.stages.all())

    def board_check(expected_cards: int) -> Callable[[Any, Any], str | None]:
        def check(response: Any, item: Any) -> str | None:
            if response.status_code != 200:
                return _http_error(response, f"pipeline {item}")
            content = response.content.decode()
            if f'data-testid="column-{columns}"' not in content:
                return f"pipeline {item}: not every column is on the page"
            cards = content.count('class="card board-card')
            return (
                None
                if cards == expected_cards
                else f"pipeline {item}: {cards} cards, {expected_cards} expected"
            )

        return check

    def board_get(client: Any) -> Callable[[int], Any]:
        return lambda pipeline_id: client.get("/opportunities/", {"pipeline": pipeline_id})

    for username in ("manager", "sales1", "admin"):
        user = User.objects.get(username=username)
        expected = sum(len(c["cards"]) for c in selectors.board_columns(user, pipeline, {}))
        done(
            run_operation(
                f"board_{username}",
                board_get(client_for(username)),
                [sales.pipeline_id] * n,
                board_check(expected),
                warmup=warmup,
            ),
            username,
        )

    # Creating a lead as the lead form does: normalise, look for duplicates, create.
    sales1 = User.objects.get(username="sales1")

    def create(item: LeadInput) -> Any:
        phones = normalise_phones([item.phone] if item.phone else [])
        emails = normalise_emails([item.email] if item.email else [])
        found = selectors.lead_duplicates(
            user=sales1, phones_e164=[p["e164"] for p in phones], emails=emails, full_name=item.full_name
        )
        lead = services.lead_create(
            actor=sales1,
            data={"full_name": item.full_name, "interest": "2 máy Daikin 12.000 BTU cho phòng ngủ"},
            phones=[item.phone] if item.phone else [],
            emails=emails,
        )
        return found, lead

    admin = User.objects.get(username="admin")

    def create_check(result: Any, item: LeadInput) -> str | None:
        found, lead = result
        if lead.pk is None:
            return f"{item.full_name!r}: not created"
        if item.kind == "new":
            return None
        if not found:
            return f"{item.kind} {item.phone or item.email!r}: no duplicate shown to sales1"
        # Untimed: the same lookup as someone who sees every contact must name the existing one.
        phones = normalise_phones([item.phone] if item.phone else [])
        seen = selectors.lead_duplicates(
            user=admin,
            phones_e164=[p["e164"] for p in phones],
            emails=normalise_emails([item.email] if item.email else []),
            full_name=item.full_name,
            exclude_lead=lead.pk,
        )
        if item.contact_id not in {c.pk for c in seen.contacts}:
            return f"{item.kind} {item.phone or item.email!r}: contact {item.contact_id} not a duplicate"
        return None

    done(
        run_operation("lead_create", create, lead_inputs(dataset, n, rng), create_check, warmup=warmup),
        "sales1",
    )

    api = client_for("sales1")

    def api_body(item: LeadInput) -> dict[str, Any]:
        body: dict[str, Any] = {"full_name": item.full_name, "interest": "Bảo dưỡng 5 máy văn phòng"}
        if item.phone:
            body["phones"] = [{"number": item.phone}]
        if item.email:
            body["emails"] = [{"address": item.email}]
        return body

    def api_check(response: Any, item: LeadInput) -> str | None:
        if response.status_code != 201:
            return _http_error(response, item.full_name)
        found = response.json().get("duplicates") or {}
        if item.kind != "new" and not (found.get("hidden") or found.get("contacts")):
            return f"{item.kind} {item.phone or item.email!r}: no duplicate in the answer"
        return None

    done(
        run_operation(
            "lead_create_api",
            lambda item: api.post("/api/v1/leads/", api_body(item), content_type="application/json"),
            lead_inputs(dataset, n, rng),
            api_check,
            warmup=warmup,
        ),
        "sales1",
    )
    return rows
