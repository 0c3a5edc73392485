from django.conf import settings
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.generic import TemplateView

from accounts import clock
from casefinding import readers, selectors, services
from casefinding.forms import DismissForm, FeedUploadForm
from casefinding.models import Candidate
from patients.forms import EpisodeForm
from patients.services import EpisodeInvalid
from programmes.authority import Capability
from programmes.permissions import ProgrammeView, ProgrammeViewMixin
from programmes.services import patient_data_read

PAGE_SIZE = 50


class InboxView(ProgrammeViewMixin, TemplateView):
    """Open candidates, oldest event first; the upload of a feed; the monthly counts. Viewers read."""

    template_name = "casefinding/inbox.html"
    read_capability = Capability.PROGRAMME_READ
    write_capability = Capability.PATIENTS_WRITE

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        page = Paginator(selectors.open_candidates(self.programme), PAGE_SIZE).get_page(self.request.GET.get("page"))
        patient_data_read(self.request, self.programme, "case_finding_inbox", rows=len(page.object_list))
        context.update(
            page=page,
            may_decide=self.access.can(Capability.PATIENTS_WRITE),
            upload_form=kwargs.get("upload_form") or FeedUploadForm(),
            dismiss_form=DismissForm(),
            months=selectors.monthly_counts(self.programme)[:12],
            max_bytes=settings.CASE_FINDING_MAX_BYTES,
            result=kwargs.get("result"),
        )
        return context

    def post(self, request, *args, **kwargs):
        form = FeedUploadForm(request.POST, request.FILES)
        if form.is_valid():
            upload = form.cleaned_data["file"]
            if upload.size > settings.CASE_FINDING_MAX_BYTES:
                form.add_error("file", _("The file is larger than the %(limit)s bytes accepted.") % {
                    "limit": settings.CASE_FINDING_MAX_BYTES})  # fmt: skip
            else:
                try:
                    counts = services.cases_find(
                        programme=self.programme,
                        content=upload.read(),
                        fmt=form.cleaned_data["format"] or None,
                        actor=request.user,
                        via="upload",
                    )
                except readers.Unreadable as exc:
                    form.add_error("file", _("%(problem)s. Nothing was stored.") % {"problem": exc})
                else:
                    messages.success(request, _summary(counts.as_dict()))
                    return redirect("casefinding:inbox", programme_slug=self.programme.slug)
        return self.render_to_response(self.get_context_data(upload_form=form), status=400)


def _summary(result: dict) -> str:
    excluded = sum(result["excluded"].values())
    return _(
        "%(records)s records read: %(candidates)s new candidates, %(duplicates)s duplicates, "
        "%(unchanged)s already read, %(excluded)s excluded."
    ) % {**result, "excluded": excluded}


class CandidateAcceptView(ProgrammeView):
    """The new-episode form filled in from the candidate; the candidate is accepted when it saves."""

    read_capability = Capability.PATIENTS_WRITE
    write_capability = Capability.PATIENTS_WRITE

    def _render(self, form, candidate, status=200):
        return render(
            self.request,
            "casefinding/accept.html",
            {
                "form": form,
                "programme": self.programme,
                "candidate": candidate,
                "validate_url": reverse("patients:episode_validate", kwargs={"programme_slug": self.programme.slug}),
            },
            status=status,
        )

    def _decided(self, candidate):
        messages.error(self.request, str(services.CandidateDecided(candidate).message))
        return redirect("casefinding:inbox", programme_slug=self.programme.slug)

    def get(self, request, pk):
        candidate = selectors.get_candidate_for(self.programme, pk)
        if candidate.status != Candidate.Status.OPEN:
            return self._decided(candidate)
        initial = {
            "patient_ref": candidate.patient_ref,
            "sex": candidate.sex if candidate.sex in ("female", "male", "other", "unknown") else "",
            "birth_date": candidate.birth_date.isoformat(),
            "fracture_date": candidate.event_date.isoformat(),
            "fracture_site": candidate.site,
            "spine_detection": candidate.spine_detection,
            "identification_date": clock.today(self.programme).isoformat(),
        }
        patient_data_read(request, self.programme, "case_finding_candidate", candidate=candidate.pk)
        return self._render(EpisodeForm(initial=initial), candidate)

    def post(self, request, pk):
        candidate = selectors.get_candidate_for(self.programme, pk)
        form = EpisodeForm(request.POST)
        form.is_valid()
        try:
            episode = services.candidate_accept(candidate=candidate, actor=request.user, values=form.values())
        except services.CandidateDecided:
            return self._decided(selectors.get_candidate_for(self.programme, pk))
        except EpisodeInvalid as exc:
            form.add_domain_errors(exc.errors)
            return self._render(form, candidate, status=400)
        messages.success(
            request,
            _("Candidate accepted: episode saved for patient %(ref)s.") % {"ref": episode.patient.patient_ref},
        )
        return redirect("patients:episode_detail", programme_slug=self.programme.slug, pk=episode.pk)


class CandidateDismissView(ProgrammeView):
    read_capability = Capability.PATIENTS_WRITE
    write_capability = Capability.PATIENTS_WRITE
    http_method_names = ["post"]

    def post(self, request, pk):
        candidate = selectors.get_candidate_for(self.programme, pk)
        form = DismissForm(request.POST)
        if not form.is_valid():
            messages.error(request, _("Not dismissed: choose a reason."))
            return redirect("casefinding:inbox", programme_slug=self.programme.slug)
        try:
            services.candidate_dismiss(
                candidate=candidate,
                actor=request.user,
                reason=form.cleaned_data["reason"],
                note=form.cleaned_data["note"],
            )
        except ValidationError as exc:
            messages.error(request, _("Not dismissed: %(problem)s") % {"problem": " ".join(exc.messages)})
        else:
            messages.success(request, _("Candidate %(ref)s dismissed.") % {"ref": candidate.patient_ref})
        return redirect("casefinding:inbox", programme_slug=self.programme.slug)
