"""The shared append-only function (programmes/append_only.py) and the access log's trigger on it."""

from django.db import migrations

FORWARD = """
CREATE OR REPLACE FUNCTION fls_append_only() RETURNS trigger AS $$
DECLARE
    clearable text[] := COALESCE(TG_ARGV, '{}'::text[]);
    column_name text;
    new_row jsonb;
    old_row jsonb;
BEGIN
    IF TG_OP = 'DELETE' THEN
        RAISE EXCEPTION '% is append-only: rows cannot be deleted', TG_TABLE_NAME
            USING ERRCODE = 'insufficient_privilege';
    END IF;
    new_row := to_jsonb(NEW);
    old_row := to_jsonb(OLD);
    IF (new_row - clearable) IS DISTINCT FROM (old_row - clearable) THEN
        RAISE EXCEPTION '% is append-only: rows cannot be changed', TG_TABLE_NAME
            USING ERRCODE = 'insufficient_privilege';
    END IF;
    FOREACH column_name IN ARRAY clearable LOOP
        IF new_row -> column_name <> 'null'::jsonb AND new_row -> column_name IS DISTINCT FROM old_row -> column_name THEN
            RAISE EXCEPTION '% is append-only: % may only be cleared', TG_TABLE_NAME, column_name
                USING ERRCODE = 'insufficient_privilege';
        END IF;
    END LOOP;
    RETURN NEW;
END
$$ LANGUAGE plpgsql;
DROP TRIGGER IF EXISTS programmes_accessevent_append_only ON programmes_accessevent;
CREATE TRIGGER programmes_accessevent_append_only BEFORE UPDATE OR DELETE ON programmes_accessevent
    FOR EACH ROW EXECUTE FUNCTION fls_append_only('actor_id', 'subject_id');
DROP FUNCTION IF EXISTS programmes_accessevent_append_only();
"""
BACKWARD = """
DROP TRIGGER IF EXISTS programmes_accessevent_append_only ON programmes_accessevent;
DROP FUNCTION IF EXISTS fls_append_only();
"""


class Migration(migrations.Migration):
    dependencies = [('programmes', '0008_policy_reads_settings_once')]

    operations = [migrations.RunSQL(FORWARD, BACKWARD)]
