"""Room on each page of the stored results for the next night's versions of its rows.

Every recompute rewrites every stored row (its as-of date moves on); with pages filled to 100 % each
new version goes to another page and every index gets a new entry. With pages half filled, the new
version stays on its page as a heap-only tuple (HOT): no index is touched, and the old version is
pruned in place (docs/kpis.md).
"""

from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [("kpis", "0003_kpireport_language")]

    operations = [
        migrations.RunSQL(
            "ALTER TABLE kpis_kpiresult SET (fillfactor = 50)", "ALTER TABLE kpis_kpiresult RESET (fillfactor)"
        )
    ]
