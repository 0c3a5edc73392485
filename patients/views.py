from datetime import date

from django.conf import settings
from django.contrib import messages
from django.http import StreamingHttpResponse
from django.shortcuts import redirect, render
from django.template.backends.utils import csrf_input
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.generic import TemplateView

from accounts import clock
from patients import rules, selectors, services
from patients.exports import EXPORT_COLUMNS, episode_rows
from patients.forms import ContactForm, DeleteEpisodeForm, EpisodeForm, ImportForm, PatientForm
from patients.import_jobs import import_job_create, import_job_progress
from patients.importer import ImportRejected, csv_rows, episodes_import
from patients.models import ImportJob
from patients.pathway import episode_pathway
from programmes.authority import Capability
from programmes.csvio import CsvRejected, write_csv
from programmes.inputs import int_param
from programmes.models import AccessEvent
from programmes.permissions import ProgrammeView, ProgrammeViewMixin
from programmes.rls import scoped_stream
from programmes.services import access_event_record, patient_data_read
from programmes.tenancy import get_owned_or_404

PAGE_SIZES = (25, 50, 100, 200)


def _parse_day(value: str) -> date | None:
    try:
        return date.fromisoformat(value) if value else None
    except ValueError:
        return None


def page_size(params) -> int:
    """One of PAGE_SIZES (50 unless the query asks for another of them)."""
    value = params.get("per_page", "")
    return int(value) if value in {str(size) for size in PAGE_SIZES} else 50


def list_filters(params) -> dict:
    """The list's filters from a query string (shared by the page, the export and the API)."""
    site = params.get("site", "")
    status = params.get("status", "")
    sort = params.get("sort", "-fracture_date")
    return {
        "q": params.get("q", "")[:64],
        "site": site if site in rules.FRACTURE_SITES else "",
        "fracture_from": _parse_day(params.get("from", "")),
        "fracture_to": _parse_day(params.get("to", "")),
        "status": status if status in selectors.STATUS_LABELS else "",
        "sort": sort if sort in selectors.SORTS else "-fracture_date",
    }


class EpisodeListView(ProgrammeViewMixin, TemplateView):
    template_name = "patients/episode_list.html"

    def get_template_names(self):
        if self.request.htmx and self.request.htmx.target == "episode-results":
            return ["patients/_episode_results.html"]
        return [self.template_name]

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        filters = list_filters(self.request.GET)
        per_page = page_size(self.request.GET)
        page = selectors.episode_page(
            self.programme,
            today=clock.today(self.programme),
            page=self.request.GET.get("page"),
            per_page=per_page,
            **filters,
        )
        patient_data_read(self.request, self.programme, "episode_list", rows=len(page.object_list), page=page.number)
        query = self.request.GET.copy()
        query.pop("page", None)
        context.update(
            page=page,
            filters=filters,
            per_page=per_page,
            page_sizes=PAGE_SIZES,
            query=query.urlencode(),
            sites=rules.choices("fracture_site"),
            statuses=selectors.STATUS_LABELS,
            sorts=selectors.SORT_LABELS,
            episode_base=reverse("patients:episode_list", kwargs={"programme_slug": self.programme.slug}),
        )
        return context


class EpisodeFormMixin(ProgrammeViewMixin):
    template_name = "patients/episode_form.html"
    read_capability = Capability.PATIENTS_WRITE
    write_capability = Capability.PATIENTS_WRITE

    def render_form(self, form, *, episode=None, patient=None, status=200, stale=None):
        return render(
            self.request,
            self.template_name,
            {
                "form": form,
                "episode": episode,
                "patient": patient,
                "programme": self.programme,
                "stale": stale,
                "validate_url": reverse("patients:episode_validate", kwargs={"programme_slug": self.programme.slug})
                + (f"?episode={episode.pk}" if episode else ""),
            },
            status=status,
        )


class EpisodeCreateView(EpisodeFormMixin, ProgrammeView):
    """A new episode: for a new patient, or a re-fracture of a known one (?patient=ID)."""

    def _patient(self):
        patient_id = int_param(self.request.GET, "patient") or int_param(self.request.POST, "patient")
        return selectors.get_patient_for(self.programme, patient_id) if patient_id else None

    def _form(self, data=None):
        patient = self._patient()
        initial = {}
        if patient is not None:
            initial = {
                "patient_ref": patient.patient_ref,
                "sex": patient.sex,
                "birth_date": patient.birth_date.isoformat(),
            }
        return EpisodeForm(data, initial=initial, patient_locked=patient is not None), patient

    def get(self, request):
        form, patient = self._form()
        if patient is not None:  # the form shows the patient's reference and date of birth
            patient_data_read(request, self.programme, "episode_new", patient=patient.pk)
        return self.render_form(form, patient=patient)

    def post(self, request):
        form, patient = self._form(request.POST)
        form.is_valid()
        try:
            episode = services.episode_create(programme=self.programme, actor=request.user, values=form.values())
        except services.EpisodeInvalid as exc:
            form.add_domain_errors(exc.errors)
            return self.render_form(form, patient=patient, status=400)
        messages.success(request, _("Episode saved for patient %(ref)s.") % {"ref": episode.patient.patient_ref})
        return redirect("patients:episode_detail", programme_slug=self.programme.slug, pk=episode.pk)


class EpisodeUpdateView(EpisodeFormMixin, ProgrammeView):
    def get(self, request, pk):
        episode = selectors.get_episode_for(self.programme, pk)
        initial = rules.texts(episode.values())
        form = EpisodeForm(initial={**initial, "version": episode.version}, patient_locked=True)
        patient_data_read(request, self.programme, "episode_edit", episode=episode.pk)
        return self.render_form(form, episode=episode, patient=episode.patient)

    def post(self, request, pk):
        episode = selectors.get_episode_for(self.programme, pk)
        initial = rules.texts(episode.values())
        form = EpisodeForm(request.POST, initial=initial, patient_locked=True)
        form.is_valid()
        version = int_param(request.POST, "version", required=True)
        try:
            services.episode_update(episode=episode, actor=request.user, values=form.values(), expected_version=version)
        except services.StaleEdit as exc:
            return self.render_form(form, episode=episode, patient=episode.patient, status=409, stale=str(exc))
        except services.EpisodeInvalid as exc:
            form.add_domain_errors(exc.errors)
            return self.render_form(form, episode=episode, patient=episode.patient, status=400)
        messages.success(request, _("Episode saved."))
        return redirect("patients:episode_detail", programme_slug=self.programme.slug, pk=episode.pk)


class EpisodeValidateView(ProgrammeView):
    """Validation as the coordinator types (htmx): the same rules as saving, nothing written."""

    read_capability = Capability.PATIENTS_WRITE
    write_capability = Capability.PATIENTS_WRITE
    http_method_names = ["post"]

    def post(self, request):
        form = EpisodeForm(request.POST)
        form.is_valid()
        values = form.values()
        episode = None
        episode_id, patient_id = int_param(request.GET, "episode"), int_param(request.POST, "patient")
        if episode_id:
            episode = selectors.get_episode_for(self.programme, episode_id)
            values.update({f: v for f, v in episode.values().items() if f in rules.PATIENT_FIELDS})
            values = rules.texts(values)
        elif patient_id:
            patient = selectors.get_patient_for(self.programme, patient_id)
            values.update(patient_ref=patient.patient_ref, sex=patient.sex, birth_date=patient.birth_date.isoformat())
        errors = services.episode_check(programme=self.programme, values=values, episode=episode)
        touched = set(request.POST.getlist("touched")) or set(rules.COLUMNS)
        by_field: dict[str, list[str]] = {name: [] for name in rules.COLUMNS}
        for error in errors:
            by_field.setdefault(error.field, []).append(error.message)
        return render(
            request,
            "patients/_field_errors.html",
            {
                "fields": [(name, msgs if name in touched else []) for name, msgs in by_field.items()],
                "count": sum(len(m) for n, m in by_field.items() if n in touched),
            },
        )


class EpisodeDetailView(ProgrammeViewMixin, TemplateView):
    template_name = "patients/episode_detail.html"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        episode = selectors.get_episode_for(self.programme, kwargs["pk"])
        today = clock.today(self.programme)
        context.update(
            episode=episode,
            patient=episode.patient,
            other_episodes=selectors.patient_episodes(episode.patient).exclude(pk=episode.pk),
            pathway=episode_pathway(episode, selectors.programme_kpi_set(self.programme), today),
            fields=[
                (
                    rules.LABELS[name],
                    rules.label(name, getattr(episode, name)) if name in rules.ENUMS else getattr(episode, name),
                )
                for name in rules.EPISODE_FIELDS
            ],
            labels=rules.LABELS,
            today=today,
        )
        if self.access.can(Capability.PATIENTS_AUDIT):
            context["audit"] = selectors.audit_for_patient(self.programme, episode.patient_id)
        patient_data_read(self.request, self.programme, "episode", episode=episode.pk)
        return context


class EpisodeDeleteView(ProgrammeViewMixin, TemplateView):
    template_name = "patients/episode_delete.html"
    read_capability = Capability.PATIENTS_DELETE
    write_capability = Capability.PATIENTS_DELETE

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["episode"] = episode = selectors.get_episode_for(self.programme, kwargs["pk"])
        context["form"] = kwargs.get("form") or DeleteEpisodeForm(initial={"version": episode.version})
        if self.request.method == "GET":
            patient_data_read(self.request, self.programme, "episode_delete", episode=episode.pk)
        return context

    def post(self, request, pk):
        episode = selectors.get_episode_for(self.programme, pk)
        form = DeleteEpisodeForm(request.POST)
        if form.is_valid():
            try:
                services.episode_delete(
                    episode=episode,
                    actor=request.user,
                    reason=form.cleaned_data["reason"],
                    expected_version=form.cleaned_data.get("version"),
                )
            except services.StaleEdit as exc:
                form.add_error(None, str(exc))
            except services.EpisodeInvalid as exc:
                form.add_error("reason", exc.errors[0].message)
            else:
                messages.success(request, _("Episode deleted; the reason is kept in the audit trail."))
                return redirect("patients:episode_list", programme_slug=self.programme.slug)
        return self.render_to_response(self.get_context_data(pk=pk, form=form), status=400)


class PatientDetailView(ProgrammeViewMixin, TemplateView):
    template_name = "patients/patient_detail.html"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        patient = selectors.get_patient_for(self.programme, kwargs["pk"])
        context.update(patient=patient, episodes=selectors.patient_episodes(patient))
        patient_data_read(self.request, self.programme, "patient", patient=patient.pk)
        return context


class PatientUpdateView(ProgrammeViewMixin, TemplateView):
    template_name = "patients/patient_form.html"
    read_capability = Capability.PATIENTS_WRITE
    write_capability = Capability.PATIENTS_WRITE

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        patient = selectors.get_patient_for(self.programme, kwargs["pk"])
        context["patient"] = patient
        if self.request.method == "GET":
            patient_data_read(self.request, self.programme, "patient_edit", patient=patient.pk)
        context["form"] = kwargs.get("form") or PatientForm(
            initial={
                "version": patient.version,
                "patient_ref": patient.patient_ref,
                "sex": patient.sex,
                "birth_date": patient.birth_date.isoformat(),
            }
        )
        return context

    def post(self, request, pk):
        patient = selectors.get_patient_for(self.programme, pk)
        form = PatientForm(request.POST)
        if form.is_valid():
            data = form.cleaned_data
            try:
                services.patient_update(
                    patient=patient,
                    actor=request.user,
                    expected_version=data["version"],
                    values={f: data[f] for f in rules.PATIENT_FIELDS},
                )
            except services.StaleEdit as exc:
                form.add_error(None, str(exc))
                return self.render_to_response(self.get_context_data(pk=pk, form=form), status=409)
            except services.EpisodeInvalid as exc:
                for error in exc.errors:
                    form.add_error(error.field if error.field in form.fields else None, error.message)
            else:
                messages.success(request, _("Patient details saved."))
                return redirect("patients:patient_detail", programme_slug=self.programme.slug, pk=pk)
        return self.render_to_response(self.get_context_data(pk=pk, form=form), status=400)


class WorklistView(ProgrammeViewMixin, TemplateView):
    """Follow-up contacts due in the next 14 days or overdue, oldest first, a page at a time."""

    template_name = "patients/worklist.html"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        today = clock.today(self.programme)
        per_page = page_size(self.request.GET)
        group = self.request.GET.get("group", "")
        group = group if group in selectors.WORKLIST_GROUPS else ""
        worklist = selectors.followup_worklist(
            self.programme, today=today, page=self.request.GET.get("page"), per_page=per_page, group=group
        )
        patient_data_read(self.request, self.programme, "worklist", page=worklist.page.number)
        context.update(
            worklist=worklist,
            page=worklist.page,
            today=today,
            # Rendered once, not once per row of the page (the rows are most of the page's time).
            today_iso=today.isoformat(),
            csrf_input=csrf_input(self.request),
            group=group,
            per_page=per_page,
            page_sizes=PAGE_SIZES,
            query=f"per_page={per_page}" + (f"&group={group}" if group else ""),
            episode_base=reverse("patients:episode_list", kwargs={"programme_slug": self.programme.slug}),
        )
        return context


class RecordContactView(ProgrammeView):
    """Record a follow-up contact from the worklist (htmx replaces the row)."""

    read_capability = Capability.PATIENTS_WRITE
    write_capability = Capability.PATIENTS_WRITE
    http_method_names = ["post"]

    def post(self, request, pk):
        episode = selectors.get_episode_for(self.programme, pk)
        form = ContactForm(request.POST)
        error = None
        if form.is_valid():
            data = form.cleaned_data
            field = "first_followup_date" if data["contact"] == "first" else "second_followup_date"
            try:
                episode = services.episode_update(
                    episode=episode,
                    actor=request.user,
                    values={field: data["date"]},
                    expected_version=data["version"],
                    partial=True,
                )
            except services.StaleEdit as exc:
                error = str(exc)
            except services.EpisodeInvalid as exc:
                error = "; ".join(f"{rules.LABELS.get(e.field, e.field)}: {e.message}" for e in exc.errors)
        else:
            error = _("Give the date of the contact.")
        status = 200 if error is None else 400
        if not request.htmx:
            if error:
                messages.error(request, error)
            else:
                messages.success(request, _("Contact recorded."))
            return redirect("patients:worklist", programme_slug=self.programme.slug)
        return render(
            request,
            "patients/_worklist_recorded.html",
            {"episode": episode, "error": error, "programme": self.programme},
            status=status,
        )


class ImportView(ProgrammeViewMixin, TemplateView):
    template_name = "patients/import.html"
    read_capability = Capability.PATIENTS_WRITE
    write_capability = Capability.PATIENTS_WRITE

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context.setdefault("form", ImportForm())
        context["columns"] = rules.COLUMNS
        context["jobs"] = ImportJob.objects.for_programme(self.programme).defer("content", "errors")[:5]
        context["background_bytes"] = settings.PATIENTS_IMPORT_BACKGROUND_BYTES
        return context

    def post(self, request):
        form = ImportForm(request.POST, request.FILES)
        if not form.is_valid():
            return self.render_to_response(self.get_context_data(form=form), status=400)
        upload = form.cleaned_data["file"]
        if upload.size > settings.PATIENTS_IMPORT_BACKGROUND_BYTES:
            # A large file would hold this web worker for a minute: a Celery worker imports it.
            job = import_job_create(
                programme=self.programme, actor=request.user, filename=upload.name, content=upload.read()
            )
            return redirect("patients:import_job", programme_slug=self.programme.slug, pk=job.pk)
        try:
            counts = episodes_import(
                programme=self.programme, rows=csv_rows(upload), actor=request.user, source="upload", parallel=False
            )
        except (ImportRejected, CsvRejected) as exc:
            return self.render_to_response(
                self.get_context_data(
                    form=ImportForm(),
                    errors=[[e.row, e.column, e.message] for e in exc.errors],
                    total=exc.total,
                    filename=upload.name,
                ),
                status=400,
            )
        messages.success(request, _("%(name)s imported: %(counts)s.") % {"name": upload.name, "counts": counts})
        return redirect("patients:episode_list", programme_slug=self.programme.slug)


class ImportJobView(ProgrammeViewMixin, TemplateView):
    """A background import's progress, then its outcome (the state part refreshes itself by htmx)."""

    template_name = "patients/import_job.html"
    read_capability = Capability.PATIENTS_WRITE

    def get_template_names(self):
        if self.request.htmx:
            return ["patients/_import_job_state.html"]
        return [self.template_name]

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        job = get_owned_or_404(ImportJob.objects.defer("content"), self.programme, pk=kwargs["pk"])
        context["job"] = job
        context["rows_checked"] = import_job_progress(job)
        return context


class ExportView(ProgrammeView):
    """The programme's episodes as CSV, in the import format (filters of the list apply)."""

    read_capability = Capability.PATIENTS_EXPORT

    def get(self, request):
        filters = list_filters(request.GET)
        episodes = selectors.episode_list(self.programme, today=clock.today(self.programme), **filters)
        access_event_record(
            programme=self.programme,
            actor=request.user,
            action=AccessEvent.Action.EXPORTED,
            format="csv",
            # The search's shape, not its text: a typed patient reference would otherwise reach the log.
            filters={k: ("…" if k == "q" else str(v)) for k, v in filters.items() if v},
        )
        response = StreamingHttpResponse(
            scoped_stream(self.programme.pk, write_csv(episode_rows(episodes), EXPORT_COLUMNS)),
            content_type="text/csv; charset=utf-8",
        )
        stamp = clock.today(self.programme).isoformat()
        response["Content-Disposition"] = f'attachment; filename="{self.programme.slug}-episodes-{stamp}.csv"'
        return response
