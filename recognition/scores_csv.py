"""A table of (domain, standard, score) rows: the ``recognition_level`` command's input."""

from __future__ import annotations

import contextlib

from django.utils.translation import gettext as _

from programmes.csvio import CsvReader, CsvRejected, RowError
from recognition.scoring import DOMAINS, SCORES, STANDARDS

COLUMNS = ("domain", "standard", "score")


def read_scores(stream) -> dict[tuple[str, int], int | None]:
    """``{(domain, standard): score}``, ``None`` for ``na``; every bad row is reported, then refused."""
    reader = CsvReader(stream, columns=COLUMNS, required=COLUMNS)
    scores: dict[tuple[str, int], int | None] = {}
    first_seen: dict[tuple[str, int], int] = {}
    errors: list[RowError] = []
    for row_number, values, row_errors in reader:
        errors.extend(row_errors)
        if values is None:
            continue
        domain = values["domain"].lower()
        if domain not in DOMAINS:
            errors.append(
                RowError(
                    row_number,
                    "domain",
                    _("unknown domain '%(value)s'; the domains are: %(domains)s")
                    % {"value": values["domain"], "domains": ", ".join(DOMAINS)},
                )
            )
        standard = None
        with contextlib.suppress(ValueError):
            standard = int(values["standard"])
        if standard not in STANDARDS:
            errors.append(
                RowError(
                    row_number,
                    "standard",
                    _("'%(value)s' is not a standard: give a number from 1 to 13") % {"value": values["standard"]},
                )
            )
            standard = None
        raw_score = values["score"].lower()
        score: int | None = None
        if raw_score != "na":
            try:
                score = int(raw_score)
            except ValueError:
                score = -1
            if score not in SCORES:
                errors.append(
                    RowError(
                        row_number,
                        "score",
                        _("'%(value)s' is not a score: give 0, 1, 2, 3 or na") % {"value": values["score"]},
                    )
                )
                continue
        if domain not in DOMAINS or standard is None:
            continue
        key = (domain, standard)
        if key in first_seen:
            errors.append(
                RowError(
                    row_number,
                    "standard",
                    _("standard %(standard)s of domain %(domain)s already scored on row %(row)s")
                    % {"standard": standard, "domain": domain, "row": first_seen[key]},
                )
            )
            continue
        first_seen[key] = row_number
        scores[key] = score
    if errors:
        raise CsvRejected(errors)
    return scores
