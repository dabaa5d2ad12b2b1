"""The real worker: `manage.py run_huey` on SqliteHuey (default) and RedisHuey (REDIS_URL) runs consumers."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[3]
REDIS = ("127.0.0.1", 6379)

SCRIPT_CHANGE = """
from sencrm.demo.organisation import load_organisation
from sencrm.events import services
from sencrm.core.tests.testapp.models import Gadget
org = load_organisation()
g = services.record_create(Gadget, actor=org["sales1"], data={"name": "Điều hòa phòng khách"})
services.record_update(g, actor=org["manager"], changes={"owner": org["manager"]}, version=1)
services.record_update(g, actor=org["manager"], changes={"owner": org["sales1"]}, version=2)
"""

SCRIPT_COUNT = """
from sencrm.events.models import Notification
print(Notification.objects.filter(recipient__username="sales1", kind="assigned").count())
"""

SCRIPT_WAIT_DRAINED = """
import time
from django.db.models import Max
from huey.contrib.djhuey import HUEY
from sencrm.events.consumers import CONSUMERS
from sencrm.events.models import ConsumerCursor, Event
last = Event.objects.aggregate(m=Max("id"))["m"]
deadline = time.monotonic() + 60
while time.monotonic() < deadline:
    cursors = dict(ConsumerCursor.objects.values_list("name", "last_event_id"))
    if HUEY.pending_count() == 0 and all(cursors.get(name, 0) >= last for name in CONSUMERS):
        print("drained")
        break
    time.sleep(0.2)
else:
    print("not drained")
"""


def redis_available() -> bool:
    try:
        socket.create_connection(REDIS, timeout=1).close()
    except OSError:
        return False
    return True


def run(env: dict[str, str], *args: str, **kwargs) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env=env,
        check=True,
        capture_output=True,
        text=True,
        timeout=120,
        **kwargs,
    )


def worker_env(tmp_path: Path, redis_url: str | None) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in {"DATABASE_URL", "REDIS_URL"}}
    env.update(
        {"DATA_DIR": str(tmp_path), "DJANGO_SETTINGS_MODULE": "config.settings_test", "HUEY_IMMEDIATE": "0"}
    )
    if redis_url:
        env["REDIS_URL"] = redis_url
    return env


def exercise_worker(env: dict[str, str]) -> None:
    """`env`'s DATA_DIR holds a migrated database (the sqlite_data_dir fixture)."""
    run(env, "shell", "--no-imports", "-c", SCRIPT_CHANGE)
    # Nothing has run yet: the dispatch task waits in the queue for a worker.
    assert run(env, "shell", "--no-imports", "-c", SCRIPT_COUNT).stdout.strip() == "0"
    worker = subprocess.Popen(
        [sys.executable, "manage.py", "run_huey", "--workers", "1"],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        # One process polls until every dispatch queued by the three changes has run (queue empty, every
        # consumer past the last event): only then does "one notification" prove that the later
        # dispatches did not notify again.
        state = run(env, "shell", "--no-imports", "-c", SCRIPT_WAIT_DRAINED).stdout.strip()
        count = run(env, "shell", "--no-imports", "-c", SCRIPT_COUNT).stdout.strip()
    finally:
        worker.terminate()
        worker.wait(timeout=30)
    assert state == "drained"
    assert count == "1"


def test_default_queue_is_sqlite_in_the_data_dir(tmp_path):
    env = worker_env(tmp_path, None)
    out = run(
        env, "shell", "--no-imports", "-c", "from huey.contrib.djhuey import HUEY; print(type(HUEY).__name__)"
    ).stdout
    assert out.strip() == "SqliteHuey"


def test_sqlite_worker_runs_the_consumers(sqlite_data_dir):
    exercise_worker(worker_env(sqlite_data_dir, None))


def test_redis_worker_runs_the_consumers(sqlite_data_dir):
    if not redis_available():
        if os.environ.get("CI") == "true":
            pytest.fail("Redis is not reachable at 127.0.0.1:6379: CI requires it.")
        pytest.skip("Redis is not reachable at 127.0.0.1:6379")
    import redis

    url = "redis://127.0.0.1:6379/15"
    redis.Redis.from_url(url).flushdb()
    env = worker_env(sqlite_data_dir, url)
    out = run(
        env, "shell", "--no-imports", "-c", "from huey.contrib.djhuey import HUEY; print(type(HUEY).__name__)"
    ).stdout
    assert out.strip() == "RedisHuey"
    exercise_worker(env)
