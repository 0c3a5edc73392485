"""Booking events keep their append-only trigger on the shared function (programmes/append_only.py); a deleted account's reference may be cleared."""

from django.db import migrations

FORWARD = """
DROP TRIGGER IF EXISTS mentorship_bookingevent_append_only ON mentorship_bookingevent;
CREATE TRIGGER mentorship_bookingevent_append_only BEFORE UPDATE OR DELETE ON mentorship_bookingevent
    FOR EACH ROW EXECUTE FUNCTION fls_append_only('actor_id');
DROP FUNCTION IF EXISTS mentorship_bookingevent_append_only();
"""
BACKWARD = """
DROP TRIGGER IF EXISTS mentorship_bookingevent_append_only ON mentorship_bookingevent;
"""

# Reversing keeps the rows as they are; the earlier trigger is not restored.

class Migration(migrations.Migration):
    dependencies = [('mentorship', '0002_booking_events_append_only'), ('programmes', '0009_append_only')]

    operations = [migrations.RunSQL(FORWARD, BACKWARD)]
