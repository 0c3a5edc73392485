"""Mentorship pages: the programme's mentorship page (champion or candidate side), training days,
booking moves and ratings; the list of upcoming days; the public champion profiles and the request
to join; IOF staff's requests and cohort matching. Views parse, call one service, render."""

from __future__ import annotations

import math

from django.contrib import messages
from django.contrib.auth.mixins import LoginRequiredMixin
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views import View
from django.views.generic import TemplateView

from accounts import clock, ratelimit
from mentorship import matching, selectors, services
from mentorship.forms import (
    BookingForm,
    CandidateProfileForm,
    DayFilterForm,
    DecisionForm,
    JoinRequestForm,
    MoveForm,
    OfferForm,
    RatingForm,
    TrainingDayEditForm,
    TrainingDayForm,
)
from mentorship.models import BookingStatus, JoinRequest, Topic
from mentorship.permissions import MC, MENTEE, MENTOR
from programmes.forms import add_refusal, refusal_messages
from programmes.maps import tile_context, with_tiles
from programmes.models import Programme, ProgrammeStatus
from programmes.permissions import GlobalCapabilityRequired, ProgrammeViewMixin


def programme_url(programme) -> str:
    return reverse("mentorship:programme", kwargs={"programme_slug": programme.slug})


def day_url(day) -> str:
    return reverse("mentorship:day", kwargs={"programme_slug": day.programme.slug, "day_id": day.pk})


def _offer_form(programme, offer, data=None) -> OfferForm:
    if data is not None:
        return OfferForm(data)
    if offer is None:
        return OfferForm(initial={"is_open": True, "languages": list(programme.languages), "version": None})
    return OfferForm(
        initial={
            "is_open": offer.is_open,
            "languages": list(offer.languages),
            "topics": offer.topics,
            "contact_name": offer.contact_name,
            "contact_email": offer.contact_email,
            "mentor_text": offer.mentor_text,
            "version": offer.version,
        }
    )


def _profile_form(programme, data=None) -> CandidateProfileForm:
    if data is not None:
        return CandidateProfileForm(data)
    profile = getattr(programme, "candidate_profile", None)
    if profile is None:
        return CandidateProfileForm()
    return CandidateProfileForm(
        initial={
            "expected_yearly_fractures": profile.expected_yearly_fractures,
            "accepts_interpretation": profile.accepts_interpretation,
            "contact_name": profile.contact_name,
            "contact_email": profile.contact_email,
        }
    )


def _with_moves(bookings, access, side: str):
    """Each booking with the moves this member may offer. Every booking listed is of the page's
    programme on ``side`` (its days as mentor, its bookings as mentee), so the member's authority
    there, resolved once for the page, is their authority on each booking."""
    sides = {side} if access.can(MC.TAKE_PART) else set()
    found = []
    for booking in bookings:
        booking.moves = services.allowed_moves(booking, sides)  # in the host programme's days
        found.append(booking)
    return found


class MentorshipView(ProgrammeViewMixin, TemplateView):
    """A champion's offer, days and requests to answer; a candidate site's profile, bookings,
    proposals and ratings to give. Its lead saves the offer or the profile here."""

    template_name = "mentorship/programme.html"
    read_capability = MC.READ
    write_capability = MC.OFFER

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        programme = self.programme
        is_candidate = programme.status == ProgrammeStatus.CANDIDATE
        context["is_candidate"] = is_candidate
        context["may_take_part"] = self.access.can(MC.TAKE_PART)
        context["may_offer"] = self.access.can(MC.OFFER)
        if is_candidate:
            context["profile_form"] = kwargs.get("profile_form") or _profile_form(programme)
            context["bookings"] = _with_moves(selectors.bookings_of_candidate(programme), self.access, MENTEE)
            context["proposals"] = selectors.open_proposals(programme)
            context["rating_form"] = RatingForm()
        else:
            offer = selectors.offer_of(programme)
            context["offer"] = offer
            context["offer_status"] = selectors.offer_status(programme, offer)
            context["recognition"] = selectors.current_recognition(programme)
            context["offer_form"] = kwargs.get("offer_form") or _offer_form(programme, offer)
            context["days"] = selectors.days_of_champion(programme)
            context["to_answer"] = _with_moves(selectors.bookings_to_answer(programme), self.access, MENTOR)
            context["rating"] = selectors.rating_summary(programme)
        return context

    def post(self, request, *args, **kwargs):
        if "save_profile" in request.POST:
            form = _profile_form(self.programme, request.POST)
            if form.is_valid():
                try:
                    services.candidate_profile_save(programme=self.programme, actor=request.user, **form.cleaned_data)
                except (ValidationError, PermissionDenied) as exc:
                    add_refusal(form, exc)
                else:
                    messages.success(request, _("Candidate profile saved."))
                    return redirect(programme_url(self.programme))
            return self.render_to_response(self.get_context_data(profile_form=form), status=400)
        form = _offer_form(self.programme, None, request.POST)
        if form.is_valid():
            try:
                services.champion_offer_save(
                    programme=self.programme, actor=request.user, offer=services.OfferInput(**form.cleaned_data)
                )
            except (ValidationError, PermissionDenied) as exc:
                add_refusal(form, exc)
            else:
                messages.success(request, _("Champion offer saved."))
                return redirect(programme_url(self.programme))
        return self.render_to_response(self.get_context_data(offer_form=form), status=400)


class TrainingDayCreateView(ProgrammeViewMixin, TemplateView):
    template_name = "mentorship/day_form.html"
    read_capability = MC.TAKE_PART
    write_capability = MC.TAKE_PART

    def _languages(self):
        offer = selectors.offer_of(self.programme)
        return offer.languages if offer else []

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["form"] = kwargs.get("form") or TrainingDayForm(languages=self._languages())
        context["offer_status"] = selectors.offer_status(self.programme)
        return context

    def post(self, request, *args, **kwargs):
        form = TrainingDayForm(request.POST, languages=self._languages())
        if form.is_valid():
            try:
                day = services.training_day_create(programme=self.programme, actor=request.user, **form.cleaned_data)
            except (ValidationError, PermissionDenied) as exc:
                add_refusal(form, exc)
            else:
                messages.success(request, _("Training day published."))
                return redirect(day_url(day))
        return self.render_to_response(self.get_context_data(form=form), status=400)


class TrainingDayView(ProgrammeViewMixin, TemplateView):
    """One of the champion's days: its bookings with the moves a mentor may make; the day's edit form."""

    template_name = "mentorship/day.html"
    read_capability = MC.READ
    write_capability = MC.TAKE_PART

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        day = selectors.day_for(self.programme, self.kwargs["day_id"])
        context["day"] = day
        context["bookings"] = _with_moves(selectors.bookings_of_day(day), self.access, MENTOR)
        context["may_take_part"] = self.access.can(MC.TAKE_PART)
        context["day_over"] = day.date < clock.today(self.programme)  # no longer changed
        context["form"] = kwargs.get("form") or TrainingDayEditForm(
            initial={
                "seats": day.seats,
                "booking_deadline": day.booking_deadline,
                "address": day.address,
                "agenda": day.agenda,
            }
        )
        return context

    def post(self, request, *args, **kwargs):
        day = selectors.day_for(self.programme, self.kwargs["day_id"])
        form = TrainingDayEditForm(request.POST)
        if form.is_valid():
            try:
                services.training_day_update(day=day, actor=request.user, **form.cleaned_data)
            except (ValidationError, PermissionDenied) as exc:
                add_refusal(form, exc)
            else:
                messages.success(request, _("Training day saved."))
                return redirect(day_url(day))
        return self.render_to_response(self.get_context_data(form=form), status=400)


class BookingMoveView(ProgrammeViewMixin, View):
    """A mentor or a mentee moves a booking (confirm, decline, cancel, attendance), for this programme's side."""

    http_method_names = ["post"]
    write_capability = MC.TAKE_PART

    def post(self, request, *args, **kwargs):
        booking = selectors.booking_for(self.programme, self.kwargs["booking_id"])
        side = MENTOR if booking.training_day.programme_id == self.programme.pk else MENTEE
        form = MoveForm(request.POST)
        if not form.is_valid():
            messages.error(request, _("Choose what to do with the booking."))
        else:
            try:
                services.booking_transition(
                    booking=booking,
                    to=form.cleaned_data["to"],
                    actor=request.user,
                    reason=form.cleaned_data["reason"],
                    side=side,
                )
            except (ValidationError, PermissionDenied) as exc:
                refusal_messages(request, exc)
            else:
                booking.refresh_from_db()
                messages.success(
                    request,
                    _("The booking of %(person)s is now %(status)s.")
                    % {"person": booking.attendee_name, "status": booking.get_status_display().lower()},
                )
        if side == MENTOR:
            return redirect(day_url(booking.training_day))
        return redirect(programme_url(self.programme))


class BookingRateView(ProgrammeViewMixin, View):
    http_method_names = ["post"]
    write_capability = MC.TAKE_PART

    def post(self, request, *args, **kwargs):
        booking = selectors.booking_for(self.programme, self.kwargs["booking_id"])
        if booking.candidate_id != self.programme.pk:
            raise Http404
        form = RatingForm(request.POST)
        if not form.is_valid():
            messages.error(request, _("Rate the day from 1 to 5."))
        else:
            try:
                services.booking_rate(booking=booking, actor=request.user, **form.cleaned_data)
            except (ValidationError, PermissionDenied) as exc:
                refusal_messages(request, exc)
            else:
                messages.success(request, _("Thank you: your rating is saved."))
        return redirect(programme_url(self.programme))


class MatchesView(ProgrammeViewMixin, TemplateView):
    """Champions ranked for this candidate site, each score shown in its parts."""

    template_name = "mentorship/matches.html"
    read_capability = MC.READ

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        is_candidate = self.programme.status == ProgrammeStatus.CANDIDATE
        context["is_candidate"] = is_candidate
        matches = selectors.ranking_for(self.programme) if is_candidate else []
        context["matches"] = matches
        context["weights"] = matching.WEIGHTS
        context["part_labels"] = matching.PART_LABELS
        return context


# --- Training days, for anyone logged in -------------------------------------------------------------


def _near_site(request, candidates):
    slug = request.GET.get("site", "")
    for programme in candidates:
        if programme.slug == slug:
            return programme
    return candidates[0] if candidates else None


class TrainingDaysView(LoginRequiredMixin, TemplateView):
    """Upcoming days, filtered by language, country, month and distance from the user's candidate site."""

    template_name = "mentorship/training_days.html"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        candidates = list(selectors.candidate_programmes_of(self.request.user))
        near = _near_site(self.request, candidates)
        form = DayFilterForm(self.request.GET or None)
        filters = selectors.DayFilters()
        if form.is_valid():
            data = form.cleaned_data
            filters = selectors.DayFilters(
                language=data["language"].strip().lower(),
                country=data["country"].strip().upper(),
                month=data["month"],
                max_km=data["max_km"] if near is not None else None,
            )
        context.update(
            form=form,
            days=selectors.upcoming_days(filters=filters, near=near),
            near=near,
            candidates=candidates,
            languages=selectors.day_languages(),
            countries=selectors.day_countries(),
        )
        return context


class TrainingDayPublicView(LoginRequiredMixin, TemplateView):
    """One upcoming day as anyone logged in sees it, with the seat request form for a candidate site."""

    template_name = "mentorship/training_day.html"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        day = selectors.public_day(self.kwargs["day_id"])
        candidates = list(selectors.candidate_programmes_of(self.request.user))
        context.update(
            day=day,
            candidates=candidates,
            form=kwargs.get("form") or BookingForm(candidates=candidates, initial=self._initial(candidates)),
            bookable=day.bookable,
            offer=selectors.offer_of(day.programme),
        )
        return context

    def _initial(self, candidates):
        user = self.request.user
        initial = {"attendee_name": user.full_name, "attendee_email": user.email}
        if candidates:
            initial["candidate"] = candidates[0].slug
        return initial

    def post(self, request, *args, **kwargs):
        day = selectors.any_day(self.kwargs["day_id"])
        candidates = list(selectors.candidate_programmes_of(request.user))
        form = BookingForm(request.POST, candidates=candidates)
        if form.is_valid():
            candidate = next(p for p in candidates if p.slug == form.cleaned_data["candidate"])
            try:
                booking = services.booking_request(
                    training_day=day,
                    candidate=candidate,
                    actor=request.user,
                    attendee_name=form.cleaned_data["attendee_name"],
                    attendee_email=form.cleaned_data["attendee_email"],
                )
            except (ValidationError, PermissionDenied) as exc:
                add_refusal(form, exc)
            else:
                if booking.status == BookingStatus.REQUESTED:
                    messages.success(request, _("Seat requested: the mentor will confirm or decline it."))
                else:
                    messages.info(request, _("Every seat is taken: you are on the waiting list, in order."))
                return redirect(programme_url(candidate))
        return self.render_to_response(self.get_context_data(form=form), status=400)


# --- Public: champions and the request to join -----------------------------------------------------


def champions(request):
    offers = selectors.open_offers_with_status()
    return render(request, "mentorship/champions.html", {"offers": offers, "topics": dict(Topic.choices)})


def champion(request, slug):
    programme = get_object_or_404(Programme, slug=slug)
    offer = selectors.offer_of(programme)
    if offer is None or not offer.is_open:
        raise Http404
    today = clock.today(programme)
    return render(
        request,
        "mentorship/champion.html",
        {
            "programme": programme,
            "offer": offer,
            "status": selectors.offer_status(programme, offer),
            "recognition": selectors.current_recognition(programme),
            "rating": selectors.rating_summary(programme),
            "days": [d for d in selectors.days_of_champion(programme) if d.date >= today][::-1][:6],
            "topics": [label for value, label in Topic.choices if value in offer.topics],
        },
    )


def join(request):
    """The public request to join. Each request sent counts against the client's address
    (``FAILURE_LIMITS["join_request"]``: 5 an hour): past it, nothing is stored and nobody is mailed."""
    form = JoinRequestForm(request.POST or None)
    if request.method == "POST" and ratelimit.blocked(request, "join_request"):
        minutes = max(1, ratelimit.retry_after("join_request") // 60)
        form.add_error(
            None,
            ngettext(
                "Too many requests to join from this address. Try again in %(minutes)s minute.",
                "Too many requests to join from this address. Try again in %(minutes)s minutes.",
                minutes,
            )
            % {"minutes": minutes},
        )
        return render(request, "mentorship/join.html", {"form": form}, status=429)
    if request.method == "POST" and form.is_valid():
        try:
            services.join_request_submit(**form.cleaned_data)
        except ValidationError as exc:
            add_refusal(form, exc)
        else:
            ratelimit.failed(request, "join_request")  # counts a request sent
            return render(request, "mentorship/join_sent.html", {"name": form.cleaned_data["name"]})
    return with_tiles(
        render(request, "mentorship/join.html", {"form": form, **tile_context()}, status=400 if form.errors else 200)
    )


def attendee_confirm(request, token):
    """The link in a booking's e-mails: a page, then a button (a mail scanner that opens links
    confirms nothing)."""
    if request.method == "POST":
        try:
            booking = services.attendee_confirm(token=token)
        except ValidationError as exc:
            return render(request, "mentorship/attendee_confirm.html", {"error": " ".join(exc.messages)}, status=400)
        return render(request, "mentorship/attendee_confirm.html", {"booking": booking, "done": True})
    return render(request, "mentorship/attendee_confirm.html", {})


# --- IOF staff -------------------------------------------------------------------------------------


class StaffRequestsView(GlobalCapabilityRequired, TemplateView):
    template_name = "mentorship/staff_requests.html"
    required_capability = MC.MANAGE

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["pending"] = selectors.pending_requests()
        context["decided"] = selectors.decided_requests()
        context["form"] = DecisionForm()
        return context

    def post(self, request, *args, **kwargs):
        value = request.POST.get("request", "")
        join_request = get_object_or_404(JoinRequest, pk=int(value) if value.isdigit() else 0)
        form = DecisionForm(request.POST)
        comment = form.cleaned_data["comment"] if form.is_valid() else ""
        try:
            if "approve" in request.POST:
                done = services.join_request_approve(join_request=join_request, actor=request.user, comment=comment)
                messages.success(
                    request,
                    _("%(name)s is now a candidate site; its contact is invited as lead.") % {"name": done.name},
                )
            else:
                services.join_request_decline(join_request=join_request, actor=request.user, comment=comment)
                messages.success(request, _("Request declined; its contact is told."))
        except (ValidationError, PermissionDenied) as exc:
            refusal_messages(request, exc)
        return redirect("mentorship:staff_requests")


class StaffMatchingView(GlobalCapabilityRequired, TemplateView):
    """The optimal proposal for every candidate waiting for a visit; staff adjust, then confirm."""

    template_name = "mentorship/staff_matching.html"
    required_capability = MC.MANAGE

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        cohort = selectors.cohort()
        pairs = dict(matching.optimal_assignment(cohort.scores, cohort.seats()))
        greedy = matching.greedy_assignment(cohort.scores, cohort.seats())
        rows = []
        for i, candidate in enumerate(cohort.candidates):
            options = [
                (cohort.day_rows[j], round(float(cohort.scores[i, j]), 2))
                for j in range(len(cohort.days))
                if not math.isnan(cohort.scores[i, j])
            ]
            options.sort(key=lambda option: -option[1])
            chosen = pairs.get(i)
            rows.append(
                {
                    "candidate": candidate,
                    "chosen": cohort.day_rows[chosen] if chosen is not None else None,
                    "score": round(float(cohort.scores[i, chosen]), 2) if chosen is not None else None,
                    "options": options,
                }
            )
        context.update(
            rows=rows,
            total=round(matching.total(cohort.scores, sorted(pairs.items())), 2),
            greedy_total=round(matching.total(cohort.scores, greedy), 2),
            seats=sum(cohort.seats()),
            days=len(cohort.days),
        )
        return context

    def post(self, request, *args, **kwargs):
        cohort = selectors.cohort()
        day_index = {day.key: j for j, day in enumerate(cohort.days)}
        pairs = []
        for i, candidate in enumerate(cohort.candidates):
            value = request.POST.get(f"day-{candidate.key}", "")
            if not value or not value.isdigit():
                continue
            j = day_index.get(int(value))
            if j is None or math.isnan(cohort.scores[i, j]):
                messages.error(request, _("%(name)s cannot go to that day: recompute.") % {"name": candidate.name})
                return redirect("mentorship:staff_matching")
            pairs.append((candidate.key, int(value), float(cohort.scores[i, j])))
        if not pairs:
            messages.error(request, _("No pair chosen: nothing was sent."))
            return redirect("mentorship:staff_matching")
        try:
            created = services.seat_proposals_confirm(actor=request.user, pairs=pairs)
        except (ValidationError, PermissionDenied) as exc:
            refusal_messages(request, exc)
        else:
            messages.success(
                request, _("%(count)d candidate sites are invited to book their seat.") % {"count": len(created)}
            )
        return redirect("mentorship:staff_matching")
