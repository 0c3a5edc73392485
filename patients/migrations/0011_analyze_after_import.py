"""Fresh statistics after a large import, asked for by the application role.

Right after a first import into a new database (or a new programme that doubles the table), the
planner's statistics still describe the tables as they were: empty, or a tenth of their size. It then
picks any index that starts with the programme for the importer's lookups by key, and reads every
episode of the programme once per key: a re-import of 10,000 rows took 11 s instead of 0.4 s, one of
100,000 took minutes. Only the tables' owner may ANALYZE them; this function, owned by the owner
(SECURITY DEFINER), lets the application ask for it at the end of a large import. ANALYZE in the
import's transaction counts the rows that transaction wrote.
"""

from django.db import migrations

FUNCTION = """
CREATE OR REPLACE FUNCTION fls_analyze_patient_data() RETURNS void
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, public AS $$
BEGIN
    ANALYZE public.patients_patient;
    ANALYZE public.patients_episode;
END
$$;
"""


class Migration(migrations.Migration):
    dependencies = [("patients", "0010_list_and_worklist_indexes")]

    operations = [migrations.RunSQL(FUNCTION, "DROP FUNCTION IF EXISTS fls_analyze_patient_data();")]
