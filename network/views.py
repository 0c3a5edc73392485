"""The public face's pages: the map and its list, public profiles, the resource library (public);
a lead's public listing, resource proposals and the benefits calculator (programme pages); IOF
staff's library desk and calculator parameters."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import FileResponse, Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone
from django.utils.http import urlencode
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from django.views.generic import TemplateView
from django_countries import countries

from mentorship import selectors as mentorship_selectors
from mentorship.models import Topic
from network import benefits, markup, public_cache, selectors, services
from network.forms import CountryForm, MapFilterForm, ParametersForm, PublicListingForm, ResourceForm
from network.models import (
    NUMERIC_PARAMETERS,
    CalculatorParameters,
    PublicListing,
    Resource,
    ResourceKind,
    ResourceStatus,
)
from network.permissions import NC
from network.public_cache import summary
from programmes import services as programme_services
from programmes.forms import add_refusal, refusal_messages
from programmes.inputs import int_param
from programmes.labels import label, language_codes
from programmes.maps import tile_context, with_tiles
from programmes.models import AccessEvent
from programmes.permissions import GlobalCapabilityRequired, ProgrammeViewMixin

# --- Public: the map, profiles ------------------------------------------------------------------------


def map_page(request):
    """The map and, beside it, the same programmes as a list (keyboard and screen-reader users
    never depend on the map). Filters are a GET form, so the URL can be shared."""
    try:
        filters = selectors.MapFilters.from_query(request.GET)
        errors = {}
    except ValidationError as exc:
        filters, errors = selectors.MapFilters(), exc.message_dict
    language = get_language()
    choices, languages = (
        list(found) for found in public_cache.cached_value(f"map-choices:{language}", selectors.map_filter_choices)
    )
    asked = (request.GET.get("country") or "").strip().upper()
    if asked in countries and asked not in dict(choices):
        choices.append((asked, label("country", asked)))  # a country with no programme shown: no result
    spoken = (request.GET.get("language") or "").strip().lower()
    if spoken in language_codes() and spoken not in dict(languages):
        languages.append((spoken, label("language", spoken)))  # a language nobody shown speaks: no result
    form = MapFilterForm(request.GET or None, country_choices=choices, language_choices=languages)
    if form.is_bound:
        form.is_valid()
        for field, field_errors in errors.items():
            if field in form.fields and not form.has_error(field):
                form.add_error(field, field_errors)
    query = urlencode(filters.as_params())
    response = render(
        request,
        "network/map.html",
        {
            "form": form,
            "filters": filters,
            "programmes": public_cache.cached_value(
                f"map-rows:{language}:{filters.cache_key}", lambda: selectors.map_programmes(filters)
            ),
            "figures": summary(),
            "geojson_url": reverse("api_public_geojson") + (f"?{query}" if query else ""),
            **tile_context(),
        },
        status=400 if errors else 200,
    )
    return with_tiles(response)


def profile(request, slug):
    programme = selectors.public_programme(slug)
    if programme is None:
        raise Http404  # the same answer for a candidate, a programme not on the map, and no programme
    days = []
    if programme.is_champion:
        today = timezone.localdate()
        days = [d for d in mentorship_selectors.days_of_champion(programme) if d.date >= today][::-1][:4]
    return render(
        request,
        "network/profile.html",
        {
            "programme": programme,
            "public_text": markup.render(programme.public_profile),
            "bands": selectors.last_full_year_bands(programme) if programme.show_kpi_bands else None,
            "days": days,
            "verify_url": reverse("recognition_verify", kwargs={"code": programme.verification_code})
            if programme.verification_code
            else None,
        },
    )


# --- Public: the resource library --------------------------------------------------------------------


def _reader_countries(user) -> tuple[str, ...]:
    if not user.is_authenticated:
        return ()
    found = {membership.programme.country.code for membership in user.memberships.select_related("programme")}
    if user.country:
        found.add(user.country.code)
    return tuple(sorted(found))


def resources(request):
    filters = selectors.ResourceFilters.from_query(request.GET)
    found = selectors.resource_search(
        filters,
        language=(get_language() or "en")[:2] if request.user.is_authenticated else "",
        countries_of_reader=_reader_countries(request.user),
    )
    page = Paginator(found, 20).get_page(request.GET.get("page"))
    for resource in page:
        resource.summary_html = markup.render(resource.summary)
    params = {name: value for name, value in vars(filters).items() if value}
    return render(
        request,
        "network/resources.html",
        {
            "filters": filters,
            "page": page,
            "query": urlencode(params),
            "kinds": ResourceKind.choices,
            "topics": Topic.choices,
            "countries": list(countries),
            "languages": selectors.resource_languages(),
        },
    )


def resource(request, resource_id):
    item = selectors.published_resource(resource_id)
    return render(
        request,
        "network/resource.html",
        {"resource": item, "summary_html": markup.render(item.summary), "topics": dict(Topic.choices)},
    )


def resource_file(request, resource_id):
    """A published resource's file, or (for IOF staff and the proposing programme's lead) a proposal's."""
    item = Resource.objects.filter(pk=resource_id).exclude(file="").first()
    if item is None:
        raise Http404
    if item.status != ResourceStatus.PUBLISHED and not _may_see_proposal(request.user, item):
        raise Http404
    response = FileResponse(item.file.open("rb"), content_type=item.content_type, as_attachment=True)
    response["Content-Disposition"] = f'attachment; filename="{item.file_name}"'
    response["X-Content-Type-Options"] = "nosniff"
    return response


def _may_see_proposal(user, item: Resource) -> bool:
    from programmes.authority import authority_for

    if authority_for(user).can(NC.CURATE):
        return True
    return item.proposed_for is not None and authority_for(user, item.proposed_for).can(NC.PUBLISH)


# --- A programme's lead: public listing, proposals --------------------------------------------------


class PublicListingView(ProgrammeViewMixin, TemplateView):
    template_name = "network/listing.html"
    read_capability = NC.PUBLISH
    write_capability = NC.PUBLISH

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        listing = PublicListing.objects.filter(programme=self.programme).first()
        context["form"] = kwargs.get("form") or PublicListingForm(
            initial={
                "show_on_map": listing.show_on_map if listing else False,
                "show_kpi_bands": listing.show_kpi_bands if listing else False,
                "public_text": self.programme.public_profile,
                "version": listing.version if listing else None,
            }
        )
        context["shown"] = selectors.public_programme(self.programme.slug) is not None
        context["preview"] = markup.render(self.programme.public_profile)
        context["proposals"] = selectors.proposals_of(self.programme)
        return context

    def post(self, request, *args, **kwargs):
        form = PublicListingForm(request.POST)
        if form.is_valid():
            try:
                services.public_listing_save(programme=self.programme, actor=request.user, **form.cleaned_data)
            except (ValidationError, PermissionDenied) as exc:
                add_refusal(form, exc)
            else:
                messages.success(request, _("Your public profile choices are saved."))
                return redirect("network:listing", programme_slug=self.programme.slug)
        return self.render_to_response(self.get_context_data(form=form), status=400)


class ResourceProposeView(ProgrammeViewMixin, TemplateView):
    template_name = "network/resource_form.html"
    read_capability = NC.PUBLISH
    write_capability = NC.PUBLISH

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["form"] = kwargs.get("form") or ResourceForm()
        context["proposing"] = True
        return context

    def post(self, request, *args, **kwargs):
        form = ResourceForm(request.POST, request.FILES)
        if form.is_valid():
            try:
                services.resource_propose(
                    programme=self.programme,
                    actor=request.user,
                    values=form.resource_input(),
                    upload=form.cleaned_data.get("file"),
                )
            except (ValidationError, PermissionDenied) as exc:
                add_refusal(form, exc)
            else:
                messages.success(request, _("Thank you: IOF staff will review your proposal before it is public."))
                return redirect("network:listing", programme_slug=self.programme.slug)
        return self.render_to_response(self.get_context_data(form=form), status=400)


# --- The benefits calculator ----------------------------------------------------------------------------


def _period_key(result) -> str:
    return f"{result.period_kind}:{result.period_start.isoformat()}"


class BenefitsView(ProgrammeViewMixin, TemplateView):
    """What the programme's secondary-fracture prevention is worth, from its own stored KPIs. Any
    member tries values on the page (GET, so the PDF link carries them); the lead saves them."""

    template_name = "network/benefits.html"
    read_capability = NC.CALCULATE
    write_capability = NC.PUBLISH

    def calculation(self, data=None) -> dict:
        periods = selectors.calculator_periods(self.programme)
        wanted = (data or self.request.GET).get("period", "")
        result = next((r for r in periods if _period_key(r) == wanted), None) or _default_period(periods)
        bound = data if data is not None else (self.request.GET if "apply" in self.request.GET else None)
        if bound is None:  # the form shows the values in force
            parameters = selectors.calculator_parameters(self.programme)
            form = ParametersForm(initial=_initial_values(parameters))
        else:
            form = ParametersForm(bound)
            page_values = {}
            if form.is_valid():
                try:
                    page_values = services.parse_parameters(form.parameter_values())
                except ValidationError as exc:
                    add_refusal(form, exc)
            parameters = selectors.calculator_parameters(self.programme, page_values)
        calculation = {
            "periods": [(_period_key(r), r) for r in periods],
            "result": result,
            "parameters": parameters,
            "form": form,
            "rows": _parameter_rows(parameters, form),
        }
        if form.is_bound and form.errors:
            return calculation
        if result is not None and not parameters.missing:
            cohort = selectors.calculator_cohort(self.programme, result)
            model = parameters.as_model()
            calculation["cohort"] = cohort
            calculation["green_cohort"] = benefits.all_green(cohort)
            calculation["as_is"] = benefits.estimate(cohort, model)
            calculation["green"] = benefits.estimate(calculation["green_cohort"], model)
            calculation["currency"] = model.currency
        return calculation

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context.update(self.calculation(kwargs.get("data")))
        context["may_save"] = self.access.can(NC.PUBLISH)
        context["pdf_query"] = self.request.GET.urlencode()
        context["save_values"] = [
            (name, value) for name, value in self.request.GET.items() if name not in ("apply", "period")
        ]
        return context

    def post(self, request, *args, **kwargs):
        """The lead saves the values on the page as the programme's own (empty: the country's)."""
        form = ParametersForm(request.POST)
        if form.is_valid():
            override = selectors.calculator_parameters(self.programme).override
            try:
                services.calculator_override_save(
                    programme=self.programme,
                    actor=request.user,
                    values=form.parameter_values(),
                    version=form.cleaned_data.get("version") if override else None,
                )
            except (ValidationError, PermissionDenied) as exc:
                add_refusal(form, exc)
            else:
                messages.success(request, _("The programme's own values are saved."))
                return redirect("network:benefits", programme_slug=self.programme.slug)
        return self.render_to_response(self.get_context_data(data=request.POST), status=400)


class BenefitsPDFView(BenefitsView):
    http_method_names = ["get"]

    def get(self, request, *args, **kwargs):
        from weasyprint import HTML  # slow to import: only where a PDF is really rendered

        context = self.get_context_data()
        if "as_is" not in context:
            raise Http404
        html = render_to_string("network/benefits_pdf.html", context, request=request)
        pdf = HTML(string=html, base_url=request.build_absolute_uri("/")).write_pdf()
        programme_services.access_event_record(
            programme=self.programme, actor=request.user, action=AccessEvent.Action.EXPORTED, what="benefits_pdf"
        )
        response = HttpResponse(pdf, content_type="application/pdf")
        response["Content-Disposition"] = f'attachment; filename="{self.programme.slug}-benefits.pdf"'
        return response


def _default_period(periods):
    """The newest period whose KPI8 and KPI10 both have figures (KPI10 needs a year of follow-up),
    else the newest."""
    complete = [r for r in periods if all((r.kpi(code) or {}).get("percent") is not None for code in ("KPI8", "KPI10"))]
    return (complete or periods or [None])[0]


def _initial_values(parameters: selectors.ParameterSet) -> dict:
    values = {name: value for name, value in parameters.values.items() if name != "risk_by_site"}
    values.update({f"risk_{site}": risk for site, risk in (parameters.values.get("risk_by_site") or {}).items()})
    if parameters.override is not None:
        values["version"] = parameters.override.version
    return values


def _parameter_rows(parameters: selectors.ParameterSet, form: ParametersForm) -> list[dict]:
    """Each parameter with its value, origin and source (or "illustrative: set your own")."""
    labels = {name: field.label for name, field in form.fields.items()}
    rows = [
        {
            "name": "currency",
            "label": labels["currency"],
            "value": parameters.values.get("currency"),
            "origin": parameters.origins.get("currency"),
        }
    ]
    for name, is_share, _bound in NUMERIC_PARAMETERS:
        rows.append(
            {
                "name": name,
                "label": labels[name],
                "value": parameters.values.get(name),
                "share": is_share,
                "origin": parameters.origins.get(name),
                "source": parameters.sources.get(name, ""),
            }
        )
    for site, risk in sorted((parameters.values.get("risk_by_site") or {}).items()):
        rows.append(
            {
                "name": f"risk_{site}",
                "label": labels[f"risk_{site}"],
                "value": risk,
                "share": True,
                "origin": parameters.origins.get(f"risk_{site}"),
                "source": parameters.sources.get("risk_by_site", ""),
            }
        )
    return rows


# --- IOF staff: the library and the calculator's parameters -------------------------------------------


class StaffResourcesView(GlobalCapabilityRequired, TemplateView):
    template_name = "network/staff_resources.html"
    required_capability = NC.CURATE

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["resources"] = selectors.resources_for_staff()
        return context

    def post(self, request, *args, **kwargs):
        item = get_object_or_404(Resource, pk=int_param(request.POST, "resource", required=True))
        try:
            services.resource_transition(
                resource=item, to=request.POST.get("to", ""), actor=request.user, reason=request.POST.get("reason", "")
            )
        except (ValidationError, PermissionDenied) as exc:
            refusal_messages(request, exc)
        else:
            item.refresh_from_db()
            messages.success(
                request, _("%(title)s: %(state)s.") % {"title": item.title, "state": item.get_status_display()}
            )
        return redirect("network:staff_resources")


class StaffResourceEditView(GlobalCapabilityRequired, TemplateView):
    template_name = "network/resource_form.html"
    required_capability = NC.CURATE

    def resource(self):
        resource_id = self.kwargs.get("resource_id")
        return get_object_or_404(Resource, pk=resource_id) if resource_id else None

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        item = self.resource()
        context["resource"] = item
        context["form"] = kwargs.get("form") or ResourceForm(initial=ResourceForm.initial_for(item) if item else None)
        return context

    def post(self, request, *args, **kwargs):
        item = self.resource()
        form = ResourceForm(request.POST, request.FILES)
        if form.is_valid():
            upload = form.cleaned_data.get("file")
            try:
                if item is None:
                    services.resource_create(actor=request.user, values=form.resource_input(), upload=upload)
                else:
                    services.resource_update(
                        resource=item,
                        actor=request.user,
                        values=form.resource_input(),
                        version=form.cleaned_data.get("version") or 0,
                        upload=upload,
                    )
            except (ValidationError, PermissionDenied) as exc:
                add_refusal(form, exc)
            else:
                messages.success(request, _("Resource saved."))
                return redirect("network:staff_resources")
        return self.render_to_response(self.get_context_data(form=form), status=400)


class StaffCalculatorView(GlobalCapabilityRequired, TemplateView):
    """Every country's calculator defaults, and the form for one country (new or existing)."""

    template_name = "network/staff_calculator.html"
    required_capability = NC.CURATE

    def country(self) -> str:
        code = (self.request.GET.get("country") or self.request.POST.get("country") or "").upper()
        return code if code in countries else ""

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        code = self.country()
        current = CalculatorParameters.objects.filter(country=code).first() if code else None
        initial = None
        if current is not None:
            initial = {name: getattr(current, name) for name, _s, _b in NUMERIC_PARAMETERS}
            initial.update({f"risk_{site}": risk for site, risk in current.risk_by_site.items()})
            initial.update({f"source_{name}": text for name, text in current.sources.items()})
            initial.update(currency=current.currency, version=current.version)
        context["all_parameters"] = CalculatorParameters.objects.all()
        context["country"] = code
        context["country_name"] = countries.name(code) if code else ""
        context["country_form"] = CountryForm(initial={"country": code})
        context["form"] = kwargs.get("form") or ParametersForm(initial=initial, with_sources=True)
        return context

    def post(self, request, *args, **kwargs):
        code = self.country()
        form = ParametersForm(request.POST, with_sources=True)
        if not code:
            form.is_valid()
            form.add_error(None, _("Choose a country."))
        elif form.is_valid():
            try:
                services.calculator_parameters_save(
                    actor=request.user,
                    country=code,
                    values=form.parameter_values(),
                    sources=form.sources(),
                    version=form.cleaned_data.get("version"),
                )
            except (ValidationError, PermissionDenied) as exc:
                add_refusal(form, exc)
            else:
                messages.success(request, _("Parameters for %(country)s saved.") % {"country": countries.name(code)})
                return redirect(reverse("network:staff_calculator") + "?" + urlencode({"country": code}))
        return self.render_to_response(self.get_context_data(form=form), status=400)
