"""Named locks for writes that have no row to lock yet (the first row of a kind, the next number).

``serialize("catalogue")`` takes a transaction-level advisory lock: a second transaction asking
for the same name waits until the first commits or rolls back, then reads what it wrote (each
statement of a READ COMMITTED transaction sees what committed before it). So check-then-insert
and max-plus-one become safe without a retry loop.
"""

from django.db import connection


def serialize(name: str) -> None:
    """Hold the lock named ``name`` until the end of the current transaction."""
    if not connection.in_atomic_block:
        raise RuntimeError("serialize() needs a transaction: the lock ends with it")
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_advisory_xact_lock(hashtextextended(%s, 0))", [f"fls:{name}"])
