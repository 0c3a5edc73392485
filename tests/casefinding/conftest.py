import io
import json

import pytest
from django.core.management import call_command

from casefinding.models import Candidate
from programmes import rls


def run_find(programme, content: bytes, tmp_path, *args) -> tuple[int, dict | None, str]:
    """``find_cases SLUG FILE --json``: (exit status, the printed JSON, stderr)."""
    path = tmp_path / f"feed-{len(list(tmp_path.iterdir()))}"
    path.write_bytes(content)
    out, err = io.StringIO(), io.StringIO()
    try:
        call_command("find_cases", programme.slug, str(path), "--json", *args, stdout=out, stderr=err)
    except SystemExit as exc:
        return exc.code, None, err.getvalue()
    return 0, json.loads(out.getvalue()), err.getvalue()


def candidates_of(programme):
    with rls.programme_scope(programme.pk):
        return list(Candidate.objects.for_programme(programme).order_by("event_date", "id"))


@pytest.fixture
def find(programme, tmp_path):
    def run(content: bytes, *args, target=None):
        return run_find(target or programme, content, tmp_path, *args)

    return run


@pytest.fixture(autouse=True)
def _record_numbers(request):
    """The hospital's record numbers are the FHIR identifiers of the samples' system."""
    if "programme" in request.fixturenames:
        programme = request.getfixturevalue("programme")
        programme.record_number_system = "urn:oid:1.2.3.4"
        programme.save(update_fields=["record_number_system"])
