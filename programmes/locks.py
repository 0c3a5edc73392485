"""Named locks for writes that have no row to lock yet (the first row of a kind, the next number).

``serialize("catalogue")`` takes a transaction-level advisory lock: a second transaction asking
for the same name waits until the first commits or rolls back, then reads what it wrote (each
statement of a READ COMMITTED transaction sees what committed before it). So check-then-insert
and max-plus-one become safe without a retry loop.

``programme_lock(id)`` is the lock of one programme's row, for the writers that take turns on it.
"""

from django.db import connection


def serialize(name: str) -> None:
    """Hold the lock named ``name`` until the end of the current transaction."""
    if not connection.in_atomic_block:
        raise RuntimeError("serialize() needs a transaction: the lock ends with it")
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_advisory_xact_lock(hashtextextended(%s, 0))", [f"fls:{name}"])


def programme_lock(programme_id: int):
    """Writers of one programme take turns (patient data: imports and single edits alike; its
    memberships). Returns the programme.

    ``FOR NO KEY UPDATE``: it excludes the other writers but not the key-share locks that inserts
    referring to the programme take (an access-log row when someone opens an episode, stored KPI
    results), so reading and recomputing never wait for an import.
    """
    from programmes.models import Programme

    return Programme.objects.select_for_update(no_key=True).filter(pk=programme_id).first()
