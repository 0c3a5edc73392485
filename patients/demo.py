"""Demo episodes for `make run`: synthetic cohorts through the real import, so the demo shows the
list, the worklist, timelines and (later) KPIs with realistic gaps. Same day, same data."""

import random
from datetime import date, timedelta

from django.utils import timezone

from patients.importer import episodes_import
from patients.synthetic import synthetic_cohort
from programmes.models import Programme

# slug: (episodes, patient_ref prefix, seed, quality). The quality (patients/synthetic.py) tells the
# demo's story: Milano, recognised gold, works as a gold service; Sheffield and Yaroslavl (silver)
# well; Lyon and Taipei, still applying, show figures of every band.
COHORTS = {
    "yaroslavl-rech": (1500, "ЯО-", 11, 0.7),
    "lyon-sud": (700, "LYS", 12, 0.0),
    "milano-niguarda": (900, "MI", 13, 1.0),
    "taipei-ntuh": (600, "TPE", 14, 0.0),
    "sheffield-nhs": (900, "S", 15, 0.7),
}


# How the demo's fractures happened: mostly falls from standing height, a few unrecorded, and now
# and then a high-energy injury that the episode page flags as outside the FLS's scope.
MECHANISMS = [("low_trauma_fall", 78), ("other_low_energy", 8), ("unknown", 4), ("", 9), ("high_energy", 1)]


def with_mechanism(row: dict, rng: random.Random) -> dict:
    values, weights = zip(*MECHANISMS, strict=True)
    row["mechanism"] = rng.choices(values, weights)[0]
    return row


def load(today: date | None = None) -> dict[str, str]:
    today = today or timezone.localdate()
    start = date(today.year - 2, 1, 1)
    results = {}
    for slug, (count, prefix, seed, quality) in COHORTS.items():
        programme = Programme.objects.get(slug=slug)
        mechanisms = random.Random(seed)  # its own stream: the cohorts stay those of the benchmarks
        rows = synthetic_cohort(
            count=count,
            start=start,
            end=today - timedelta(days=1),
            today=today,
            seed=seed,
            prefix=prefix,
            quality=quality,
        )
        counts = episodes_import(
            programme=programme,
            rows=((n + 2, with_mechanism(row, mechanisms), []) for n, row in enumerate(rows)),
            source="demo",
            today=today,
            parallel=False,
        )
        results[slug] = str(counts)
    return results


def load_import_job(slug: str = "yaroslavl-rech") -> str | None:
    """A large-import job in the demo's list: the programme's own export imported again through a
    job (every episode unchanged), run at once without a broker, else queued for the worker. Once;
    returns what it did."""
    from patients.exports import EXPORT_COLUMNS, episode_rows
    from patients.import_jobs import import_job_create
    from patients.models import Episode, ImportJob
    from programmes import rls
    from programmes.csvio import write_csv

    programme = Programme.objects.filter(slug=slug).first()
    if programme is None:
        return None
    with rls.programme_scope(programme.pk):
        if ImportJob.objects.for_programme(programme).exists():
            return None
        episodes = Episode.objects.for_programme(programme).order_by("pk")
        content = "".join(write_csv(episode_rows(episodes), EXPORT_COLUMNS)).encode()
    job = import_job_create(
        programme=programme, actor=None, filename=f"{slug}-export-reimported.csv", content=content
    )  # committed here: the job is asked for once its row is stored
    with rls.programme_scope(programme.pk):
        job.refresh_from_db(fields=["state"])
    return f"{job.filename} ({job.rows_expected} rows): {job.get_state_display()}"
