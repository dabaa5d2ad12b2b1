"""Six months of demo sales for Điều hòa Sen: about 300 leads from the Fanpage, Zalo, the website
form, phone calls, walk-ins, referrals and Google Ads, worked and converted; about 400 opportunities in
the "Bán lẻ" and "Dự án" pipelines moved stage by stage, some won (their customers become customers)
and some lost; and the website's web-to-lead form with a few leads it captured.

Everything goes through the services, so events, timelines, stage history and scores exist. The
services stamp what they write with the real clock; this loader then back-dates it to when it
"happened" in the story with queryset updates (events, stage history, closing and conversion
times), as the customers and activities loaders do — the demo loader is the only code allowed to.
"""

from __future__ import annotations

import datetime as dt
import random
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

from django.db import transaction
from django.db.models import Max
from django.utils import timezone

from sencrm.activities.services import activity_create
from sencrm.core.text import fold
from sencrm.customers.choices import sync_reference_data
from sencrm.customers.models import Account, Contact, Province, SourceChannel
from sencrm.demo.customers import BRAND, BUSINESS, FAMILY, GIVEN, MIDDLE, TITLES, _phone, _weighted
from sencrm.demo.sales_data import (
    BUSINESS_INTERESTS,
    CAMPAIGNS,
    HOME_INTERESTS,
    LEAD_CONSENTS,
    LEAD_PROVINCES,
    LEAD_SOURCES,
    LOST_REASONS,
    MILLION,
    NEXT_ACTIONS,
    NORTH,
    PROJECT_DEALS,
    RETAIL_DEALS,
    UNQUALIFIED_REASONS,
    WEB_FORM,
)
from sencrm.events.models import Event
from sencrm.sales import services
from sencrm.sales.choices import LeadStatus, OpportunityStatus
from sencrm.sales.defaults import sync_sales_defaults
from sencrm.sales.models import (
    Lead,
    LeadConsent,
    Opportunity,
    Pipeline,
    ScoringRule,
    Stage,
    StageChange,
    WebForm,
    WebFormSubmission,
)
from sencrm.sales.scoring import leads_rescore_all
from sencrm.sales.services.settings import webform_save
from sencrm.sales.services.webforms import lead_capture
from sencrm.users.models import Team

TZ = ZoneInfo("Asia/Ho_Chi_Minh")


class _Clock:
    """Back-dates to a moment of the story what the services just wrote with the real clock."""

    def __init__(self) -> None:
        self.started = timezone.now()
        self.last_event = Event.objects.aggregate(m=Max("id"))["m"] or 0

    def stamp(self, when: dt.datetime) -> None:
        """Every event written since the last stamp happened at `when`."""
        if Event.objects.filter(id__gt=self.last_event).update(occurred_at=when):
            self.last_event = Event.objects.aggregate(m=Max("id"))["m"] or 0

    def opportunity(self, opp: Opportunity, when: dt.datetime, *, created: bool = False) -> None:
        self.stamp(when)
        StageChange.objects.filter(opportunity=opp, entered_at__gte=self.started).update(entered_at=when)
        StageChange.objects.filter(opportunity=opp, left_at__gte=self.started).update(left_at=when)
        fields: dict[str, Any] = {"stage_entered_at": when, "updated_at": when}
        if created:
            fields["created_at"] = when
        if opp.status != OpportunityStatus.OPEN:
            fields["closed_at"] = when
        Opportunity.all_objects.filter(pk=opp.pk).update(**fields)


def _daytime(rng: random.Random, moment: dt.datetime) -> dt.datetime:
    """The same day at a working hour (8:00–20:59 in Hà Nội time)."""
    local = timezone.localtime(moment, TZ)
    return local.replace(hour=rng.randint(8, 20), minute=rng.randint(0, 59), second=0, microsecond=0)


def _steps(rng: random.Random, start: dt.datetime, count: int, limit: dt.datetime) -> list[dt.datetime]:
    """`count` increasing moments after `start`, none later than `limit`."""
    span = max((limit - start).total_seconds(), 60.0)
    moments = []
    for offset in sorted(rng.uniform(0.05, 1) * span for _ in range(count)):
        moment = start + dt.timedelta(seconds=offset)
        working = _daytime(rng, moment)
        moments.append(working if start < working <= limit else moment)
    return sorted(moments)


def _amount(rng: random.Random, low: int, high: int, step: int) -> Decimal:
    """Between low and high million VND, rounded to `step` VND."""
    value = rng.uniform(low, high) * MILLION
    return Decimal(round(value / step) * step)


def _person(rng: random.Random) -> str:
    gender = "female" if rng.random() < 0.5 else "male"
    return f"{_weighted(rng, FAMILY)} {rng.choice(MIDDLE[gender])} {rng.choice(GIVEN[gender])}"


class _Loader:
    def __init__(self, users: dict[str, Any], rng: random.Random) -> None:
        self.users = users
        self.rng = rng
        self.now = timezone.now()
        self.clock = _Clock()
        self.provinces = {p.code: p for p in Province.objects.all()}
        self.sources = {s.code: s for s in SourceChannel.objects.all()}
        # The two pipelines of migration 0002 (by name: an administrator may have reordered them).
        pipelines = list(Pipeline.objects.order_by("position", "id"))
        named = {p.name: p for p in pipelines}
        self.retail = named.get("Bán lẻ", pipelines[0])
        self.projects = named.get("Dự án", pipelines[-1])
        self.stages = {p.pk: list(p.stages.order_by("position", "id")) for p in (self.retail, self.projects)}
        self.open_leads_of: dict[int, int] = {}
        self.won = self.lost = 0
        self.opportunities = 0

    # --- leads -----------------------------------------------------------------------------------

    def owner_for(self, code: str) -> Any:
        if code in NORTH:
            return self.users["sales1"] if self.rng.random() < 0.7 else self.users["manager"]
        if code == "ho-chi-minh" or code == "dong-nai":
            return self.users["sales2"]
        return self.rng.choice([self.users["sales1"], self.users["sales2"], self.users["manager"]])

    def next_action(self, owner: Any) -> dict[str, Any]:
        """Each salesperson's open leads: one in four overdue, one in four due today, the rest later."""
        n = self.open_leads_of.get(owner.pk, 0)
        self.open_leads_of[owner.pk] = n + 1
        rng = self.rng
        if n % 4 == 0:
            when = self.now - dt.timedelta(days=rng.randint(1, 5), hours=rng.randint(0, 6))
        elif n % 4 == 1:
            end_of_day = timezone.localtime(self.now, TZ).replace(hour=23, minute=0)
            when = min(self.now + dt.timedelta(hours=rng.randint(1, 8)), end_of_day)
        else:
            when = _daytime(rng, self.now + dt.timedelta(days=rng.randint(1, 10)))
        return {"next_action": rng.choice(NEXT_ACTIONS), "next_action_at": when}

    def lead_status(self, created: dt.datetime) -> str:
        pairs = (
            [("new", 55), ("contacted", 35), ("qualified", 10)]
            if self.now - created < dt.timedelta(days=7)
            else [("new", 10), ("contacted", 22), ("qualified", 21), ("unqualified", 22), ("converted", 25)]
        )
        return _weighted(self.rng, pairs)

    def lead_data(self, i: int, created: dt.datetime) -> tuple[dict[str, Any], list[str], list[str], Any]:
        rng = self.rng
        source = _weighted(rng, LEAD_SOURCES)
        code = _weighted(rng, LEAD_PROVINCES)
        full_name = _person(rng)
        business = rng.random() < 0.3
        brand = rng.choice(BRAND)
        company = f"{rng.choice(BUSINESS)[0]} {brand}" if business else ""
        month = timezone.localtime(created, TZ).month
        first_touch = created
        if source in ("facebook", "zalo") and rng.random() < 0.4:
            # They wrote to the Fanpage / Zalo OA days before leaving a phone number.
            first_touch = created - dt.timedelta(days=rng.randint(1, 12), hours=rng.randint(0, 8))
        family, *_rest, given = fold(full_name).split(" ")
        emails = []
        if business:
            emails = [f"{given}.{family}@{fold(brand).replace(' ', '')}.vn"]
        elif rng.random() < 0.4:
            emails = [f"{given}{family}{rng.randint(80, 99)}{i}@gmail.com"]
        data: dict[str, Any] = {
            "full_name": full_name,
            "company": company,
            "title": rng.choice(TITLES) if business else "",
            "province": self.provinces.get(code),
            "source": self.sources.get(source),
            "campaign": rng.choice(CAMPAIGNS[source]).format(m=month),
            "first_touch_at": first_touch,
            "interest": rng.choice(BUSINESS_INTERESTS if business else HOME_INTERESTS),
            "created_at": created,
            "updated_at": created,
        }
        if source in LEAD_CONSENTS:
            # Whoever wrote on Zalo or called the hotline agreed there to be contacted that way.
            channel, how = LEAD_CONSENTS[source]
            data["consents"] = {channel: {"granted": True, "at": first_touch, "source": how}}
        return data, [_phone(rng)], emails, self.owner_for(code)

    def lead(self, i: int, created: dt.datetime, existing: Contact | None = None) -> Lead:
        """One lead's story: captured, called, qualified or not, converted with a deal or still open."""
        rng = self.rng
        data, phones, emails, owner = self.lead_data(i, created)
        status = self.lead_status(created)
        if existing is not None:
            # A customer we already have asks again, typing their number another way: the lead
            # shows them as a likely duplicate, and converting it links to them.
            data.update(full_name=existing.full_name, province=existing.province, company="", title="")
            phones, emails, owner = [existing.phones.all()[0].e164.replace("+84", "0", 1)], [], existing.owner
        if status == LeadStatus.NEW:
            data.update(self.next_action(owner))
        lead = services.lead_create(
            actor=owner, owner=owner, data=data, phones=phones, emails=emails, actor_label="system:demo"
        )
        self.clock.stamp(created)
        path = {
            "new": [],
            "contacted": ["contacted"],
            "qualified": ["contacted", "qualified"],
            "unqualified": ["contacted", "unqualified"],
            "converted": ["contacted", "qualified", "converted"],
        }[status]
        limit = min(created + dt.timedelta(days=30), self.now - dt.timedelta(minutes=30))
        moments = _steps(rng, created, len(path), limit)
        for step, when in zip(path, moments, strict=True):
            if step == "contacted":
                # A second call the next day, when that day has come.
                calls = 2 if rng.random() < 0.4 and when < self.now - dt.timedelta(days=1) else 1
                for call in range(calls):
                    activity_create(
                        actor=owner,
                        owner=owner,
                        actor_label="system:demo",
                        data={
                            "kind": "call",
                            "lead": lead,
                            "status": "done",
                            "subject": "Gọi tư vấn lần đầu" if call == 0 else "Gọi lại gửi báo giá",
                            "outcome": "answered",
                            "direction": "outbound",
                            "duration_seconds": rng.randint(60, 600),
                            "due_at": when + dt.timedelta(hours=call * 20),
                            "completed_at": when + dt.timedelta(hours=call * 20),
                            "created_at": when,
                            "updated_at": when,
                        },
                    )
            if step == "converted":
                self.convert(lead, when, existing)
                continue
            changes: dict[str, Any] = {"status": step}
            if step == "unqualified":
                changes["unqualified_reason"] = rng.choice(UNQUALIFIED_REASONS)
            if step == path[-1] and step in ("contacted", "qualified"):
                changes.update(self.next_action(owner))
            lead = services.lead_update(
                lead, actor=owner, changes=changes, version=None, actor_label="system:demo"
            )
            self.clock.stamp(when)
        last = moments[-1] if moments else created
        Lead.all_objects.filter(pk=lead.pk).update(updated_at=last)
        return lead

    def convert(
        self, lead: Lead, when: dt.datetime, existing: Contact | None, outcome: str | None = None
    ) -> None:
        rng = self.rng
        project = bool(lead.company) and rng.random() < 0.7
        pipeline = self.projects if project else self.retail
        name, products, low, high = rng.choice(PROJECT_DEALS if project else RETAIL_DEALS)
        with_deal = rng.random() < 0.9
        conversion = services.lead_convert(
            lead,
            actor=lead.owner,
            contact=existing,
            create_opportunity=with_deal,
            opportunity_name=name.format(acc=lead.company),
            opportunity_amount=_amount(rng, low, high, MILLION if project else 100_000),
            # Expected close dates lie between three months ago and six months ahead.
            expected_close_date=max(
                (when + dt.timedelta(days=rng.randint(7, 60))).date(),
                self.now.date() - dt.timedelta(days=rng.randint(20, 90)),
            ),
            pipeline=pipeline,
        )
        self.clock.stamp(when)
        Lead.all_objects.filter(pk=lead.pk).update(converted_at=when, updated_at=when)
        for model, obj in ((Contact, conversion.contact), (Account, conversion.account)):
            if obj is not None:
                model.all_objects.filter(pk=obj.pk, created_at__gte=self.clock.started).update(
                    created_at=when, updated_at=when
                )
        if conversion.opportunity is not None:
            self.opportunities += 1
            self.clock.opportunity(conversion.opportunity, when, created=True)
            if outcome is None:
                age, roll = (self.now - when).days, rng.random()
                outcome = "won" if age > 20 and roll < 0.35 else "lost" if age > 20 and roll < 0.5 else "open"
            self.advance(conversion.opportunity, when, outcome)

    # --- opportunities ---------------------------------------------------------------------------

    def advance(
        self, opp: Opportunity, start: dt.datetime, outcome: str, closed: dt.datetime | None = None
    ) -> None:
        """Move the deal through its pipeline's stages (kanban moves) to where the story leaves it."""
        rng = self.rng
        stages = self.stages[opp.pipeline_id]
        open_stages = [s for s in stages if not s.is_closed]
        if outcome == "open":
            last = _weighted(rng, [(str(i), w) for i, w in enumerate([30, 30, 25, 15][: len(open_stages)])])
            path = open_stages[1 : int(last) + 1]
        else:
            reach = len(open_stages) if outcome == "won" else rng.randint(1, len(open_stages))
            path = [s for s in open_stages[1:reach] if rng.random() < 0.8]
            path.append(next(s for s in stages if (s.is_won if outcome == "won" else s.is_lost)))
        limit = closed or self.now - dt.timedelta(minutes=30)
        moments = _steps(rng, start, len(path), limit)
        if closed is not None and moments:
            moments[-1] = closed
        for stage, when in zip(path, moments, strict=True):
            reason = None
            if stage.is_lost:
                reason = rng.choice(LOST_REASONS)
            elif stage.is_won and rng.random() < 0.3:
                reason = "Giá tốt, lắp đặt nhanh"
            opp = services.opportunity_move(
                opp, actor=opp.owner, stage=stage, version=None, reason=reason, actor_label="system:demo"
            )
            self.clock.opportunity(opp, when)
        self.won += opp.status == OpportunityStatus.WON
        self.lost += opp.status == OpportunityStatus.LOST

    def opportunity(self, contact: Contact, outcome: str) -> None:
        rng = self.rng
        project = contact.account_id is not None and rng.random() < 0.75
        name, products, low, high = rng.choice(PROJECT_DEALS if project else RETAIL_DEALS)
        closed = None
        if outcome == "open":
            created = _daytime(rng, self.now - dt.timedelta(days=rng.uniform(1, 120)))
            created = min(created, self.now - dt.timedelta(hours=2))
            close = self.now.date() + dt.timedelta(days=rng.randint(-25, 180))
        else:
            closed = _daytime(rng, self.now - dt.timedelta(days=rng.uniform(1, 95)))
            closed = min(closed, self.now - dt.timedelta(hours=1))
            created = closed - dt.timedelta(days=rng.uniform(10, 90))
            close = closed.date() + dt.timedelta(days=rng.randint(-10, 15))
        opp = services.opportunity_create(
            actor=contact.owner,
            owner=contact.owner,
            actor_label="system:demo",
            data={
                "name": name.format(acc=contact.account.name)
                if project and contact.account
                else f"{name} - {contact.full_name}",
                "contact": contact,
                "account": contact.account,
                "amount": _amount(rng, low, high, MILLION if project else 100_000),
                "expected_close_date": max(close, created.date()),
                "pipeline": self.projects if project else self.retail,
                "products": products,
                "source": contact.source,
                "created_at": created,
                "updated_at": created,
            },
        )
        self.opportunities += 1
        self.clock.opportunity(opp, created, created=True)
        self.advance(opp, created, outcome, closed)

    # --- the website's form ----------------------------------------------------------------------

    def web_form(self) -> int:
        rng = self.rng
        form = WebForm.objects.filter(name=WEB_FORM).first()
        if form is None:
            form = webform_save(
                actor=self.users["admin"],
                name=WEB_FORM,
                title="Đăng ký tư vấn điều hòa miễn phí",
                fields=["phone", "email", "province", "interest"],
                required_fields=["phone"],
                thank_you="Cảm ơn anh/chị! Chuyên viên Điều hòa Sen sẽ gọi lại trong vòng 2 giờ làm việc.",
                consent_text="Tôi đồng ý để Điều hòa Sen liên hệ tư vấn qua điện thoại và email.",
                owner=None,
                team=Team.objects.get(name="Kinh doanh Hà Nội"),  # round robin: manager, sales1
                source=self.sources.get("website"),
                campaign="Website - Form tư vấn",
            )
            set_up = self.now - dt.timedelta(days=21)
            self.clock.stamp(set_up)
            WebForm.objects.filter(pk=form.pk).update(created_at=set_up)
        captured = 0
        for i in range(8):
            when = _daytime(rng, self.now - dt.timedelta(days=rng.uniform(0.5, 20)))
            when = min(when, self.now - dt.timedelta(minutes=20))
            full_name = _person(rng)
            family, *_rest, given = fold(full_name).split(" ")
            lead = lead_capture(
                form=form,
                data={
                    "full_name": full_name,
                    "province": self.provinces.get("ha-noi"),
                    "interest": rng.choice(HOME_INTERESTS),
                },
                phones=[_phone(rng)],
                emails=[f"{given}.{family}{i}@gmail.com"] if i % 2 else [],
                consent=True,
                consent_text=form.consent_text,
                utm={
                    "utm_source": "google",
                    "utm_medium": "cpc",
                    "utm_campaign": "Google Ads - Lắp đặt điều hòa",
                }
                if i % 3 == 0
                else {},
                referrer="https://dieuhoasen.vn/dieu-hoa-inverter/",
                ip=f"203.113.{rng.randint(0, 255)}.{rng.randint(1, 254)}",
            )
            self.clock.stamp(when)
            Lead.all_objects.filter(pk=lead.pk).update(created_at=when, updated_at=when, first_touch_at=when)
            LeadConsent.objects.filter(lead=lead).update(recorded_at=when)
            WebFormSubmission.objects.filter(lead=lead).update(submitted_at=when)
            captured += 1
        return captured


def _story_lead(loader: _Loader) -> None:
    """The issue's example: a Fanpage message on 01/08, the phone number given on 10/08."""
    now = timezone.localtime(loader.now, TZ)
    year = now.year if now.date() > dt.date(now.year, 8, 31) else now.year - 1
    touch = dt.datetime(year, 8, 1, 9, 40, tzinfo=TZ)
    created = dt.datetime(year, 8, 10, 14, 25, tzinfo=TZ)
    owner = loader.users["sales1"]
    lead = services.lead_create(
        actor=owner,
        owner=owner,
        actor_label="system:demo",
        data={
            "full_name": "Trần Thị Thu Hương",
            "province": loader.provinces.get("ha-noi"),
            "source": loader.sources.get("facebook"),
            "campaign": "Fanpage T8 - Điều hòa Inverter",
            "first_touch_at": touch,
            "interest": "2 máy Daikin 12.000 BTU cho phòng ngủ",
            "created_at": created,
            "updated_at": created,
            "consents": {
                "phone": {
                    "granted": True,
                    "at": created,
                    "source": "Để lại số điện thoại qua tin nhắn Fanpage, đồng ý được gọi tư vấn",
                }
            },
        },
        phones=["0983 456 127"],
        emails=["thuhuong.tran88@gmail.com"],
    )
    loader.clock.stamp(created)
    # Converted four days later; the two Daikin units were sold (won) by the end of the month.
    loader.convert(lead, created + dt.timedelta(days=4, hours=2), None, outcome="won")


@transaction.atomic
def load_sales(
    users: dict[str, Any], *, leads: int = 300, opportunities: int = 400, seed: int = 2028
) -> tuple[int, int]:
    """Create the demo leads and opportunities once; returns (leads, opportunities) created."""
    if Lead.all_objects.exists() or Opportunity.all_objects.exists():
        return 0, 0
    sync_reference_data(Province, SourceChannel)
    sync_sales_defaults(Pipeline, Stage, ScoringRule)
    rng = random.Random(seed)  # noqa: S311 - demo data, not security
    loader = _Loader(users, rng)
    contacts = list(
        Contact.objects.filter(owner__username__in=["sales1", "sales2", "manager"])
        .select_related("account", "owner", "source", "province")
        .prefetch_related("phones")
        .order_by("id")
    )
    rng.shuffle(contacts)
    returning = contacts[: leads // 25]
    _story_lead(loader)
    for i in range(leads - 1):
        created = _daytime(rng, loader.now - dt.timedelta(days=rng.uniform(0, 180)))
        created = min(created, loader.now - dt.timedelta(minutes=rng.randint(30, 300)))
        existing = returning.pop() if i % 25 == 7 and returning else None
        loader.lead(i, created, existing)
    captured = loader.web_form()
    # The rest of the deals are with customers we already have; the won and lost counts include
    # the converted leads' deals.
    remaining = max(opportunities - loader.opportunities, 0)
    won, lost = max(60 - loader.won, 0), max(40 - loader.lost, 0)
    outcomes = ["won"] * won + ["lost"] * lost + ["open"] * max(remaining - won - lost, 0)
    rng.shuffle(outcomes)
    for contact, outcome in zip(contacts[leads // 25 :], outcomes, strict=False):
        loader.opportunity(contact, outcome)
    leads_rescore_all()
    return leads + captured, loader.opportunities
