"""Booking events are the record of who moved a booking, when and why: append-only in the database."""

from django.db import migrations

APPEND_ONLY = """
CREATE OR REPLACE FUNCTION mentorship_bookingevent_append_only() RETURNS trigger AS $$
BEGIN
  RAISE EXCEPTION 'mentorship booking events are append-only';
END;
$$ LANGUAGE plpgsql;
CREATE TRIGGER mentorship_bookingevent_append_only BEFORE UPDATE OR DELETE ON mentorship_bookingevent
FOR EACH ROW EXECUTE FUNCTION mentorship_bookingevent_append_only();
"""
DROP_APPEND_ONLY = """
DROP TRIGGER IF EXISTS mentorship_bookingevent_append_only ON mentorship_bookingevent;
DROP FUNCTION IF EXISTS mentorship_bookingevent_append_only();
"""


class Migration(migrations.Migration):
    dependencies = [("mentorship", "0001_initial")]

    operations = [migrations.RunSQL(APPEND_ONLY, DROP_APPEND_ONLY)]
