"""Row-level security on patients_patient, patients_episode, patients_auditentry (programmes/rls.py has the rules)."""

from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [("patients", "0003_audit_patient_pk")]

    operations = [
        migrations.RunSQL(
            "ALTER TABLE patients_patient ENABLE ROW LEVEL SECURITY; ALTER TABLE patients_patient FORCE ROW LEVEL SECURITY; CREATE POLICY programme_isolation ON patients_patient USING (programme_id = NULLIF(current_setting('fls.programme_id', true), '')::bigint OR COALESCE(current_setting('fls.all_programmes', true), '') <> '') WITH CHECK (programme_id = NULLIF(current_setting('fls.programme_id', true), '')::bigint OR COALESCE(current_setting('fls.all_programmes', true), '') <> '');",
            reverse_sql='DROP POLICY IF EXISTS programme_isolation ON patients_patient; ALTER TABLE patients_patient NO FORCE ROW LEVEL SECURITY; ALTER TABLE patients_patient DISABLE ROW LEVEL SECURITY;',
        ),
        migrations.RunSQL(
            "ALTER TABLE patients_episode ENABLE ROW LEVEL SECURITY; ALTER TABLE patients_episode FORCE ROW LEVEL SECURITY; CREATE POLICY programme_isolation ON patients_episode USING (programme_id = NULLIF(current_setting('fls.programme_id', true), '')::bigint OR COALESCE(current_setting('fls.all_programmes', true), '') <> '') WITH CHECK (programme_id = NULLIF(current_setting('fls.programme_id', true), '')::bigint OR COALESCE(current_setting('fls.all_programmes', true), '') <> '');",
            reverse_sql='DROP POLICY IF EXISTS programme_isolation ON patients_episode; ALTER TABLE patients_episode NO FORCE ROW LEVEL SECURITY; ALTER TABLE patients_episode DISABLE ROW LEVEL SECURITY;',
        ),
        migrations.RunSQL(
            "ALTER TABLE patients_auditentry ENABLE ROW LEVEL SECURITY; ALTER TABLE patients_auditentry FORCE ROW LEVEL SECURITY; CREATE POLICY programme_isolation ON patients_auditentry USING (programme_id = NULLIF(current_setting('fls.programme_id', true), '')::bigint OR COALESCE(current_setting('fls.all_programmes', true), '') <> '') WITH CHECK (programme_id = NULLIF(current_setting('fls.programme_id', true), '')::bigint OR COALESCE(current_setting('fls.all_programmes', true), '') <> '');",
            reverse_sql='DROP POLICY IF EXISTS programme_isolation ON patients_auditentry; ALTER TABLE patients_auditentry NO FORCE ROW LEVEL SECURITY; ALTER TABLE patients_auditentry DISABLE ROW LEVEL SECURITY;',
        ),
    ]
