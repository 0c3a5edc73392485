"""Row-level security on programmes_accessevent (programmes/rls.py has the rules)."""

from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [("programmes", "0006_alter_accessevent_action")]

    operations = [
        migrations.RunSQL(
            "ALTER TABLE programmes_accessevent ENABLE ROW LEVEL SECURITY; ALTER TABLE programmes_accessevent FORCE ROW LEVEL SECURITY; CREATE POLICY programme_isolation ON programmes_accessevent USING (programme_id IS NULL OR programme_id = NULLIF(current_setting('fls.programme_id', true), '')::bigint OR COALESCE(current_setting('fls.all_programmes', true), '') <> '') WITH CHECK (programme_id IS NULL OR programme_id = NULLIF(current_setting('fls.programme_id', true), '')::bigint OR COALESCE(current_setting('fls.all_programmes', true), '') <> '');",
            reverse_sql='DROP POLICY IF EXISTS programme_isolation ON programmes_accessevent; ALTER TABLE programmes_accessevent NO FORCE ROW LEVEL SECURITY; ALTER TABLE programmes_accessevent DISABLE ROW LEVEL SECURITY;',
        ),
    ]
