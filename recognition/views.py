"""Recognition pages: the programme's application (lead), the reviewer's desk, IOF staff's desk,
the public catalogue and certificate verification. Views parse, call one service, render."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import FileResponse, Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.html import escape
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views import View
from django.views.generic import TemplateView

from accounts import clock
from accounts.models import User
from casefinding.selectors import period_totals as case_finding_totals
from programmes.forms import add_refusal, refusal_messages
from programmes.inputs import int_param
from programmes.permissions import GlobalCapabilityRequired, ProgrammeViewMixin
from recognition import scoring, selectors, services
from recognition.certificate import certificate_pdf
from recognition.forms import AssignForm, CommentForm, DomainsForm, EvidenceForm, StartForm
from recognition.models import Application, EvidenceFile, Recognition, ReviewAssignment, State
from recognition.permissions import RC, application_can


def _pair_key(standard: int, domain: str) -> str:
    return f"{standard}-{domain}"


def _missing_reasons(problems) -> dict[str, str]:
    """Pair key → what it lacks, for the pairs scored unlike the suggestion without a reason."""
    return {problem.key: problem.message for problem in problems if problem.kind == "no_reason"}


def _parse_pair(value: str) -> tuple[int, str]:
    number, _sep, domain = value.partition("-")
    if not number.isdigit() or domain not in scoring.DOMAINS:
        raise ValidationError(_("Unknown standard or domain."))
    return int(number), domain


# --- Programme side --------------------------------------------------------------------------------


class ProgrammeRecognitionView(ProgrammeViewMixin, TemplateView):
    """The programme's applications and current recognition; the lead starts a new application."""

    template_name = "recognition/programme.html"
    read_capability = RC.READ
    write_capability = RC.APPLY

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["applications"] = selectors.programme_applications(self.programme)
        context["recognition"] = selectors.current_recognition(self.programme)
        context["start_form"] = kwargs.get("start_form") or StartForm(
            initial={"period_start": services.latest_period_start(clock.today(self.programme))}
        )
        context["catalogue"] = selectors.current_catalogue()
        return context

    def post(self, request, *args, **kwargs):
        form = StartForm(request.POST)
        if form.is_valid():
            try:
                application = services.application_start(
                    programme=self.programme, actor=request.user, **form.cleaned_data
                )
            except (ValidationError, PermissionDenied) as exc:
                add_refusal(form, exc)
            else:
                messages.success(request, _("Application started; the KPI figures are frozen into it."))
                return redirect(application_url(application))
        return self.render_to_response(self.get_context_data(start_form=form), status=400)


def application_url(application: Application) -> str:
    return reverse(
        "recognition:application",
        kwargs={"programme_slug": application.programme.slug, "application_id": application.pk},
    )


class ApplicationMixin(ProgrammeViewMixin):
    read_capability = RC.READ
    write_capability = RC.APPLY

    def get_application(self) -> Application:
        if not hasattr(self, "_application"):
            self._application = selectors.get_application_for_programme(self.programme, self.kwargs["application_id"])
        return self._application


class ApplicationView(ApplicationMixin, TemplateView):
    """The form the lead walks, domain by domain and standard by standard; read-only once submitted."""

    template_name = "recognition/application.html"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        application = self.get_application()
        context.update(application_context(application))
        context["domains_form"] = kwargs.get("domains_form") or DomainsForm(
            initial={"domains": application.domains, "version": application.version}
        )
        context["evidence_form"] = EvidenceForm()
        context["checklist"] = services.submission_checklist(application)
        context["conflicts"] = kwargs.get("conflicts", [])
        context["may_apply"] = services.may_apply(self.request.user, application)
        context["returned_comments"] = selectors.returned_comments(application)
        context["frozen_rows"] = selectors.frozen_rows(application)
        return context

    def post(self, request, *args, **kwargs):
        application = self.get_application()
        try:
            if "save_domains" in request.POST:
                form = DomainsForm(request.POST)
                if not form.is_valid():
                    return self.render_to_response(self.get_context_data(domains_form=form), status=400)
                services.application_update(application=application, actor=request.user, **form.cleaned_data)
                messages.success(request, _("Domains saved."))
                return redirect(application_url(application))
            saved, conflicts = services.answers_save(
                application=application, actor=request.user, answers=answers_from(request.POST, application)
            )
        except (ValidationError, PermissionDenied) as exc:
            refusal_messages(request, exc)
            return self.render_to_response(
                self.get_context_data(), status=409 if isinstance(exc, services.EditConflict) else 400
            )
        if conflicts:
            messages.error(
                request,
                ngettext(
                    "%(count)s answer was changed by someone else since you opened the page and was not "
                    "saved; their version is shown, yours is below it.",
                    "%(count)s answers were changed by someone else since you opened the page and were not "
                    "saved; their version is shown, yours is below it.",
                    len(conflicts),
                )
                % {"count": len(conflicts)},
            )
            return self.render_to_response(self.get_context_data(conflicts=conflicts), status=409)
        messages.success(
            request,
            ngettext("Draft saved (%(count)s answer changed).", "Draft saved (%(count)s answers changed).", saved)
            % {"count": saved},
        )
        return redirect(application_url(application))


def answers_from(data, application: Application) -> list[services.AnswerInput]:
    """The answers a posted form carries: ``text-<standard>-<domain>`` and its companions."""
    answers = []
    for standard, domain in application.pairs():
        key = _pair_key(standard.number, domain)
        if f"text-{key}" not in data:
            continue
        claimed = data.get(f"claim-{key}", "")
        version = data.get(f"v-{key}", "0")
        if (claimed and not claimed.isdigit()) or not version.isdigit():
            raise ValidationError(
                _("Standard %(number)s: the form was damaged; reload it.") % {"number": standard.number}
            )
        answers.append(
            services.AnswerInput(
                standard=standard.number,
                domain=domain,
                text=data.get(f"text-{key}", ""),
                claimed_score=int(claimed) if claimed else None,
                version=int(version),
            )
        )
    return answers


def application_context(application: Application) -> dict:
    views = selectors.pair_views(application)
    by_domain = [
        (code, scoring.DOMAIN_NAMES[code], [v for v in views if v.domain == code])
        for code in scoring.DOMAINS
        if code in application.domains
    ]
    return {
        "application": application,
        "by_domain": by_domain,
        # Evidence beside the identification standards: what case finding read and proposed in the
        # application's months (counts only, never a patient).
        "case_finding": case_finding_totals(
            application.programme, start=application.period_start, end=application.period_end
        ),
        "identification_standards": scoring.IDENTIFICATION_STANDARDS,
        "transitions": application.transitions.select_related("actor"),
        "score_names": scoring.SCORE_NAMES,
        "domain_names": scoring.DOMAIN_NAMES,
    }


class ApplicationActionView(ApplicationMixin, View):
    """POST-only steps of the lead: refresh the frozen figures, submit, upload or remove evidence."""

    http_method_names = ["post"]
    action = ""

    def post(self, request, *args, **kwargs):
        application = self.get_application()
        try:
            if self.action == "refresh":
                services.application_refresh_kpis(application=application, actor=request.user)
                messages.success(request, _("The KPI figures were frozen again, as of today."))
            elif self.action == "submit":
                services.application_submit(application=application, actor=request.user)
                messages.success(request, _("Application submitted. IOF staff will assign two reviewers."))
            elif self.action == "evidence":
                form = EvidenceForm(request.POST, request.FILES)
                if not form.is_valid():
                    raise ValidationError(
                        [
                            f"{form.fields[f].label}: {' '.join(e)}" if f in form.fields else " ".join(e)
                            for f, e in form.errors.items()
                        ]
                    )
                standard, domain = _parse_pair(form.cleaned_data["pair"])
                evidence = services.evidence_add(
                    application=application,
                    actor=request.user,
                    standard=standard,
                    domain=domain,
                    upload=form.cleaned_data["file"],
                )
                messages.success(request, _("%(name)s attached.") % {"name": evidence.original_name})
            elif self.action == "evidence_remove":
                evidence = get_object_or_404(EvidenceFile, pk=kwargs["evidence_id"], application=application)
                services.evidence_remove(evidence=evidence, actor=request.user)
                messages.success(request, _("%(name)s removed.") % {"name": evidence.original_name})
        except (ValidationError, PermissionDenied) as exc:
            refusal_messages(request, exc)
        return redirect(application_url(application))


class SelfAssessmentView(ApplicationMixin, TemplateView):
    template_name = "recognition/self_assessment.html"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        application = self.get_application()
        assessment = selectors.self_assessment(application)
        context["application"] = application
        context["assessment"] = assessment
        context["domains"] = [
            (d, scoring.DOMAIN_NAMES[d.domain], assessment.hints.get(d.domain, []))
            for d in assessment.result.domains
            if d.applicable
        ]
        context["level_names"] = scoring.LEVEL_NAMES
        return context


class CertificateView(ApplicationMixin, View):
    http_method_names = ["get"]

    def get(self, request, *args, **kwargs):
        application = self.get_application()
        recognition = (
            Recognition.objects.for_programme(self.programme)
            .select_related("programme")
            .defer("certificate_pdf")
            .filter(application=application)
            .first()
        )
        if recognition is None:
            raise Http404
        # In the language of whoever downloads it, its link from today's public address.
        pdf = certificate_pdf(recognition, translation.get_language())
        response = HttpResponse(pdf, content_type="application/pdf")
        response["Content-Disposition"] = f'attachment; filename="{self.programme.slug}-recognition-certificate.pdf"'
        return response


# --- Evidence download (members, assigned reviewers, IOF staff) ----------------------------------------


class EvidenceDownloadView(View):
    http_method_names = ["get"]

    def get(self, request, evidence_id):
        if not request.user.is_authenticated:
            return redirect_to_login(request.get_full_path())
        evidence = EvidenceFile.objects.select_related("application__programme").filter(pk=evidence_id).first()
        if evidence is None or not application_can(request.user, evidence.application, RC.READ):
            raise Http404  # the same answer for a missing file and one the user may not see
        handle = services.evidence_read(evidence=evidence, actor=request.user)
        response = FileResponse(
            handle, content_type=evidence.content_type, as_attachment=True, filename=evidence.original_name
        )
        response["X-Content-Type-Options"] = "nosniff"
        return response


# --- Reviewer side -------------------------------------------------------------------------------------


class ReviewQueueView(GlobalCapabilityRequired, TemplateView):
    template_name = "recognition/review_queue.html"
    required_capability = RC.QUEUE

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["assignments"] = selectors.reviewer_queue(self.request.user)
        context["today"] = timezone.localdate()
        return context


class ReviewView(GlobalCapabilityRequired, TemplateView):
    """The scoring page: per pair, the answer, evidence, frozen KPIs and suggestion; scores save as
    the reviewer goes (each pair's small form posts on change)."""

    template_name = "recognition/review.html"
    required_capability = RC.QUEUE

    def get_assignment(self) -> ReviewAssignment:
        assignment = (
            ReviewAssignment.objects.select_related("application__programme", "application__catalogue")
            .filter(pk=self.kwargs["assignment_id"], reviewer=self.request.user)
            .first()
        )
        if assignment is None or not application_can(self.request.user, assignment.application, RC.SCORE):
            raise Http404
        return assignment

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        assignment = self.get_assignment()
        application = assignment.application
        context.update(application_context(application))
        context["assignment"] = assignment
        mine = {_pair_key(s.standard, s.domain): s for s in assignment.scores.all()}
        problems = services.review_problems(assignment) if not assignment.submitted_at else []
        missing = _missing_reasons(problems)  # beside each pair: the reason a departing score lacks

        def row(pair, domain):
            key = _pair_key(pair.standard.number, domain)
            return pair, key, mine.get(key), missing.get(key, "")

        context["by_domain"] = [
            (code, name, [row(pair, code) for pair in pairs]) for code, name, pairs in context["by_domain"]
        ]
        assignments = list(application.assignments.all())
        both_done = len(assignments) == 2 and all(a.submitted_at for a in assignments)
        context["both_done"] = both_done
        context["pairs"] = selectors.pair_scores(application) if both_done else []
        context["problems"] = problems
        context["may_score"] = services.may_score(self.request.user, assignment)
        return context

    def post(self, request, *args, **kwargs):
        assignment = self.get_assignment()
        is_htmx = request.headers.get("HX-Request") == "true"
        try:
            if "submit_review" in request.POST:
                problems = services.review_problems(assignment)
                if problems:  # one message; the list with a link to each field is on the page
                    messages.error(
                        request,
                        ngettext(
                            "The review cannot be submitted yet: %(count)s thing to do, listed under "
                            "“Submit your review”.",
                            "The review cannot be submitted yet: %(count)s things to do, listed under "
                            "“Submit your review”.",
                            len(problems),
                        )
                        % {"count": len(problems)},
                    )
                    return redirect(reverse("recognition:review", args=[assignment.pk]) + "#review-problems")
                services.review_submit(assignment=assignment, actor=request.user)
                messages.success(request, _("Review submitted. Thank you."))
                return redirect("recognition:reviews")
            saved = 0
            posted_keys = []
            for standard, domain in assignment.application.pairs():
                key = _pair_key(standard.number, domain)
                raw = request.POST.get(f"score-{key}")
                if raw is None or raw == "":
                    continue
                posted_keys.append(key)
                if not raw.isdigit():
                    raise ValidationError(
                        _("Standard %(number)s: a score is 0, 1, 2 or 3.") % {"number": standard.number}
                    )
                services.score_save(
                    assignment=assignment,
                    actor=request.user,
                    standard=standard.number,
                    domain=domain,
                    score=int(raw),
                    comment=request.POST.get(f"comment-{key}", ""),
                )
                saved += 1
        except (ValidationError, PermissionDenied) as exc:
            if is_htmx:
                return HttpResponse(" ".join(getattr(exc, "messages", [str(exc)])), status=400)
            refusal_messages(request, exc)
            return redirect("recognition:review", assignment_id=assignment.pk)
        if is_htmx:  # the saved mark, the pair's own problem, and the submit checklist brought up to date
            saved_at = _("Saved at %(time)s") % {"time": timezone.localtime().strftime("%H:%M:%S")}
            problems = services.review_problems(assignment)
            missing = _missing_reasons(problems)
            marks = "".join(
                render_to_string(
                    "recognition/_pair_problem.html", {"key": key, "problem": missing.get(key, ""), "oob": True}
                )
                for key in posted_keys
            )
            checklist = render_to_string(
                "recognition/_review_problems.html", {"problems": problems, "oob": True}, request=request
            )
            return HttpResponse(escape(saved_at) + marks + checklist)
        messages.success(
            request, ngettext("%(count)s score saved.", "%(count)s scores saved.", saved) % {"count": saved}
        )
        return redirect("recognition:review", assignment_id=assignment.pk)


# --- IOF staff -----------------------------------------------------------------------------------------


class StaffApplicationsView(GlobalCapabilityRequired, TemplateView):
    template_name = "recognition/staff_applications.html"
    required_capability = RC.MANAGE

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["applications"] = selectors.staff_applications()
        context["today"] = timezone.localdate()
        return context


class StaffApplicationView(GlobalCapabilityRequired, TemplateView):
    """Assign reviewers, follow progress, adjudicate, decide or return for changes, revoke."""

    template_name = "recognition/staff_application.html"
    required_capability = RC.MANAGE

    def get_application(self) -> Application:
        application = (
            Application.objects.all_programmes()
            .select_related("programme", "catalogue")
            .filter(pk=self.kwargs["application_id"])
            .exclude(state=State.DRAFT, submitted_at__isnull=True)
            .first()
        )
        if application is None:
            raise Http404
        return application

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        application = self.get_application()
        context.update(application_context(application))
        context["assignments"] = application.assignments.select_related("reviewer")
        context["candidates"] = (
            services.eligible_reviewers(application)
            if application.state in (State.SUBMITTED, State.UNDER_REVIEW) and application.assignments.count() < 2
            else []
        )
        context["pairs"] = pairs = selectors.pair_scores(application)
        context["result"] = (
            selectors.computed_result(application, pairs)
            if application.state in (State.RECONCILIATION, State.DECISION, State.RECOGNISED, State.NOT_RECOGNISED)
            else None
        )
        context["recognition"] = getattr(application, "recognition", None)
        context["comment_form"] = CommentForm()
        context["assign_form"] = AssignForm()
        context["level_names"] = scoring.LEVEL_NAMES
        return context

    def post(self, request, *args, **kwargs):
        application = self.get_application()
        action = request.POST.get("action", "")
        comment = request.POST.get("comment", "")
        try:
            if action == "assign":
                form = AssignForm(request.POST)
                if not form.is_valid():
                    raise ValidationError(_("Choose a reviewer and a valid due date."))
                reviewer = User.objects.filter(pk=form.cleaned_data["reviewer"]).first()
                if reviewer is None:
                    raise ValidationError(_("No such reviewer."))
                services.reviewer_assign(
                    application=application,
                    reviewer=reviewer,
                    actor=request.user,
                    due_date=form.cleaned_data["due_date"],
                )
                messages.success(request, _("%(name)s assigned.") % {"name": reviewer.display_name})
            elif action == "unassign":
                assignment = get_object_or_404(
                    ReviewAssignment, pk=int_param(request.POST, "assignment", required=True), application=application
                )
                services.reviewer_unassign(assignment=assignment, actor=request.user)
                messages.success(request, _("Reviewer taken off."))
            elif action == "adjudicate":
                standard, domain = _parse_pair(request.POST.get("pair", ""))
                raw = request.POST.get("score", "")
                if not raw.isdigit():
                    raise ValidationError(_("A score is 0, 1, 2 or 3."))
                services.adjudication_save(
                    application=application,
                    actor=request.user,
                    standard=standard,
                    domain=domain,
                    score=int(raw),
                    comment=comment,
                )
                messages.success(request, _("Adjudication saved."))
            elif action == "decide":
                services.application_decide(application=application, actor=request.user, comment=comment)
                messages.success(request, _("Decision recorded."))
            elif action == "request_changes":
                services.changes_request(application=application, actor=request.user, comment=comment)
                messages.success(request, _("The application is back with the programme."))
            elif action == "revoke":
                services.recognition_revoke(recognition=application.recognition, actor=request.user, reason=comment)
                messages.success(request, _("Recognition revoked."))
            else:
                raise ValidationError(_("Unknown action."))
        except (ValidationError, PermissionDenied) as exc:
            refusal_messages(request, exc)
            return self.render_to_response(self.get_context_data(), status=400)
        return redirect("recognition:staff_application", application_id=application.pk)


# --- Public --------------------------------------------------------------------------------------------


def catalogue(request):
    """The current catalogue and the scoring rule, for anyone: the rule must be visible."""
    version = selectors.current_catalogue()
    return render(
        request,
        "recognition/catalogue.html",
        {
            "catalogue": version,
            "standards": version.standards.prefetch_related("texts") if version else [],
            "domain_names": scoring.DOMAIN_NAMES,
        },
    )


def verify(request, code: str):
    """Anyone holding a certificate's link sees whether it is genuine and current."""
    recognition = (
        Recognition.objects.all_programmes().select_related("programme").filter(verification_code=code).first()
        if len(code) <= 40
        else None
    )
    status = recognition.status_on(timezone.localdate()) if recognition else "unknown"
    return render(
        request,
        "recognition/verify.html",
        {"recognition": recognition, "status": status, "level_names": scoring.LEVEL_NAMES},
        status=200 if recognition else 404,
    )
