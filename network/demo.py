"""Demo public face for `make run`, through the services. Idempotent.

- The map: Milano (gold), Yaroslavl and Sheffield (silver) are recognised champions; Lyon is not
  recognised but its lead chose to be on the map; Taipei (recognition lapsed) did not, so it is not
  shown; candidates (Kazan, Tula, Bergamo, Kraków) never are. Milano, Yaroslavl and Sheffield show
  their KPI bands and a public text.
- The library: real public resources in English, Russian, French and Italian, each described in our
  own words, with its publisher and a link; a Russian patient leaflet written for the demo by
  Yaroslavl's lead (a PDF) proposed and approved; a proposal from Lyon waits for IOF staff.
- The calculator: parameters for the demo countries. The subsequent-fracture risk and the relative
  risk reduction carry their sources everywhere, the UK hip fracture cost too; every other value has
  no source and shows as "illustrative: set your own".
"""

from __future__ import annotations

from datetime import date

from django.contrib.auth import get_user_model
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import transaction

from network import services
from network.models import CalculatorParameters, PublicListing, Resource, ResourceStatus
from programmes.models import Programme
from recognition.demo import lead_of

LISTINGS = {
    # slug: (on the map while not recognised, KPI bands on the profile, public text)
    "lyon-sud": (
        True,
        False,
        "Service de liaison fracture des **Hospices Civils de Lyon** (hôpital Lyon Sud).\n\n"
        "- Repérage des fractures de fragilité aux urgences et en orthopédie\n"
        "- Consultation os et chutes à 6 semaines",
    ),
    "milano-niguarda": (
        True,
        True,
        "Fracture Liaison Service of **ASST Niguarda**: every patient over 50 with a fragility fracture "
        "is seen by the FLS nurse before discharge.\n\nWe host training days in Italian and English.",
    ),
    "yaroslavl-rech": (
        False,
        True,
        "Служба профилактики повторных переломов Ярославской областной клинической больницы.\n\n"
        "We teach in Russian and English; see our training days below.",
    ),
    "sheffield-nhs": (False, True, "Sheffield's FLS works across the city's hospitals and general practice."),
}

BALASUBRAMANIAN = (
    "Balasubramanian A, Zhang J, Chen L, et al. 2019. Risk of subsequent fracture after prior fracture among "
    "older women. Osteoporos Int 30:79-92 (18 % within 2 years)."
)
DARE = (
    "Centre for Reviews and Dissemination, DARE abstract 12010002971: meta-analysis of bisphosphonate trials "
    "in women, all fractures OR 0.776 (about 22 % fewer)."
)
LEAL = (
    "Leal J, Gray AM, Prieto-Alhambra D, et al. 2016. Impact of hip fracture on hospital care costs: a "
    "population-based study. Osteoporos Int 27:549-558 (GBP 14,163 in the first year)."
)
# country: currency, hip cost, non-hip cost, FLS annual cost (the last three illustrative unless cited)
PARAMETERS = {
    "GB": ("GBP", "14163", "3000", "90000", {"hip_cost": LEAL}),
    "RU": ("RUB", "350000", "90000", "3000000", {}),
    "IT": ("EUR", "15000", "4000", "90000", {}),
    "FR": ("EUR", "14000", "4000", "100000", {}),
    "TW": ("TWD", "250000", "70000", "2000000", {}),
}

RESOURCES = [
    {
        "title": "Capture the Fracture: a Best Practice Framework and global campaign to break the fragility fracture cycle",
        "summary": "The paper that set out the 13 standards of the Best Practice Framework, which IOF uses to "
        "recognise Fracture Liaison Services at gold, silver or bronze level. A good first read for a team "
        "preparing its application.",
        "publisher": "IOF Fracture Working Group, Osteoporosis International (2013)",
        "kind": "clinical_standard",
        "languages": ["en"],
        "topics": ["setup", "assessment"],
        "url": "https://doi.org/10.1007/s00198-013-2348-z",
    },
    {
        "title": "A patient-level key performance indicator set to measure the effectiveness of fracture liaison services",
        "summary": "Defines the eleven patient-level KPIs this registry computes (identification, assessment, DXA, "
        "falls, medication, monitoring, adherence and data completeness) and their red, amber and green bands.",
        "publisher": "IOF Capture the Fracture Working Group, NOF and FFN, Osteoporosis International (2020)",
        "kind": "clinical_standard",
        "languages": ["en"],
        "topics": ["data", "follow_up", "treatment"],
        "url": "https://doi.org/10.1007/s00198-020-05377-1",
    },
    {
        "title": "Краткое изложение проекта федеральных клинических рекомендаций по остеопорозу",
        "summary": "Сводка российских клинических рекомендаций по остеопорозу: скрининг, диагностика, "
        "назначение и продолжительность лечения, в том числе после перелома.",
        "publisher": "Остеопороз и остеопатии (2021), Российская ассоциация эндокринологов и др.",
        "kind": "clinical_standard",
        "languages": ["ru"],
        "countries": ["RU"],
        "topics": ["treatment", "dxa"],
        "url": "https://doi.org/10.14341/osteo12710",
    },
    {
        "title": "Первый опыт организации в Санкт-Петербурге вторичной профилактики повторных остеопоротических переломов",
        "summary": "Как городская поликлиника организовала вторичную профилактику переломов по программе "
        "«Прометей» Российской ассоциации по остеопорозу: опыт, который пригодится новой службе.",
        "publisher": "Фарматека",
        "kind": "article",
        "languages": ["ru"],
        "countries": ["RU"],
        "topics": ["setup", "case_finding"],
        "url": "https://new.pharmateca.ru/articles/Pervyi-opyt-organizacii-v-Sankt-Peterburge-vtorichnoi-profilaktiki-povtornyh-osteoporoticheskih-perelomov-kostei-v-ramkah-programmy-Prometei-Rossiisko.html",
    },
    {
        "title": "Actualisation 2018 des recommandations françaises du traitement de l'ostéoporose post-ménopausique",
        "summary": "Les recommandations de la SFR et du GRIO : traiter en priorité les femmes après une fracture "
        "sévère, choix du traitement et réévaluation tous les 2 à 3 ans. Publiées en français dans la Revue "
        "du Rhumatisme ; le lien mène à la version anglaise (Joint Bone Spine).",
        "publisher": "Société française de rhumatologie et GRIO (2018)",
        "kind": "clinical_standard",
        "languages": ["fr", "en"],
        "countries": ["FR"],
        "topics": ["treatment"],
        "url": "https://doi.org/10.1016/j.jbspin.2018.02.009",
    },
    {
        "title": "Linee guida sulla gestione dell'osteoporosi e delle fratture da fragilità",
        "summary": "Le linee guida condivise da otto società scientifiche italiane (tra cui SIOMMMS, SIOT e SIMG): "
        "diagnosi, prevenzione e trattamento delle fratture da fragilità. Il link porta al sito della SIOMMMS.",
        "publisher": "Commissione Intersocietaria per l'Osteoporosi (2017)",
        "kind": "clinical_standard",
        "languages": ["it"],
        "countries": ["IT"],
        "topics": ["treatment", "falls"],
        "url": "https://www.siommms.it/",
    },
    {
        "title": "Clinical guidelines for the prevention and treatment of osteoporosis: summary statements from the Italian Society for Orthopaedics and Traumatology",
        "summary": "Recommendations for orthopaedic surgeons, including how to set up and run a fracture liaison "
        "service for tertiary prevention.",
        "publisher": "Italian Society for Orthopaedics and Traumatology, Journal of Orthopaedics and Traumatology (2017)",
        "kind": "clinical_standard",
        "languages": ["en"],
        "countries": ["IT"],
        "topics": ["setup", "treatment"],
        "url": "https://jorthoptraumatol.springeropen.com/articles/10.1007/s10195-017-0474-7",
    },
]
LEAFLET_TITLE = "Памятка пациенту после перелома: как не сломать кость снова"
LEAFLET_HTML = """<html lang="ru"><head><meta charset="utf-8"><style>
body { font: 12pt "Noto Sans", "DejaVu Sans", sans-serif; } h1 { font-size: 16pt; }</style></head><body>
<h1>Памятка пациенту после перелома</h1>
<p>Перелом при падении с высоты своего роста — признак хрупких костей. Служба профилактики повторных
переломов поможет снизить риск следующего перелома.</p>
<ul><li>Пройдите денситометрию (DXA), если врач её назначил.</li>
<li>Принимайте назначенное лечение остеопороза не реже, чем указано, и не прекращайте его сами.</li>
<li>Выполняйте упражнения на силу и равновесие; уберите дома то, обо что можно споткнуться.</li>
<li>Придите на контрольный визит через 16 недель и через год.</li></ul>
<p>Демонстрационная памятка службы FLS Ярославль.</p></body></html>"""
PROPOSAL_FROM_LYON = {
    "title": "European guidance for the diagnosis and management of osteoporosis in postmenopausal women",
    "summary": "IOF and ESCEO guidance for Europe, including the role of fracture liaison services and FRAX in "
    "secondary prevention. Proposed as a reference for our French colleagues.",
    "publisher": "ESCEO and IOF, Osteoporosis International (2019)",
    "kind": "clinical_standard",
    "languages": ["en"],
    "topics": ["treatment", "setup"],
    "url": "https://link.springer.com/article/10.1007/s00198-018-4704-5",
}


def _values(item: dict) -> services.ResourceInput:
    return services.ResourceInput(
        title=item["title"],
        summary=item["summary"],
        kind=item["kind"],
        languages=item["languages"],
        last_reviewed=date(2026, 10, 1),
        publisher=item["publisher"],
        countries=item.get("countries", []),
        topics=item.get("topics", []),
        url=item.get("url", ""),
    )


def _leaflet_pdf() -> bytes:
    from weasyprint import HTML  # slow to import: only when the demo makes its leaflet

    return HTML(string=LEAFLET_HTML).write_pdf()


@transaction.atomic
def load() -> list[str]:
    staff = get_user_model().objects.get(email="staff@demo.fls")
    programmes = {p.slug: p for p in Programme.objects.all()}
    done = []
    for slug, (on_map, bands, text) in LISTINGS.items():
        programme = programmes.get(slug)
        if programme is None or PublicListing.objects.filter(programme=programme).exists():
            continue
        services.public_listing_save(
            programme=programme,
            actor=lead_of(programme),
            show_on_map=on_map,
            show_kpi_bands=bands,
            public_text=text,
            version=None,
        )
        done.append(f"{slug}: public listing")
    for item in RESOURCES:
        if not Resource.objects.filter(title=item["title"]).exists():
            services.resource_create(actor=staff, values=_values(item))
            done.append(f"resource: {item['title'][:40]}")
    yaroslavl, lyon = programmes.get("yaroslavl-rech"), programmes.get("lyon-sud")
    if yaroslavl is not None and not Resource.objects.filter(title=LEAFLET_TITLE).exists():
        leaflet = services.resource_propose(
            programme=yaroslavl,
            actor=lead_of(yaroslavl),
            values=_values(
                {
                    "title": LEAFLET_TITLE,
                    "summary": "Памятка пациенту после перелома: зачем обследовать кости, как принимать лечение, "
                    "упражнения и контрольные визиты. Написана для демонстрации.",
                    "publisher": "FLS Yaroslavl (demo)",
                    "kind": "patient_leaflet",
                    "languages": ["ru"],
                    "countries": ["RU"],
                    "topics": ["treatment", "falls", "follow_up"],
                }
            ),
            upload=SimpleUploadedFile("pamyatka.pdf", _leaflet_pdf(), content_type="application/pdf"),
        )
        services.resource_transition(resource=leaflet, to=ResourceStatus.PUBLISHED, actor=staff)
        done.append("resource: Yaroslavl's leaflet, approved")
    if lyon is not None and not Resource.objects.filter(title=PROPOSAL_FROM_LYON["title"]).exists():
        services.resource_propose(programme=lyon, actor=lead_of(lyon), values=_values(PROPOSAL_FROM_LYON))
        done.append("resource: Lyon's proposal, waiting")
    for country, (currency, hip, non_hip, fls, cited) in PARAMETERS.items():
        if CalculatorParameters.objects.filter(country=country).exists():
            continue
        services.calculator_parameters_save(
            actor=staff,
            country=country,
            values={
                "currency": currency,
                "risk_overall": "0.18",
                "relative_risk_reduction": "0.22",
                "hip_share": "0.25",
                "hip_cost": hip,
                "non_hip_cost": non_hip,
                "fls_annual_cost": fls,
                "horizon_years": "2",
            },
            sources={
                "risk_overall": BALASUBRAMANIAN,
                "relative_risk_reduction": DARE,
                "horizon_years": "The horizon of the cited risk: " + BALASUBRAMANIAN,
                **cited,
            },
            version=None,
        )
        done.append(f"calculator parameters: {country}")
    return done
