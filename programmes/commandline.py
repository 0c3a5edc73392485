"""What the commands share: the programme argument, the file argument, reporting rejected rows."""

import sys
from contextlib import contextmanager

from django.core.management.base import CommandError

from programmes.csvio import CsvRejected
from programmes.models import Programme


def programme_argument(slug: str) -> Programme:
    """The programme a command names, or a clear error (exit status 1)."""
    programme = Programme.objects.filter(slug=slug).first()
    if programme is None:
        raise CommandError(f"no programme with slug '{slug}'")
    return programme


@contextmanager
def csv_argument(path: str):
    """The binary stream of a file argument ('-' is standard input); a missing file is a clear error."""
    if path == "-":
        yield sys.stdin.buffer
        return
    try:
        handle = open(path, "rb")  # noqa: SIM115 - closed by the with below
    except OSError as exc:
        raise CommandError(f"{path}: {exc.strerror}") from None
    with handle:
        yield handle


def exit_rejected(command, exc: CsvRejected):
    """Every error on stderr as 'row N, column C: message', then exit status 1."""
    for error in exc.errors:
        command.stderr.write(str(error))
    if exc.total > len(exc.errors):
        command.stderr.write(f"... and {exc.total - len(exc.errors)} more.")
    command.stderr.write(f"{exc.total} error(s); nothing was imported.")
    sys.exit(1)
