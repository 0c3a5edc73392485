from datetime import timedelta

from django.utils import timezone


def valid_values(**overrides) -> dict:
    """A complete, valid episode (fracture 200 days ago) as text, like a CSV row."""
    fracture = timezone.localdate() - timedelta(days=200)
    values = {
        "patient_ref": "H0001",
        "sex": "female",
        "birth_date": (fracture - timedelta(days=75 * 365)).isoformat(),
        "fracture_date": fracture.isoformat(),
        "fracture_site": "wrist",
        "mechanism": "low_trauma_fall",
        "spine_detection": "",
        "identification_date": (fracture + timedelta(days=3)).isoformat(),
        "fls_assessment": "yes",
        "fls_assessment_date": (fracture + timedelta(days=20)).isoformat(),
        "dxa": "yes",
        "dxa_date": (fracture + timedelta(days=40)).isoformat(),
        "falls_assessment": "referred",
        "aom_recommended": "yes",
        "aom_drug": "alendronate",
        "first_followup_date": (fracture + timedelta(days=100)).isoformat(),
        "aom_started": "yes",
        "aom_started_date": (fracture + timedelta(days=50)).isoformat(),
        "sb_started": "no",
        "sb_started_date": "",
        "second_followup_date": "",
        "aom_at_52w": "",
        "death_date": "",
    }
    values.update(overrides)
    return values


def days_ago(n: int) -> str:
    return (timezone.localdate() - timedelta(days=n)).isoformat()
