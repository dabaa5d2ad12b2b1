"""Vietnamese and English ship complete: every translatable string of the code has a Vietnamese text."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[3]
PO = ROOT / "locale" / "vi" / "LC_MESSAGES" / "django.po"


def entries(po_text: str) -> dict[tuple[str, str], str]:
    """(msgctxt, msgid) -> msgstr of a .po file (multi-line strings joined; "" when there is no context).

    pgettext's entries share a msgid with other meanings ("Created" the date, "Created" the count):
    only the context tells them apart, so it is part of the key.
    """
    result: dict[tuple[str, str], str] = {}
    join = lambda s: "".join(re.findall(r'"(.*)"', s))  # noqa: E731
    for block in po_text.split("\n\n"):
        if "#, fuzzy" in block and 'msgid ""\nmsgstr ""\n"Project' not in block:
            result[("FUZZY", block)] = ""
        msgctxt = re.search(r'^msgctxt ((?:".*"\n?)+)', block, re.M)
        msgid = re.search(r'^msgid ((?:".*"\n?)+)', block, re.M)
        msgstr = re.search(r'^msgstr(?:\[0\])? ((?:".*"\n?)+)', block, re.M)
        if msgid and msgstr:
            context = join(msgctxt.group(1)) if msgctxt else ""
            result[(context, join(msgid.group(1)))] = join(msgstr.group(1))
    return result


def test_entries_tell_contexts_apart():
    po = entries(
        'msgid "Created"\nmsgstr "Ngày tạo"\n\n'
        'msgctxt "import count"\nmsgid "Created"\nmsgstr "Đã tạo"\n\n'
        'msgctxt "date"\nmsgid "Created"\nmsgstr ""\n'
    )
    assert po == {("", "Created"): "Ngày tạo", ("import count", "Created"): "Đã tạo", ("date", "Created"): ""}


def test_every_vietnamese_entry_is_translated_and_none_is_fuzzy():
    po = entries(PO.read_text(encoding="utf-8"))
    missing = [key for key, msgstr in po.items() if key[1] and not msgstr]
    assert missing == []


@pytest.mark.skipif(shutil.which("xgettext") is None, reason="gettext is installed by the set-up")
def test_every_string_in_the_code_is_in_the_catalogue(tmp_path):
    # Re-extract the strings in a copy of the project, so the committed catalogue is left alone.
    ignore = shutil.ignore_patterns("__pycache__", "*.mo")
    for name in ["sencrm", "templates", "config", "locale"]:
        shutil.copytree(ROOT / name, tmp_path / name, ignore=ignore)
    shutil.copy(ROOT / "manage.py", tmp_path / "manage.py")
    env = {**os.environ, "DATA_DIR": str(tmp_path / "var"), "DJANGO_SETTINGS_MODULE": "config.settings"}
    env.pop("DATABASE_URL", None)
    subprocess.run(
        [
            sys.executable,
            "manage.py",
            "makemessages",
            "-l",
            "vi",
            "--no-obsolete",
            "--no-location",
            "-v",
            "0",
            "--ignore=sencrm/core/tests/*",
        ],
        cwd=tmp_path,
        env=env,
        check=True,
        capture_output=True,
    )
    fresh = entries((tmp_path / "locale" / "vi" / "LC_MESSAGES" / "django.po").read_text(encoding="utf-8"))
    committed = entries(PO.read_text(encoding="utf-8"))
    untranslated = sorted(key for key in fresh if key[1] and not committed.get(key))
    assert untranslated == [], "run `make messages` and translate the new strings"
