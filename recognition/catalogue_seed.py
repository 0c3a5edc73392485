"""Catalogue version 1: the 13 standards and five domains of the Best Practice Framework.

The intents and the per-level texts are this registry's own short summaries; the registry does
not hold IOF's official criteria wording, and every standard says so (``official_wording_held``
off) until IOF staff replace the texts in a new catalogue version. Used by the data migration
(with its historical models) and by tests whose database was emptied.
"""

from django.utils import timezone

PATIENT_DOMAINS = ["hip", "inpatient", "outpatient", "vertebral"]
ORGANISATION = ["organisation"]

# number, name, KPI evidence, domains, intent, bronze, silver, gold
STANDARDS = [
    (
        1,
        "Patient identification",
        ["KPI1", "KPI2"],
        PATIENT_DOMAINS,
        "Find the people aged 50 and over who have had a fragility fracture, so that none leaves care unseen.",
        "A route exists to find some of the patients of this group.",
        "Most of the expected patients of this group are found.",
        "Nearly all the expected patients of this group are found, systematically.",
    ),
    (
        2,
        "Patient evaluation",
        ["KPI3", "KPI4"],
        PATIENT_DOMAINS,
        "Each identified patient has their future fracture risk assessed, with bone density measured where needed.",
        "Some identified patients have a risk assessment.",
        "Most identified patients have a risk assessment and DXA where indicated.",
        "Nearly every identified patient has a full risk assessment with DXA where indicated.",
    ),
    (
        3,
        "Post-fracture assessment timing",
        ["KPI3"],
        PATIENT_DOMAINS,
        "The assessment happens soon after the fracture, while treatment can still prevent the next one.",
        "Assessments happen, without a set time frame.",
        "Most assessments happen within 12 weeks of the fracture.",
        "Nearly all assessments happen within 12 weeks of the fracture.",
    ),
    (
        4,
        "Vertebral fracture identification",
        ["KPI2"],
        PATIENT_DOMAINS,
        "Vertebral fractures, often silent, are looked for and recorded, including those seen on imaging done for other reasons.",
        "Vertebral fractures are identified when they present clinically.",
        "Imaging reports are searched for vertebral fractures as well.",
        "Vertebral fractures are identified systematically, from clinics and imaging alike.",
    ),
    (
        5,
        "Assessment guidelines",
        [],
        ORGANISATION,
        "The service assesses patients according to recognised local, regional or national guidelines.",
        "A guideline is named and used for some patients.",
        "A recognised guideline is followed for most patients.",
        "A recognised guideline is followed for all patients and its use is audited.",
    ),
    (
        6,
        "Secondary causes of osteoporosis",
        [],
        PATIENT_DOMAINS,
        "Patients are screened for conditions that cause or worsen bone loss.",
        "Some patients are screened for secondary causes.",
        "Most patients are screened with a defined set of tests.",
        "All patients are screened with a defined set of tests and results are acted on.",
    ),
    (
        7,
        "Falls prevention services",
        ["KPI5", "KPI9"],
        PATIENT_DOMAINS,
        "Patients at risk of falling are assessed and offered falls prevention, including strength and balance.",
        "Falls risk is considered for some patients.",
        "Most patients are assessed for falls risk and referred when at risk.",
        "Nearly every patient is assessed and those at risk start a falls prevention programme.",
    ),
    (
        8,
        "Multifaceted health and lifestyle risk-factor assessment",
        [],
        PATIENT_DOMAINS,
        "Lifestyle and health factors that affect bone health (smoking, alcohol, nutrition, activity) are assessed and addressed.",
        "Some lifestyle factors are discussed with some patients.",
        "Most patients have their lifestyle risk factors assessed.",
        "All patients have their risk factors assessed and receive advice or referral.",
    ),
    (
        9,
        "Medication initiation",
        ["KPI6", "KPI8"],
        PATIENT_DOMAINS,
        "Patients who need osteoporosis medication have it recommended and started.",
        "Medication is recommended for some patients who need it.",
        "Most patients who need it have medication recommended and started.",
        "Nearly every patient who needs it starts medication within 16 weeks.",
    ),
    (
        10,
        "Medication review",
        ["KPI10"],
        PATIENT_DOMAINS,
        "Patients already on treatment when they fracture have their medication reviewed, and treatment continues.",
        "Treatment is reviewed for some patients.",
        "Most patients on treatment are reviewed and still treated at one year.",
        "Nearly every patient on treatment is reviewed and still treated at one year.",
    ),
    (
        11,
        "Communication strategy",
        [],
        ORGANISATION,
        "The service tells the patient and their primary care team what was found and what is recommended.",
        "Some findings are communicated to primary care.",
        "A written plan reaches primary care for most patients.",
        "Every patient and their primary care team receive a written plan, and receipt is checked.",
    ),
    (
        12,
        "Long-term management",
        ["KPI7", "KPI10"],
        PATIENT_DOMAINS,
        "Patients are followed up so that treatment is taken and continued over the long term.",
        "Some patients are followed up.",
        "Most patients are followed up within 16 weeks.",
        "Nearly every patient is followed up at 16 weeks and at one year.",
    ),
    (
        13,
        "Database",
        ["KPI11"],
        ORGANISATION,
        "The service records its patients in a database and uses the figures to improve.",
        "Patients are recorded, with gaps in the required items.",
        "Most records carry the required items and figures are reviewed.",
        "Nearly every record is complete and the figures drive regular improvement.",
    ),
]


def seed(CatalogueVersion, Standard):
    """Create version 1, published, unless it exists."""
    if CatalogueVersion.objects.filter(number=1).exists():
        return
    catalogue = CatalogueVersion.objects.create(
        number=1,
        title="Best Practice Framework (registry summary)",
        note="Seeded with the 13 standards and five domains. The texts are the registry's own summaries; "
        "IOF's official criteria wording is not held.",
        published_at=timezone.now(),
    )
    for number, name, kpis, domains, intent, bronze, silver, gold in STANDARDS:
        Standard.objects.create(
            catalogue=catalogue,
            number=number,
            name=name,
            kpi_codes=kpis,
            domains=domains,
            intent=intent,
            bronze_asks=bronze,
            silver_asks=silver,
            gold_asks=gold,
            official_wording_held=False,
        )
