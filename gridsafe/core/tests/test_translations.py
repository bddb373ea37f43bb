"""The zh-hans catalogue (gridsafe/locale/zh_Hans): every string the code marks for translation has a checked
Chinese translation, the committed .mo says what the .po says, and the admin and the models speak Chinese by
default and English on request.

When a test here fails after a code change: run
    .venv/bin/gridsafe makemessages -l zh_Hans --ignore=.venv --ignore=node_modules --ignore=var --ignore=bench
translate the new entries, remove every "#, fuzzy" flag after checking the entry, then
    .venv/bin/gridsafe compilemessages -l zh_Hans --ignore=.venv --ignore=node_modules
and commit both django.po and django.mo."""

import gettext
import os
import re
import shutil
import subprocess
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from django.conf import settings
from django.core.management import call_command
from django.test import override_settings
from django.urls import reverse
from django.utils import translation

from gridsafe.accounts.models import Role
from gridsafe.cases.models import Case
from gridsafe.cases.transitions import State
from gridsafe.catalog.models import Category, TimeLimit, WorkCalendarDay
from gridsafe.core.errors import NotPermitted

PROJECT = Path(settings.BASE_DIR)
PO = PROJECT / "gridsafe" / "locale" / "zh_Hans" / "LC_MESSAGES" / "django.po"
MO = PO.with_suffix(".mo")
# The documented makemessages run: from the project root, skipping these directories.
IGNORED_DIRS = {".venv", "node_modules", "var", "bench"}
GETTEXT_TOOLS = ("xgettext", "msguniq", "msgmerge", "msgattrib")


# ---------------------------------------------------------------- a small .po reader (polib is not a dependency)

_ESCAPES = {"n": "\n", "t": "\t", "r": "\r", '"': '"', "\\": "\\", "a": "\a", "b": "\b", "f": "\f", "v": "\v"}


def _unquote(text: str) -> str:
    text = text.strip()
    if len(text) < 2 or text[0] != '"' or text[-1] != '"':
        raise ValueError(f"not a quoted PO string: {text!r}")
    return re.sub(r"\\(.)", lambda m: _ESCAPES.get(m.group(1), m.group(0)), text[1:-1])


@dataclass
class Entry:
    line: int
    flags: set[str] = field(default_factory=set)
    obsolete: bool = False
    msgctxt: str | None = None
    msgid: str = ""
    msgid_plural: str | None = None
    msgstr: dict[int, str] = field(default_factory=dict)

    @property
    def key(self) -> tuple[str | None, str]:
        return (self.msgctxt, self.msgid)

    @property
    def translated(self) -> bool:
        return bool(self.msgstr) and all(self.msgstr.values())

    @property
    def fuzzy(self) -> bool:
        return "fuzzy" in self.flags

    def __str__(self) -> str:
        ctxt = f"[{self.msgctxt}] " if self.msgctxt is not None else ""
        return f"line {self.line}: {ctxt}{self.msgid!r}"


def parse_po(path: Path) -> tuple[Entry | None, list[Entry]]:
    """(header, entries) of a .po or .pot file. Obsolete (#~) entries are returned with obsolete=True."""
    entries: list[Entry] = []
    current: Entry | None = None
    target: tuple[str, int] | None = None  # the field continuation lines extend

    def flush():
        nonlocal current, target
        if current is not None and (current.msgstr or current.msgid or current.msgctxt is not None):
            entries.append(current)
        current, target = None, None

    def append(name: str, index: int, value: str):
        if name == "msgstr":
            current.msgstr[index] = current.msgstr.get(index, "") + value
        else:
            setattr(current, name, (getattr(current, name) or "") + value)

    for number, raw in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        line = raw.strip()
        obsolete = line.startswith("#~")
        if obsolete:
            line = line[2:].strip()
            if line.startswith("|"):  # previous msgid of an obsolete fuzzy entry
                continue
        if not line:
            flush()
            continue
        if line.startswith("#"):
            if current is not None and current.msgstr:
                flush()
            if current is None:
                current = Entry(line=number)
            if line.startswith("#,"):
                current.flags |= {flag.strip() for flag in line[2:].split(",") if flag.strip()}
            continue
        if line.startswith('"'):
            if current is None or target is None:
                raise ValueError(f"{path}:{number}: continuation line outside an entry")
            append(*target, _unquote(line))
            continue
        keyword, _, rest = line.partition(" ")
        if keyword in ("msgctxt", "msgid") and current is not None and current.msgstr:
            flush()
        if current is None:
            current = Entry(line=number)
        current.obsolete = current.obsolete or obsolete
        match = re.fullmatch(r"msgstr\[(\d+)\]", keyword)
        if keyword in ("msgctxt", "msgid", "msgid_plural"):
            target = (keyword, 0)
            setattr(current, keyword, "")
        elif keyword == "msgstr" or match:
            target = ("msgstr", int(match.group(1)) if match else 0)
            current.msgstr[target[1]] = ""
        else:
            raise ValueError(f"{path}:{number}: unexpected line {raw!r}")
        append(*target, _unquote(rest))
    flush()

    header = next((e for e in entries if e.msgid == "" and e.msgctxt is None and not e.obsolete), None)
    return header, [e for e in entries if e is not header]


def live(entries: list[Entry]) -> list[Entry]:
    return [e for e in entries if not e.obsolete]


def header_fields(header: Entry) -> dict[str, str]:
    fields = {}
    for line in header.msgstr.get(0, "").splitlines():
        name, _, value = line.partition(":")
        fields[name.strip().lower()] = value.strip()
    return fields


_PLACEHOLDER = re.compile(r"%(?:\(\w+\))?[-#0 +]*(?:\*|\d+)?(?:\.(?:\*|\d+))?[diouxXeEfFgGcrsa%]")


def placeholders(text: str) -> list[str]:
    return sorted(p for p in _PLACEHOLDER.findall(text) if p != "%%")


def expected_catalog(entries: list[Entry]) -> dict:
    """What msgfmt puts in the .mo, keyed as gettext.GNUTranslations keys its catalogue."""
    catalog = {}
    for e in live(entries):
        if e.fuzzy or not e.translated:
            continue  # msgfmt leaves these out
        msgid = e.msgid if e.msgctxt is None else f"{e.msgctxt}\x04{e.msgid}"
        if e.msgid_plural is None:
            catalog[msgid] = e.msgstr[0]
        else:
            for index, text in e.msgstr.items():
                catalog[(msgid, index)] = text
    return catalog


def mo_catalog(path: Path) -> tuple[dict, dict]:
    """(translations without the header, header fields) of a compiled catalogue."""
    with path.open("rb") as fp:
        compiled = gettext.GNUTranslations(fp)
    catalog = dict(compiled._catalog)  # CPython keeps the whole catalogue here; there is no public accessor
    catalog.pop("", None)
    return catalog, dict(compiled._info)


# ---------------------------------------------------------------- (a) complete, checked translations


def test_catalogue_exists_and_is_for_simplified_chinese():
    assert PO.is_file(), f"{PO} is missing: run makemessages -l zh_Hans"
    header, entries = parse_po(PO)
    assert header is not None and not header.fuzzy, "the header entry is missing or still marked fuzzy"
    fields = header_fields(header)
    assert fields.get("language") == "zh_Hans"
    assert fields.get("plural-forms") == "nplurals=1; plural=0;"
    assert fields.get("content-type") == "text/plain; charset=UTF-8"
    assert len(live(entries)) > 200  # about 255 marked strings today


def test_no_entry_is_untranslated_or_fuzzy():
    _, entries = parse_po(PO)
    untranslated = [str(e) for e in live(entries) if not e.translated]
    fuzzy = [str(e) for e in live(entries) if e.fuzzy]
    assert not untranslated and not fuzzy, (
        "untranslated zh-hans entries:\n"
        + "\n".join(untranslated or ["(none)"])
        + "\nfuzzy zh-hans entries (check each, then delete its fuzzy flag):\n"
        + "\n".join(fuzzy or ["(none)"])
    )


def test_plural_entries_have_every_form_and_placeholders_survive_translation():
    _, entries = parse_po(PO)
    problems = []
    for e in live(entries):
        if e.msgid_plural is None and set(e.msgstr) != {0}:
            problems.append(f"{e}: msgstr[n] without msgid_plural")
        if e.msgid_plural is not None and set(e.msgstr) != {0}:  # zh: nplurals=1
            problems.append(f"{e}: a plural entry needs exactly msgstr[0] for zh_Hans, has {sorted(e.msgstr)}")
        if "python-format" in e.flags or "python-brace-format" in e.flags:
            wanted = placeholders(e.msgid)
            if e.msgid_plural is not None:
                wanted = sorted(set(wanted) | set(placeholders(e.msgid_plural)))
            for index, text in e.msgstr.items():
                got = placeholders(text) if e.msgid_plural is None else sorted(set(placeholders(text)))
                if got != wanted:
                    problems.append(f"{e}: msgstr[{index}] has placeholders {got}, the msgid {wanted}")
        if "python-brace-format" in e.flags:
            for index, text in e.msgstr.items():
                if sorted(re.findall(r"\{\w*\}", text)) != sorted(re.findall(r"\{\w*\}", e.msgid)):
                    problems.append(f"{e}: msgstr[{index}] does not keep the {{}} fields of the msgid")
    assert not problems, "\n".join(problems)


@pytest.mark.skipif(shutil.which("msgfmt") is None, reason="GNU gettext's msgfmt is not installed")
def test_msgfmt_accepts_the_catalogue_and_counts_no_fuzzy_or_untranslated_entries():
    result = subprocess.run(
        ["msgfmt", "--check", "--statistics", "-o", os.devnull, str(PO)],
        capture_output=True,
        text=True,
        env={**os.environ, "LC_ALL": "C", "LANGUAGE": ""},
    )
    assert result.returncode == 0, result.stderr
    assert "translated message" in result.stderr, result.stderr
    assert "fuzzy" not in result.stderr and "untranslated" not in result.stderr, result.stderr


# ---------------------------------------------------------------- (b) not stale: everything marked today is in it


def _copy_sources(destination: Path) -> None:
    """The files makemessages reads (.py, .html, .txt), as the documented run from the project root sees them.
    makemessages writes a preprocessed copy next to every template, so it runs on this copy, never on the tree."""
    skip_roots = {Path(settings.STATIC_ROOT).resolve(), Path(settings.MEDIA_ROOT).resolve()}
    for dirpath, dirnames, filenames in os.walk(PROJECT):
        here = Path(dirpath)
        dirnames[:] = [
            d
            for d in dirnames
            if not (here == PROJECT and d in IGNORED_DIRS)
            and not d.startswith(".")
            and d not in ("locale", "__pycache__", "CVS")
            and (here / d).resolve() not in skip_roots
        ]
        for name in filenames:
            if Path(name).suffix in (".py", ".html", ".txt") and not name.startswith("."):
                target = destination / (here / name).relative_to(PROJECT)
                target.parent.mkdir(parents=True, exist_ok=True)
                shutil.copyfile(here / name, target)


@pytest.mark.skipif(
    any(shutil.which(tool) is None for tool in GETTEXT_TOOLS),
    reason="GNU gettext (xgettext, msguniq, msgmerge, msgattrib) is not installed: cannot re-extract the marked strings",
)
def test_catalogue_has_every_string_the_code_marks_today(tmp_path, monkeypatch):
    sources, out = tmp_path / "src", tmp_path / "locale"
    _copy_sources(sources)
    monkeypatch.chdir(sources)
    with override_settings(LOCALE_PATHS=[str(out)]):
        call_command("makemessages", locale=["zh_Hans"], keep_pot=True, verbosity=0)
    _, extracted = parse_po(out / "django.pot")
    extracted_keys = {e.key for e in live(extracted)}
    assert (None, "hazard category") in extracted_keys, "the extraction found nothing: check the copy of the sources"

    _, entries = parse_po(PO)
    done = {e.key for e in live(entries) if e.translated and not e.fuzzy}
    missing = sorted(extracted_keys - done, key=lambda k: (k[0] or "", k[1]))
    where = {e.key: e for e in live(extracted)}
    assert not missing, (
        "marked for translation but missing from (or untranslated/fuzzy in) gridsafe/locale/zh_Hans django.po; "
        "run makemessages and translate:\n" + "\n".join(f"{where[k].msgid!r}" for k in missing)
    )
    # A plural in the code must be a plural in the catalogue too (and the other way round).
    by_key = {e.key: e for e in live(entries)}
    kinds = [e.msgid for e in live(extracted) if (e.msgid_plural is None) != (by_key[e.key].msgid_plural is None)]
    assert not kinds, f"singular/plural differs between the code and the catalogue: {kinds}"


# ---------------------------------------------------------------- (c) the committed .mo is the compiled .po


def test_committed_mo_has_exactly_the_translations_of_the_po():
    assert MO.is_file(), f"{MO} is missing: run compilemessages -l zh_Hans and commit the .mo"
    header, entries = parse_po(PO)
    compiled, info = mo_catalog(MO)
    expected = expected_catalog(entries)
    stale = sorted(str(k) for k in expected if compiled.get(k) != expected[k])
    extra = sorted(str(k) for k in compiled if k not in expected)
    assert not stale and not extra, (
        "django.mo does not match django.po; run compilemessages -l zh_Hans and commit the .mo\n"
        f"changed or missing in the .mo: {stale[:20]}\nonly in the .mo: {extra[:20]}"
    )
    assert info.get("plural-forms") == header_fields(header).get("plural-forms")


@pytest.mark.skipif(shutil.which("msgfmt") is None, reason="GNU gettext's msgfmt is not installed")
def test_committed_mo_equals_a_fresh_msgfmt_compile(tmp_path):
    fresh = tmp_path / "django.mo"
    subprocess.run(["msgfmt", "--check-format", "-o", str(fresh), str(PO)], check=True, capture_output=True)
    assert mo_catalog(MO)[0] == mo_catalog(fresh)[0]


# ---------------------------------------------------------------- (d) what the code shows


def test_model_and_choice_names_are_chinese_by_default_and_english_on_request():
    with translation.override("zh-hans"):
        assert str(Case._meta.verbose_name) == "隐患"
        assert str(Category._meta.verbose_name) == "隐患类别"
        assert str(Category._meta.verbose_name_plural) == "隐患类别"
        assert str(TimeLimit._meta.verbose_name) == "办理时限"
        assert str(WorkCalendarDay._meta.verbose_name_plural) == "工作日历"
        assert str(Category._meta.get_field("department").verbose_name) == "县级责任部门"
        assert str(State.PENDING_REVIEW.label) == "待研判"
        assert str(Role.CENTRE_LEAD.label) == "值班长"
        assert Case(state=State.CLOSED).get_state_display() == "已结案"
        assert NotPermitted().detail == "无权执行此操作"
    with translation.override("en"):
        assert str(Case._meta.verbose_name) == "hazard case"
        assert str(Category._meta.verbose_name) == "hazard category"
        assert str(TimeLimit._meta.verbose_name) == "time limit"
        assert str(State.PENDING_REVIEW.label) == "Pending review (待研判)"
        assert NotPermitted().detail == "You may not do this"


def test_default_language_is_simplified_chinese():
    assert settings.LANGUAGE_CODE == "zh-hans"
    assert translation.to_locale(settings.LANGUAGE_CODE) == "zh_Hans" == PO.parent.parent.name


# ---------------------------------------------------------------- (e) what the system administrator sees


@pytest.fixture
def admin_client_zh(client, people, settings):
    settings.GRIDSAFE_2FA_REQUIRED = False  # the demo administrator has no second factor
    client.force_login(people["admin"])  # Role.ADMIN, is_superuser: the demo's 系统管理员
    return client


@pytest.fixture
def auditor_client_zh(client, db):
    """The 审计管理员: the one administrator who reads business data in the admin (三员分立)."""
    from gridsafe.accounts.models import User

    auditor = User(username="auditor-zh", display_name="审计", role=Role.AUDIT_ADMIN, is_staff=True)
    auditor.set_unusable_password()
    auditor.save()
    client.force_login(auditor)
    return client


def test_admin_index_names_the_models_in_chinese(admin_client_zh):
    response = admin_client_zh.get(reverse("admin:index"))
    assert response.status_code == 200
    page = response.content.decode()
    assert '<html lang="zh-hans"' in page
    for name in ("隐患类别", "办理时限", "工作日历", "日历年度", "行业领域", "区划", "用户", "单位"):
        assert f">{name}<" in page, name
    for english in ("Hazard categories", "Time limits", "Working calendar", "Supervised places", "Hazard cases"):
        assert english not in page, english


def test_admin_names_business_data_in_chinese_for_the_auditor(auditor_client_zh):
    page = auditor_client_zh.get(reverse("admin:index")).content.decode()
    assert ">监管场所<" in page and "Supervised places" not in page and "Hazard cases" not in page


def test_admin_filters_show_chinese_states(auditor_client_zh):
    admin_client_zh = auditor_client_zh
    response = admin_client_zh.get(reverse("admin:cases_case_changelist"))
    assert response.status_code == 200
    page = response.content.decode()
    for label in ("待研判", "处置中", "待核查", "已结案", "已整改销号", "重大隐患"):
        assert label in page, label
    assert "Pending review" not in page and "Major hazard" not in page


def test_admin_speaks_english_when_the_browser_asks_for_it(admin_client_zh):
    response = admin_client_zh.get(reverse("admin:index"), headers={"accept-language": "en"})
    assert response.status_code == 200
    page = response.content.decode()
    assert "Hazard categories" in page and "Time limits" in page
    assert ">隐患类别<" not in page
