"""Huey's decorators for background jobs, with types: Huey ships none, so `@db_task` would make every
task function untyped. These are Huey's own decorators, called as they are; only the types are added."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any, ParamSpec, Protocol, TypeVar

from huey.contrib import djhuey

P = ParamSpec("P")
R = TypeVar("R")
R_co = TypeVar("R_co", covariant=True)


class Task(Protocol[P, R_co]):
    """What `@db_task` and `@db_periodic_task` give back (huey.api.TaskWrapper)."""

    def __call__(self, *args: P.args, **kwargs: P.kwargs) -> Any:
        """Queue the task; returns Huey's result handle."""

    def call_local(self, *args: P.args, **kwargs: P.kwargs) -> R_co:
        """Run the function here and now, not through the queue."""

    def schedule(
        self,
        args: Any = None,
        kwargs: dict[str, Any] | None = None,
        eta: dt.datetime | None = None,
        delay: float | dt.timedelta | None = None,
        **options: Any,
    ) -> Any:
        """Queue the task to run at `eta` or after `delay` seconds; returns Huey's result handle."""


def db_task(*args: Any, **kwargs: Any) -> Callable[[Callable[P, R]], Task[P, R]]:
    """huey.contrib.djhuey.db_task: a task that closes stale database connections around its run."""
    decorator: Callable[[Callable[P, R]], Task[P, R]] = djhuey.db_task(*args, **kwargs)
    return decorator


def db_periodic_task(*args: Any, **kwargs: Any) -> Callable[[Callable[P, R]], Task[P, R]]:
    """huey.contrib.djhuey.db_periodic_task: the same, run on a schedule (`huey.crontab(...)`)."""
    decorator: Callable[[Callable[P, R]], Task[P, R]] = djhuey.db_periodic_task(*args, **kwargs)
    return decorator


def on_startup(name: str | None = None) -> Callable[[Callable[P, R]], Callable[P, R]]:
    """HUEY.on_startup: run the function when a worker starts; the function is returned as it is."""
    decorator: Callable[[Callable[P, R]], Callable[P, R]] = djhuey.HUEY.on_startup(name)
    return decorator


def close_db(fn: Callable[P, R]) -> Callable[P, R]:
    """huey.contrib.djhuey.close_db: close stale database connections before and after the call."""
    wrapped: Callable[P, R] = djhuey.close_db(fn)
    return wrapped


def local_hour(hour: int) -> str:
    """A crontab hour for `hour` o'clock in the company's time zone: Huey reads crontabs in UTC (its
    default), so 06:00 in Asia/Ho_Chi_Minh (UTC+7 all year) is hour 23 of the day before."""
    from zoneinfo import ZoneInfo

    from django.conf import settings

    offset = dt.datetime.now(ZoneInfo(settings.TIME_ZONE)).utcoffset() or dt.timedelta()
    return str((hour - int(offset.total_seconds() // 3600)) % 24)
