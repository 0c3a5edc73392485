"""Mentorship test helpers; the fixtures (champion, mentor, candidate, mentee, day, book) are in
tests/conftest.py, so the browser journeys and the tenancy walker share them."""

from datetime import timedelta

from django.utils import timezone

from mentorship import services


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
