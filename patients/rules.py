"""The patient-level dataset's rules, in one place.

Every way in (the episode form, the CSV import, the REST API and the admin) hands its raw values to
``clean_episode``, so the same bad input gets the same message everywhere. Values arrive as text
(``""`` or ``None`` means not recorded); dates are ``YYYY-MM-DD``. A blank is "not recorded yet",
which is normal: only the identifying items and the fracture are required.

This module is pure Python (no database), so it is fast enough for 100,000-row imports.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from functools import lru_cache

from django.utils import translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, pgettext_lazy

COLUMNS = [
    "patient_ref",
    "sex",
    "birth_date",
    "fracture_date",
    "fracture_site",
    "mechanism",
    "spine_detection",
    "identification_date",
    "fls_assessment",
    "fls_assessment_date",
    "dxa",
    "dxa_date",
    "falls_assessment",
    "aom_recommended",
    "aom_drug",
    "first_followup_date",
    "aom_started",
    "aom_started_date",
    "sb_started",
    "sb_started_date",
    "second_followup_date",
    "aom_at_52w",
    "death_date",
]
REQUIRED = ("patient_ref", "sex", "birth_date", "fracture_date", "fracture_site")
PATIENT_FIELDS = ("patient_ref", "sex", "birth_date")
EPISODE_FIELDS = tuple(c for c in COLUMNS if c not in PATIENT_FIELDS)

SEXES = ("female", "male", "other", "unknown")
FRACTURE_SITES = ("hip", "spine", "wrist", "humerus", "pelvis", "femur", "tibia_fibula", "ankle", "rib", "other")
# How the fracture happened: a fall from standing height or less is what makes it a fragility
# fracture; a high-energy injury (a road accident, a fall from a height) is outside the FLS's scope.
MECHANISMS = ("low_trauma_fall", "other_low_energy", "high_energy", "unknown")
OUT_OF_SCOPE_MECHANISMS = ("high_energy",)
SPINE_DETECTIONS = ("clinical", "radiological")
YES_NO = ("yes", "no")
DXA_VALUES = ("yes", "no", "not_required")
FALLS_VALUES = ("yes", "referred", "no")
AOM_DRUGS = (
    "alendronate",
    "risedronate",
    "ibandronate",
    "zoledronate",
    "denosumab",
    "teriparatide",
    "abaloparatide",
    "romosozumab",
    "raloxifene",
    "hrt",
    "other",
)
ENUMS: dict[str, tuple[str, ...]] = {
    "sex": SEXES,
    "fracture_site": FRACTURE_SITES,
    "mechanism": MECHANISMS,
    "spine_detection": SPINE_DETECTIONS,
    "fls_assessment": YES_NO,
    "dxa": DXA_VALUES,
    "falls_assessment": FALLS_VALUES,
    "aom_recommended": YES_NO,
    "aom_drug": AOM_DRUGS,
    "aom_started": YES_NO,
    "sb_started": YES_NO,
    "aom_at_52w": YES_NO,
}
# What people read for each coded value (the codes themselves are the CSV's and the API's).
# "other" differs by field: Russian, French, Italian and Spanish agree it with the noun.
YES_NO_LABELS = {"yes": gettext_lazy("yes"), "no": gettext_lazy("no")}
VALUE_LABELS: dict[str, dict[str, str]] = {
    "sex": {
        "female": pgettext_lazy("sex", "female"),
        "male": pgettext_lazy("sex", "male"),
        "other": pgettext_lazy("sex", "other"),
        "unknown": pgettext_lazy("sex", "unknown"),
    },
    "fracture_site": {
        "hip": gettext_lazy("hip"),
        "spine": gettext_lazy("spine"),
        "wrist": gettext_lazy("wrist"),
        "humerus": gettext_lazy("humerus"),
        "pelvis": gettext_lazy("pelvis"),
        "femur": gettext_lazy("femur (not hip)"),
        "tibia_fibula": gettext_lazy("tibia/fibula"),
        "ankle": gettext_lazy("ankle"),
        "rib": gettext_lazy("rib"),
        "other": pgettext_lazy("fracture site", "other"),
    },
    "mechanism": {
        "low_trauma_fall": gettext_lazy("fall from standing height or less"),
        "other_low_energy": gettext_lazy("other low-energy injury"),
        "high_energy": gettext_lazy("high-energy injury"),
        "unknown": pgettext_lazy("mechanism", "unknown"),
    },
    "spine_detection": {"clinical": gettext_lazy("clinical"), "radiological": gettext_lazy("radiological")},
    "dxa": {**YES_NO_LABELS, "not_required": gettext_lazy("not required")},
    "falls_assessment": {**YES_NO_LABELS, "referred": gettext_lazy("referred")},
    "aom_drug": {
        "alendronate": gettext_lazy("alendronate"),
        "risedronate": gettext_lazy("risedronate"),
        "ibandronate": gettext_lazy("ibandronate"),
        "zoledronate": gettext_lazy("zoledronate"),
        "denosumab": gettext_lazy("denosumab"),
        "teriparatide": gettext_lazy("teriparatide"),
        "abaloparatide": gettext_lazy("abaloparatide"),
        "romosozumab": gettext_lazy("romosozumab"),
        "raloxifene": gettext_lazy("raloxifene"),
        "hrt": gettext_lazy("hormone replacement therapy"),
        "other": pgettext_lazy("medication", "other"),
    },
}


def choices(field: str) -> list[tuple[str, str]]:
    """A coded field's (code, label) pairs, labels in the reader's language."""
    labels = VALUE_LABELS.get(field, YES_NO_LABELS)
    return [(code, labels.get(code, code.replace("_", " "))) for code in ENUMS[field]]


@lru_cache(maxsize=256)
def _labels(field: str, language: str) -> dict[str, str]:
    with translation.override(language):
        return {code: str(label) for code, label in choices(field)}


def label(field: str, code: str) -> str:
    """A coded value's label in the reader's language; blank stays blank, an unknown code is shown
    as it is. Looked up once per language: Django's ``get_FOO_display`` rebuilds the field's
    choices on each call (a fifth of the episode list's time)."""
    if not code:
        return code
    return _labels(field, translation.get_language() or "en").get(code, code)


DATE_FIELDS = (
    "birth_date",
    "fracture_date",
    "identification_date",
    "fls_assessment_date",
    "dxa_date",
    "first_followup_date",
    "aom_started_date",
    "sb_started_date",
    "second_followup_date",
    "death_date",
)
PATHWAY_DATES = (
    "identification_date",
    "fls_assessment_date",
    "dxa_date",
    "first_followup_date",
    "aom_started_date",
    "sb_started_date",
    "second_followup_date",
)
# status column -> its date column: a date with a blank status implies "yes".
STATUS_DATES = {
    "fls_assessment": "fls_assessment_date",
    "dxa": "dxa_date",
    "aom_started": "aom_started_date",
    "sb_started": "sb_started_date",
}
_DATE_SET = frozenset(DATE_FIELDS)
_PATHWAY_SET = frozenset(PATHWAY_DATES)
_TEXT, _DATE, _ENUM = 0, 1, 2
_SPECS = tuple(
    (f, _DATE if f in _DATE_SET else _ENUM if f in ENUMS else _TEXT, frozenset(ENUMS.get(f, ()))) for f in COLUMNS
)
_fromisoformat = date.fromisoformat
MINIMUM_AGE = 50
PATIENT_REF_MAX = 64

# Words a coordinator reads next to each field (forms, timeline, error summaries).
LABELS = {
    "patient_ref": gettext_lazy("Patient reference (hospital number)"),
    "sex": gettext_lazy("Sex"),
    "birth_date": gettext_lazy("Date of birth"),
    "fracture_date": gettext_lazy("Fracture date"),
    "fracture_site": gettext_lazy("Fracture site"),
    "mechanism": gettext_lazy("How the fracture happened"),
    "spine_detection": gettext_lazy("How the spine fracture was found"),
    "identification_date": gettext_lazy("Date identified by the FLS"),
    "fls_assessment": gettext_lazy("FLS assessment"),
    "fls_assessment_date": gettext_lazy("FLS assessment date"),
    "dxa": gettext_lazy("DXA scan"),
    "dxa_date": gettext_lazy("DXA date"),
    "falls_assessment": gettext_lazy("Falls risk assessment"),
    "aom_recommended": gettext_lazy("Bone medication (AOM) recommended"),
    "aom_drug": gettext_lazy("Medication recommended"),
    "first_followup_date": gettext_lazy("First follow-up date (due by 16 weeks)"),
    "aom_started": gettext_lazy("Medication started"),
    "aom_started_date": gettext_lazy("Date medication started"),
    "sb_started": gettext_lazy("Strength and balance exercise started"),
    "sb_started_date": gettext_lazy("Date strength and balance started"),
    "second_followup_date": gettext_lazy("Second follow-up date (due at 52 weeks)"),
    "aom_at_52w": gettext_lazy("Still on medication at 52 weeks"),
    "death_date": gettext_lazy("Date of death"),
}


@dataclass(frozen=True)
class FieldError:
    field: str
    message: str

    def as_dict(self) -> dict:
        return {"field": self.field, "message": self.message}


def as_text(value) -> str:
    """A stored value as the dataset writes it (CSV, forms): dates YYYY-MM-DD, blanks ""."""
    if value is None:
        return ""
    if isinstance(value, date):
        return value.isoformat()
    return str(value).strip()


def as_json(value):
    """A stored value for JSON (API, audit trail): dates YYYY-MM-DD, a blank date null."""
    return value.isoformat() if isinstance(value, date) else value


def texts(values: dict) -> dict:
    return {name: as_text(value) for name, value in values.items()}


# Messages of the rules that need the stored data: the services and the importer give these, word for word.
def patient_conflicts(ref: str, stored_sex: str, stored_birth, given_sex: str, given_birth) -> list[FieldError]:
    """The values describe a patient already registered under ``ref`` differently."""
    errors = []
    if given_birth not in (None, "") and as_text(given_birth) != as_text(stored_birth):
        errors.append(
            FieldError(
                "birth_date",
                _(
                    "patient %(ref)s is registered with date of birth %(stored)s, not %(given)s; correct the "
                    "patient first"
                )
                % {"ref": ref, "stored": as_text(stored_birth), "given": as_text(given_birth)},
            )
        )
    if given_sex and given_sex != stored_sex:
        errors.append(
            FieldError(
                "sex",
                _("patient %(ref)s is registered as %(stored)s, not %(given)s; correct the patient first")
                % {"ref": ref, "stored": stored_sex, "given": given_sex},
            )
        )
    return errors


def duplicate_episode(ref: str, fracture_date) -> FieldError:
    return FieldError(
        "fracture_date",
        _("patient %(ref)s already has an episode with fracture date %(date)s")
        % {"ref": ref, "date": as_text(fracture_date)},
    )


def parse_date(field: str, raw: str, errors: list[FieldError]) -> date | None:
    if len(raw) == 10 and raw[4] == "-" and raw[7] == "-":
        try:
            return date.fromisoformat(raw)
        except ValueError:
            pass
    errors.append(
        FieldError(
            field,
            _("'%(value)s' is not a real date; write dates as YYYY-MM-DD, e.g. 2025-03-14") % {"value": raw},
        )
    )
    return None


def age_on(birth: date, day: date) -> int:
    return day.year - birth.year - ((day.month, day.day) < (birth.month, birth.day))


def clean_episode(raw: dict, *, today: date) -> tuple[dict, list[FieldError]]:
    """Check one episode's values and return (clean values, errors).

    Clean values hold every column: enumerations lower-case, dates as ``date``, blanks as ``""``
    (enumerations and text) or ``None`` (dates); a date given with its status blank sets the status
    to ``yes``. ``raw`` may lack columns (they are blank).
    """
    errors: list[FieldError] = []
    clean: dict = {}
    append = errors.append
    get = raw.get
    has_invalid = False

    for field, kind, allowed in _SPECS:
        value = get(field)
        if value is None:
            value = ""
        elif value.__class__ is not str:
            value = as_text(value)
        else:
            value = value.strip()
        if "\x00" in value:
            append(FieldError(field, _("contains a NUL character (\\0), which is not text: remove it")))
            clean[field] = _INVALID
            has_invalid = True
            continue
        if kind == _DATE:
            if not value:
                clean[field] = None
                continue
            parsed = None
            if len(value) == 10 and value[4] == "-" and value[7] == "-":
                try:
                    parsed = _fromisoformat(value)
                except ValueError:  # not a calendar date: reported below
                    parsed = None
            if parsed is None:
                parse_date(field, value, errors)
                parsed = _INVALID
                has_invalid = True
            clean[field] = parsed
        elif kind == _ENUM:
            if value:
                lowered = value.lower()
                if lowered not in allowed:
                    append(
                        FieldError(
                            field,
                            _("'%(value)s' is not allowed here; use one of: %(choices)s")
                            % {"value": value, "choices": ", ".join(ENUMS[field])},
                        )
                    )
                    lowered = _INVALID
                    has_invalid = True
                clean[field] = lowered
            else:
                clean[field] = ""
        else:
            clean[field] = value

    for field in REQUIRED:
        if clean[field] in ("", None):
            append(FieldError(field, _("is required: %(label)s cannot be blank") % {"label": LABELS[field]}))

    ref = clean["patient_ref"]
    if ref is not _INVALID and len(ref) > PATIENT_REF_MAX:
        append(
            FieldError(
                "patient_ref",
                _("is %(length)s characters long; at most %(max)s are allowed") % {"length": len(ref), "max": 64},
            )
        )

    # Status and its date.
    for status, date_field in STATUS_DATES.items():
        given = clean[date_field]
        if given is not None and clean[status] == "":
            clean[status] = "yes"
        elif given is not None and clean[status] in ("no", "not_required"):
            append(
                FieldError(
                    date_field,
                    _("a date is given but %(status)s is '%(value)s': clear the date or change %(status)s to yes")
                    % {"status": status, "value": clean[status]},
                )
            )
        elif given is None and clean[status] == "yes":
            append(FieldError(date_field, _("is required because %(status)s is yes") % {"status": status}))

    site = clean["fracture_site"]
    if clean["spine_detection"] not in ("", _INVALID) and site not in ("spine", "", _INVALID):
        append(
            FieldError(
                "spine_detection",
                _("is only for spine fractures, but the fracture site is %(site)s") % {"site": site},
            )
        )
    elif site == "spine" and clean["spine_detection"] == "":
        append(
            FieldError(
                "spine_detection",
                _("is required for a spine fracture: clinical or radiological"),
            )
        )
    if clean["aom_drug"] not in ("", _INVALID) and clean["aom_recommended"] != "yes":
        append(FieldError("aom_drug", _("is only recorded when aom_recommended is yes")))

    _check_dates(clean, today, append)

    if has_invalid:
        for field, value in clean.items():
            if value is _INVALID:
                clean[field] = None if field in _DATE_SET else ""
    return clean, errors


class _Invalid:
    """Marks a value that already has an error, so later rules do not pile on."""

    def __repr__(self):
        return "<invalid>"


_INVALID = _Invalid()


def _check_dates(clean: dict, today: date, append) -> None:
    # Valid dates are ``date`` instances; blanks are None and bad values _INVALID.
    birth, fracture, death = clean["birth_date"], clean["fracture_date"], clean["death_date"]
    has_birth = birth.__class__ is date
    has_fracture = fracture.__class__ is date
    has_death = death.__class__ is date
    for field in DATE_FIELDS:
        value = clean[field]
        if value.__class__ is not date:
            continue
        if value > today:
            append(
                FieldError(field, _("%(date)s is in the future (today is %(today)s)") % {"date": value, "today": today})
            )
        elif has_birth and value < birth and field != "birth_date" and (field not in _PATHWAY_SET or not has_fracture):
            append(
                FieldError(
                    field, _("%(date)s is before the date of birth (%(birth)s)") % {"date": value, "birth": birth}
                )
            )
    if has_birth and has_fracture and fracture >= birth:
        age = age_on(birth, fracture)
        if age < MINIMUM_AGE:
            append(
                FieldError(
                    "birth_date",
                    _("the patient was %(age)s on the fracture date; the registry is for patients aged 50 or over")
                    % {"age": age},
                )
            )
    if has_fracture or has_death:
        for field in PATHWAY_DATES:
            value = clean[field]
            if value.__class__ is not date:
                continue
            if has_fracture and value < fracture:
                append(
                    FieldError(
                        field,
                        _("%(date)s is before the fracture date (%(fracture)s)")
                        % {"date": value, "fracture": fracture},
                    )
                )
            if has_death and value > death:
                append(
                    FieldError(
                        field, _("%(date)s is after the date of death (%(death)s)") % {"date": value, "death": death}
                    )
                )
        if has_fracture and has_death and death < fracture:
            append(
                FieldError(
                    "death_date",
                    _("%(date)s is before the fracture date (%(fracture)s)") % {"date": death, "fracture": fracture},
                )
            )
    first, second = clean["first_followup_date"], clean["second_followup_date"]
    if first.__class__ is date and second.__class__ is date and second <= first:
        append(
            FieldError(
                "second_followup_date",
                _("%(date)s must be after the first follow-up (%(first)s)") % {"date": second, "first": first},
            )
        )
