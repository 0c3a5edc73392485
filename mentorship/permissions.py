"""Who may do what in mentorship, written into the one authority table (programmes.authority).

- Every member of a programme reads its mentorship page (offer, days, bookings, matches).
- Its lead and coordinators take part: as a champion they publish days and act on the bookings to
  them; as a candidate site (the mentees) they book seats, cancel, and rate a day attended.
- The lead alone opens, edits or withdraws the champion offer and edits the candidate profile.
- IOF staff approve requests to join and match cohorts of candidates to champions' seats.

Which side an actor is on for one booking is decided by the programme they act for: the day's
champion (mentor) or the booking's candidate site (mentee); ``booking_side`` answers it.
"""

from programmes.authority import authority_for, extend_role
from programmes.models import Role


class MentorshipCapability:
    READ = "mentorship.read"
    TAKE_PART = "mentorship.take_part"
    OFFER = "mentorship.offer"
    MANAGE = "mentorship.manage"


MC = MentorshipCapability
MENTOR = "mentor"
MENTEE = "mentee"
REGISTRY = "registry"


def register() -> None:
    for role in (Role.VIEWER, Role.COORDINATOR, Role.LEAD):
        extend_role(role, {MC.READ})
    for role in (Role.COORDINATOR, Role.LEAD):
        extend_role(role, {MC.TAKE_PART})
    extend_role(Role.LEAD, {MC.OFFER})
    extend_role("iof_staff", {MC.MANAGE})


def booking_sides(actor, booking) -> set[str]:
    """The sides ``actor`` may act for on this booking: mentor, mentee, or both (never by a global role)."""
    sides = set()
    if authority_for(actor, booking.training_day.programme).can(MC.TAKE_PART):
        sides.add(MENTOR)
    if authority_for(actor, booking.candidate).can(MC.TAKE_PART):
        sides.add(MENTEE)
    return sides
