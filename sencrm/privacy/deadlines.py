"""The legal deadlines of a personal-data request, counted in Vietnam's calendar.

What the law asks (Decree 356/2025/ND-CP guiding Law 91/2025/QH15, in force since 01/01/2026; read in
the Frasers Vietnam legal update of 19/01/2026 and the CDLAF note on Decree 356):
- **Acknowledge** ("phản hồi") within **2 working days** of receiving the request;
- **complete** it within **15 days**. The decree says "ngày" here, not "ngày làm việc" as it does for the
  acknowledgement one sentence before, so these are **calendar days**: we implement 15 calendar days;
- **extend** once only, by at most **15 days**, with the reason given to the person.

How the days are counted (Civil Code 2015, arts. 147–148, which govern periods in Vietnamese law):
- the day the request is received never counts: counting starts the next day. A request received after
  hours, on a weekend or on a public holiday is therefore treated exactly like one received during the
  day: its first working day is the next working day;
- a working day is Monday to Friday, minus Vietnam's public holidays, their observed and substitute days
  off (Tết 2026: 16–20/02; 30/04–01/05; 31/08–02/09/2026), plus the Saturdays the government makes
  working days in exchange (22/08/2026), all from the `holidays` package (holidays.VN);
- when the last day of the calendar-day period is not a working day, the period ends at the end of the
  next working day (art. 148);
- a day ends at 24:00 in Vietnam (Asia/Ho_Chi_Minh), whatever the reader's time zone: the deadline is
  stored as the last moment of that day.
"""

from __future__ import annotations

import datetime as dt
from functools import lru_cache
from zoneinfo import ZoneInfo

import holidays

VIETNAM = ZoneInfo("Asia/Ho_Chi_Minh")
ACKNOWLEDGE_WORKING_DAYS = 2
COMPLETE_DAYS = 15
EXTENSION_DAYS = 15


@lru_cache(maxsize=1)
def _calendar() -> holidays.HolidayBase:
    # Years are filled in on first use (expand=True), so one calendar serves every year.
    return holidays.country_holidays("VN")


def is_working_day(day: dt.date) -> bool:
    """Monday–Friday that is no public holiday or day off, or a Saturday made a working day."""
    return bool(_calendar().is_working_day(day))


def next_working_day(day: dt.date) -> dt.date:
    """`day` itself when it is a working day, else the first working day after it."""
    while not is_working_day(day):
        day += dt.timedelta(days=1)
    return day


def add_working_days(day: dt.date, count: int) -> dt.date:
    """The `count`-th working day after `day` (`day` itself does not count)."""
    found = 0
    while found < count:
        day += dt.timedelta(days=1)
        if is_working_day(day):
            found += 1
    return day


def local_day(moment: dt.datetime) -> dt.date:
    """The day in Vietnam of an aware datetime (a naive one is taken as Vietnamese time)."""
    if moment.tzinfo is None:
        return moment.date()
    return moment.astimezone(VIETNAM).date()


def end_of_day(day: dt.date) -> dt.datetime:
    """The last moment of `day` in Vietnam (23:59:59.999999, +07:00)."""
    return dt.datetime.combine(day, dt.time.max, tzinfo=VIETNAM)


def acknowledge_due(received_at: dt.datetime) -> dt.datetime:
    """The end of the 2nd working day after the day of receipt."""
    return end_of_day(add_working_days(local_day(received_at), ACKNOWLEDGE_WORKING_DAYS))


def complete_due(received_at: dt.datetime, *, extended: bool = False) -> dt.datetime:
    """The end of the 15th calendar day after the day of receipt (30th with the one extension), moved to
    the next working day when that day is not one."""
    days = COMPLETE_DAYS + (EXTENSION_DAYS if extended else 0)
    return end_of_day(next_working_day(local_day(received_at) + dt.timedelta(days=days)))


def days_left(deadline: dt.datetime, now: dt.datetime) -> int:
    """Calendar days from today to the deadline's day in Vietnam (0: today; negative: overdue by as many)."""
    return (local_day(deadline) - local_day(now)).days
