"""Reads of the public face. Every public read here is a cross-programme read of programme-level facts
(name, place, languages, recognition, champion offer) and of stored aggregates (KpiResult); none
reads a patient or an episode row.

Who is shown publicly (``public_programmes``) is written once, here: active programmes holding a
valid recognition, and active programmes whose lead turned on "show us on the public map".
Candidates are never shown (they are not active). The map, the GeoJSON, the list, the profiles and
the figures all start from it.
"""

from __future__ import annotations

import re
from dataclasses import asdict, dataclass, fields
from datetime import date
from decimal import Decimal, InvalidOperation

from django.contrib.postgres.search import SearchQuery, SearchRank
from django.core.exceptions import ValidationError
from django.db.models import (
    BooleanField,
    Case,
    Count,
    ExpressionWrapper,
    F,
    IntegerField,
    OuterRef,
    Q,
    Subquery,
    Sum,
    Value,
    When,
)
from django.db.models.functions import Coalesce
from django.http import Http404
from django.utils import timezone
from django.utils.translation import gettext as _
from django_countries import countries

from clinical.kpi_sets import kpi_name
from kpis.models import KpiResult, PeriodKind
from mentorship.models import Topic
from mentorship.selectors import CHAMPION_LEVELS
from network import benefits
from network.models import (
    PARAMETER_NAMES,
    SEARCH_CONFIGS,
    CalculatorOverride,
    CalculatorParameters,
    Resource,
    ResourceKind,
    ResourceStatus,
)
from patients.models import Episode
from programmes.labels import choices as labelled_choices
from programmes.models import LANGUAGE_CODE_RE, CareSetting, Programme, ProgrammeStatus
from recognition.models import Recognition

LEVELS = ("gold", "silver", "bronze")
# Below this many episodes an aggregate is not shown ("fewer than 5"), by spec/public.md.
MINIMUM_EPISODES = 5


@dataclass(frozen=True)
class MapFilters:
    """The map's filters, as the page's form and the GeoJSON's query string carry them."""

    level: str = ""  # gold, silver, bronze, or "" for all
    country: str = ""  # ISO 3166 alpha-2
    language: str = ""  # ISO 639-1: the programme's languages or, for a champion, those it teaches in
    care_setting: str = ""
    champion: bool = False

    @classmethod
    def from_query(cls, query) -> MapFilters:
        """Read and check the filters; a wrong value raises ValidationError naming the field."""
        errors = {}
        level = (query.get("level") or "").strip().lower()
        if level and level not in LEVELS:
            errors["level"] = _("Choose gold, silver or bronze.")
        country = (query.get("country") or "").strip().upper()
        if country and country not in countries:
            errors["country"] = _("%(value)s is not an ISO country code (such as IT or RU).") % {"value": country[:10]}
        language = (query.get("language") or "").strip().lower()
        if language and not re.fullmatch(LANGUAGE_CODE_RE, language):
            errors["language"] = _("%(value)s is not a language code (such as it or ru).") % {"value": language[:10]}
        care_setting = (query.get("care_setting") or "").strip()
        if care_setting and care_setting not in CareSetting.values:
            errors["care_setting"] = _("Choose one of: %(choices)s.") % {"choices": ", ".join(CareSetting.values)}
        champion = (query.get("champion") or "").strip().lower()
        if champion not in ("", "0", "1", "true", "false", "on", "yes", "no"):
            errors["champion"] = _("Use 1 (champions only) or leave it out.")
        if errors:
            raise ValidationError(errors)
        return cls(level, country, language, care_setting, champion in ("1", "true", "on", "yes"))

    def as_params(self) -> dict[str, str]:
        """The filters that are set, for a query string (the map's shareable URL)."""
        params = {}
        for name, value in asdict(self).items():
            if value:
                params[name] = "1" if value is True else value
        return params

    @property
    def cache_key(self) -> str:
        return ":".join(str(getattr(self, f.name)) for f in fields(self))


def public_programmes(day: date | None = None):
    """Every programme shown publicly, with its valid recognition (level, valid until, certificate
    code) and whether it is an open champion site (its offer open and a silver or gold level)."""
    day = day or timezone.localdate()
    valid = (
        Recognition.objects.all_programmes()
        .filter(programme=OuterRef("pk"), revoked_at__isnull=True, valid_until__gte=day)
        .order_by("-decided_at")
    )
    return (
        Programme.objects.filter(status=ProgrammeStatus.ACTIVE)
        .annotate(
            level=Subquery(valid.values("level")[:1]),
            valid_until=Subquery(valid.values("valid_until")[:1]),
            verification_code=Subquery(valid.values("verification_code")[:1]),
            # One-to-one rows: plain left joins, no per-row subquery.
            offer_languages=Case(When(champion_offer__is_open=True, then=F("champion_offer__languages"))),
            show_on_map=Coalesce(F("public_listing__show_on_map"), Value(False)),
            show_kpi_bands=Coalesce(F("public_listing__show_kpi_bands"), Value(False)),
        )
        .annotate(
            is_champion=ExpressionWrapper(
                Q(offer_languages__isnull=False, level__in=CHAMPION_LEVELS), output_field=BooleanField()
            )
        )
        .filter(Q(level__isnull=False) | Q(show_on_map=True))
    )


def filtered(programmes, filters: MapFilters):
    if filters.level:
        programmes = programmes.filter(level=filters.level)
    if filters.country:
        programmes = programmes.filter(country=filters.country)
    if filters.language:
        programmes = programmes.filter(
            Q(languages__contains=[filters.language])
            | Q(is_champion=True, offer_languages__contains=[filters.language])
        )
    if filters.care_setting:
        programmes = programmes.filter(care_setting=filters.care_setting)
    if filters.champion:
        programmes = programmes.filter(is_champion=True)
    return programmes


MAP_FIELDS = ("slug", "name", "institution", "city", "country", "latitude", "longitude", "languages", "care_setting")
MAP_ANNOTATIONS = ("level", "valid_until", "is_champion", "offer_languages")


def map_programmes(filters: MapFilters = MapFilters(), day: date | None = None) -> list[dict]:
    """The map's programmes as plain rows (the list, the GeoJSON), each with its country's name."""
    rows = list(
        filtered(public_programmes(day), filters).order_by("country", "name").values(*MAP_FIELDS, *MAP_ANNOTATIONS)
    )
    names: dict[str, str] = {}
    for row in rows:
        code = row["country"]
        if code not in names:
            names[code] = str(countries.name(code))
        row["country_name"] = names[code]
    return rows


def public_programme(slug: str, day: date | None = None) -> Programme | None:
    """The programme if it is shown publicly, else None (a candidate, or not opted in)."""
    return public_programmes(day).filter(slug=slug).first()


def map_filter_choices(day: date | None = None) -> tuple[list[tuple[str, str]], list[tuple[str, str]]]:
    """The map's country and language filters, in one query: the countries of the programmes shown,
    and their languages and the champions' teaching ones, named for the reader."""
    countries_shown: set[str] = set()
    languages: set[str] = set()
    for country, spoken, taught in (
        public_programmes(day).order_by().values_list("country", "languages", "offer_languages")
    ):
        countries_shown.add(country)
        languages.update(spoken or ())
        languages.update(taught or ())
    return labelled_choices("country", countries_shown), labelled_choices("language", languages)


def network_summary(day: date | None = None) -> dict:
    """The live headline, in one query: programmes on the map, countries, recognised programmes by
    level, champion sites, and the episodes of this calendar year (from the stored yearly KPI
    results of active programmes), rounded to the nearest hundred; None below 5."""
    day = day or timezone.localdate()
    year_episodes = (
        KpiResult.objects.all_programmes()
        .filter(
            period_kind=PeriodKind.YEAR,
            period_start=date(day.year, 1, 1),
            programme__status=ProgrammeStatus.ACTIVE,
            kpi_set=F("programme__kpi_set"),
        )
        .order_by()
        .values("period_kind")
        .annotate(total=Sum("episodes"))
        .values("total")
    )
    # One row per programme shown (three short columns), counted here: aggregates over the annotated
    # rows would evaluate the recognition subquery once for each level's count.
    found = {"programmes": 0, "countries": 0, "gold": 0, "silver": 0, "bronze": 0, "champions": 0}
    countries_shown: set[str] = set()
    episodes = 0
    for country, level, is_champion, year_total in (
        public_programmes(day)
        .order_by()
        .annotate(year_total=Subquery(year_episodes, output_field=IntegerField()))
        .values_list("country", "level", "is_champion", "year_total")
    ):
        found["programmes"] += 1
        countries_shown.add(country)
        if level in LEVELS:
            found[level] += 1
        found["champions"] += bool(is_champion)
        episodes = year_total or 0  # the same on every row (one subquery, evaluated once)
    found["countries"] = len(countries_shown)
    rounded = round_to_hundred(episodes)
    return {
        **found,
        "recognised": found["gold"] + found["silver"] + found["bronze"],
        "year": day.year,
        "episodes_this_year": rounded or None,
        "episodes_this_year_note": None
        if rounded
        else ("fewer than 5" if episodes < MINIMUM_EPISODES else "fewer than 50"),
    }


def round_to_hundred(count: int) -> int:
    """Nearest hundred, halves up (250 -> 300); below 50 that is 0, which the figures show in words."""
    return (count + 50) // 100 * 100


def last_full_year_bands(programme: Programme, day: date | None = None) -> dict | None:
    """The KPI bands (words, never counts) of the last full calendar year, for a profile whose lead
    opted in. None when there are no stored figures; ``shown`` False below 5 episodes. A KPI whose
    denominator is below 5 shows no band."""
    day = day or timezone.localdate()
    result = (
        KpiResult.objects.for_programme(programme)
        .filter(kpi_set=programme.kpi_set, period_kind=PeriodKind.YEAR, period_start=date(day.year - 1, 1, 1))
        .first()
    )
    if result is None:
        return None
    if result.episodes < MINIMUM_EPISODES:
        return {"year": day.year - 1, "shown": False, "kpis": []}
    kpis = []
    for value in result.kpis:
        denominator = value.get("denominator")
        enough = denominator is not None and denominator >= MINIMUM_EPISODES
        name = kpi_name(result.kpi_set, value["code"], value["name"])
        kpis.append({"code": value["code"], "name": name, "band": value.get("band") if enough else None})
    return {"year": day.year - 1, "shown": True, "kpis": kpis}


SLUG_MARK = "slug-mark"
# The GeoJSON document is built by PostgreSQL in one statement (json_agg over the map's query): a
# thousand programmes take milliseconds and no Python object per programme.
FEATURE_COLLECTION_SQL = """
SELECT json_build_object('type', 'FeatureCollection', 'features', coalesce(json_agg(json_build_object(
    'type', 'Feature',
    'id', p.slug,
    'geometry', CASE WHEN p.latitude IS NULL OR p.longitude IS NULL THEN NULL ELSE json_build_object(
        'type', 'Point', 'coordinates', json_build_array(p.longitude::float8, p.latitude::float8)) END,
    'properties', json_build_object(
        'slug', p.slug, 'name', p.name, 'institution', p.institution, 'city', p.city, 'country', p.country,
        'country_name', %s::jsonb ->> p.country, 'languages', to_json(p.languages),
        'care_setting', p.care_setting, 'level', p.level, 'valid_until', p.valid_until,
        'champion', coalesce(p.is_champion, false),
        'teaching_languages', CASE WHEN p.is_champion THEN to_json(p.offer_languages) ELSE '[]'::json END,
        'profile_url', %s || p.slug || %s,
        'training_days_url', CASE WHEN p.is_champion THEN %s || p.slug || %s END)
) ORDER BY p.country, p.name, p.slug), '[]'::json))::text
FROM ({inner}) AS p
"""


def feature_collection_json(filters: MapFilters = MapFilters(), day: date | None = None) -> str:
    """The map's programmes as a GeoJSON FeatureCollection (RFC 7946), as text: programme-level
    facts only (spec/public.md, "The map"). A programme without coordinates is an unlocated Feature
    (geometry null); the list beside the map still shows it."""
    import json

    from django.db import connection
    from django.urls import reverse

    inner = filtered(public_programmes(day), filters).order_by().values(*MAP_FIELDS, *MAP_ANNOTATIONS)
    inner_sql, inner_params = inner.query.sql_with_params()
    profile = reverse("network:profile", kwargs={"slug": SLUG_MARK}).split(SLUG_MARK)
    days = reverse("mentorship:champion", kwargs={"slug": SLUG_MARK}).split(SLUG_MARK)
    names = json.dumps({code: str(name) for code, name in countries}, ensure_ascii=False)
    with connection.cursor() as cursor:
        cursor.execute(
            FEATURE_COLLECTION_SQL.format(inner=inner_sql),
            [names, *profile, *days, *inner_params],
        )
        return cursor.fetchone()[0]


# --- Benefits calculator ---------------------------------------------------------------------------


def calculator_periods(programme: Programme) -> list[KpiResult]:
    """The programme's stored 12-month periods (calendar years and the rolling year), newest first."""
    return list(
        KpiResult.objects.for_programme(programme)
        .filter(kpi_set=programme.kpi_set, period_kind__in=[PeriodKind.YEAR, PeriodKind.ROLLING])
        .order_by("-period_end", "period_kind")
    )


def calculator_cohort(programme: Programme, result: KpiResult) -> benefits.Cohort:
    """The registry's side of the model for one stored period: identified patients (KPI1 + KPI2
    numerators), the shares started (KPI8) and persisting (KPI10), and the fracture-site split of the
    period's episodes (one aggregate query of this programme's rows)."""

    def share(code):
        value = result.kpi(code) or {}
        return None if value.get("percent") is None else value["percent"] / 100

    identification = [result.kpi(code) or {} for code in ("KPI1", "KPI2")]
    denominators = [value.get("denominator") for value in identification]
    sites = dict(
        Episode.objects.for_programme(programme)
        .filter(fracture_date__range=(result.period_start, result.period_end))
        .order_by()
        .values_list("fracture_site")
        .annotate(count=Count("id"))
    )
    return benefits.Cohort(
        identified=sum(value.get("numerator") or 0 for value in identification),
        share_started=share("KPI8"),
        share_persisting=share("KPI10"),
        sites=sites,
        expected=sum(denominators) if all(d is not None for d in denominators) else None,
    )


@dataclass
class ParameterSet:
    """The parameters a calculation uses, each with where it came from and its source."""

    values: dict
    origins: dict  # name -> "country", "programme" or "page"
    sources: dict  # name -> citation ("" when none: "illustrative: set your own")
    country_parameters: CalculatorParameters | None
    override: CalculatorOverride | None

    @property
    def missing(self) -> list[str]:
        return [name for name in (*PARAMETER_NAMES, "currency") if self.values.get(name) in (None, "")]

    def as_model(self) -> benefits.Parameters:
        values = self.values
        return benefits.Parameters(
            currency=values["currency"],
            risk_overall=float(values["risk_overall"]),
            relative_risk_reduction=float(values["relative_risk_reduction"]),
            hip_share=float(values["hip_share"]),
            hip_cost=float(values["hip_cost"]),
            non_hip_cost=float(values["non_hip_cost"]),
            fls_annual_cost=float(values["fls_annual_cost"]),
            horizon_years=int(values["horizon_years"]),
            risk_by_site={site: float(risk) for site, risk in (values.get("risk_by_site") or {}).items()},
        )


def calculator_parameters(programme: Programme, page_values: dict | None = None) -> ParameterSet:
    """The country's defaults, then the programme's saved values, then this page's (already checked)."""
    country = CalculatorParameters.objects.filter(country=programme.country).first()
    override = CalculatorOverride.objects.filter(programme=programme).first()
    values: dict = {}
    origins: dict = {}
    layers = [
        ("country", _country_values(country) if country else {}),
        ("programme", override.values if override else {}),
        ("page", page_values or {}),
    ]
    for origin, layer in layers:
        for name, value in layer.items():
            if name == "risk_by_site":
                merged = dict(values.get("risk_by_site") or {})
                for site, risk in value.items():
                    if not _same(merged.get(site), risk):
                        merged[site] = risk
                        origins[f"risk_{site}"] = origin
                values["risk_by_site"] = merged
            elif value not in (None, "") and not _same(values.get(name), value):
                values[name] = value
                origins[name] = origin
    sources = {name: (country.sources.get(name, "") if country else "") for name in (*PARAMETER_NAMES, "risk_by_site")}
    return ParameterSet(values, origins, sources, country, override)


def _same(current, new) -> bool:
    """A value restated unchanged (a form sends back every field) keeps its origin and source."""
    if current in (None, ""):
        return False
    try:
        return Decimal(str(current)) == Decimal(str(new))
    except InvalidOperation:
        return str(current).strip().upper() == str(new).strip().upper()


def _country_values(country: CalculatorParameters) -> dict:
    values = {name: getattr(country, name) for name in PARAMETER_NAMES}
    values["currency"] = country.currency
    values["risk_by_site"] = dict(country.risk_by_site)
    return values


# --- Resource library --------------------------------------------------------------------------------


@dataclass(frozen=True)
class ResourceFilters:
    q: str = ""
    kind: str = ""
    language: str = ""
    country: str = ""
    topic: str = ""

    @classmethod
    def from_query(cls, query) -> ResourceFilters:
        def value(name, allowed=None, upper=False):
            found = (query.get(name) or "").strip()[:200]
            found = found.upper() if upper else found
            return found if allowed is None or found in allowed else ""

        language = value("language").lower()
        return cls(
            q=value("q"),
            kind=value("kind", ResourceKind.values),
            language=language if re.fullmatch(LANGUAGE_CODE_RE, language or "x1") else "",
            country=value("country", countries, upper=True),
            topic=value("topic", Topic.values),
        )


def search_query(text: str) -> SearchQuery:
    """The words as a web-style query in every language PostgreSQL stems, OR-ed: each resource's
    vector was built in its own language, so the query meets it stemmed the same way."""
    query = SearchQuery(text, config="simple", search_type="websearch")
    for config in sorted(set(SEARCH_CONFIGS.values())):
        query |= SearchQuery(text, config=config, search_type="websearch")
    return query


def resource_languages() -> list[tuple[str, str]]:
    """The languages of the published resources, named for the reader: the library's filter."""
    codes = set()
    for languages in Resource.objects.filter(status="published").values_list("languages", flat=True):
        codes.update(languages or ())
    return labelled_choices("language", codes)


def resource_search(filters: ResourceFilters, *, language: str = "", countries_of_reader: tuple[str, ...] = ()):
    """Published resources matching the filters; the reader's language and countries first, then by
    relevance (when searching) and title."""
    resources = Resource.objects.filter(status=ResourceStatus.PUBLISHED)
    if filters.kind:
        resources = resources.filter(kind=filters.kind)
    if filters.language:
        resources = resources.filter(languages__contains=[filters.language])
    if filters.country:
        resources = resources.filter(Q(countries=[]) | Q(countries__contains=[filters.country]))
    if filters.topic:
        resources = resources.filter(topics__contains=[filters.topic])
    order = []
    if language:
        resources = resources.annotate(
            in_my_language=ExpressionWrapper(Q(languages__contains=[language]), output_field=BooleanField())
        )
        order.append(F("in_my_language").desc())
    if countries_of_reader:
        resources = resources.annotate(
            in_my_country=ExpressionWrapper(
                Q(countries__overlap=list(countries_of_reader)), output_field=BooleanField()
            )
        )
        order.append(F("in_my_country").desc())
    if filters.q:
        query = search_query(filters.q)
        resources = resources.filter(search_vector=query).annotate(rank=SearchRank(F("search_vector"), query))
        order.append(F("rank").desc())
    return resources.order_by(*order, "title", "id")


def published_resource(pk) -> Resource:
    resource = Resource.objects.filter(pk=pk, status=ResourceStatus.PUBLISHED).first()
    if resource is None:
        raise Http404
    return resource


def resources_for_staff():
    """Proposals first (oldest first), then the rest by title: IOF staff's desk."""
    return Resource.objects.select_related("proposed_by", "proposed_for").order_by(
        Case(When(status=ResourceStatus.PROPOSED, then=Value(0)), default=Value(1)), "created_at", "title"
    )


def proposals_of(programme: Programme):
    return Resource.objects.filter(proposed_for=programme).order_by("-created_at")
