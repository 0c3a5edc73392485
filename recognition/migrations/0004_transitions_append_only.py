"""Recognition transitions keep their append-only trigger on the shared function (programmes/append_only.py)."""

from django.db import migrations

FORWARD = """
DROP TRIGGER IF EXISTS recognition_transition_append_only ON recognition_transition;
CREATE TRIGGER recognition_transition_append_only BEFORE UPDATE OR DELETE ON recognition_transition
    FOR EACH ROW EXECUTE FUNCTION fls_append_only();
DROP FUNCTION IF EXISTS recognition_transition_append_only();
"""
BACKWARD = """
DROP TRIGGER IF EXISTS recognition_transition_append_only ON recognition_transition;
"""

# Reversing keeps the rows as they are; the earlier trigger is not restored.

class Migration(migrations.Migration):
    dependencies = [('recognition', '0003_standard_text'), ('programmes', '0009_append_only')]

    operations = [migrations.RunSQL(FORWARD, BACKWARD)]
