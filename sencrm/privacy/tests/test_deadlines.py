"""The legal deadlines counted by hand in Vietnam's 2026 calendar (holidays.VN): Tết 16–20/02, Hùng Kings
26/04 (observed 27/04), 30/04–01/05, 31/08 (a day off in exchange for Saturday 22/08, a working day),
01–02/09."""

from __future__ import annotations

import datetime as dt

import pytest

from sencrm.privacy import deadlines

VN = deadlines.VIETNAM


def at(y: int, m: int, d: int, hh: int = 10, mm: int = 0) -> dt.datetime:
    return dt.datetime(y, m, d, hh, mm, tzinfo=VN)


def day_of(moment: dt.datetime) -> dt.date:
    assert moment.tzinfo is not None
    local = moment.astimezone(VN)
    assert (local.hour, local.minute) == (23, 59)  # a deadline is the end of its day in Vietnam
    return local.date()


@pytest.mark.parametrize(
    ("received", "acknowledge_by", "complete_by", "extended_to"),
    [
        # Tết: Friday 13/02 → Sat, Sun, Mon 16–Fri 20 holidays, Sat, Sun → Mon 23 (1), Tue 24 (2).
        # 13/02 + 15 = Sat 28/02 → Mon 02/03; + 30 = Sun 15/03 → Mon 16/03.
        (at(2026, 2, 13), dt.date(2026, 2, 24), dt.date(2026, 3, 2), dt.date(2026, 3, 16)),
        # Received during Tết (a holiday): the first working day is Mon 23/02.
        (at(2026, 2, 17, 9), dt.date(2026, 2, 24), dt.date(2026, 3, 4), dt.date(2026, 3, 19)),
        # Wed 29/04 → Thu 30/04, Fri 01/05 holidays, weekend → Mon 04/05 (1), Tue 05/05 (2).
        # 29/04 + 15 = Thu 14/05 (a working day).
        (at(2026, 4, 29), dt.date(2026, 5, 5), dt.date(2026, 5, 14), dt.date(2026, 5, 29)),
        # Sunday 26/04 (Hùng Kings) → Mon 27/04 observed → Tue 28 (1), Wed 29 (2); + 15 = Mon 11/05.
        (at(2026, 4, 26), dt.date(2026, 4, 29), dt.date(2026, 5, 11), dt.date(2026, 5, 26)),
        # Wed 15/04 + 15 = Thu 30/04 holiday → Fri 01/05 holiday → weekend → Mon 04/05.
        (at(2026, 4, 15), dt.date(2026, 4, 17), dt.date(2026, 5, 4), dt.date(2026, 5, 15)),
        # Friday 28/08 after hours → Sat, Sun, Mon 31/08 (exchanged day off), 01–02/09 → Thu 03 (1),
        # Fri 04/09 (2). 28/08 + 15 = Sat 12/09 → Mon 14/09; + 30 = Sun 27/09 → Mon 28/09.
        (at(2026, 8, 28, 18, 30), dt.date(2026, 9, 4), dt.date(2026, 9, 14), dt.date(2026, 9, 28)),
        # Friday 21/08: Saturday 22/08 is a working day (in exchange for 31/08) → Sat 22 (1), Mon 24 (2).
        (at(2026, 8, 21), dt.date(2026, 8, 24), dt.date(2026, 9, 7), dt.date(2026, 9, 21)),
    ],
)
def test_deadlines_around_the_2026_holidays(received, acknowledge_by, complete_by, extended_to):
    assert day_of(deadlines.acknowledge_due(received)) == acknowledge_by
    assert day_of(deadlines.complete_due(received)) == complete_by
    assert day_of(deadlines.complete_due(received, extended=True)) == extended_to


def test_the_day_of_receipt_is_the_day_in_vietnam_whatever_the_time_zone_given():
    # 20:00 UTC on Thursday 12/02 is 03:00 on Friday 13/02 in Hà Nội: counted as received on the 13th.
    received = dt.datetime(2026, 2, 12, 20, 0, tzinfo=dt.UTC)
    assert day_of(deadlines.acknowledge_due(received)) == dt.date(2026, 2, 24)
    # The same moment typed as 12/02 16:59 UTC is still Thursday in Vietnam (23:59): Fri 13 (1), Mon 23 (2).
    earlier = dt.datetime(2026, 2, 12, 16, 59, tzinfo=dt.UTC)
    assert day_of(deadlines.acknowledge_due(earlier)) == dt.date(2026, 2, 23)


def test_working_days_and_days_left():
    assert not deadlines.is_working_day(dt.date(2026, 2, 16))  # Tết
    assert not deadlines.is_working_day(dt.date(2026, 8, 31))  # exchanged day off
    assert deadlines.is_working_day(dt.date(2026, 8, 22))  # the Saturday worked in exchange
    assert not deadlines.is_working_day(dt.date(2026, 9, 5))  # an ordinary Saturday
    due = deadlines.end_of_day(dt.date(2026, 5, 14))
    assert deadlines.days_left(due, at(2026, 5, 12, 23, 30)) == 2
    assert deadlines.days_left(due, at(2026, 5, 14, 23, 0)) == 0
    assert deadlines.days_left(due, at(2026, 5, 16)) == -2
