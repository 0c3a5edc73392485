"""A booking's attendee confirms their address before the reminders go to it (the booker's own are confirmed)."""

from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('mentorship', '0003_booking_events_one_trigger'),
    ]

    operations = [
        migrations.AddField(
            model_name='booking',
            name='attendee_confirmed_at',
            field=models.DateTimeField(blank=True, null=True),
        ),
        # Bookings made before: their attendees were mailed all along; nothing changes for them.
        migrations.RunSQL(
            "UPDATE mentorship_booking SET attendee_confirmed_at = created_at WHERE attendee_confirmed_at IS NULL",
            migrations.RunSQL.noop,
        ),
    ]
