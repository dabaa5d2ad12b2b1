"""Settings for the test suite: the product's settings plus a stand-in record app and fast hashing."""

from config.env import env_bool
from config.settings import *  # noqa: F403
from config.settings import HUEY, INSTALLED_APPS

INSTALLED_APPS = [*INSTALLED_APPS, "sencrm.core.tests.testapp"]
ROOT_URLCONF = "config.urls_test"
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
# Tasks run in the test process, right after the transaction that queued them commits.
HUEY = {**HUEY, "immediate": env_bool("HUEY_IMMEDIATE", True)}
# The suite makes many API requests per user within a minute; the rate-limit tests set their own.
API_RATE_LIMIT = "100000/min"

# Each test run gets its own SQLite file (two runs side by side, or xdist workers, never share one;
# pytest-django adds the worker's suffix to this name). Django deletes the file when the run ends.
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":  # noqa: F405
    import os

    DATABASES["default"]["TEST"] = {  # noqa: F405
        "NAME": str(DATA_DIR / f"test-{os.getpid()}.sqlite3")  # noqa: F405
    }
