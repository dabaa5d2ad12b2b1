"""Configuration from the environment: safe by default, loud on bad values."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.core.exceptions import ImproperlyConfigured

from config.env import env_bool, env_int, env_list, env_str

ROOT = Path(__file__).resolve().parents[3]

PRINT = (
    "from django.conf import settings as s; import json; print(json.dumps({"
    "'debug': s.DEBUG, 'session_secure': s.SESSION_COOKIE_SECURE, 'csrf_secure': s.CSRF_COOKIE_SECURE,"
    "'hsts': s.SECURE_HSTS_SECONDS, 'engine': s.DATABASES['default']['ENGINE'],"
    "'db_name': str(s.DATABASES['default']['NAME']), 'lang': s.LANGUAGE_CODE, 'tz': s.TIME_ZONE,"
    "'key_len': len(s.SECRET_KEY)}))"
)


def settings_in(tmp_path: Path, **env: str) -> dict:
    clean = {k: v for k, v in os.environ.items() if k not in {"DATABASE_URL", "REDIS_URL", "DEBUG", "HTTPS"}}
    clean.update({"DATA_DIR": str(tmp_path), "DJANGO_SETTINGS_MODULE": "config.settings", **env})
    out = subprocess.run(
        [sys.executable, "-c", f"import django; django.setup(); {PRINT}"],
        cwd=ROOT,
        env=clean,
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    return json.loads(out.strip().splitlines()[-1])


def test_defaults_need_no_setting_and_are_safe(tmp_path):
    s = settings_in(tmp_path)
    assert s["debug"] is False
    assert s["session_secure"] and s["csrf_secure"] and s["hsts"] > 0
    assert s["engine"] == "django.db.backends.sqlite3" and s["db_name"].startswith(str(tmp_path))
    assert s["lang"] == "vi" and s["tz"] == "Asia/Ho_Chi_Minh"
    assert s["key_len"] >= 50
    assert (tmp_path / "secret_key").stat().st_mode & 0o077 == 0  # readable by the owner only


def test_the_generated_secret_key_survives_restarts(tmp_path):
    first = (settings_in(tmp_path), (tmp_path / "secret_key").read_text())
    second = (settings_in(tmp_path), (tmp_path / "secret_key").read_text())
    assert first[1] == second[1]


def test_plain_http_demo_mode(tmp_path):
    s = settings_in(tmp_path, HTTPS="false")
    assert not s["session_secure"] and s["hsts"] == 0


def test_database_url_selects_postgresql(tmp_path):
    s = settings_in(tmp_path, DATABASE_URL="postgresql://postgres@127.0.0.1:5432/sencrm")
    assert s["engine"] == "django.db.backends.postgresql"


def test_env_helpers_fail_loudly(monkeypatch, tmp_path):
    monkeypatch.setenv("X_BOOL", "maybe")
    with pytest.raises(ImproperlyConfigured):
        env_bool("X_BOOL", False)
    monkeypatch.setenv("X_INT", "ten")
    with pytest.raises(ImproperlyConfigured):
        env_int("X_INT", 1)
    monkeypatch.setenv("X_LIST", "a.example, b.example ,")
    assert env_list("X_LIST", []) == ["a.example", "b.example"]
    secret = tmp_path / "secret"
    secret.write_text("from-a-file\n")
    monkeypatch.setenv("X_SECRET_FILE", str(secret))
    assert env_str("X_SECRET") == "from-a-file"
    monkeypatch.setenv("X_MISSING_FILE", str(tmp_path / "nope"))
    with pytest.raises(ImproperlyConfigured):
        env_str("X_MISSING")


def test_an_expected_403_or_404_is_one_line_in_the_server_log(client_as, make_contact, caplog):
    import logging

    theirs = make_contact(owner="sales2", full_name="Khách của người khác", phones=("0987 000 111",))
    client = client_as("sales1")
    with caplog.at_level(logging.WARNING, logger="django.request"):
        assert client.get(f"/contacts/{theirs.pk}/").status_code == 404
        assert client.get("/admin/users/").status_code == 403
    records = [r for r in caplog.records if r.name == "django.request"]
    assert {r.status_code for r in records} == {403, 404}
    assert all(r.exc_info is None and "Traceback" not in caplog.text for r in records)
