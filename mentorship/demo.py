"""Demo mentorship for `make run`, through the services where the rules allow it. Idempotent.

- Champions: Yaroslavl (silver; teaches in Russian and English), Milano (gold; Italian, English),
  Sheffield (silver; English). Taipei's offer is paused: it was made under an earlier recognition
  that has lapsed (written directly, as no service opens an offer without a recognition).
- Yaroslavl's days: one in a month with exactly 3 seats and none taken; one in ten weeks where
  Kazan has requested a seat (for the mentor to confirm); one a month ago that three people from
  Tula attended and rated (history, written directly: no service books a past day).
- Candidates: Kazan (from the programme demo, with its profile); Tula, Bergamo and Kraków approved
  by IOF staff from requests to join; a request from Porto waits for IOF staff. Bergamo and
  Kraków wait for a visit, so the cohort matching has something to propose.
"""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

from django.contrib.auth import get_user_model
from django.db import transaction
from django.utils import timezone

from mentorship import services
from mentorship.models import (
    Booking,
    BookingEvent,
    BookingStatus,
    CandidateProfile,
    ChampionOffer,
    JoinRequest,
    Topic,
    TrainingDay,
)
from mentorship.permissions import MENTEE, MENTOR
from programmes.models import Programme
from recognition.demo import lead_of

OFFERS = {
    "yaroslavl-rech": (
        ["ru", "en"],
        [Topic.CASE_FINDING, Topic.VERTEBRAL, Topic.SETUP, Topic.DATA],
        "Our FLS started in 2016 with one nurse and a spreadsheet. On a training day you follow the "
        "coordinator's round on the trauma ward, sit in on FLS consultations, see how we read spine "
        "imaging reports for vertebral fractures, and leave with our protocols in Russian.",
    ),
    "milano-niguarda": (
        ["it", "en"],
        [Topic.ASSESSMENT, Topic.DXA, Topic.TREATMENT, Topic.FOLLOW_UP],
        "An inpatient orthogeriatric FLS: DXA on the ward, treatment started before discharge, and "
        "follow-up calls at 16 and 52 weeks.",
    ),
    "sheffield-nhs": (
        ["en"],
        [Topic.FALLS, Topic.FOLLOW_UP, Topic.DATA],
        "Outpatient FLS with a falls pathway and a national audit submission every quarter.",
    ),
}
REQUESTS = [
    # name, institution, country, city, lat, lon, languages, setting, yearly, interpretation, contact, approve
    (
        "FLS Tula (in set-up)",
        "Tula Regional Hospital",
        "RU",
        "Tula",
        "54.193100",
        "37.617300",
        ["ru"],
        "inpatient",
        700,
        False,
        ("Dr Pavel Orlov", "tula.lead@demo.fls"),
        True,
    ),
    (
        "FLS Bergamo (in set-up)",
        "Ospedale Papa Giovanni XXIII",
        "IT",
        "Bergamo",
        "45.698300",
        "9.677300",
        ["it"],
        "inpatient",
        900,
        False,
        ("Dr Giulia Bianchi", "bergamo.lead@demo.fls"),
        True,
    ),
    (
        "FLS Kraków (in set-up)",
        "University Hospital Kraków",
        "PL",
        "Kraków",
        "50.064700",
        "19.945000",
        ["pl", "en"],
        "mixed",
        1200,
        True,
        ("Dr Anna Nowak", "krakow.lead@demo.fls"),
        True,
    ),
    (
        "FLS Porto (planned)",
        "Centro Hospitalar Universitário de São João",
        "PT",
        "Porto",
        "41.181200",
        "-8.601400",
        ["pt", "en"],
        "outpatient",
        800,
        True,
        ("Dr João Silva", "porto.lead@demo.fls"),
        False,
    ),
]
AGENDA = (
    "09:00 Welcome and how the FLS started\n"
    "09:30 The coordinator's case-finding round on the trauma ward\n"
    "11:00 FLS consultations (with patients' consent)\n"
    "13:00 Lunch with the team\n"
    "14:00 The registry: data, KPIs and the recognition questionnaire\n"
    "15:30 Your service: plan, business case, next steps"
)


def _offers(today) -> list[str]:
    done = []
    for slug, (languages, topics, text) in OFFERS.items():
        programme = Programme.objects.filter(slug=slug).first()
        if programme is None or ChampionOffer.objects.filter(programme=programme).exists():
            continue
        lead = lead_of(programme)
        services.champion_offer_save(
            programme=programme,
            actor=lead,
            offer=services.OfferInput(
                is_open=True,
                languages=languages,
                topics=list(topics),
                contact_name=lead.full_name,
                contact_email=lead.email,
                mentor_text=text,
            ),
        )
        done.append(f"{slug}: champion offer open")
    taipei = Programme.objects.filter(slug="taipei-ntuh").first()
    if taipei is not None and not ChampionOffer.objects.filter(programme=taipei).exists():
        lead = lead_of(taipei)
        ChampionOffer.objects.create(
            programme=taipei,
            languages=["zh", "en"],
            topics=[Topic.ASSESSMENT, Topic.TREATMENT],
            contact_name=lead.full_name,
            contact_email=lead.email,
            mentor_text="Taipei hosted training days under its earlier recognition.",
        )
        done.append("taipei-ntuh: champion offer paused (recognition lapsed)")
    return done


def _candidates(staff) -> list[str]:
    done = []
    kazan = Programme.objects.filter(slug="kazan-candidate").first()
    if kazan is not None and not CandidateProfile.objects.filter(programme=kazan).exists():
        lead = lead_of(kazan)
        services.candidate_profile_save(
            programme=kazan,
            actor=lead,
            expected_yearly_fractures=650,
            accepts_interpretation=False,
            contact_name=lead.full_name,
            contact_email=lead.email,
        )
        done.append("kazan-candidate: candidate profile")
    for name, institution, country, city, lat, lon, languages, setting, yearly, interpretation, (
        contact_name,
        contact_email,
    ), approve in REQUESTS:
        if JoinRequest.objects.filter(name=name).exists():
            continue
        request = services.join_request_submit(
            name=name,
            institution=institution,
            country=country,
            city=city,
            latitude=Decimal(lat),
            longitude=Decimal(lon),
            languages=languages,
            care_setting=setting,
            expected_yearly_fractures=yearly,
            accepts_interpretation=interpretation,
            contact_name=contact_name,
            contact_email=contact_email,
            message="We plan to start an FLS next year and would like to visit a champion site.",
        )
        if approve:
            request = services.join_request_approve(join_request=request, actor=staff)
            done.append(f"{request.programme.slug}: candidate site (its lead invited)")
        else:
            done.append(f"{name}: request to join waiting for IOF staff")
    return done


def _days(today) -> list[str]:
    done = []
    yaroslavl = Programme.objects.filter(slug="yaroslavl-rech").first()
    if yaroslavl is None or TrainingDay.objects.for_programme(yaroslavl).exists():
        return done
    mentor = lead_of(yaroslavl)
    address = "Yaroslavl Regional Clinical Hospital, Yakovlevskaya 7, Yaroslavl"
    published = [
        services.training_day_create(
            programme=yaroslavl,
            actor=mentor,
            date=today + timedelta(days=offset),
            seats=seats,
            language=language,
            agenda=AGENDA,
            address=address,
            booking_deadline=today + timedelta(days=offset - notice),
        )
        # in days, seats, language, booking closes this many days before
        for offset, seats, language, notice in ((30, 3, "ru", 7), (72, 5, "ru", 7), (110, 4, "en", 10))
    ]
    later = published[1]
    kazan = Programme.objects.filter(slug="kazan-candidate").first()
    if kazan is not None:
        kazan_lead = lead_of(kazan)
        services.booking_request(
            training_day=later,
            candidate=kazan,
            actor=kazan_lead,
            attendee_name="Gulnara Safina (FLS nurse)",
            attendee_email="gulnara.safina@demo.fls",
        )
    for slug, offset, seats, language, place in (
        ("milano-niguarda", 45, 4, "it", "Ospedale Niguarda, Piazza dell'Ospedale Maggiore 3, Milano"),
        ("sheffield-nhs", 60, 6, "en", "Northern General Hospital, Herries Road, Sheffield"),
    ):
        programme = Programme.objects.filter(slug=slug).first()
        if programme is not None and ChampionOffer.objects.filter(programme=programme, is_open=True).exists():
            services.training_day_create(
                programme=programme,
                actor=lead_of(programme),
                date=today + timedelta(days=offset),
                seats=seats,
                language=language,
                agenda=AGENDA,
                address=place,
                booking_deadline=today + timedelta(days=offset - 7),
            )
    done.append("training days published at Yaroslavl, Milano and Sheffield; Kazan requested a seat")
    done += _history(yaroslavl, mentor, today, address)
    return done


def _history(yaroslavl, mentor, today, address) -> list[str]:
    """A day that has taken place, with attendance and three ratings (see the module docstring)."""
    tula = Programme.objects.filter(join_request__name=REQUESTS[0][0]).first()
    if tula is None:
        return []
    day = TrainingDay.objects.create(
        programme=yaroslavl,
        date=today - timedelta(days=30),
        seats=4,
        language="ru",
        agenda=AGENDA,
        address=address,
        booking_deadline=today - timedelta(days=37),
        created_by=mentor,
    )
    now = timezone.now()
    for (name, email), rating in zip(
        [
            ("Pavel Orlov", "p.orlov@demo.fls"),
            ("Elena Kuznetsova", "e.kuznetsova@demo.fls"),
            ("Ivan Popov", "i.popov@demo.fls"),
        ],
        [5, 4, 5],
        strict=True,
    ):
        booking = Booking.objects.create(
            training_day=day,
            candidate=tula,
            attendee_name=name,
            attendee_email=email,
            status=BookingStatus.ATTENDED,
            rating=rating,
            rating_comment="Very practical: we copied the case-finding round the week after.",
            rated_at=now,
        )
        for from_status, to_status, side in (
            ("", BookingStatus.REQUESTED, MENTEE),
            (BookingStatus.REQUESTED, BookingStatus.CONFIRMED, MENTOR),
            (BookingStatus.CONFIRMED, BookingStatus.ATTENDED, MENTOR),
        ):
            BookingEvent.objects.create(
                booking=booking,
                from_status=from_status,
                to_status=to_status,
                side=side,
                actor=mentor if side == MENTOR else None,
            )
    return ["a past Yaroslavl day attended and rated by three people from Tula"]


@transaction.atomic
def load() -> list[str]:
    today = timezone.localdate()
    staff = get_user_model().objects.get(email="staff@demo.fls")
    return _offers(today) + _candidates(staff) + _days(today)
