"""Demo programmes, people and settings for `make run`. Idempotent: keyed by slug and e-mail."""

from decimal import Decimal

from django.contrib.auth import get_user_model
from django.db import transaction

from programmes.models import ExpectedCaseload, Membership, Programme, Role

DEMO_PASSWORD = "fls-demo-2026"

PROGRAMMES = [
    # slug, name, institution, country, city, lat, lon, languages, care setting, status
    (
        "yaroslavl-rech",
        "FLS Yaroslavl",
        "Yaroslavl Regional Clinical Hospital",
        "RU",
        "Yaroslavl",
        "57.626100",
        "39.884500",
        ["ru", "en"],
        "mixed",
        "active",
    ),
    (
        "lyon-sud",
        "FLS Lyon Sud",
        "Hospices Civils de Lyon",
        "FR",
        "Lyon",
        "45.693100",
        "4.807700",
        ["fr", "en"],
        "mixed",
        "active",
    ),
    (
        "milano-niguarda",
        "FLS Milano Niguarda",
        "ASST Grande Ospedale Metropolitano Niguarda",
        "IT",
        "Milano",
        "45.511200",
        "9.185600",
        ["it", "en"],
        "inpatient",
        "active",
    ),
    (
        "taipei-ntuh",
        "FLS Taipei",
        "National Taiwan University Hospital",
        "TW",
        "Taipei",
        "25.040800",
        "121.519600",
        ["zh", "en"],
        "mixed",
        "active",
    ),
    (
        "sheffield-nhs",
        "Sheffield FLS",
        "Sheffield Teaching Hospitals",
        "GB",
        "Sheffield",
        "53.381100",
        "-1.470100",
        ["en"],
        "outpatient",
        "active",
    ),
    (
        "kazan-candidate",
        "Kazan FLS (in set-up)",
        "Kazan City Hospital No. 7",
        "RU",
        "Kazan",
        "55.796100",
        "49.106400",
        ["ru"],
        "inpatient",
        "candidate",
    ),
]

CASELOADS = {
    "yaroslavl-rech": {2025: (820, 190), 2026: (840, 200)},
    "lyon-sud": {2025: (1100, 260), 2026: (1120, 270)},
    "milano-niguarda": {2025: (950, 210)},
    "taipei-ntuh": {2025: (700, 240), 2026: (720, 250)},
    "sheffield-nhs": {2025: (1500, 330), 2026: (1500, 330)},
}

# e-mail, name, global roles, {programme slug: role}
PEOPLE = [
    ("lead@demo.fls", "Dr Irina Sokolova", {}, {"yaroslavl-rech": Role.LEAD}),
    ("coordinator@demo.fls", "Olga Petrova", {}, {"yaroslavl-rech": Role.COORDINATOR, "kazan-candidate": Role.VIEWER}),
    ("viewer@demo.fls", "Dmitri Ivanov", {}, {"yaroslavl-rech": Role.VIEWER}),
    ("lyon.lead@demo.fls", "Dr Claire Martin", {}, {"lyon-sud": Role.LEAD}),
    ("lyon.coordinator@demo.fls", "Julie Bernard", {}, {"lyon-sud": Role.COORDINATOR}),
    ("milano.lead@demo.fls", "Dr Marco Rossi", {}, {"milano-niguarda": Role.LEAD}),
    ("taipei.lead@demo.fls", "Dr Chen Mei-Ling", {}, {"taipei-ntuh": Role.LEAD}),
    ("sheffield.lead@demo.fls", "Dr Sarah Hughes", {}, {"sheffield-nhs": Role.LEAD}),
    ("kazan.lead@demo.fls", "Dr Aidar Khasanov", {}, {"kazan-candidate": Role.LEAD}),
    ("reviewer@demo.fls", "Prof Anna Keller", {"is_reviewer": True}, {}),
    ("staff@demo.fls", "IOF Staff Member", {"is_iof_staff": True}, {}),
]


@transaction.atomic
def load() -> list[tuple[str, str]]:
    """Create or refresh the demo; returns (e-mail, what they can do) for the login list."""
    from allauth.account.models import EmailAddress

    User = get_user_model()
    programmes = {}
    for slug, name, institution, country, city, lat, lon, languages, care, status in PROGRAMMES:
        programmes[slug], _ = Programme.objects.update_or_create(
            slug=slug,
            defaults={
                "name": name,
                "institution": institution,
                "country": country,
                "city": city,
                "latitude": Decimal(lat),
                "longitude": Decimal(lon),
                "languages": languages,
                "care_setting": care,
                "status": status,
            },
        )
    for slug, years in CASELOADS.items():
        for year, (non_spine, spine) in years.items():
            ExpectedCaseload.objects.update_or_create(
                programme=programmes[slug], year=year, defaults={"non_spine": non_spine, "spine": spine}
            )
    logins = []
    for email, full_name, flags, roles in PEOPLE:
        user, _ = User.objects.update_or_create(
            email=email,
            defaults={"full_name": full_name, "is_active": True, "is_reviewer": False, "is_iof_staff": False, **flags},
        )
        if not user.check_password(DEMO_PASSWORD):
            user.set_password(DEMO_PASSWORD)
            user.save(update_fields=["password"])
        EmailAddress.objects.update_or_create(user=user, email=email, defaults={"verified": True, "primary": True})
        for slug, role in roles.items():
            Membership.objects.update_or_create(user=user, programme=programmes[slug], defaults={"role": role})
        what = ", ".join(
            [f"{role} of {slug}" for slug, role in roles.items()]
            + [
                label
                for flag, label in (("is_reviewer", "IOF reviewer"), ("is_iof_staff", "IOF staff"))
                if flags.get(flag)
            ]
        )
        logins.append((email, what))
    return logins
