"""The translation catalogues: every offered language has one, complete, with nothing fuzzy, the same
placeholders as the English, compiled into a .mo that matches it, and covering every string the
source marks today (``make messages`` refreshes them)."""

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import polib
import pytest
from django.conf import settings
from django.utils.translation import to_locale

BASE = Path(settings.BASE_DIR)
LANGUAGES = [code for code, _name in settings.LANGUAGES if code != "en"]
PLACEHOLDER = re.compile(r"%\([a-z_]+\)[sd]|%[sd]|\{[a-z_]+\}|%%")


def catalogue(language: str) -> Path:
    return BASE / "locale" / to_locale(language) / "LC_MESSAGES" / "django.po"


def key(entry) -> tuple[str, str, str]:
    return (entry.msgctxt or "", entry.msgid, entry.msgid_plural or "")


@pytest.fixture(scope="module", params=LANGUAGES)
def po(request):
    path = catalogue(request.param)
    assert path.exists(), f"{request.param}: no catalogue at {path.relative_to(BASE)}; run make messages"
    return polib.pofile(str(path))


def test_every_offered_language_but_english_has_a_catalogue():
    assert sorted(LANGUAGES) == sorted(["ru", "fr", "it", "es", "zh-hant"])
    assert all(catalogue(code).exists() for code in LANGUAGES)


def test_every_message_is_translated(po):
    untranslated = [entry.msgid[:80] for entry in po.untranslated_entries()]
    assert untranslated == [], f"{po.fpath}: {len(untranslated)} untranslated"


def test_no_message_is_fuzzy(po):
    assert [entry.msgid[:80] for entry in po.fuzzy_entries()] == []


def test_no_obsolete_message_is_kept(po):
    assert [entry.msgid[:80] for entry in po.obsolete_entries()] == []


def placeholders(text: str) -> set[str]:
    return set(PLACEHOLDER.findall(text))


def test_translations_keep_the_placeholders(po):
    broken = []
    for entry in po.translated_entries():
        if not entry.msgid_plural:
            if placeholders(entry.msgstr) != placeholders(entry.msgid):
                broken.append(entry.msgid)
            continue
        wanted = placeholders(entry.msgid_plural)
        forms = dict(entry.msgstr_plural)
        # A language's first form may say its count in words ("tomorrow"); the others keep every placeholder.
        if not placeholders(forms[0]) <= wanted:
            broken.append(entry.msgid)
        broken += [entry.msgid for index, text in forms.items() if index and placeholders(text) != wanted]
    assert broken == []


def test_the_compiled_catalogue_is_rebuilt_from_its_source(po):
    mo_path = Path(po.fpath).with_suffix(".mo")
    assert mo_path.exists(), f"{mo_path.relative_to(BASE)} is missing; run make messages"
    compiled = {key(entry): (entry.msgstr, dict(entry.msgstr_plural)) for entry in polib.mofile(str(mo_path))}
    source = {
        key(entry): (entry.msgstr, {int(i): text for i, text in entry.msgstr_plural.items()})
        for entry in po.translated_entries()
    }
    compiled.pop(("", "", ""), None)  # the header
    stale = sorted(k[1][:80] for k in source.keys() ^ compiled.keys()) + sorted(
        k[1][:80] for k in source.keys() & compiled.keys() if source[k] != compiled[k]
    )
    assert stale == [], f"{mo_path.relative_to(BASE)} differs from its .po; run make messages"


@pytest.fixture(scope="module")
def extracted(tmp_path_factory):
    """The messages the source marks today, extracted from a copy (so the real catalogues stay as they are)."""
    if not shutil.which("xgettext"):
        pytest.fail("xgettext is missing: scripts/ensure-system-packages.sh installs gettext")
    copy = tmp_path_factory.mktemp("source") / "project"
    shutil.copytree(
        BASE,
        copy,
        ignore=shutil.ignore_patterns(
            ".venv", ".git", ".data", "tests", "bench", "docs", "deploy", "locale", "test-artifacts", "__pycache__"
        ),
    )
    (copy / "locale" / "ru" / "LC_MESSAGES").mkdir(parents=True)
    subprocess.run(
        [sys.executable, "manage.py", "makemessages", "--locale", "ru", "--ignore", "*/migrations/*"],
        cwd=copy,
        env={**os.environ, "PYTHONPATH": str(copy)},
        check=True,
        capture_output=True,
    )
    return {key(entry) for entry in polib.pofile(str(copy / "locale" / "ru" / "LC_MESSAGES" / "django.po"))}


def test_the_catalogues_hold_every_message_the_source_marks(po, extracted):
    held = {key(entry) for entry in po if not entry.obsolete}
    missing = sorted(k[1][:80] for k in extracted - held)
    gone = sorted(k[1][:80] for k in held - extracted)
    assert (missing, gone) == ([], []), f"{po.fpath} is stale; run make messages and translate what is new"


def test_scripts_take_their_words_from_the_page():
    """No script carries text of its own (so no djangojs catalogue is needed): they read labels the
    server rendered, translated, into data attributes."""
    calls = [path.name for path in (BASE / "static" / "js").glob("*.js") if "gettext(" in path.read_text()]
    assert calls == []
