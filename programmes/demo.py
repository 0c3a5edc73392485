"""Demo programmes, people and settings for `make run`. Idempotent: keyed by slug and e-mail."""

from decimal import Decimal

from django.contrib.auth import get_user_model
from django.db import transaction

from accounts.models import GlobalRole
from programmes import services
from programmes.models import Membership, Programme, Role

DEMO_PASSWORD = "fls-demo-2026"
# The demo's authenticator-app key, for every demo account whose role requires two-factor
# authentication (leads, reviewers, IOF staff, the administrator). Published: demo data only.
DEMO_TOTP_SECRET = "FLSDEMOFLSDEMOFLSDEMOFLSDEMOFLSD"

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

# Each programme's clock (accounts/clock.py). Kazan keeps Moscow time, though the nearest principal
# place in the time-zone table is Ulyanovsk's: a default to check, as the settings page says.
TIME_ZONES = {
    "yaroslavl-rech": "Europe/Moscow",
    "lyon-sud": "Europe/Paris",
    "milano-niguarda": "Europe/Rome",
    "taipei-ntuh": "Asia/Taipei",
    "sheffield-nhs": "Europe/London",
    "kazan-candidate": "Europe/Moscow",
}

# The fragility fractures each programme expects a year (non-spine, spine): the identification KPIs'
# denominators. The recognised programmes find most of theirs (patients/demo.py tells their story).
CASELOADS = {
    "yaroslavl-rech": {2025: (560, 100), 2026: (570, 100)},
    "lyon-sud": {2025: (1100, 260), 2026: (1120, 270)},
    "milano-niguarda": {2025: (300, 52), 2026: (300, 52)},
    "taipei-ntuh": {2025: (700, 240), 2026: (720, 250)},
    "sheffield-nhs": {2025: (330, 60), 2026: (330, 60)},
}

# The system administrator (hospital IT): created as by ``createsuperuser``; grants IOF staff.
OPERATOR = ("admin@demo.fls", "Registry Operator")
# e-mail, name, global role (granted by the operator or IOF staff), {programme slug: role}
PEOPLE = [
    ("staff@demo.fls", "IOF Staff Member", GlobalRole.IOF_STAFF, {}),
    ("reviewer@demo.fls", "Prof Anna Keller", GlobalRole.REVIEWER, {}),
    ("reviewer2@demo.fls", "Dr Tomás Ortega", GlobalRole.REVIEWER, {}),
    ("lead@demo.fls", "Dr Irina Sokolova", None, {"yaroslavl-rech": Role.LEAD}),
    (
        "coordinator@demo.fls",
        "Olga Petrova",
        None,
        {"yaroslavl-rech": Role.COORDINATOR, "kazan-candidate": Role.VIEWER},
    ),
    ("viewer@demo.fls", "Dmitri Ivanov", None, {"yaroslavl-rech": Role.VIEWER}),
    ("lyon.lead@demo.fls", "Dr Claire Martin", None, {"lyon-sud": Role.LEAD}),
    ("lyon.coordinator@demo.fls", "Julie Bernard", None, {"lyon-sud": Role.COORDINATOR}),
    ("milano.lead@demo.fls", "Dr Marco Rossi", None, {"milano-niguarda": Role.LEAD}),
    ("taipei.lead@demo.fls", "Dr Chen Mei-Ling", None, {"taipei-ntuh": Role.LEAD}),
    ("sheffield.lead@demo.fls", "Dr Sarah Hughes", None, {"sheffield-nhs": Role.LEAD}),
    ("kazan.lead@demo.fls", "Dr Aidar Khasanov", None, {"kazan-candidate": Role.LEAD}),
]
# The language some people chose on their profile (the others read their browser's language).
LANGUAGE_OF = {
    "reviewer2@demo.fls": "es",
    "lyon.lead@demo.fls": "fr",
    "lyon.coordinator@demo.fls": "fr",
    "milano.lead@demo.fls": "it",
    "taipei.lead@demo.fls": "zh-hant",
    "kazan.lead@demo.fls": "ru",
}


def _person(email: str, full_name: str):
    from allauth.account.models import EmailAddress

    User = get_user_model()
    user = User.objects.filter(email=email).first()
    if user is None:
        user = User(email=email)
    user.full_name = full_name
    user.language = LANGUAGE_OF.get(email, "")
    if not user.check_password(DEMO_PASSWORD):
        user.set_password(DEMO_PASSWORD)
    user.save()
    EmailAddress.objects.update_or_create(user=user, email=email, defaults={"verified": True, "primary": True})
    return user


def _operator():
    email, full_name = OPERATOR
    operator = get_user_model().objects.filter(email=email).first()
    if operator is None:
        operator = get_user_model().objects.create_superuser(email, DEMO_PASSWORD, full_name=full_name)
        services.superuser_created(user=operator)
    return _person(email, full_name)


@transaction.atomic
def load() -> list[tuple[str, str]]:
    """Create or refresh the demo through the audited services; returns (e-mail, what they can do)."""
    programmes = {}
    for slug, name, institution, country, city, lat, lon, languages, care, status in PROGRAMMES:
        fields = {
            "name": name,
            "institution": institution,
            "country": country,
            "city": city,
            "latitude": Decimal(lat),
            "longitude": Decimal(lon),
            "languages": languages,
            "care_setting": care,
            "status": status,
            "time_zone": TIME_ZONES[slug],
        }
        programme = Programme.objects.filter(slug=slug).first()
        if programme is None:
            programmes[slug] = services.programme_create(actor=None, slug=slug, **fields)
        else:
            programmes[slug] = services.programme_update(programme=programme, actor=None, **fields)
    for slug, years in CASELOADS.items():
        for year, (non_spine, spine) in years.items():
            services.expected_caseload_set(programme=programmes[slug], year=year, non_spine=non_spine, spine=spine)
    operator = _operator()
    logins = [(OPERATOR[0], "system administrator (superuser): the episode admin, passwords, superuser grants")]
    granted_by = {GlobalRole.IOF_STAFF: operator}
    staff = None
    for email, full_name, global_role, roles in PEOPLE:
        user = _person(email, full_name)
        if global_role is not None:
            services.global_role_grant(actor=granted_by.get(global_role, staff), user=user, role=global_role)
            user.refresh_from_db()
            if global_role == GlobalRole.IOF_STAFF:
                staff = user
        for slug, role in roles.items():
            membership = Membership.objects.filter(user=user, programme=programmes[slug]).first()
            if membership is None:
                services.membership_grant(actor=staff, user=user, programme=programmes[slug], role=role)
            elif membership.role != role:
                services.membership_set_role(membership=membership, role=role, actor=staff)
        what = ", ".join(
            [f"{role} of {slug}" for slug, role in roles.items()] + ([str(global_role.label)] if global_role else [])
        )
        logins.append((email, what))
    return logins


def demo_authenticators() -> list[str]:
    """Give every demo account whose role requires two-factor authentication the demo's authenticator
    key (and recovery codes), as if they had set it up; returns their e-mail addresses."""
    from allauth.mfa.models import Authenticator
    from allauth.mfa.recovery_codes.internal.auth import RecoveryCodes
    from allauth.mfa.totp.internal.auth import TOTP

    from accounts.mfa import has_totp, mfa_required

    emails = []
    for user in get_user_model().objects.filter(email__endswith="@demo.fls").order_by("email"):
        if not mfa_required(user):
            continue
        if not has_totp(user):
            TOTP.activate(user, DEMO_TOTP_SECRET)
        if not Authenticator.objects.filter(user=user, type=Authenticator.Type.RECOVERY_CODES).exists():
            RecoveryCodes.activate(user)
        emails.append(user.email)
    return emails


def demo_code() -> str:
    """The six-digit code an authenticator app holding the demo key shows now."""
    from accounts.mfa import totp_code

    return totp_code(DEMO_TOTP_SECRET)
