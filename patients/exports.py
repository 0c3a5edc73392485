"""The CSV export: the dataset's columns and nothing else (an allow-list).

A field added to the models later is not exported until it is added to ``EXPORT_COLUMNS``.
"""

from collections.abc import Iterator

from django.db.models import QuerySet

from patients import rules

EXPORT_COLUMNS = list(rules.COLUMNS)
_SOURCES = ["patient__patient_ref", "patient__sex", "patient__birth_date", *rules.EPISODE_FIELDS]


def episode_rows(episodes: QuerySet) -> Iterator[list[str]]:
    """Rows in ``EXPORT_COLUMNS`` order, streamed from the database in batches."""
    for values in episodes.values_list(*_SOURCES).iterator(chunk_size=5000):
        yield [rules.as_text(v) for v in values]
