"""Let PostgreSQL scan protected tables in parallel (docs/kpis.md, "Why the nightly was slow").

``fls_all_programmes()`` was created without a parallel label, so PostgreSQL took it as PARALLEL
UNSAFE, and a query that reads it (every query on a table under the policy) never got a parallel
plan. It reads ``fls_transaction_nonce()``, which reads ``pg_backend_pid()``: a parallel worker has
its own process id, so both must run in the leader only (PARALLEL RESTRICTED). The policy evaluates
``(SELECT fls_all_programmes())`` once per statement (an InitPlan) in the leader, which hands the
value to the workers.
"""

from django.db import migrations

RESTRICTED = """
ALTER FUNCTION fls_transaction_nonce() PARALLEL RESTRICTED;
ALTER FUNCTION fls_all_programmes() PARALLEL RESTRICTED;
"""
AS_BEFORE = """
ALTER FUNCTION fls_transaction_nonce() PARALLEL SAFE;
ALTER FUNCTION fls_all_programmes() PARALLEL UNSAFE;
"""


class Migration(migrations.Migration):
    dependencies = [("programmes", "0012_access_log_actions")]

    operations = [migrations.RunSQL(RESTRICTED, AS_BEFORE)]
