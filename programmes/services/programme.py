"""Writes of programmes: the import, creation and edits, the expected caseload, the data-changed mark.

Each records its access-log row in the same transaction. Grants of authority (invitations,
memberships, global roles, accounts) are in ``programmes.services.grants``.
"""

from __future__ import annotations

import re
from contextlib import nullcontext
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django_countries import countries

from accounts.clock import validate_zone
from clinical.kpi_sets import KPI_SETS
from programmes import rls
from programmes.authority import Capability, authority_for, can_globally_or_in
from programmes.csvio import FILE_LEVEL, CsvReader, CsvRejected, RowError
from programmes.inputs import language_codes_in
from programmes.models import (
    CASELOAD_YEARS,
    LANGUAGE_CODE_RE,
    MAX_EXPECTED_FRACTURES,
    AccessEvent,
    CareSetting,
    ExpectedCaseload,
    Programme,
    ProgrammeStatus,
)

PROGRAMME_COLUMNS = [
    "slug",
    "name",
    "institution",
    "country",
    "city",
    "latitude",
    "longitude",
    "languages",
    "care_setting",
    "status",
    "kpi_set",
    "time_zone",
]
PROGRAMME_REQUIRED_COLUMNS = {"slug", "name", "country"}
CARE_SETTING_ALIASES = {
    "both": CareSetting.MIXED,
    "inpatient_outpatient": CareSetting.MIXED,
    "inpatient and outpatient": CareSetting.MIXED,
    "community": CareSetting.PRIMARY_CARE,
}
SLUG_RE = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")


def access_event_record(*, programme: Programme | None, actor, action: str, subject=None, **detail) -> AccessEvent:
    """One row of the access log; ``programme=None`` for global events, ``subject``: whose authority changed.

    Written in the scope of its programme (row-level security): a request scoped to another
    programme cannot write into this one's log. In a request already scoped to the programme (every
    patient page) the one INSERT needs no savepoint nor a read of the settings."""
    needs_scope = programme is not None and not rls.request_scoped_to(programme.pk)
    with rls.programme_scope(programme.pk) if needs_scope else nullcontext():
        return AccessEvent.objects.create(
            programme=programme, actor=actor, subject=subject, action=action, detail=detail
        )


def patient_data_read(request, programme: Programme, what: str, **detail) -> AccessEvent:
    """A read of patient-level data (a page, an API answer) in the access log: who, what, when.

    Every path that shows patient rows calls it: episode and patient pages, lists, the worklist,
    KPI drill-downs and the API; exports are logged as ``exported`` where they are produced."""
    via = "api" if request.path.startswith("/api/") else "page"
    return access_event_record(
        programme=programme, actor=request.user, action=AccessEvent.Action.VIEWED, what=what, via=via, **detail
    )


def may_manage_programme(actor, programme: Programme) -> bool:
    """The programme's lead, IOF staff managing programmes, or the command line (no actor)."""
    return actor is None or can_globally_or_in(
        actor, programme, globally=Capability.PROGRAMMES_MANAGE, there=Capability.SETTINGS_MANAGE
    )


# --- Programme import --------------------------------------------------------------------------


@dataclass
class ImportCounts:
    created: int = 0
    updated: int = 0
    unchanged: int = 0

    def __str__(self) -> str:
        return _("%(created)s created, %(updated)s updated, %(unchanged)s unchanged") % vars(self)


def _choice(value: str, choices, label: str, aliases=None) -> str:
    lowered = value.lower()
    if aliases and lowered in aliases:
        return str(aliases[lowered])
    if lowered not in choices.values:
        raise ValidationError(
            _("'%(value)s' is not a %(label)s; use one of: %(choices)s")
            % {"value": value, "label": label, "choices": ", ".join(choices.values)}
        )
    return lowered


def _coordinate(value: str, limit: int, label: str) -> Decimal:
    try:
        number = Decimal(value)
    except InvalidOperation:
        raise ValidationError(
            _("'%(value)s' is not a number; write the %(label)s in decimal degrees, e.g. 57.6261")
            % {"value": value, "label": label}
        ) from None
    if not number.is_finite() or not -limit <= number <= limit:
        raise ValidationError(
            _("%(label)s must be between -%(limit)s and %(limit)s degrees, not %(value)s")
            % {"label": label, "limit": limit, "value": value}
        )
    return number.quantize(Decimal("0.000001"))


def _country(value: str) -> str:
    code = value.upper()
    if code not in dict(countries):
        by_name = countries.by_name(value)
        if by_name:
            return by_name
        raise ValidationError(
            _("'%(value)s' is not an ISO 3166 country code such as FR, GB, IT, RU or TW") % {"value": value}
        )
    return code


def _time_zone(value: str) -> str:
    validate_zone(value)
    return value


def kpi_set_code(value: str) -> str:
    if value not in KPI_SETS:
        raise ValidationError(
            _("'%(value)s' is not a KPI set; use one of: %(sets)s") % {"value": value, "sets": ", ".join(KPI_SETS)}
        )
    return value


def parse_languages(value: str) -> list[str]:
    codes = language_codes_in(value)
    for code in codes:
        if not re.match(LANGUAGE_CODE_RE, code):
            raise ValidationError(
                _("'%(code)s' is not a language code such as en, fr, ru, it or zh; separate several with ';'")
                % {"code": code}
            )
    return codes


def programme_row_parse(row: dict[str, str], row_number: int) -> tuple[dict, list[RowError]]:
    """Turn one CSV row into Programme field values, or the errors that say what and where."""
    values: dict = {}
    errors: list[RowError] = []

    def take(column, parse):
        raw = row.get(column, "")
        if raw == "":
            if column in PROGRAMME_REQUIRED_COLUMNS:
                errors.append(RowError(row_number, column, _("required, but the cell is blank")))
            return
        try:
            values[column] = parse(raw)
        except ValidationError as exc:
            errors.append(RowError(row_number, column, " ".join(exc.messages)))

    def slug(raw):
        if not SLUG_RE.match(raw) or len(raw) > 64:
            raise ValidationError(
                _(
                    "'%(value)s' is not a valid slug: use 1-64 lower-case letters, digits and "
                    "single hyphens, e.g. yaroslavl-fls"
                )
                % {"value": raw}
            )
        return raw

    def text(limit):
        def parse(raw):
            if len(raw) > limit:
                raise ValidationError(
                    _("at most %(limit)s characters, this has %(length)s") % {"limit": limit, "length": len(raw)}
                )
            return raw

        return parse

    take("slug", slug)
    take("name", text(200))
    take("institution", text(200))
    take("country", _country)
    take("city", text(120))
    take("latitude", lambda raw: _coordinate(raw, 90, _("latitude")))
    take("longitude", lambda raw: _coordinate(raw, 180, _("longitude")))
    take("languages", parse_languages)
    take("care_setting", lambda raw: _choice(raw, CareSetting, _("care setting"), CARE_SETTING_ALIASES))
    take("status", lambda raw: _choice(raw, ProgrammeStatus, _("status")))
    take("kpi_set", kpi_set_code)
    take("time_zone", _time_zone)
    has_lat = bool(row.get("latitude")) and "latitude" in values
    has_lon = bool(row.get("longitude")) and "longitude" in values
    if not row.get("latitude") and has_lon:
        errors.append(RowError(row_number, "latitude", _("give the latitude too, or leave both coordinates blank")))
    if not row.get("longitude") and has_lat:
        errors.append(RowError(row_number, "longitude", _("give the longitude too, or leave both coordinates blank")))
    return values, errors


@transaction.atomic
def programme_import(*, stream, actor=None) -> ImportCounts:
    """Create or update programmes from a CSV file, all or nothing, upserting by slug.

    Every bad row is reported (``CsvRejected``); nothing is written unless the whole file is good.
    Blank optional cells leave the stored value as it is blank (the file is the truth for a row).
    """
    reader = CsvReader(stream, columns=PROGRAMME_COLUMNS, required=PROGRAMME_REQUIRED_COLUMNS)
    errors: list[RowError] = []
    parsed: dict[str, dict] = {}
    first_row_of_slug: dict[str, int] = {}
    for row_number, row, row_errors in reader:
        if row is None:
            errors.extend(row_errors)
            continue
        values, row_errors = programme_row_parse(row, row_number)
        errors.extend(row_errors)
        slug = values.get("slug")
        if slug and slug in first_row_of_slug:
            errors.append(
                RowError(
                    row_number,
                    "slug",
                    _("'%(slug)s' is already used on row %(row)s of this file")
                    % {"slug": slug, "row": first_row_of_slug[slug]},
                )
            )
        elif slug:
            first_row_of_slug[slug] = row_number
            # Columns absent from the file keep their stored values; present-but-blank cells clear them.
            present = set(reader.header)
            full = {column: values.get(column, _blank_for(column)) for column in PROGRAMME_COLUMNS if column in present}
            parsed[slug] = full
    if errors:
        raise CsvRejected(errors)
    if not parsed:
        raise CsvRejected([RowError(2, FILE_LEVEL, _("the file has a header but no programme rows"))])

    counts = ImportCounts()
    existing = {p.slug: p for p in Programme.objects.select_for_update(no_key=True).filter(slug__in=list(parsed))}
    for slug, values in parsed.items():
        values = {k: v for k, v in values.items() if k != "slug"}
        for column in ("status", "kpi_set"):  # blank: the default for a new row, unchanged for a stored one
            if values.get(column) in (None, ""):
                values.pop(column, None)
        programme = existing.get(slug)
        if programme is None:
            programme = Programme.objects.create(slug=slug, **values)
            access_event_record(
                programme=programme,
                actor=actor,
                action=AccessEvent.Action.PROGRAMME_CREATED,
                source="import_programmes",
            )
            counts.created += 1
            continue
        changed = [field for field, value in values.items() if _differs(getattr(programme, field), value)]
        if not changed:
            counts.unchanged += 1
            continue
        for field in changed:
            setattr(programme, field, values[field])
        _save_changes(programme, changed, actor=actor, source="import_programmes")
        counts.updated += 1
    return counts


def _blank_for(column: str):
    if column in ("latitude", "longitude"):
        return None
    if column == "languages":
        return []
    return ""


def _differs(stored, new) -> bool:
    if isinstance(stored, Decimal) or isinstance(new, Decimal):
        if stored is None or new is None:
            return stored is not new
        return Decimal(stored) != Decimal(new)
    return str(stored) != str(new) if not isinstance(stored, list) else stored != new


# --- Expected caseload -------------------------------------------------------------------------


@transaction.atomic
def expected_caseload_set(
    *, programme: Programme, year: int, non_spine: int, spine: int, actor=None
) -> ExpectedCaseload:
    if not may_manage_programme(actor, programme):
        raise PermissionDenied(_("Only the programme's lead or IOF staff can set its expected caseload."))
    errors = {}
    if year not in CASELOAD_YEARS:
        errors["year"] = _("the year must be between %(first)s and %(last)s, not %(year)s") % {
            "first": CASELOAD_YEARS.start,
            "last": CASELOAD_YEARS.stop - 1,
            "year": year,
        }
    for field, value in (("non_spine", non_spine), ("spine", spine)):
        if value < 0:
            errors[field] = _("an expected number of fractures cannot be negative (%(value)s)") % {"value": value}
        elif value > MAX_EXPECTED_FRACTURES:
            errors[field] = _("at most %(max)s fractures a year, not %(value)s") % {
                "max": f"{MAX_EXPECTED_FRACTURES:,}",
                "value": value,
            }
    if errors:
        raise ValidationError(errors)
    stored = ExpectedCaseload.objects.for_programme(programme).filter(year=year).first()
    if stored is not None and (stored.non_spine, stored.spine) == (non_spine, spine):
        return stored  # nothing changes: no log row, no recompute
    caseload, _created = ExpectedCaseload.objects.update_or_create(
        programme=programme, year=year, defaults={"non_spine": non_spine, "spine": spine}
    )
    access_event_record(
        programme=programme,
        actor=actor,
        action=AccessEvent.Action.CASELOAD_SET,
        year=year,
        non_spine=non_spine,
        spine=spine,
    )
    programme_mark_data_changed(programme=programme)
    return caseload


def programme_mark_data_changed(*, programme: Programme) -> None:
    """Record that this programme's data changed (KPIs read the mark), and tell listeners after commit.

    The mark is written in the caller's transaction, so it is never lost: even if the listeners
    cannot act (the broker is down), the periodic sweep finds programmes whose mark is newer than
    their last computation.
    """
    from programmes import hooks

    Programme.objects.filter(pk=programme.pk).update(data_changed_at=timezone.now())
    programme_id = programme.pk
    transaction.on_commit(lambda: hooks.data_changed(programme_id))


@transaction.atomic
def expected_caseload_remove(*, programme: Programme, year: int, actor=None) -> None:
    if not may_manage_programme(actor, programme):
        raise PermissionDenied(_("Only the programme's lead or IOF staff can change its expected caseload."))
    removed, _detail = ExpectedCaseload.objects.for_programme(programme).filter(year=year).delete()
    if removed:
        access_event_record(programme=programme, actor=actor, action=AccessEvent.Action.CASELOAD_REMOVED, year=year)
        programme_mark_data_changed(programme=programme)


# What a programme's lead edits on the Settings page; IOF staff edit every field in the admin.
LEAD_EDITABLE = frozenset(
    {
        "name",
        "institution",
        "city",
        "public_profile",
        "languages",
        "care_setting",
        "kpi_set",
        "time_zone",
        "record_number_system",
    }
)
ADMIN_EDITABLE = LEAD_EDITABLE | {"slug", "status", "country", "latitude", "longitude"}


@transaction.atomic
def programme_create(*, actor, **fields) -> Programme:
    if actor is not None and not authority_for(actor).can(Capability.PROGRAMMES_MANAGE):
        raise PermissionDenied(_("Only IOF staff can create programmes."))
    unknown = set(fields) - ADMIN_EDITABLE
    if unknown:
        raise ValueError(f"not a programme field: {sorted(unknown)}")
    programme = Programme(**fields)
    programme.full_clean()
    programme.save()
    access_event_record(programme=programme, actor=actor, action=AccessEvent.Action.PROGRAMME_CREATED)
    return programme


@transaction.atomic
def programme_update(*, programme: Programme, actor, **fields) -> Programme:
    """Change a programme's details: its lead (the Settings page's fields) or IOF staff (every field).

    A new KPI set marks the programme's data as changed, so its figures are recomputed at once.
    """
    manages_all = actor is None or authority_for(actor).can(Capability.PROGRAMMES_MANAGE)
    allowed = ADMIN_EDITABLE if manages_all else LEAD_EDITABLE
    if not manages_all and not authority_for(actor, programme).can(Capability.SETTINGS_MANAGE):
        raise PermissionDenied(_("Only the programme's lead or IOF staff can change its details."))
    unknown = set(fields) - allowed
    if unknown:
        raise PermissionDenied(f"not editable here: {sorted(unknown)}")
    programme = Programme.objects.select_for_update(no_key=True).get(pk=programme.pk)
    changes = {field: value for field, value in fields.items() if _differs(getattr(programme, field), value)}
    for field, value in changes.items():
        setattr(programme, field, value)
    programme.full_clean()
    if changes:
        _save_changes(programme, list(changes), actor=actor)
    return programme


def _save_changes(programme: Programme, changed: list[str], *, actor, **detail) -> None:
    """Save the changed fields (already set) with their log row; a new KPI set also marks the data
    changed (figures of the new set are needed at once)."""
    programme.save(update_fields=[*changed, "updated_at"])
    access_event_record(
        programme=programme, actor=actor, action=AccessEvent.Action.PROFILE_CHANGED, fields=sorted(changed), **detail
    )
    if "kpi_set" in changed:
        programme_mark_data_changed(programme=programme)
