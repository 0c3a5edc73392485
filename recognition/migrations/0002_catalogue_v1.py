"""Seed catalogue version 1 (recognition/catalogue_seed.py) and make transitions append-only."""

from django.db import migrations

from recognition.catalogue_seed import seed as seed_catalogue


def seed(apps, schema_editor):
    seed_catalogue(apps.get_model("recognition", "CatalogueVersion"), apps.get_model("recognition", "Standard"))


def unseed(apps, schema_editor):
    apps.get_model("recognition", "CatalogueVersion").objects.filter(number=1).delete()


APPEND_ONLY = """
CREATE OR REPLACE FUNCTION recognition_transition_append_only() RETURNS trigger AS $$
BEGIN
  RAISE EXCEPTION 'recognition transitions are append-only';
END;
$$ LANGUAGE plpgsql;
CREATE TRIGGER recognition_transition_append_only BEFORE UPDATE OR DELETE ON recognition_transition
FOR EACH ROW EXECUTE FUNCTION recognition_transition_append_only();
"""
DROP_APPEND_ONLY = """
DROP TRIGGER IF EXISTS recognition_transition_append_only ON recognition_transition;
DROP FUNCTION IF EXISTS recognition_transition_append_only();
"""


class Migration(migrations.Migration):
    dependencies = [("recognition", "0001_initial")]

    operations = [
        migrations.RunPython(seed, unseed),
        migrations.RunSQL(APPEND_ONLY, DROP_APPEND_ONLY),
    ]
