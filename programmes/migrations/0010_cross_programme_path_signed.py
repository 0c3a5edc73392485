"""The database decides who may take the cross-programme path (programmes/rls.py).

Before, any connection could ``set_config('fls.all_programmes', 'anything', true)`` and read every
programme. Now the policy asks ``fls_all_programmes()``, which accepts the setting only when it is
signed for this very transaction (the connection's process id and the transaction's start) with a
key that the application role cannot read (``fls_private``, owned by the tables' owner; the
``migrate`` command writes the key the application derives from its settings). The owner's own
connections (migrations, backups, restores) may name a reason without a signature.
"""

from django.db import migrations

FUNCTIONS = """
CREATE SCHEMA IF NOT EXISTS fls_private;
REVOKE ALL ON SCHEMA fls_private FROM PUBLIC;
CREATE TABLE IF NOT EXISTS fls_private.cross_programme_key (
    id smallint PRIMARY KEY DEFAULT 1 CHECK (id = 1),
    key text NOT NULL
);
REVOKE ALL ON fls_private.cross_programme_key FROM PUBLIC;

-- What a signature is bound to: this connection's process and this transaction's start.
CREATE OR REPLACE FUNCTION fls_transaction_nonce() RETURNS text
LANGUAGE sql STABLE PARALLEL SAFE AS $$
    SELECT pg_backend_pid()::text || '.' || floor(extract(epoch FROM transaction_timestamp()) * 1000000)::bigint::text
$$;

-- True when this transaction may read and write every programme's rows.
CREATE OR REPLACE FUNCTION fls_all_programmes() RETURNS boolean
LANGUAGE plpgsql STABLE SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    claim text := COALESCE(current_setting('fls.all_programmes', true), '');
    reason text;
    signature text;
    secret text;
    inner_hash text;
BEGIN
    IF claim = '' THEN
        RETURN false;
    END IF;
    -- The owner's connections (migrate, backup, restore): a reason is enough.
    IF pg_has_role(session_user, current_user, 'MEMBER') THEN
        RETURN true;
    END IF;
    reason := split_part(claim, ':', 1);
    signature := split_part(claim, ':', 2);
    SELECT k.key INTO secret FROM fls_private.cross_programme_key k WHERE k.id = 1;
    IF secret IS NULL OR reason = '' OR signature = '' THEN
        RETURN false;
    END IF;
    inner_hash := encode(sha256(convert_to(secret || ':' || public.fls_transaction_nonce() || ':' || reason, 'UTF8')), 'hex');
    RETURN signature = encode(sha256(convert_to(secret || ':' || inner_hash, 'UTF8')), 'hex');
END
$$;
"""

DROP_FUNCTIONS = """
DROP FUNCTION IF EXISTS fls_all_programmes();
DROP FUNCTION IF EXISTS fls_transaction_nonce();
DROP TABLE IF EXISTS fls_private.cross_programme_key;
DROP SCHEMA IF EXISTS fls_private;
"""


class Migration(migrations.Migration):
    dependencies = [("programmes", "0009_append_only"), ("patients", "0008_audit_trail_append_only")]

    operations = [
        migrations.RunSQL(FUNCTIONS, DROP_FUNCTIONS),
        migrations.RunSQL(
            "ALTER POLICY programme_isolation ON patients_patient USING (programme_id = (SELECT NULLIF(current_setting('fls.programme_id', true), '')::bigint) OR (SELECT fls_all_programmes())) WITH CHECK (programme_id = (SELECT NULLIF(current_setting('fls.programme_id', true), '')::bigint) OR (SELECT fls_all_programmes()));",
            reverse_sql="ALTER POLICY programme_isolation ON patients_patient USING (programme_id = (SELECT NULLIF(current_setting('fls.programme_id', true), '')::bigint) OR (SELECT COALESCE(current_setting('fls.all_programmes', true), '') <> '')) WITH CHECK (programme_id = (SELECT NULLIF(current_setting('fls.programme_id', true), '')::bigint) OR (SELECT COALESCE(current_setting('fls.all_programmes', true), '') <> ''));",
        ),
        migrations.RunSQL(
            "ALTER POLICY programme_isolation ON patients_episode USING (programme_id = (SELECT NULLIF(current_setting('fls.programme_id', true), '')::bigint) OR (SELECT fls_all_programmes())) WITH CHECK (programme_id = (SELECT NULLIF(current_setting('fls.programme_id', true), '')::bigint) OR (SELECT fls_all_programmes()));",
            reverse_sql="ALTER POLICY programme_isolation ON patients_episode USING (programme_id = (SELECT NULLIF(current_setting('fls.programme_id', true), '')::bigint) OR (SELECT COALESCE(current_setting('fls.all_programmes', true), '') <> '')) WITH CHECK (programme_id = (SELECT NULLIF(current_setting('fls.programme_id', true), '')::bigint) OR (SELECT COALESCE(current_setting('fls.all_programmes', true), '') <> ''));",
        ),
        migrations.RunSQL(
            "ALTER POLICY programme_isolation ON patients_auditentry USING (programme_id = (SELECT NULLIF(current_setting('fls.programme_id', true), '')::bigint) OR (SELECT fls_all_programmes())) WITH CHECK (programme_id = (SELECT NULLIF(current_setting('fls.programme_id', true), '')::bigint) OR (SELECT fls_all_programmes()));",
            reverse_sql="ALTER POLICY programme_isolation ON patients_auditentry USING (programme_id = (SELECT NULLIF(current_setting('fls.programme_id', true), '')::bigint) OR (SELECT COALESCE(current_setting('fls.all_programmes', true), '') <> '')) WITH CHECK (programme_id = (SELECT NULLIF(current_setting('fls.programme_id', true), '')::bigint) OR (SELECT COALESCE(current_setting('fls.all_programmes', true), '') <> ''));",
        ),
        migrations.RunSQL(
            "ALTER POLICY programme_isolation ON patients_importjob USING (programme_id = (SELECT NULLIF(current_setting('fls.programme_id', true), '')::bigint) OR (SELECT fls_all_programmes())) WITH CHECK (programme_id = (SELECT NULLIF(current_setting('fls.programme_id', true), '')::bigint) OR (SELECT fls_all_programmes()));",
            reverse_sql="ALTER POLICY programme_isolation ON patients_importjob USING (programme_id = (SELECT NULLIF(current_setting('fls.programme_id', true), '')::bigint) OR (SELECT COALESCE(current_setting('fls.all_programmes', true), '') <> '')) WITH CHECK (programme_id = (SELECT NULLIF(current_setting('fls.programme_id', true), '')::bigint) OR (SELECT COALESCE(current_setting('fls.all_programmes', true), '') <> ''));",
        ),
        migrations.RunSQL(
            "ALTER POLICY programme_isolation ON programmes_accessevent USING (programme_id IS NULL OR programme_id = (SELECT NULLIF(current_setting('fls.programme_id', true), '')::bigint) OR (SELECT fls_all_programmes())) WITH CHECK (programme_id IS NULL OR programme_id = (SELECT NULLIF(current_setting('fls.programme_id', true), '')::bigint) OR (SELECT fls_all_programmes()));",
            reverse_sql="ALTER POLICY programme_isolation ON programmes_accessevent USING (programme_id IS NULL OR programme_id = (SELECT NULLIF(current_setting('fls.programme_id', true), '')::bigint) OR (SELECT COALESCE(current_setting('fls.all_programmes', true), '') <> '')) WITH CHECK (programme_id IS NULL OR programme_id = (SELECT NULLIF(current_setting('fls.programme_id', true), '')::bigint) OR (SELECT COALESCE(current_setting('fls.all_programmes', true), '') <> ''));",
        ),
    ]
