"""Both catalogues are complete: English is the source language (every msgid is English), and the
zh-Hans catalogue translates every string the code and templates contain today, not just the ones
someone remembered to add. The compiled .mo says exactly what the .po says."""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
from pathlib import Path

import polib
import pytest
from django.conf import settings
from django.core.management import call_command
from django.utils import translation
from django.utils.translation import gettext, ngettext

from guanxi.core.management.commands.compile_catalogues import compile_catalogue, mo_messages, po_messages

ROOT = Path(settings.BASE_DIR)
PO = ROOT / "locale" / "zh_Hans" / "LC_MESSAGES" / "django.po"
NOT_SOURCE = {".venv", ".git", "staticfiles", "var", "test-results", "node_modules", "__pycache__", ".mypy_cache", ".ruff_cache", ".hypothesis", ".pytest_cache"}
PLACEHOLDER = re.compile(r"%\(\w+\)[sdif]|%[sdif]|\{\w*\}")


@pytest.fixture(scope="module")
def fresh_catalogue(tmp_path_factory: pytest.TempPathFactory) -> polib.POFile:
    """The zh-Hans catalogue as ``makemessages`` leaves it after scanning today's source, made
    in a copy of the tree so the real .po is not touched."""
    if shutil.which("xgettext") is None or shutil.which("msgmerge") is None:
        pytest.fail("GNU gettext (xgettext, msgmerge) is not installed: run `apt-get install -y gettext` (CI installs it).")
    tree = tmp_path_factory.mktemp("tree")
    for item in ROOT.iterdir():
        if item.name in NOT_SOURCE:
            continue
        if item.is_dir():
            shutil.copytree(item, tree / item.name, ignore=shutil.ignore_patterns(*NOT_SOURCE, "*.pyc"))
        else:
            shutil.copy2(item, tree / item.name)
    run = subprocess.run(
        [sys.executable, "manage.py", "makemessages", "-l", "zh_Hans", "--ignore=.venv", "--ignore=staticfiles", "--ignore=var"],
        cwd=tree, capture_output=True, text=True, timeout=300,
        env={"PATH": "/usr/bin:/bin", "GUANXI_ENV": "test", "GUANXI_DATA_DIR": str(tree / "var"), "HOME": str(tree)},
    )
    assert run.returncode == 0, run.stderr
    return polib.pofile(str(tree / "locale" / "zh_Hans" / "LC_MESSAGES" / "django.po"))


def describe(entries: list[polib.POEntry]) -> str:
    return "\n".join(f"  {e.occurrences[0][0] if e.occurrences else '?'}: {e.msgid!r}" for e in entries[:40])


def test_every_string_in_the_code_has_a_chinese_translation(fresh_catalogue):
    untranslated = [e for e in fresh_catalogue.untranslated_entries() if not e.obsolete]
    assert not untranslated, (
        f"{len(untranslated)} strings have no zh-Hans translation. Run `manage.py makemessages -l zh_Hans "
        f"--ignore=.venv --ignore=staticfiles`, translate them in {PO.relative_to(ROOT)}:\n" + describe(untranslated)
    )


def test_no_translation_is_a_fuzzy_guess(fresh_catalogue):
    assert not fresh_catalogue.metadata_is_fuzzy, "The catalogue header is marked fuzzy, so gettext would ignore its Plural-Forms"
    assert fresh_catalogue.metadata.get("Plural-Forms") == "nplurals=1; plural=0;"
    fuzzy = [e for e in fresh_catalogue.fuzzy_entries() if not e.obsolete]
    assert not fuzzy, "Review these fuzzy (machine-guessed) translations and remove the fuzzy flag:\n" + describe(fuzzy)


def test_translations_keep_every_placeholder(fresh_catalogue):
    broken = []
    for e in fresh_catalogue.translated_entries():
        wanted = sorted(PLACEHOLDER.findall(e.msgid))
        got = [e.msgstr] if not e.msgid_plural else list(e.msgstr_plural.values())
        broken += [e for text in got if sorted(PLACEHOLDER.findall(text)) != wanted]
    assert not broken, "Placeholders differ between English and Chinese:\n" + describe(broken)


def test_the_compiled_catalogue_says_exactly_what_the_po_says(tmp_path):
    mo = compile_catalogue(PO, tmp_path / "django.mo")
    assert mo_messages(mo) == po_messages(PO)
    assert mo_messages(PO.with_suffix(".mo")) == po_messages(PO), "locale/*.mo is stale: run manage.py compile_catalogues"
    call_command("compile_catalogues", "--check")


def test_the_running_app_speaks_both_languages():
    with translation.override("zh-hans"):
        assert gettext("Accounts") == "客户"
        assert gettext("Public pool") == "公海"
        assert ngettext("%(n)d record older than %(days)d days was deleted for good.",
                        "%(n)d records older than %(days)d days were deleted for good.", 2) % {"n": 2, "days": 30} == "2 条超过 30 天的记录已被彻底删除。"
    with translation.override("en"):
        assert gettext("Accounts") == "Accounts"
        assert gettext("Public pool") == "Public pool"


def test_compile_catalogues_writes_a_missing_mo_and_notices_a_stale_one(tmp_path, settings):
    from django.core.management.base import CommandError

    folder = tmp_path / "zh_Hans" / "LC_MESSAGES"
    folder.mkdir(parents=True)
    po_path = folder / "django.po"
    shutil.copy(PO, po_path)
    settings.LOCALE_PATHS = [tmp_path]
    with pytest.raises(CommandError, match="Stale or missing"):
        call_command("compile_catalogues", "--check")
    call_command("compile_catalogues")
    assert mo_messages(po_path.with_suffix(".mo"))[("", "Accounts")] == "客户"
    call_command("compile_catalogues", "--check")

    po = polib.pofile(str(po_path))
    po.find("Accounts").msgstr = "客户们"
    po.save()
    with pytest.raises(CommandError, match="Stale or missing"):
        call_command("compile_catalogues", "--check")
    call_command("compile_catalogues")
    assert mo_messages(po_path.with_suffix(".mo"))[("", "Accounts")] == "客户们"
