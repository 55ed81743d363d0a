"""``manage.py compile_catalogues``: turns every ``locale/*/LC_MESSAGES/*.po`` into its ``.mo``.

Django's own ``compilemessages`` needs GNU gettext's ``msgfmt``; this uses the pure-Python polib
so ``make demo`` works on a machine without gettext. A ``.mo`` is rewritten only when its messages
differ from the ``.po`` (``--check`` reports stale catalogues and exits non-zero instead), and it is
written to a temporary file and renamed, so parallel test workers never read a half-written file.
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

import polib
from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser

Messages = dict[tuple[str, str], str | tuple[str, ...]]


def _key(entry: polib._BaseEntry) -> tuple[str, str]:
    return (entry.msgctxt or "", entry.msgid)


def _value(entry: polib._BaseEntry) -> str | tuple[str, ...]:
    if entry.msgid_plural:
        return tuple(entry.msgstr_plural[i] for i in sorted(entry.msgstr_plural))
    return entry.msgstr  # type: ignore[no-any-return]


def po_messages(po_path: Path) -> Messages:
    """The messages a compiled catalogue must contain: translated, not fuzzy, not obsolete."""
    po = polib.pofile(str(po_path))
    return {_key(e): _value(e) for e in po.translated_entries() if e.msgid}


def mo_messages(mo_path: Path) -> Messages:
    mo = polib.mofile(str(mo_path))
    return {_key(e): _value(e) for e in mo if e.msgid}


def catalogues() -> list[Path]:
    found: list[Path] = []
    for base in settings.LOCALE_PATHS:
        found.extend(sorted(Path(base).glob("*/LC_MESSAGES/*.po")))
    return found


def is_stale(po_path: Path) -> bool:
    mo_path = po_path.with_suffix(".mo")
    if not mo_path.exists():
        return True
    try:
        return mo_messages(mo_path) != po_messages(po_path)
    except (OSError, ValueError):
        return True  # a truncated or foreign .mo is as good as none


def compile_catalogue(po_path: Path, mo_path: Path | None = None) -> Path:
    mo_path = mo_path or po_path.with_suffix(".mo")
    po = polib.pofile(str(po_path))
    fd, tmp = tempfile.mkstemp(dir=mo_path.parent, prefix=".", suffix=".mo.tmp")
    os.close(fd)
    try:
        po.save_as_mofile(tmp)
        os.chmod(tmp, 0o644)  # mkstemp makes it private; the web server may run as another user
        os.replace(tmp, mo_path)
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)
    return mo_path


def compile_stale() -> list[Path]:
    """Compile every catalogue whose .mo is missing or out of date; return the ones written."""
    return [compile_catalogue(po) for po in catalogues() if is_stale(po)]


class Command(BaseCommand):
    help = "Compile the .po translation catalogues to .mo with polib (no GNU gettext needed)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--check", action="store_true", help="Only report missing or stale .mo files; exit 1 if any.")
        parser.add_argument("--force", action="store_true", help="Rewrite every .mo even when it is up to date.")

    def handle(self, *args: object, check: bool = False, force: bool = False, **options: object) -> None:
        found = catalogues()
        if not found:
            raise CommandError(f"No .po catalogues under {[str(p) for p in settings.LOCALE_PATHS]}.")
        stale = [po for po in found if force or is_stale(po)]
        if check:
            if stale:
                raise CommandError("Stale or missing .mo for: " + ", ".join(str(p) for p in stale) + ". Run manage.py compile_catalogues.")
            self.stdout.write(f"{len(found)} catalogue(s) up to date.")
            return
        for po in stale:
            mo = compile_catalogue(po)
            self.stdout.write(f"compiled {mo}")
        if not stale:
            self.stdout.write(f"{len(found)} catalogue(s) already up to date.")
