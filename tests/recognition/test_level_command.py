"""``manage.py recognition_level FILE.csv --json``: the command contract of issue 8."""

import json
import subprocess
import sys
from pathlib import Path

import pytest
from django.core.management import call_command

ROOT = Path(__file__).resolve().parents[2]


def level_of(tmp_path, capsys, text):
    path = tmp_path / "scores.csv"
    path.write_text(text, encoding="utf-8")
    call_command("recognition_level", str(path), "--json")
    return json.loads(capsys.readouterr().out)


def errors_of(tmp_path, capsys, text):
    path = tmp_path / "scores.csv"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(SystemExit) as exit_info:
        call_command("recognition_level", str(path), "--json")
    assert exit_info.value.code == 1
    captured = capsys.readouterr()
    assert captured.out == ""
    return captured.err.strip().splitlines()


def test_prints_the_five_domains_in_order_and_the_overall_level(db, tmp_path, capsys):
    text = "domain,standard,score\nhip,1,2\nhip,2,3\nhip,3,2\noutpatient,1,na\norganisation,5,3\norganisation,11,2\n"
    assert level_of(tmp_path, capsys, text) == {
        "domains": [
            {"domain": "hip", "applicable": True, "mean": 2.3333, "level": "silver"},
            {"domain": "inpatient", "applicable": False, "mean": None, "level": "none"},
            {"domain": "outpatient", "applicable": False, "mean": None, "level": "none"},
            {"domain": "vertebral", "applicable": False, "mean": None, "level": "none"},
            {"domain": "organisation", "applicable": True, "mean": 2.5, "level": "gold"},
        ],
        "level": "gold",
    }


def test_a_header_only_file_has_no_level(db, tmp_path, capsys):
    result = level_of(tmp_path, capsys, "domain,standard,score\n")
    assert result["level"] == "none"
    assert all(not d["applicable"] for d in result["domains"])


@pytest.mark.parametrize(
    ("row", "message"),
    [
        ("spine,1,2", "row 3, column domain: unknown domain 'spine'"),
        ("hip,14,2", "row 3, column standard: '14' is not a standard"),
        ("hip,0,2", "row 3, column standard: '0' is not a standard"),
        ("hip,x,2", "row 3, column standard: 'x' is not a standard"),
        ("hip,2,4", "row 3, column score: '4' is not a score"),
        ("hip,2,-1", "row 3, column score: '-1' is not a score"),
        ("hip,2,", "row 3, column score: '' is not a score"),
        ("hip,1,3", "row 3, column standard: standard 1 of domain hip already scored on row 2"),
    ],
)
def test_bad_rows_are_reported_with_row_and_column_and_exit_1(db, tmp_path, capsys, row, message):
    lines = errors_of(tmp_path, capsys, f"domain,standard,score\nhip,1,2\n{row}\n")
    assert len(lines) == 1
    assert lines[0].startswith(message), lines


def test_every_bad_row_is_reported(db, tmp_path, capsys):
    lines = errors_of(tmp_path, capsys, "domain,standard,score\nmoon,1,2\nhip,99,2\nhip,3,five\n")
    assert [line.split(":")[0] for line in lines] == [
        "row 2, column domain",
        "row 3, column standard",
        "row 4, column score",
    ]


def test_the_command_runs_as_a_process(db, tmp_path):
    """The real command line: stdout carries only the JSON, the exit status says success."""
    from django.db import connection

    from tests.conftest import database_url_of

    path = tmp_path / "scores.csv"
    path.write_text("domain,standard,score\nhip,1,3\nhip,2,2\n", encoding="utf-8")
    env = {"DATABASE_URL": database_url_of(connection.settings_dict), "PATH": "/usr/bin:/bin"}
    done = subprocess.run(
        [sys.executable, "manage.py", "recognition_level", str(path), "--json"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["domains"][0] == {"domain": "hip", "applicable": True, "mean": 2.5, "level": "gold"}
