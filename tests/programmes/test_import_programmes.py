from decimal import Decimal

import pytest
from django.core.management import call_command

from programmes.models import Programme

HEADER = "slug,name,institution,country,city,latitude,longitude,languages,care_setting,status"
GOOD = [
    "yaroslavl-rech,FLS Yaroslavl,Regional Clinical Hospital,RU,Yaroslavl,57.6261,39.8845,ru;en,mixed,active",
    'lyon-sud,FLS Lyon Sud,"Hospices Civils de Lyon, site Sud",fr,Lyon,45.6931,4.8077,fr,Outpatient,candidate',
    "taipei-ntuh,FLS Taipei,National Taiwan University Hospital,TW,Taipei,25.0408,121.5196,zh;en,inpatient,active",
]


def write(tmp_path, lines, name="programmes.csv", encoding="utf-8", newline="\n"):
    path = tmp_path / name
    path.write_bytes(newline.join(lines).encode(encoding) + newline.encode())
    return path


def run(path):
    """Run the command as a shell would: exit status, stdout, stderr."""
    import io

    out, err = io.StringIO(), io.StringIO()
    try:
        call_command("import_programmes", str(path), stdout=out, stderr=err)
        status = 0
    except SystemExit as exc:
        status = exc.code
    return status, out.getvalue(), err.getvalue()


def test_good_file_creates_every_programme(db, tmp_path):
    status, out, err = run(write(tmp_path, [HEADER, *GOOD]))
    assert (status, err) == (0, "")
    assert "created 3, updated 0, unchanged 0" in out
    lyon = Programme.objects.get(slug="lyon-sud")
    assert lyon.institution == "Hospices Civils de Lyon, site Sud"
    assert (lyon.country.code, lyon.care_setting, lyon.status) == ("FR", "outpatient", "candidate")
    assert (lyon.latitude, lyon.longitude) == (Decimal("45.693100"), Decimal("4.807700"))
    assert Programme.objects.get(slug="yaroslavl-rech").languages == ["ru", "en"]


def test_three_bad_rows_are_all_reported_and_nothing_is_written(db, tmp_path):
    lines = [
        HEADER,
        GOOD[0],
        "bad country,FLS X,Hospital,XX,City,10,10,en,mixed,active",  # row 3: slug and country
        GOOD[1],
        "milano,FLS Milano,Niguarda,IT,Milano,95.5,9.18,it,mixed,active",  # row 5: latitude
        "sheffield,Sheffield FLS,STH,GB,Sheffield,53.38,-1.47,en,mixed,closed",  # row 6: status
        GOOD[2],
    ]
    status, out, err = run(write(tmp_path, lines))
    assert status == 1
    assert out == ""
    errors = [line for line in err.splitlines() if line.startswith("row ")]
    assert errors == [
        "row 3, column country: 'XX' is not an ISO 3166 country code such as FR, GB, IT, RU or TW",
        "row 3, column slug: 'bad country' is not a valid slug: use 1-64 lower-case letters, digits and single "
        "hyphens, e.g. yaroslavl-fls",
        "row 5, column latitude: latitude must be between -90 and 90 degrees, not 95.5",
        "row 6, column status: 'closed' is not a status; use one of: candidate, active, inactive",
    ]
    assert Programme.objects.count() == 0


def test_reimport_of_the_same_file_changes_nothing(db, tmp_path):
    path = write(tmp_path, [HEADER, *GOOD])
    run(path)
    before = list(Programme.objects.order_by("slug").values())
    status, out, _err = run(path)
    assert status == 0
    assert "created 0, updated 0, unchanged 3" in out
    assert list(Programme.objects.order_by("slug").values()) == before


def test_changed_row_updates_only_that_programme(db, tmp_path):
    run(write(tmp_path, [HEADER, *GOOD]))
    changed = GOOD[2].replace("inpatient,active", "inpatient,inactive")
    status, out, _err = run(write(tmp_path, [HEADER, GOOD[0], GOOD[1], changed], name="v2.csv"))
    assert status == 0
    assert "created 0, updated 1, unchanged 2" in out
    assert Programme.objects.get(slug="taipei-ntuh").status == "inactive"


def test_spreadsheet_csv_with_bom_crlf_and_quoted_newline_is_accepted(db, tmp_path):
    quoted = 'milano,FLS Milano,"Ospedale Niguarda\nPadiglione 1",IT,Milano,,,it,mixed,active'
    path = write(tmp_path, [HEADER, quoted, GOOD[0]], encoding="utf-8-sig", newline="\r\n")
    status, out, err = run(path)
    assert (status, err) == (0, "")
    assert Programme.objects.get(slug="milano").institution == "Ospedale Niguarda\nPadiglione 1"
    assert Programme.objects.count() == 2


def test_rows_after_a_quoted_newline_keep_spreadsheet_numbers(db, tmp_path):
    quoted = 'milano,FLS Milano,"Ospedale Niguarda\nPadiglione 1",IT,Milano,,,it,mixed,active'
    status, _out, err = run(write(tmp_path, [HEADER, quoted, "x,Y,,ZZ,,,,,,"]))
    assert status == 1
    assert "row 3, column country:" in err


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"", "row 1: the file is empty"),
        (b"yaroslavl-rech,FLS Yaroslavl,,RU\n", "row 1: the header row is missing"),
        ("slug,name,country\nmoscow,Москва,RU\n".encode("cp1251"), "row 2: the file is not UTF-8 text"),
        (b"slug,name,country,beds\nx,Y,GB,12\n", "row 1, column beds: unknown column"),
        (b"slug,name\nx,Y\n", "row 1, column country: required column is missing from the header"),
        (b"slug,name,country\nx,,GB\n", "row 2, column name: required, but the cell is blank"),
        (b"slug,name,country\nx,Y,GB,extra\n", "row 2: the row has 4 values but the header has 3 columns"),
        (b"slug,name,country\nx,Y,GB\nx,Z,GB\n", "row 3, column slug: 'x' is already used on row 2 of this file"),
        (b"slug,name,country,latitude\nx,Y,GB,51.5\n", "row 2, column longitude: give the longitude too"),
        (
            b"slug,name,country,languages\nx,Y,GB,english1\n",
            "row 2, column languages: 'english1' is not a language code",
        ),
        (b"slug,name,country,care_setting\nx,Y,GB,hospice\n", "row 2, column care_setting: 'hospice' is not a care"),
    ],
)
def test_bad_files_are_rejected_with_a_message_that_says_where(db, tmp_path, content, message):
    path = tmp_path / "bad.csv"
    path.write_bytes(content)
    status, _out, err = run(path)
    assert status == 1
    assert message in err
    assert Programme.objects.count() == 0


def test_missing_file_is_a_clear_error(db, tmp_path):
    from django.core.management import CommandError

    with pytest.raises(CommandError, match="No such file"):
        call_command("import_programmes", str(tmp_path / "absent.csv"))


def test_minimal_columns_are_enough(db, tmp_path):
    status, out, _err = run(write(tmp_path, ["slug,name,country", "kazan,Kazan FLS,Russia"]))
    assert status == 0
    kazan = Programme.objects.get(slug="kazan")
    assert (kazan.country.code, kazan.status, kazan.kpi_set) == ("RU", "active", "iof-2020")


def test_the_kpi_set_column_takes_only_defined_sets_and_a_change_recomputes(db, tmp_path):
    status, _out, err = run(write(tmp_path, ["slug,name,country,kpi_set", "sheffield-nhs,FLS Sheffield,GB,fls-db"]))
    assert (status, err) == (0, "")
    sheffield = Programme.objects.get(slug="sheffield-nhs")
    assert sheffield.kpi_set == "fls-db" and sheffield.data_changed_at is None
    status, _out, err = run(write(tmp_path, ["slug,name,country,kpi_set", "sheffield-nhs,FLS Sheffield,GB,fls-2019"]))
    assert status == 1
    assert "row 2, column kpi_set: 'fls-2019' is not a KPI set; use one of: iof-2020, fls-db" in err
    status, _out, _err = run(write(tmp_path, ["slug,name,country,kpi_set", "sheffield-nhs,FLS Sheffield,GB,iof-2020"]))
    sheffield.refresh_from_db()
    assert (status, sheffield.kpi_set) == (0, "iof-2020") and sheffield.data_changed_at is not None
