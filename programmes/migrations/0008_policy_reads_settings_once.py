"""The row-level policy reads its two settings once per statement, not once per row (programmes/rls.py)."""

from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [("programmes", "0007_access_event_row_level_security")]

    operations = [
        migrations.RunSQL(
            "ALTER POLICY programme_isolation ON programmes_accessevent USING (programme_id IS NULL OR programme_id = (SELECT NULLIF(current_setting('fls.programme_id', true), '')::bigint) OR (SELECT COALESCE(current_setting('fls.all_programmes', true), '') <> '')) WITH CHECK (programme_id IS NULL OR programme_id = (SELECT NULLIF(current_setting('fls.programme_id', true), '')::bigint) OR (SELECT COALESCE(current_setting('fls.all_programmes', true), '') <> ''));",
            reverse_sql="ALTER POLICY programme_isolation ON programmes_accessevent USING (programme_id IS NULL OR programme_id = NULLIF(current_setting('fls.programme_id', true), '')::bigint OR COALESCE(current_setting('fls.all_programmes', true), '') <> '') WITH CHECK (programme_id IS NULL OR programme_id = NULLIF(current_setting('fls.programme_id', true), '')::bigint OR COALESCE(current_setting('fls.all_programmes', true), '') <> '');",
        ),
    ]
