"""Daily jobs are written in the company's hours: Huey reads crontabs in UTC."""

from __future__ import annotations

from sencrm.core.background import local_hour


def test_a_local_hour_is_turned_into_the_utc_hour_of_the_crontab(settings):
    settings.TIME_ZONE = "Asia/Ho_Chi_Minh"  # UTC+7 all year
    assert local_hour(6) == "23"
    assert local_hour(8) == "1"
    settings.TIME_ZONE = "UTC"
    assert local_hour(6) == "6"
