"""Every write of the public face: a lead's public listing and calculator values, the resource
library (IOF staff curate, leads propose) and the calculator's parameters per country."""

from __future__ import annotations

import hashlib
import re
import zipfile
from dataclasses import dataclass
from datetime import date
from decimal import Decimal, InvalidOperation

from django.conf import settings
from django.contrib.postgres.search import SearchVector
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils.text import get_valid_filename
from django.utils.translation import gettext as _
from django_countries import countries

from mentorship.models import Topic
from network import public_cache
from network.models import (
    NUMERIC_PARAMETERS,
    PARAMETER_NAMES,
    SEARCH_CONFIGS,
    CalculatorOverride,
    CalculatorParameters,
    PublicListing,
    Resource,
    ResourceKind,
    ResourceStatus,
)
from network.permissions import NC
from programmes import locks
from programmes import services as programme_services
from programmes.authority import authority_for
from programmes.models import LANGUAGE_CODE_RE, AccessEvent, Programme
from recognition.services import EXTENSIONS, EditConflict, sniff_type

DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
PPTX = "application/vnd.openxmlformats-officedocument.presentationml.presentation"
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
# An Office Open XML file is a ZIP whose parts say what it is.
OFFICE_PARTS = (
    (DOCX, "word/document.xml", ".docx"),
    (PPTX, "ppt/presentation.xml", ".pptx"),
    (XLSX, "xl/workbook.xml", ".xlsx"),
)
# What an Office file may not carry into the public library: macros, ActiveX controls, embedded
# objects, and programs of any kind (a ZIP holds whatever was put in it).
ACTIVE_PARTS = ("vbaproject.bin", "vbadata.xml", "/activex/", "/embeddings/", "oleobject")
PROGRAM_EXTENSIONS = (".exe", ".dll", ".com", ".bat", ".cmd", ".msi", ".scr", ".ps1", ".vbs", ".js", ".jar", ".sh")


def active_content(upload) -> str | None:
    """The first part of an Office (ZIP) file that is a macro, a control, an embedded object or a
    program, or a content type that declares macros; None when there is none."""
    upload.seek(0)
    try:
        with zipfile.ZipFile(upload) as archive:
            for name in archive.namelist():
                lowered = "/" + name.lower()
                if any(part in lowered for part in ACTIVE_PARTS) or lowered.endswith(PROGRAM_EXTENSIONS):
                    return name
            if b"macroenabled" in archive.read("[Content_Types].xml").lower():
                return "[Content_Types].xml"
    except (zipfile.BadZipFile, OSError, ValueError, KeyError):
        return "?"
    finally:
        upload.seek(0)
    return None


# --- A programme's public listing ----------------------------------------------------------------


@transaction.atomic
def public_listing_save(
    *, programme: Programme, actor, show_on_map: bool, show_kpi_bands: bool, public_text: str, version: int | None
) -> PublicListing:
    """The lead's choices: on the map while not recognised, KPI bands on the profile, the public text."""
    if not authority_for(actor, programme).can(NC.PUBLISH):
        raise PermissionDenied(_("Only the programme's lead can change what it shows publicly."))
    Programme.objects.select_for_update(no_key=True).get(pk=programme.pk)
    listing = PublicListing.objects.filter(programme=programme).first() or PublicListing(programme=programme, version=0)
    if version is not None and listing.pk is not None and listing.version != version:
        raise EditConflict(_("Someone else changed these choices since you opened them. Nothing was saved: reload."))
    changed = [
        name
        for name, value in (("show_on_map", show_on_map), ("show_kpi_bands", show_kpi_bands))
        if getattr(listing, name) != value
    ]
    listing.show_on_map = show_on_map
    listing.show_kpi_bands = show_kpi_bands
    listing.version += 1
    listing.save()
    if changed:
        programme_services.access_event_record(
            programme=programme, actor=actor, action=AccessEvent.Action.PROFILE_CHANGED, fields=sorted(changed)
        )
    # The public text is the programme's own field: its service logs the change.
    programme_services.programme_update(programme=programme, actor=actor, public_profile=public_text.strip())
    transaction.on_commit(public_cache.bump)
    return listing


# --- Resource library ----------------------------------------------------------------------------


@dataclass
class ResourceInput:
    title: str
    summary: str
    kind: str
    languages: list[str]
    last_reviewed: date
    publisher: str = ""
    countries: list[str] | None = None
    topics: list[str] | None = None
    url: str = ""


TRANSITIONS = {
    # (from, to): (who, reason required)
    (ResourceStatus.PROPOSED, ResourceStatus.PUBLISHED): (NC.CURATE, False),
    (ResourceStatus.PROPOSED, ResourceStatus.DECLINED): (NC.CURATE, True),
    (ResourceStatus.PUBLISHED, ResourceStatus.RETIRED): (NC.CURATE, False),
    (ResourceStatus.RETIRED, ResourceStatus.PUBLISHED): (NC.CURATE, False),
}


def _check(values: ResourceInput) -> dict:
    errors = {}
    if not values.title.strip():
        errors["title"] = _("Give the resource a title.")
    if not values.summary.strip():
        errors["summary"] = _("Describe the resource in a sentence or two, in your own words.")
    if values.kind not in ResourceKind.values:
        errors["kind"] = _("Choose a kind of resource.")
    languages = [code.strip().lower() for code in values.languages if code.strip()]
    bad = [code for code in languages if not re.fullmatch(LANGUAGE_CODE_RE, code)]
    if not languages or bad:
        errors["languages"] = _("Give the resource's languages as codes such as en, fr, ru (found: %(bad)s).") % {
            "bad": ", ".join(bad) or "—"
        }
    country_codes = [code.strip().upper() for code in values.countries or [] if code.strip()]
    unknown = [code for code in country_codes if code not in countries]
    if unknown:
        errors["countries"] = _("Not ISO country codes: %(codes)s.") % {"codes": ", ".join(unknown)}
    topics = [topic for topic in values.topics or [] if topic]
    if set(topics) - set(Topic.values):
        errors["topics"] = _("Unknown topic: %(topics)s.") % {
            "topics": ", ".join(sorted(set(topics) - set(Topic.values)))
        }
    if errors:
        raise ValidationError(errors)
    return {
        "title": values.title.strip(),
        "summary": values.summary.strip(),
        "publisher": values.publisher.strip(),
        "kind": values.kind,
        "languages": list(dict.fromkeys(languages)),
        "countries": list(dict.fromkeys(country_codes)),
        "topics": [topic for topic in Topic.values if topic in topics],
        "url": values.url.strip(),
        "last_reviewed": values.last_reviewed,
    }


def sniff_resource_type(upload) -> tuple[str, str] | None:
    """(content type, extension) judged from the file's bytes, or None for any other kind of file."""
    upload.seek(0)
    head = upload.read(16)
    upload.seek(0)
    kind = sniff_type(head)  # PDF, PNG, JPEG: the signatures recognition's evidence uses
    if kind is not None:
        return kind, EXTENSIONS[kind]
    if head.startswith(b"PK\x03\x04"):
        try:
            with zipfile.ZipFile(upload) as archive:
                names = set(archive.namelist())
        except (zipfile.BadZipFile, OSError, ValueError):
            return None
        finally:
            upload.seek(0)
        if "[Content_Types].xml" in names:
            for kind, part, extension in OFFICE_PARTS:
                if part in names:
                    return kind, extension
    return None


def _attach(resource: Resource, upload) -> None:
    limit = settings.NETWORK_RESOURCE_MAX_BYTES
    if upload.size > limit:
        raise ValidationError(
            {
                "file": _("%(name)s is %(size)s MB; a resource file may be at most %(limit)s MB.")
                % {"name": upload.name, "size": round(upload.size / 1048576, 1), "limit": limit // 1048576}
            }
        )
    found = sniff_resource_type(upload)
    if found is None:
        raise ValidationError(
            {
                "file": _(
                    "%(name)s is not a PDF, DOCX, PPTX, XLSX, PNG or JPEG file (judged from its contents, not its name)."
                )
                % {"name": upload.name}
            }
        )
    content_type, extension = found
    if content_type in (DOCX, PPTX, XLSX):
        part = active_content(upload)
        if part is not None:
            raise ValidationError(
                {
                    "file": _(
                        "%(name)s holds macros, a control, an embedded object or a program (%(part)s): the library "
                        "takes documents only. Save it without macros (as .docx, .pptx or .xlsx) and upload it again."
                    )
                    % {"name": upload.name, "part": part}
                }
            )
    digest = hashlib.sha256()
    for chunk in upload.chunks():
        digest.update(chunk)
    upload.seek(0)
    stem = get_valid_filename(upload.name.rsplit(".", 1)[0])[:80] or "resource"
    resource.file_name = (stem + extension)[:200]
    resource.content_type = content_type
    resource.size = upload.size
    resource.file.save(f"{digest.hexdigest()[:24]}{extension}", upload, save=False)


def _index(resource: Resource) -> None:
    """The weighted search vector in the resource's first language (title A, summary B, publisher C)."""
    config = SEARCH_CONFIGS.get(resource.languages[0], "simple") if resource.languages else "simple"
    Resource.objects.filter(pk=resource.pk).update(
        search_config=config,
        search_vector=SearchVector("title", weight="A", config=config)
        + SearchVector("summary", weight="B", config=config)
        + SearchVector("publisher", weight="C", config=config),
    )
    resource.search_config = config


def _save_resource(resource: Resource, values: dict, upload, actor) -> Resource:
    previous = resource.file.name if resource.pk else ""
    for name, value in values.items():
        setattr(resource, name, value)
    if upload is not None:
        resource.url = ""
        _attach(resource, upload)
    elif values.get("url"):
        resource.file = ""
    if bool(resource.url) == bool(resource.file):
        raise ValidationError({"url": _("Give either a link or a file (not both, not neither).")})
    resource.full_clean(exclude=["file", "search_vector", "proposed_by", "proposed_for"])
    created = resource.pk is None
    resource.save()
    if previous and previous != resource.file.name:
        resource.file.storage.delete(previous)  # a replaced file goes with the change (one transaction)
    _index(resource)
    programme_services.access_event_record(
        programme=resource.proposed_for if created and resource.status == ResourceStatus.PROPOSED else None,
        actor=actor,
        action=AccessEvent.Action.RESOURCE_SAVED,
        resource=resource.pk,
        created=created,
    )
    transaction.on_commit(public_cache.bump)
    return resource


@transaction.atomic
def resource_create(*, actor, values: ResourceInput, upload=None) -> Resource:
    if not authority_for(actor).can(NC.CURATE):
        raise PermissionDenied(_("Only IOF staff curate the resource library."))
    return _save_resource(Resource(status=ResourceStatus.PUBLISHED, proposed_by=actor), _check(values), upload, actor)


@transaction.atomic
def resource_propose(*, programme: Programme, actor, values: ResourceInput, upload=None) -> Resource:
    """A lead proposes a resource; it is public only once IOF staff approve it."""
    if not authority_for(actor, programme).can(NC.PUBLISH):
        raise PermissionDenied(_("Only the programme's lead can propose a resource."))
    resource = Resource(status=ResourceStatus.PROPOSED, proposed_by=actor, proposed_for=programme)
    return _save_resource(resource, _check(values), upload, actor)


@transaction.atomic
def resource_update(*, resource: Resource, actor, values: ResourceInput, version: int, upload=None) -> Resource:
    if not authority_for(actor).can(NC.CURATE):
        raise PermissionDenied(_("Only IOF staff curate the resource library."))
    resource = Resource.objects.select_for_update().get(pk=resource.pk)
    if resource.version != version:
        raise EditConflict(_("Someone else changed this resource since you opened it. Nothing was saved: reload."))
    resource.version += 1
    return _save_resource(resource, _check(values), upload, actor)


@transaction.atomic
def resource_transition(*, resource: Resource, to: str, actor, reason: str = "") -> Resource:
    resource = Resource.objects.select_for_update().get(pk=resource.pk)
    rule = TRANSITIONS.get((resource.status, to))
    if rule is None:
        raise ValidationError(
            _("A resource that is %(state)s cannot become %(to)s.")
            % {
                "state": resource.get_status_display().lower(),
                "to": str(dict(ResourceStatus.choices).get(to, to)).lower(),
            }
        )
    capability, reason_required = rule
    if not authority_for(actor).can(capability):
        raise PermissionDenied(_("Only IOF staff curate the resource library."))
    if reason_required and not reason.strip():
        raise ValidationError({"reason": _("Say why, for the lead who proposed it.")})
    from_status = resource.status
    resource.status = to
    resource.decision_note = reason.strip() or resource.decision_note
    resource.version += 1
    resource.save(update_fields=["status", "decision_note", "version", "updated_at"])
    programme_services.access_event_record(
        programme=None,
        actor=actor,
        action=AccessEvent.Action.RESOURCE_MOVED,
        resource=resource.pk,
        **{"from": from_status, "to": to},
    )
    transaction.on_commit(public_cache.bump)
    return resource


# --- Calculator parameters -----------------------------------------------------------------------


def parse_parameters(values: dict) -> dict:
    """Check parameter values (from a form or a saved override): numbers within range; site risks
    as shares. Raises ValidationError naming each wrong field; returns the values as Decimal."""
    errors = {}
    parsed: dict = {}
    for name, is_share, bound in NUMERIC_PARAMETERS:
        raw = values.get(name)
        if raw in (None, ""):
            continue
        try:
            number = Decimal(str(raw))
        except InvalidOperation:
            errors[name] = _("Give a number.")
            continue
        if not number.is_finite() or number < 0 or number > bound:
            errors[name] = (
                _("Give a share between 0 and 1 (e.g. 0.25 for 25 %).")
                if is_share
                else _("Give a number between 0 and %(bound)s.") % {"bound": bound}
            )
            continue
        if name == "horizon_years" and (number != number.to_integral_value() or number < 1):
            errors[name] = _("Give a whole number of years from 1 to 10.")
            continue
        parsed[name] = number
    sites = {}
    for site, raw in (values.get("risk_by_site") or {}).items():
        try:
            number = Decimal(str(raw))
        except InvalidOperation:
            number = Decimal(-1)
        if not number.is_finite() or not 0 <= number <= 1:
            errors[f"risk_{site}"] = _("Give a share between 0 and 1.")
        else:
            sites[site] = number
    if "risk_by_site" in values:
        parsed["risk_by_site"] = sites
    currency = (values.get("currency") or "").strip().upper()
    if currency:
        if len(currency) != 3 or not currency.isalpha():
            errors["currency"] = _("Give a three-letter currency code such as EUR, GBP, RUB.")
        parsed["currency"] = currency
    if errors:
        raise ValidationError(errors)
    return parsed


@transaction.atomic
def calculator_parameters_save(*, actor, country: str, values: dict, sources: dict, version: int | None):
    """IOF staff set a country's defaults, each with its source (empty: "illustrative: set your own")."""
    if not authority_for(actor).can(NC.CURATE):
        raise PermissionDenied(_("Only IOF staff set the calculator's parameters."))
    parsed = parse_parameters(values)
    missing = [name for name in (*PARAMETER_NAMES, "currency") if name not in parsed]
    if missing:
        raise ValidationError({name: _("This parameter is needed.") for name in missing})
    locks.serialize(f"network.calculator.{country}")  # the first save of a country has no row to lock
    current = CalculatorParameters.objects.select_for_update().filter(country=country).first()
    if current is None:
        current = CalculatorParameters(country=country, version=0)
    elif version is not None and current.version != version:
        raise EditConflict(_("Someone else changed these parameters since you opened them. Nothing was saved."))
    for name, value in parsed.items():
        setattr(current, name, {k: str(v) for k, v in value.items()} if name == "risk_by_site" else value)
    current.sources = {name: text.strip() for name, text in sources.items() if text and text.strip()}
    current.updated_by = actor
    current.version += 1
    current.full_clean()
    current.save()
    programme_services.access_event_record(
        programme=None,
        actor=actor,
        action=AccessEvent.Action.CALCULATOR_PARAMETERS_SAVED,
        country=country,
        version=current.version,
    )
    return current


@transaction.atomic
def calculator_override_save(*, programme: Programme, actor, values: dict, version: int | None) -> CalculatorOverride:
    """The lead's own values for the programme; an empty value returns to the country's default."""
    if not authority_for(actor, programme).can(NC.PUBLISH):
        raise PermissionDenied(_("Only the programme's lead can save the programme's own calculator values."))
    parsed = parse_parameters(values)
    Programme.objects.select_for_update(no_key=True).get(pk=programme.pk)
    current = CalculatorOverride.objects.filter(programme=programme).first() or CalculatorOverride(
        programme=programme, version=0
    )
    if version is not None and current.pk is not None and current.version != version:
        raise EditConflict(_("Someone else saved the programme's values since you opened them. Nothing was saved."))
    current.values = {
        name: ({k: str(v) for k, v in value.items()} if name == "risk_by_site" else str(value))
        for name, value in parsed.items()
    }
    current.updated_by = actor
    current.version += 1
    current.save()
    programme_services.access_event_record(
        programme=programme, actor=actor, action=AccessEvent.Action.PROFILE_CHANGED, fields=["calculator"]
    )
    return current
