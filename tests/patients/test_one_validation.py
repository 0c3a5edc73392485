"""The same bad input gives the same message through the form, the CSV import, the API and the admin."""

import csv
import io

import pytest
from django.test import Client

from accounts.services import api_token_create
from patients import rules
from patients.importer import ImportRejected, csv_rows, episodes_import
from tests.conftest import sign_in
from tests.factories import UserFactory
from tests.patients.conftest import days_ago, valid_values

BAD_INPUTS = [
    {"sex": "woman"},
    {"fracture_site": "knee"},
    {"birth_date": days_ago(200 + 40 * 365)},
    {"dxa": "no"},
    {"fls_assessment": "yes", "fls_assessment_date": ""},
    {"second_followup_date": days_ago(150)},
    {"aom_recommended": "no"},
    {"fracture_site": "spine"},
    {"identification_date": "2025-02-30"},
]


def expected(values):
    from django.utils import timezone

    _clean, errors = rules.clean_episode(values, today=timezone.localdate())
    assert errors, values
    return sorted((e.field, e.message) for e in errors)


def through_form(programme, coordinator, values):
    import html
    import re

    client = Client()
    sign_in(client, coordinator)
    page = client.post(f"/p/{programme.slug}/episodes/new/", values).content.decode()
    found = []
    for name in rules.COLUMNS:
        block = re.search(rf'id="err-{name}"[^>]*>(.*?)</div>', page, re.S).group(1)
        found += [(name, html.unescape(m)) for m in re.findall(r'<p class="error">(.*?)</p>', block, re.S)]
    return sorted(found)


def through_csv(programme, values):
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=rules.COLUMNS, lineterminator="\n")
    writer.writeheader()
    writer.writerow(values)
    with pytest.raises(ImportRejected) as caught:
        episodes_import(programme=programme, rows=csv_rows(io.BytesIO(out.getvalue().encode())), parallel=False)
    return sorted((e.column, e.message) for e in caught.value.errors)


def through_api(programme, coordinator, values):
    _token, key = api_token_create(user=coordinator, name="t")
    response = Client(HTTP_AUTHORIZATION=f"Bearer {key}").post(
        f"/api/v1/programmes/{programme.slug}/episodes/", values, content_type="application/json"
    )
    assert response.status_code == 400
    return sorted((e["field"], e["message"]) for e in response.json()["errors"])


def through_admin(programme, values):
    import html
    import re

    superuser = UserFactory(is_superuser=True)
    client = Client()
    sign_in(client, superuser)
    page = client.post("/admin/patients/episode/add/", {**values, "programme_slug": programme.slug}).content.decode()
    found = []
    for name in rules.COLUMNS:
        row = re.search(rf'<div class="form-row[^"]*field-{name}[^"]*">(.*?)<div class="form-row', page, re.S)
        block = row.group(1) if row else ""
        found += [
            (name, html.unescape(m))
            for m in re.findall(r"<li>(.*?)</li>", block.split("<label")[0] + block)
            if "errorlist" in block
        ]
    return sorted(set(found))


@pytest.mark.parametrize("bad", BAD_INPUTS, ids=[",".join(b) for b in BAD_INPUTS])
def test_form_csv_api_and_admin_give_the_same_messages(programme, coordinator, bad):
    values = valid_values(**bad)
    want = expected(values)
    assert through_form(programme, coordinator, values) == want
    assert through_csv(programme, values) == want
    assert through_api(programme, coordinator, values) == want
    assert through_admin(programme, values) == want
