"""Demo episodes for `make run`: synthetic cohorts through the real import, so the demo shows the
list, the worklist, timelines and (later) KPIs with realistic gaps. Same day, same data."""

from datetime import date, timedelta

from django.utils import timezone

from patients.importer import episodes_import
from patients.synthetic import synthetic_cohort
from programmes.models import Programme

# slug: (episodes, patient_ref prefix, seed)
COHORTS = {
    "yaroslavl-rech": (1500, "ЯО-", 11),
    "lyon-sud": (700, "LYS", 12),
    "milano-niguarda": (500, "MI", 13),
    "taipei-ntuh": (600, "TPE", 14),
    "sheffield-nhs": (900, "S", 15),
}


def load(today: date | None = None) -> dict[str, str]:
    today = today or timezone.localdate()
    start = date(today.year - 2, 1, 1)
    results = {}
    for slug, (count, prefix, seed) in COHORTS.items():
        programme = Programme.objects.get(slug=slug)
        rows = synthetic_cohort(
            count=count, start=start, end=today - timedelta(days=1), today=today, seed=seed, prefix=prefix
        )
        counts = episodes_import(
            programme=programme,
            rows=((n + 2, row, []) for n, row in enumerate(rows)),
            source="demo",
            today=today,
            parallel=False,
        )
        results[slug] = str(counts)
    return results
