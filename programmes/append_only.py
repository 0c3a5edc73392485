"""The registry's records of who did what: append-only in the database, not only in the ORM.

A model that says ``APPEND_ONLY = (columns...)`` is on the list (``tables()``), as
``ROW_SECURITY`` puts a model under the policy. Its app's migration gives its table the trigger
``<table>_append_only`` on the one shared function ``fls_append_only`` (programmes migration
0009), so that no connection, the application role's included, can delete a row or change one
(``TRUNCATE`` is not granted to it). The only change allowed is the one a deleted person's
account makes: a column the model names may be cleared (set to NULL), never set to another value.
``tests/security/test_append_only.py`` checks that the database holds exactly these triggers, that
the application role is refused each change, and that a model that looks like a record of events
is on the list.
"""

from django.apps import apps

FUNCTION = "fls_append_only"


def tables() -> dict[str, tuple[str, ...]]:
    """table -> the columns a deleted account may clear (foreign keys to the user, ON DELETE SET NULL)."""
    return {
        model._meta.db_table: tuple(model.APPEND_ONLY)
        for model in apps.get_models()
        if getattr(model, "APPEND_ONLY", None) is not None
    }


def trigger_name(table: str) -> str:
    return f"{table}_append_only"
