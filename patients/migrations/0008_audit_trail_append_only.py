"""The patients' audit trail is append-only in the database (programmes/append_only.py), as the access log is."""

from django.db import migrations

FORWARD = """
DROP TRIGGER IF EXISTS patients_auditentry_append_only ON patients_auditentry;
CREATE TRIGGER patients_auditentry_append_only BEFORE UPDATE OR DELETE ON patients_auditentry
    FOR EACH ROW EXECUTE FUNCTION fls_append_only('actor_id');
"""
BACKWARD = """
DROP TRIGGER IF EXISTS patients_auditentry_append_only ON patients_auditentry;
"""


class Migration(migrations.Migration):
    dependencies = [('patients', '0007_policy_reads_settings_once'), ('programmes', '0009_append_only')]

    operations = [migrations.RunSQL(FORWARD, BACKWARD)]
