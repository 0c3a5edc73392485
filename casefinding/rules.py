"""Which records of a hospital's feed are proposed as candidates: the rules of
``spec/case-finding.md`` as data, beside the code that applies them (as ``kpis.engine`` keeps each
KPI's definition beside its expression).

The tables are the registry's rules, not a programme's setting: every programme reads the same
ones, and every candidate stores ``VERSION``, the version that proposed it. Change a table, bump
the version, and say what changed in ``CHANGES`` (docs/case-finding.md shows the list).

Clinical definitions (ICD-10, WHO 2019 edition):

- A record is **excluded** with the first reason that applies (``EXCLUSIONS`` in order): the
  patient under 50 on the event date (or no valid birth date); a transport-accident external cause
  (V01-V99: high energy); a neoplastic cause (M84.5, C40, C41, C79.5); only fracture codes of the
  skull or face (S02), hand (S62) or foot (S92), which are not fragility sites; no fracture code
  of ``SITE_CODES`` and no report that finds a vertebral fracture.
- Otherwise it is a **candidate**. The first code (in the record's order) that ``SITE_CODES``
  maps decides the site; a record whose codes give no site but whose report finds a vertebral
  fracture is a spine candidate found on imaging (``spine_detection`` = ``radiological``).
- A report **finds a vertebral fracture** when a term of any language's ``TERMS`` stands in it
  (case-insensitive, on word boundaries) and no negation of any language's ``NEGATIONS`` stands in
  the five words before the term within the same sentence. Reports rarely declare their language,
  so every list applies to every report.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date
from functools import cache

VERSION = "2026.1"
CHANGES = {
    "2026.1": "first rules: spec/case-finding.md's site table, exclusions, terms and negations in six "
    "languages, with the Russian terms' common case forms",
}

AGE_THRESHOLD = 50
DUPLICATE_WINDOW_DAYS = 90
NEGATION_WINDOW_WORDS = 5

# The reasons a record is excluded, in the order they are tried.
EXCLUSIONS = ("age", "high_energy", "neoplastic", "not_fragility_site", "no_fracture")

# ICD-10 code (normalised: "S72.0") or three-character category ("S12": every code in it) -> site.
# Order matters only for reading: a code matches at most one entry.
SITE_CODES: dict[str, str] = {
    "S72.0": "hip",
    "S72.1": "hip",
    "S72.2": "hip",
    **{f"S72.{n}": "femur" for n in range(3, 10)},
    "S12": "spine",
    "S22.0": "spine",
    "S22.1": "spine",
    "S32.0": "spine",
    "T08": "spine",
    "M48.5": "spine",
    **{f"S32.{n}": "pelvis" for n in range(1, 9)},
    "S52.5": "wrist",
    "S52.6": "wrist",
    "S42.2": "humerus",
    "S42.3": "humerus",
    "S42.4": "humerus",
    "S22.3": "rib",
    "S22.4": "rib",
    "S82.5": "ankle",
    "S82.6": "ankle",
    "S82.8": "ankle",
    **{f"S82.{n}": "tibia_fibula" for n in (1, 2, 3, 4, 7, 9)},
    "S22.2": "other",
    "S42.0": "other",
    "S42.1": "other",
    **{f"S42.{n}": "other" for n in (7, 8, 9)},
    **{f"S52.{n}": "other" for n in range(0, 5)},
    **{f"S52.{n}": "other" for n in (7, 8, 9)},
    "S82.0": "other",
    "T02": "other",
    "T10": "other",
    "T12": "other",
    "M80": "other",  # osteoporosis with current pathological fracture: ICD-10 does not code its site
}
# Fractures outside an FLS's scope: skull or face, hand or fingers, foot or toes.
NOT_FRAGILITY_CODES = ("S02", "S62", "S92")
# Transport accidents (external causes V01-V99): high-energy injuries.
HIGH_ENERGY_CATEGORIES = frozenset(f"V{n:02d}" for n in range(1, 100))
# Pathological fracture in neoplastic disease; malignant neoplasm of bone; secondary malignancy of bone.
NEOPLASTIC_CODES = ("M84.5", "C40", "C41", "C79.5")

# Radiology terms that name a vertebral fracture, and the negations that cancel one, per language.
# Russian terms carry their common case forms (reports decline them: "без признаков
# компрессионного перелома").
TERMS: dict[str, tuple[str, ...]] = {
    "en": (
        "vertebral fracture",
        "vertebral fractures",
        "compression fracture",
        "compression fractures",
        "wedge fracture",
        "vertebral collapse",
        "crush fracture",
    ),
    "ru": (
        "компрессионный перелом",
        "компрессионного перелома",
        "компрессионные переломы",
        "перелом позвонка",
        "перелома позвонка",
        "переломы позвонков",
        "клиновидная деформация",
        "клиновидной деформации",
    ),
    "fr": ("fracture vertébrale", "fractures vertébrales", "tassement vertébral", "fracture-tassement"),
    "it": ("frattura vertebrale", "fratture vertebrali", "crollo vertebrale", "frattura da compressione"),
    "es": ("fractura vertebral", "fracturas vertebrales", "aplastamiento vertebral", "fractura por compresión"),
    "zh-Hant": ("椎體骨折", "壓迫性骨折", "脊椎壓迫性骨折"),
}
NEGATIONS: dict[str, tuple[str, ...]] = {
    "en": ("no", "not", "without", "negative for", "free of"),
    "ru": ("нет", "без", "не"),
    "fr": ("pas de", "sans", "aucune", "aucun"),
    "it": ("non", "senza", "assenza di"),
    "es": ("no", "sin", "ausencia de"),
    "zh-Hant": ("無", "沒有", "未見"),
}


# --- ICD-10 codes --------------------------------------------------------------------------------

_CODE = re.compile(r"^([A-Z])(\d{2})(?:\.?([0-9A-Z]))?[0-9A-Z]*$")


def normalise_code(raw: str) -> str:
    """``S72.0``, ``S720``, ``s72.01`` -> ``S72.0``; ``T08`` -> ``T08``; anything else: ``""``.
    ICD-10 is read to its fourth character: the national extensions (-CM, -GM) add detail below it."""
    match = _CODE.match(raw.strip().upper())
    if not match:
        return ""
    letter, digits, fourth = match.groups()
    return f"{letter}{digits}.{fourth}" if fourth else f"{letter}{digits}"


def _category(code: str) -> str:
    return code[:3]


def _in(code: str, listed) -> bool:
    """The code is one of ``listed``, or in one of its three-character categories."""
    return code in listed or _category(code) in listed


def site_of(code: str) -> str:
    return SITE_CODES.get(code) or SITE_CODES.get(_category(code), "")


# --- Report text ---------------------------------------------------------------------------------

# A word: a run of letters or digits; each CJK character is a word of its own (Chinese has no spaces).
_CJK = "\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff"
_WORD = re.compile(rf"[{_CJK}]|[^\W{_CJK}]+")
_SENTENCE_END = re.compile(r"[.;:!?\n。；！？]")


def _is_cjk(text: str) -> bool:
    return bool(re.search(rf"[{_CJK}]", text))


@cache
def _term_pattern() -> re.Pattern:
    terms = sorted({term for terms in TERMS.values() for term in terms}, key=len, reverse=True)
    parts = []
    for term in terms:
        body = r"\s+".join(re.escape(word) for word in term.split())
        # Word boundaries where the term has them; Chinese terms stand anywhere in the text.
        parts.append(body if _is_cjk(term) else rf"(?<!\w){body}(?!\w)")
    return re.compile("|".join(parts), re.IGNORECASE)


@cache
def _negations() -> tuple[tuple[str, ...], ...]:
    phrases = {phrase for phrases in NEGATIONS.values() for phrase in phrases}
    return tuple(tuple(_WORD.findall(phrase.lower())) for phrase in phrases)


def _negated(text: str, start: int) -> bool:
    """A negation among the five words before ``start``, in the same sentence."""
    sentence_start = 0
    for match in _SENTENCE_END.finditer(text, 0, start):
        sentence_start = match.end()
    words = _WORD.findall(text[sentence_start:start].lower())[-NEGATION_WINDOW_WORDS:]
    for phrase in _negations():
        size = len(phrase)
        if any(tuple(words[i : i + size]) == phrase for i in range(len(words) - size + 1)):
            return True
    return False


@dataclass(frozen=True, slots=True)
class ReportFinding:
    """What the report says: the vertebral-fracture terms found (``spans``: start and end of each,
    for highlighting) and those a negation cancelled."""

    spans: tuple[tuple[int, int], ...] = ()
    negated: tuple[tuple[int, int], ...] = ()

    @property
    def finds_vertebral_fracture(self) -> bool:
        return bool(self.spans)


def read_report(text: str) -> ReportFinding:
    if not text:
        return ReportFinding()
    found, negated = [], []
    for match in _term_pattern().finditer(text):
        (negated if _negated(text, match.start()) else found).append(match.span())
    return ReportFinding(tuple(found), tuple(negated))


# --- The decision --------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Decision:
    """A record's outcome: ``excluded`` names the reason, or a candidate's site and detection."""

    excluded: str = ""
    site: str = ""
    spine_detection: str = ""
    report: ReportFinding = ReportFinding()


def age_on(birth: date, day: date) -> int:
    return day.year - birth.year - ((day.month, day.day) < (birth.month, birth.day))


def decide(*, birth_date: date | None, event_date: date, codes: tuple[str, ...], report_text: str) -> Decision:
    """The first exclusion that applies, or the candidate's site. ``codes`` are normalised."""
    if birth_date is None or birth_date > event_date or age_on(birth_date, event_date) < AGE_THRESHOLD:
        return Decision(excluded="age")
    if any(_category(code) in HIGH_ENERGY_CATEGORIES for code in codes):
        return Decision(excluded="high_energy")
    if any(_in(code, NEOPLASTIC_CODES) for code in codes):
        return Decision(excluded="neoplastic")
    site = next((found for found in map(site_of, codes) if found), "")
    if not site and any(_in(code, NOT_FRAGILITY_CODES) for code in codes):
        return Decision(excluded="not_fragility_site")
    report = read_report(report_text)
    if site:
        return Decision(site=site, report=report)
    if report.finds_vertebral_fracture:
        return Decision(site="spine", spine_detection="radiological", report=report)
    return Decision(excluded="no_fracture", report=report)
