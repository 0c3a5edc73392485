from datetime import timedelta

import pytest
from django.utils import timezone

from mentorship import services
from tests.factories import ProgrammeFactory


def days_from_today(n: int):
    return timezone.localdate() + timedelta(days=n)


def open_offer(programme, lead, languages=("ru", "en"), topics=()):
    return services.champion_offer_save(
        programme=programme,
        actor=lead,
        offer=services.OfferInput(
            is_open=True,
            languages=list(languages),
            topics=list(topics),
            contact_name="Dr Irina Sokolova",
            contact_email="mentor@hospital.example",
            mentor_text="Come and see our case-finding round.",
        ),
    )


def publish_day(programme, mentor, *, in_days=30, seats=3, language="ru", deadline_in_days=None):
    return services.training_day_create(
        programme=programme,
        actor=mentor,
        date=days_from_today(in_days),
        seats=seats,
        language=language,
        agenda="09:00 Welcome\n10:00 Case-finding round",
        address="Regional Hospital, Yaroslavl",
        booking_deadline=days_from_today(in_days - 7 if deadline_in_days is None else deadline_in_days),
    )


@pytest.fixture
def champion(programme, lead, recognise):
    """``programme`` (Yaroslavl), recognised silver, with an open champion offer; ``lead`` is its mentor."""
    recognise(programme, "silver")
    open_offer(programme, lead)
    return programme


@pytest.fixture
def mentor(champion, lead):
    return lead


@pytest.fixture
def candidate(db):
    return ProgrammeFactory(
        slug="kazan-candidate",
        name="Kazan FLS (in set-up)",
        country="RU",
        city="Kazan",
        latitude="55.796100",
        longitude="49.106400",
        languages=["ru"],
        care_setting="inpatient",
        status="candidate",
    )


@pytest.fixture
def mentee(candidate, make_member):
    return make_member(candidate, "lead", email="kazan.lead@hospital.example")


@pytest.fixture
def day(champion, mentor):
    """A day in 30 days with exactly 3 seats, bookable for 23 more days."""
    return publish_day(champion, mentor)


@pytest.fixture
def book(candidate, mentee):
    def make(day, n: int = 1, actor=None):
        return services.booking_request(
            training_day=day,
            candidate=candidate,
            actor=actor or mentee,
            attendee_name=f"Attendee {n}",
            attendee_email=f"attendee{n}@kazan.example",
        )

    return make
