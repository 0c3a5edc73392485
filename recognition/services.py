"""Every write of recognition: one function each, authority checked, transitions recorded.

The application's states and who may move it between them are the ``TRANSITIONS`` table;
``application_transition`` refuses anything the table lacks. Side effects (e-mails, the
certificate) are queued after the commit.
"""

from __future__ import annotations

import calendar
import hashlib
from dataclasses import dataclass
from datetime import date, timedelta

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone
from django.utils.text import get_valid_filename
from django.utils.translation import gettext as _

from accounts import clock
from accounts.models import User
from clinical.kpi_sets import IOF_2020
from kpis.engine import compute_for_programme
from programmes import locks
from programmes.authority import authority_for, people_holding
from programmes.inputs import check_date_range
from programmes.models import AccessEvent, Membership, Programme
from programmes.services import access_event_record
from recognition import selectors
from recognition.models import (
    Adjudication,
    Answer,
    Application,
    CatalogueVersion,
    EvidenceFile,
    Recognition,
    ReviewAssignment,
    Score,
    State,
    Transition,
)
from recognition.permissions import RC, application_can
from recognition.scoring import DOMAIN_NAMES, DOMAINS, NONE, SCORES

# The KPI set recognition is judged on, whatever set a programme's dashboard uses.
RECOGNITION_KPI_SET = IOF_2020.code
# Who moves an application by itself, as a consequence of another step (``actor=None``).
SYSTEM = "system"
# (from, to): who may make the move (capabilities, or SYSTEM) and whether a comment is required.
TRANSITIONS: dict[tuple[str, str], tuple[frozenset[str], bool]] = {
    (State.DRAFT, State.SUBMITTED): (frozenset({RC.APPLY}), False),
    # The second reviewer is assigned (staff), or an application with its two reviewers is resubmitted.
    (State.SUBMITTED, State.UNDER_REVIEW): (frozenset({RC.MANAGE, SYSTEM}), False),
    (State.UNDER_REVIEW, State.SUBMITTED): (frozenset({RC.MANAGE}), False),  # a reviewer taken off before scoring
    # The second review is in: pairs differ, or agree. The registry moves it (the reviewer stays unnamed).
    (State.UNDER_REVIEW, State.RECONCILIATION): (frozenset({SYSTEM}), False),
    (State.UNDER_REVIEW, State.DECISION): (frozenset({SYSTEM}), False),
    (State.RECONCILIATION, State.DECISION): (frozenset({SYSTEM}), False),  # the last disagreement adjudicated
    (State.DECISION, State.RECOGNISED): (frozenset({RC.MANAGE}), False),
    (State.DECISION, State.NOT_RECOGNISED): (frozenset({RC.MANAGE}), False),
    # Changes requested: back to the programme, with the reasons.
    (State.SUBMITTED, State.DRAFT): (frozenset({RC.MANAGE}), True),
    (State.UNDER_REVIEW, State.DRAFT): (frozenset({RC.MANAGE}), True),
    (State.RECONCILIATION, State.DRAFT): (frozenset({RC.MANAGE}), True),
    (State.DECISION, State.DRAFT): (frozenset({RC.MANAGE}), True),
}
PDF, PNG, JPEG = "application/pdf", "image/png", "image/jpeg"
# Type from the first bytes, never from the name or the browser's claim.
MAGIC = ((b"%PDF-", PDF), (b"\x89PNG\r\n\x1a\n", PNG), (b"\xff\xd8\xff", JPEG))
EXTENSIONS = {PDF: ".pdf", PNG: ".png", JPEG: ".jpg"}


class EditConflict(ValidationError):
    """Someone else saved first: nothing of this save that touches their change was stored."""


def _require(actor, application: Application, capability: str) -> None:
    if not application_can(actor, application, capability):
        raise PermissionDenied(_("You may not do this with this application."))


def _require_draft(application: Application) -> None:
    if not application.is_editable:
        raise ValidationError(
            _("The application is %(state)s: it can no longer be changed.")
            % {"state": application.get_state_display().lower()}
        )


def _locked(application: Application) -> Application:
    """The application row, locked for the rest of the transaction, read afresh."""
    return Application.objects.all_programmes().select_for_update(no_key=True).get(pk=application.pk)


def _on_commit_email(event: str, application: Application, user_ids, **extra) -> None:
    from recognition.tasks import send_recognition_email

    ids = sorted({uid for uid in user_ids if uid})
    if ids:
        application_id = application.pk
        transaction.on_commit(lambda: send_recognition_email.delay(application_id, event, ids, extra))


def _lead_ids(programme) -> list[int]:
    """Who is told of the programme's application: those who may apply for it."""
    return people_holding(RC.APPLY, programme)


def _staff_ids() -> list[int]:
    """Who is told of submissions and completed reviews: whoever may manage recognition (IOF staff,
    superusers), by capability, not by a flag."""
    return people_holding(RC.MANAGE)


# --- Catalogue -------------------------------------------------------------------------------------


def _require_manage(actor) -> None:
    if not authority_for(actor).can(RC.MANAGE):
        raise PermissionDenied(_("Only IOF staff may do this."))


@transaction.atomic
def catalogue_copy(*, catalogue: CatalogueVersion, actor) -> CatalogueVersion:
    """A new draft version with the same standards, for IOF staff to edit before publishing."""
    _require_manage(actor)
    locks.serialize("recognition.catalogue")  # two copies at once: 4 then 5, never two 4s
    number = CatalogueVersion.objects.order_by("-number").values_list("number", flat=True).first() + 1
    copy = CatalogueVersion.objects.create(
        number=number,
        title=catalogue.title,
        note=_("Draft copied from version %(number)s.") % {"number": catalogue.number},
        gold_threshold=catalogue.gold_threshold,
        silver_threshold=catalogue.silver_threshold,
        bronze_threshold=catalogue.bronze_threshold,
    )
    for standard in catalogue.standards.prefetch_related("texts"):
        texts = list(standard.texts.all())
        standard.pk = None
        standard.catalogue = copy
        standard.save()
        for text in texts:
            text.pk = None
            text.standard = standard
            text.save()
    access_event_record(
        programme=None, actor=actor, action=AccessEvent.Action.CATALOGUE_COPIED, copied=catalogue.number, draft=number
    )
    return copy


@transaction.atomic
def catalogue_publish(*, catalogue: CatalogueVersion, actor) -> CatalogueVersion:
    """New applications use it from now on; applications already started keep theirs."""
    _require_manage(actor)
    catalogue = CatalogueVersion.objects.select_for_update().get(pk=catalogue.pk)
    if catalogue.is_published:
        raise ValidationError(_("Version %(number)s is already published.") % {"number": catalogue.number})
    numbers = sorted(catalogue.standards.values_list("number", flat=True))
    if numbers != list(range(1, 14)):
        raise ValidationError(_("A catalogue needs the 13 standards, numbered 1 to 13, once each."))
    catalogue.published_at = timezone.now()
    catalogue.save(update_fields=["published_at"])
    access_event_record(
        programme=None,
        actor=actor,
        action=AccessEvent.Action.CATALOGUE_PUBLISHED,
        version=catalogue.number,
        thresholds=[str(t) for t in (catalogue.gold_threshold, catalogue.silver_threshold, catalogue.bronze_threshold)],
    )
    return catalogue


# --- Programme side ------------------------------------------------------------------------------


def twelve_months_from(start: date) -> date:
    """The last day of the 12-month period starting on the first of ``start``'s month."""
    year, month = (start.year + 1, start.month - 1) if start.month > 1 else (start.year, 12)
    return date(year, month, calendar.monthrange(year, month)[1])


def _frozen(programme: Programme, start: date, end: date) -> tuple[dict, date]:
    as_of = clock.today(programme)
    return compute_for_programme(programme, start=start, end=end, as_of=as_of, kpi_set=RECOGNITION_KPI_SET), as_of


def latest_period_start(today: date | None = None) -> date:
    """The latest first month whose 12 months have all ended (the default the form offers)."""
    today = today or timezone.localdate()
    return date(today.year - 1, today.month, 1)


def _check_period(start: date, today: date) -> tuple[date, date]:
    """The 12 months from ``start``, all ended by ``today`` (the programme's date)."""
    check_date_range(start, _("The first month"))
    start = start.replace(day=1)
    end = twelve_months_from(start)
    if end >= today:
        latest = latest_period_start(today)
        raise ValidationError(
            {
                "period_start": _("The 12 months must have ended: choose a start no later than %(latest)s.")
                % {"latest": latest.strftime("%B %Y")}
            }
        )
    return start, end


def _record(application: Application, *, from_state: str, to_state: str, actor, comment: str = "") -> None:
    Transition.objects.create(
        application=application, from_state=from_state, to_state=to_state, actor=actor, comment=comment
    )


@transaction.atomic
def application_start(*, programme: Programme, actor, period_start: date, domains=()) -> Application:
    if not authority_for(actor, programme).can(RC.APPLY):
        raise PermissionDenied(_("Only the programme's lead may apply for recognition."))
    catalogue = selectors.current_catalogue()
    if catalogue is None:
        raise ValidationError(_("No catalogue is published yet: IOF staff must publish one first."))
    start, end = _check_period(period_start, clock.today(programme))
    figures, as_of = _frozen(programme, start, end)
    try:
        with transaction.atomic():
            application = Application.objects.create(
                programme=programme,
                catalogue=catalogue,
                period_start=start,
                period_end=end,
                frozen_kpis=figures,
                frozen_as_of=as_of,
                frozen_at=timezone.now(),
                domains=_check_domains(domains),
                created_by=actor,
            )
    except IntegrityError:
        raise ValidationError(_("This programme already has an application in progress: continue that one.")) from None
    _record(application, from_state="", to_state=State.DRAFT, actor=actor, comment=_("Application started."))
    return application


def _check_domains(domains) -> list[str]:
    unknown = [d for d in domains if d not in DOMAINS]
    if unknown:
        raise ValidationError({"domains": _("Unknown domain: %(domains)s") % {"domains": ", ".join(unknown)}})
    return [d for d in DOMAINS if d in domains]


def _bump(application: Application, version: int | None, **fields) -> Application:
    if version is not None and application.version != version:
        raise EditConflict(
            _(
                "Someone else changed this application since you opened it. Your change was not saved: "
                "reload the page to see theirs, then make yours again."
            )
        )
    for name, value in fields.items():
        setattr(application, name, value)
    application.version = F("version") + 1
    application.save(update_fields=[*fields, "version"])
    application.refresh_from_db()
    return application


@transaction.atomic
def application_update(*, application: Application, actor, version: int, domains) -> Application:
    """The domains the programme serves (the pairs it is scored on)."""
    _require(actor, application, RC.APPLY)
    application = _locked(application)
    _require_draft(application)
    return _bump(application, version, domains=_check_domains(domains))


@transaction.atomic
def application_refresh_kpis(*, application: Application, actor, period_start: date | None = None) -> Application:
    """Freeze the figures again (a draft only), optionally for another period."""
    _require(actor, application, RC.APPLY)
    application = _locked(application)
    _require_draft(application)
    start, end = _check_period(period_start or application.period_start, clock.today(application.programme))
    figures, as_of = _frozen(application.programme, start, end)
    return _bump(
        application,
        None,
        period_start=start,
        period_end=end,
        frozen_kpis=figures,
        frozen_as_of=as_of,
        frozen_at=timezone.now(),
    )


@dataclass
class AnswerInput:
    standard: int
    domain: str
    text: str
    claimed_score: int | None
    version: int  # the answer's version the editor saw; 0 for a new answer


@transaction.atomic
def answers_save(*, application: Application, actor, answers: list[AnswerInput]) -> tuple[int, list[AnswerInput]]:
    """Save what changed. An answer someone else saved since the editor opened it is not
    overwritten: it comes back in the conflicts, the others are stored."""
    _require(actor, application, RC.APPLY)
    application = _locked(application)
    _require_draft(application)
    pairs = {(standard.number, domain) for standard, domain in application.pairs()}
    stored = {(a.standard, a.domain): a for a in application.answers.all()}
    saved, conflicts = 0, []
    for given in answers:
        if (given.standard, given.domain) not in pairs:
            raise ValidationError(
                _("Standard %(standard)s is not scored in the %(domain)s domain of this application.")
                % {"standard": given.standard, "domain": given.domain}
            )
        if given.claimed_score is not None and given.claimed_score not in SCORES:
            raise ValidationError(_("A claimed level is 0, 1, 2 or 3."))
        text = given.text.strip()
        current = stored.get((given.standard, given.domain))
        if current is None:
            if not text and given.claimed_score is None:
                continue
            if given.version:
                conflicts.append(given)  # it was deleted meanwhile: cannot happen today, kept safe
                continue
            Answer.objects.create(
                application=application,
                standard=given.standard,
                domain=given.domain,
                text=text,
                claimed_score=given.claimed_score,
                updated_by=actor,
            )
            saved += 1
            continue
        if current.text == text and current.claimed_score == given.claimed_score:
            continue
        if current.version != given.version:
            conflicts.append(given)
            continue
        current.text, current.claimed_score, current.updated_by = text, given.claimed_score, actor
        current.version += 1
        current.save()
        saved += 1
    return saved, conflicts


def sniff_type(head: bytes) -> str | None:
    return next((kind for magic, kind in MAGIC if head.startswith(magic)), None)


@transaction.atomic
def evidence_add(*, application: Application, actor, standard: int, domain: str, upload) -> EvidenceFile:
    _require(actor, application, RC.APPLY)
    application = _locked(application)
    _require_draft(application)
    if (standard, domain) not in {(s.number, d) for s, d in application.pairs()}:
        raise ValidationError(_("Attach evidence to a standard and domain of this application."))
    limit = settings.RECOGNITION_EVIDENCE_MAX_BYTES
    if upload.size > limit:
        raise ValidationError(
            _("%(name)s is %(size)s MB; a file may be at most %(limit)s MB.")
            % {"name": upload.name, "size": round(upload.size / 1048576, 1), "limit": limit // 1048576}
        )
    upload.seek(0)
    head = upload.read(16)
    kind = sniff_type(head)
    if kind is None:
        raise ValidationError(
            _("%(name)s is not a PDF, PNG or JPEG file (judged from its contents, not its name).")
            % {"name": upload.name}
        )
    digest = hashlib.sha256()
    upload.seek(0)
    for chunk in upload.chunks():
        digest.update(chunk)
    upload.seek(0)
    stem = get_valid_filename(upload.name.rsplit(".", 1)[0])[:80] or "evidence"
    evidence = EvidenceFile(
        application=application,
        standard=standard,
        domain=domain,
        original_name=(stem + EXTENSIONS[kind])[:200],
        content_type=kind,
        size=upload.size,
        sha256=digest.hexdigest(),
        uploaded_by=actor,
    )
    evidence.file.save(f"{application.pk}-{digest.hexdigest()[:16]}{EXTENSIONS[kind]}", upload, save=False)
    evidence.save()
    return evidence


@transaction.atomic
def evidence_remove(*, evidence: EvidenceFile, actor) -> None:
    application = evidence.application
    _require(actor, application, RC.APPLY)
    _require_draft(_locked(application))
    name = evidence.file.name
    storage = evidence.file.storage
    evidence.delete()
    storage.delete(name)  # the file is a row too: it goes in the same transaction


def evidence_read(*, evidence: EvidenceFile, actor):
    """The file's bytes for a permitted reader; the download is written to the access log."""
    application = evidence.application
    _require(actor, application, RC.READ)
    letter = selectors.reviewer_letter(application, actor)  # the applicant's log says "Reviewer A", not a name
    access_event_record(
        programme=application.programme,
        actor=actor,
        action=AccessEvent.Action.EVIDENCE_DOWNLOADED,
        application=application.pk,
        evidence=evidence.pk,
        name=evidence.original_name,
        **({"reviewer": letter} if letter else {}),
    )
    return evidence.file.open("rb")


def submission_checklist(application: Application) -> list[str]:
    """What is missing before the lead can submit (empty: ready)."""
    missing = []
    if not application.domains:
        missing.append(_("Declare at least one domain the programme serves."))
    answered = {(a.standard, a.domain) for a in application.answers.all() if a.text.strip()}
    for standard, domain in application.pairs():
        if standard.is_organisational and (standard.number, domain) not in answered:
            missing.append(
                _("Standard %(number)s (%(name)s), %(domain)s: answer the question.")
                % {"number": standard.number, "name": standard.local_name, "domain": _domain_name(domain)}
            )
    return missing


def _domain_name(domain: str) -> str:
    return str(DOMAIN_NAMES[domain]).lower()


# --- Transitions ---------------------------------------------------------------------------------


@transaction.atomic
def application_transition(*, application: Application, to: str, actor, reason: str = "") -> Application:
    """The one way an application changes state: refused unless the table has (from, to) and the
    actor holds one of its capabilities, or, for the registry's own moves (``actor=None``), the
    table lets the system make it; a comment where the table asks one. Recorded, and mailed."""
    application = _locked(application)
    rule = TRANSITIONS.get((application.state, to))
    if rule is None:
        raise ValidationError(
            _("An application that is %(state)s cannot become %(to)s.")
            % {"state": application.get_state_display().lower(), "to": State(to).label.lower()}
        )
    who, needs_comment = rule
    if actor is None:
        if SYSTEM not in who:
            raise PermissionDenied(_("You may not do this with this application."))
    elif not any(application_can(actor, application, capability) for capability in who - {SYSTEM}):
        raise PermissionDenied(_("You may not do this with this application."))
    if needs_comment and not reason.strip():
        raise ValidationError({"comment": _("Say what the programme should change.")})
    from_state = application.state
    extra = {"submitted_at": timezone.now()} if to == State.SUBMITTED else {}
    application = _bump(application, None, state=to, **extra)
    _record(application, from_state=from_state, to_state=to, actor=actor, comment=reason.strip())
    _notify(application, from_state, to, reason.strip())
    return application


def _notify(application: Application, from_state: str, to: str, comment: str) -> None:
    if to == State.SUBMITTED:
        _on_commit_email("submitted", application, _staff_ids())
    elif to in (State.RECONCILIATION, State.DECISION) and from_state == State.UNDER_REVIEW:
        _on_commit_email("reviews_complete", application, _staff_ids())
    elif to == State.DRAFT:
        _on_commit_email("changes_requested", application, _lead_ids(application.programme), comment=comment)
    elif to in (State.RECOGNISED, State.NOT_RECOGNISED):
        _on_commit_email("decided", application, _lead_ids(application.programme))


@transaction.atomic
def application_submit(*, application: Application, actor) -> Application:
    _require(actor, application, RC.APPLY)
    missing = submission_checklist(application)
    if missing:
        raise ValidationError(missing)
    application = application_transition(application=application, to=State.SUBMITTED, actor=actor)
    # Resubmitted after changes: the same two reviewers look again.
    assignments = application.assignments.all()
    if len(assignments) == 2:
        assignments.update(submitted_at=None)
        application = application_transition(application=application, to=State.UNDER_REVIEW, actor=None)
    return application


@transaction.atomic
def changes_request(*, application: Application, actor, comment: str) -> Application:
    """Back to draft with IOF staff's comments; the reviewers' comments are shown to the lead."""
    return application_transition(application=application, to=State.DRAFT, actor=actor, reason=comment)


# --- Reviewers -----------------------------------------------------------------------------------


def reviewer_refusal(application: Application, reviewer: User, *, others_free: bool) -> str | None:
    """Why this reviewer may not review this application (None: they may)."""
    if not reviewer.is_active or not reviewer.is_reviewer:
        return _("%(name)s does not hold the reviewer role.") % {"name": reviewer.display_name}
    if Membership.objects.filter(programme_id=application.programme_id, user=reviewer).exists():
        return _("%(name)s belongs to %(programme)s: a reviewer never reviews their own programme.") % {
            "name": reviewer.display_name,
            "programme": application.programme.name,
        }
    if application.assignments.filter(reviewer=reviewer).exists():
        return _("%(name)s is already reviewing this application.") % {"name": reviewer.display_name}
    if reviewer.country and reviewer.country == application.programme.country and others_free:
        return _(
            "%(name)s works in %(country)s, like the programme, and another reviewer from elsewhere is "
            "free: choose them."
        ) % {"name": reviewer.display_name, "country": reviewer.country.name}
    return None


def eligible_reviewers(application: Application) -> list[tuple[User, str | None]]:
    """Every reviewer with the reason they would be refused (None: they may be assigned)."""
    reviewers = list(User.objects.filter(is_reviewer=True, is_active=True).order_by("full_name", "email"))
    assigned = set(application.assignments.values_list("reviewer_id", flat=True))
    members = set(Membership.objects.filter(programme_id=application.programme_id).values_list("user_id", flat=True))
    country = application.programme.country
    others_free = any(r.pk not in assigned and r.pk not in members and r.country != country for r in reviewers)
    return [(r, reviewer_refusal(application, r, others_free=others_free)) for r in reviewers]


@transaction.atomic
def reviewer_assign(
    *, application: Application, reviewer: User, actor, due_date: date | None = None
) -> ReviewAssignment:
    _require_manage(actor)
    application = _locked(application)
    if application.state not in (State.SUBMITTED, State.UNDER_REVIEW):
        raise ValidationError(_("Reviewers are assigned to a submitted application."))
    if application.assignments.count() >= 2:
        raise ValidationError(_("This application already has its two reviewers."))
    refusal = {r.pk: why for r, why in eligible_reviewers(application)}.get(
        reviewer.pk, _("%(name)s does not hold the reviewer role.") % {"name": reviewer.display_name}
    )
    if refusal:
        raise ValidationError({"reviewer": refusal})
    today = clock.today(application.programme)  # due dates count in the applicant programme's days
    due = due_date or today + timedelta(days=settings.RECOGNITION_REVIEW_DAYS)
    if due < today:
        raise ValidationError({"due_date": _("The due date cannot be in the past.")})
    assignment = ReviewAssignment.objects.create(
        application=application, reviewer=reviewer, assigned_by=actor, due_date=due
    )
    access_event_record(
        programme=application.programme,
        actor=actor,
        action=AccessEvent.Action.REVIEWER_ASSIGNED,
        subject=reviewer,
        application=application.pk,
        due=due.isoformat(),
    )
    Application.objects.all_programmes().filter(pk=application.pk).update(review_due=due)
    _on_commit_email("reviewer_assigned", application, [reviewer.pk], due=due.isoformat())
    if application.assignments.count() == 2 and application.state == State.SUBMITTED:
        application_transition(application=application, to=State.UNDER_REVIEW, actor=actor)
    return assignment


@transaction.atomic
def reviewer_unassign(*, assignment: ReviewAssignment, actor) -> None:
    """Take a reviewer off an application whose review they have not submitted."""
    _require_manage(actor)
    application = _locked(assignment.application)
    if assignment.submitted_at is not None or application.state not in (State.SUBMITTED, State.UNDER_REVIEW):
        raise ValidationError(_("A reviewer who has submitted their review stays on the record."))
    assignment.delete()
    access_event_record(
        programme=application.programme,
        actor=actor,
        action=AccessEvent.Action.REVIEWER_UNASSIGNED,
        subject=assignment.reviewer,
        application=application.pk,
    )
    if application.state == State.UNDER_REVIEW:
        application_transition(
            application=application,
            to=State.SUBMITTED,
            actor=actor,
            reason=_("A reviewer was taken off; another is to be assigned."),
        )


def may_apply(actor, application: Application) -> bool:
    """The rule every change of an application by its programme asks (the page asks it too):
    the actor may apply for the programme, and the application is still a draft."""
    return application.is_editable and application_can(actor, application, RC.APPLY)


def may_score(actor, assignment: ReviewAssignment) -> bool:
    """The rule every scoring action asks (the page asks it too): the assigned reviewer, still
    holding the capability (no conflict of interest), while under review and not yet submitted."""
    return (
        assignment.reviewer_id == getattr(actor, "pk", None)
        and assignment.submitted_at is None
        and assignment.application.state == State.UNDER_REVIEW
        and application_can(actor, assignment.application, RC.SCORE)
    )


def _require_reviewer(assignment: ReviewAssignment, actor) -> Application:
    if assignment.reviewer_id != getattr(actor, "pk", None) or not application_can(
        actor, assignment.application, RC.SCORE
    ):
        raise PermissionDenied(_("Only the assigned reviewer scores this review."))
    application = _locked(assignment.application)
    if application.state != State.UNDER_REVIEW:
        raise ValidationError(_("Scores are given while the application is under review."))
    if assignment.submitted_at is not None:
        raise ValidationError(_("You have submitted this review: it can no longer be changed."))
    return application


@transaction.atomic
def score_save(
    *, assignment: ReviewAssignment, actor, standard: int, domain: str, score: int, comment: str = ""
) -> Score:
    """One pair's score, saved as the reviewer goes (an upsert on the pair)."""
    application = _require_reviewer(assignment, actor)
    if not application.scores_pair(standard, domain):
        raise ValidationError(_("Standard %(standard)s is not scored in this domain.") % {"standard": standard})
    if score not in SCORES:
        raise ValidationError({"score": _("A score is 0, 1, 2 or 3.")})
    saved, _created = Score.objects.update_or_create(
        assignment=assignment,
        standard=standard,
        domain=domain,
        defaults={"score": score, "comment": comment.strip()[:4000]},
    )
    return saved


@dataclass(frozen=True)
class ReviewProblem:
    """One thing that stops a reviewer submitting, tied to its pair (``key``: "5-hip")."""

    key: str
    kind: str  # "unscored" or "no_reason"
    message: str

    def __str__(self) -> str:
        return self.message


def review_problems(assignment: ReviewAssignment) -> list[ReviewProblem]:
    """What stops the reviewer submitting: unscored pairs, departures from a suggestion without a reason."""
    application = assignment.application
    suggested = selectors.suggestions(application)
    scores = selectors.scores_of(assignment)
    problems = []
    for standard, domain in application.pairs():
        found = scores.get((domain, standard.number))
        where = {"number": standard.number, "domain": _domain_name(domain)}
        key = f"{standard.number}-{domain}"
        if found is None:
            problems.append(ReviewProblem(key, "unscored", _("Standard %(number)s, %(domain)s: give a score.") % where))
        elif (
            suggested.get(standard.number) is not None
            and found.score != suggested[standard.number]
            and not found.comment
        ):
            problems.append(
                ReviewProblem(
                    key,
                    "no_reason",
                    _("Standard %(number)s, %(domain)s: say why you depart from the suggested score.") % where,
                )
            )
    return problems


@transaction.atomic
def review_submit(*, assignment: ReviewAssignment, actor) -> ReviewAssignment:
    application = _require_reviewer(assignment, actor)
    problems = review_problems(assignment)
    if problems:
        raise ValidationError([problem.message for problem in problems])
    assignment.submitted_at = timezone.now()
    assignment.save(update_fields=["submitted_at"])
    others = application.assignments.exclude(pk=assignment.pk)
    if len(others) == 1 and others[0].submitted_at is not None:
        pairs = selectors.pair_scores(application)
        to = State.RECONCILIATION if any(p.disagree and p.adjudicated is None for p in pairs) else State.DECISION
        application_transition(application=application, to=to, actor=None)  # the reviewer stays unnamed
    return assignment


@transaction.atomic
def adjudication_save(
    *, application: Application, actor, standard: int, domain: str, score: int, comment: str
) -> Adjudication:
    _require_manage(actor)
    application = _locked(application)
    if application.state != State.RECONCILIATION:
        raise ValidationError(_("Pairs are adjudicated while the application is in reconciliation."))
    pair = next(
        (p for p in selectors.pair_scores(application) if p.standard.number == standard and p.domain == domain), None
    )
    if pair is None or not pair.disagree:
        raise ValidationError(_("Only pairs the reviewers scored more than one level apart are adjudicated."))
    if score not in SCORES:
        raise ValidationError({"score": _("A score is 0, 1, 2 or 3.")})
    if not comment.strip():
        raise ValidationError({"comment": _("Say why this score.")})
    adjudication, _created = Adjudication.objects.update_or_create(
        application=application,
        standard=standard,
        domain=domain,
        defaults={"score": score, "comment": comment.strip(), "decided_by": actor},
    )
    if all(p.final is not None for p in selectors.pair_scores(application)):
        application_transition(application=application, to=State.DECISION, actor=None)
    return adjudication


@transaction.atomic
def application_decide(*, application: Application, actor, comment: str = "") -> Application:
    """Confirm the computed level: recognised for three years, or not recognised (no level)."""
    _require_manage(actor)
    application = _locked(application)
    if application.state != State.DECISION:
        raise ValidationError(_("Only an application awaiting decision can be decided."))
    level = selectors.computed_result(application).level
    to = State.NOT_RECOGNISED if level == NONE else State.RECOGNISED
    now = timezone.now()
    Application.objects.all_programmes().filter(pk=application.pk).update(level=level, decided_at=now)
    application = application_transition(application=application, to=to, actor=actor, reason=comment)
    if to == State.RECOGNISED:
        decided = timezone.localdate(now)
        recognition = Recognition.objects.create(
            programme=application.programme,
            application=application,
            level=level,
            decided_at=now,
            valid_until=_years_later(decided, settings.RECOGNITION_VALID_YEARS),
        )
        from recognition.tasks import render_certificate

        recognition_id = recognition.pk
        transaction.on_commit(lambda: render_certificate.delay(recognition_id))
    return application


def _years_later(day: date, years: int) -> date:
    try:
        return day.replace(year=day.year + years)
    except ValueError:  # 29 February
        return day.replace(year=day.year + years, day=28)


@transaction.atomic
def recognition_revoke(*, recognition: Recognition, actor, reason: str) -> Recognition:
    _require_manage(actor)
    if not reason.strip():
        raise ValidationError({"reason": _("Say why the recognition is revoked.")})
    recognition = Recognition.objects.all_programmes().select_for_update().get(pk=recognition.pk)
    if recognition.revoked_at is not None:
        raise ValidationError(_("This recognition is already revoked."))
    recognition.revoked_at = timezone.now()
    recognition.revoked_reason = reason.strip()
    recognition.save(update_fields=["revoked_at", "revoked_reason"])
    _record(
        recognition.application,
        from_state=State.RECOGNISED,
        to_state=State.RECOGNISED,
        actor=actor,
        comment=_("Recognition revoked: %(reason)s") % {"reason": recognition.revoked_reason},
    )
    return recognition


# --- After a decision ----------------------------------------------------------------------------


def expiry_reminders_send(*, today: date | None = None) -> int:
    """The 90- and 30-day reminders before expiry, once each: a row is claimed by the UPDATE that
    marks it sent, so a second run (or a second beat) finds nothing left to send. The days count in
    each programme's own date (accounts/clock.py), unless ``today`` is given for all."""
    if today is not None:
        return _expiry_reminders_send(today, None)
    now = timezone.now()
    zones = Recognition.objects.all_programmes().values_list("programme__time_zone", flat=True).distinct()
    return sum(_expiry_reminders_send(clock.today_in(zone, now), zone) for zone in zones)


def _expiry_reminders_send(today: date, zone: str | None) -> int:
    sent = 0
    windows = list(settings.RECOGNITION_REMINDER_DAYS)
    for index, days in enumerate(windows):
        later = windows[index + 1] if index + 1 < len(windows) else None
        with transaction.atomic():
            due = selectors.due_reminders(days, later, today)
            if zone is not None:
                due = due.filter(programme__time_zone=zone)
            due = due.select_for_update(skip_locked=True, of=("self",))
            claimed = list(due.select_related("programme"))
            if not claimed:
                continue
            Recognition.objects.all_programmes().filter(pk__in=[r.pk for r in claimed]).update(
                **{f"reminder_{days}_sent_at": timezone.now()}
            )
            for recognition in claimed:
                _on_commit_email(
                    "expiry_reminder",
                    recognition.application,
                    _lead_ids(recognition.programme),
                    days=days,
                    valid_until=recognition.valid_until.isoformat(),
                )
            sent += len(claimed)
    return sent
