"""The row-level policy reads its two settings once per statement, not once per row (programmes/rls.py)."""

from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [("patients", "0006_coded_value_labels")]

    operations = [
        migrations.RunSQL(
            "ALTER POLICY programme_isolation ON patients_patient USING (programme_id = (SELECT NULLIF(current_setting('fls.programme_id', true), '')::bigint) OR (SELECT COALESCE(current_setting('fls.all_programmes', true), '') <> '')) WITH CHECK (programme_id = (SELECT NULLIF(current_setting('fls.programme_id', true), '')::bigint) OR (SELECT COALESCE(current_setting('fls.all_programmes', true), '') <> ''));",
            reverse_sql="ALTER POLICY programme_isolation ON patients_patient USING (programme_id = NULLIF(current_setting('fls.programme_id', true), '')::bigint OR COALESCE(current_setting('fls.all_programmes', true), '') <> '') WITH CHECK (programme_id = NULLIF(current_setting('fls.programme_id', true), '')::bigint OR COALESCE(current_setting('fls.all_programmes', true), '') <> '');",
        ),
        migrations.RunSQL(
            "ALTER POLICY programme_isolation ON patients_episode USING (programme_id = (SELECT NULLIF(current_setting('fls.programme_id', true), '')::bigint) OR (SELECT COALESCE(current_setting('fls.all_programmes', true), '') <> '')) WITH CHECK (programme_id = (SELECT NULLIF(current_setting('fls.programme_id', true), '')::bigint) OR (SELECT COALESCE(current_setting('fls.all_programmes', true), '') <> ''));",
            reverse_sql="ALTER POLICY programme_isolation ON patients_episode USING (programme_id = NULLIF(current_setting('fls.programme_id', true), '')::bigint OR COALESCE(current_setting('fls.all_programmes', true), '') <> '') WITH CHECK (programme_id = NULLIF(current_setting('fls.programme_id', true), '')::bigint OR COALESCE(current_setting('fls.all_programmes', true), '') <> '');",
        ),
        migrations.RunSQL(
            "ALTER POLICY programme_isolation ON patients_auditentry USING (programme_id = (SELECT NULLIF(current_setting('fls.programme_id', true), '')::bigint) OR (SELECT COALESCE(current_setting('fls.all_programmes', true), '') <> '')) WITH CHECK (programme_id = (SELECT NULLIF(current_setting('fls.programme_id', true), '')::bigint) OR (SELECT COALESCE(current_setting('fls.all_programmes', true), '') <> ''));",
            reverse_sql="ALTER POLICY programme_isolation ON patients_auditentry USING (programme_id = NULLIF(current_setting('fls.programme_id', true), '')::bigint OR COALESCE(current_setting('fls.all_programmes', true), '') <> '') WITH CHECK (programme_id = NULLIF(current_setting('fls.programme_id', true), '')::bigint OR COALESCE(current_setting('fls.all_programmes', true), '') <> '');",
        ),
        migrations.RunSQL(
            "ALTER POLICY programme_isolation ON patients_importjob USING (programme_id = (SELECT NULLIF(current_setting('fls.programme_id', true), '')::bigint) OR (SELECT COALESCE(current_setting('fls.all_programmes', true), '') <> '')) WITH CHECK (programme_id = (SELECT NULLIF(current_setting('fls.programme_id', true), '')::bigint) OR (SELECT COALESCE(current_setting('fls.all_programmes', true), '') <> ''));",
            reverse_sql="ALTER POLICY programme_isolation ON patients_importjob USING (programme_id = NULLIF(current_setting('fls.programme_id', true), '')::bigint OR COALESCE(current_setting('fls.all_programmes', true), '') <> '') WITH CHECK (programme_id = NULLIF(current_setting('fls.programme_id', true), '')::bigint OR COALESCE(current_setting('fls.all_programmes', true), '') <> '');",
        ),
    ]
