"""Each programme's clock: its time zone, filled for the programmes there are from their country (accounts/clock.py)."""

import accounts.clock
from django.db import migrations, models


def fill(apps, schema_editor):
    from accounts.clock import default_zone

    Programme = apps.get_model("programmes", "Programme")
    for programme in Programme.objects.filter(time_zone="").only("pk", "country", "latitude", "longitude"):
        zone = default_zone(programme.country, programme.latitude, programme.longitude)
        Programme.objects.filter(pk=programme.pk).update(time_zone=zone)


class Migration(migrations.Migration):

    dependencies = [
        ('programmes', '0010_cross_programme_path_signed'),
    ]

    operations = [
        migrations.AddField(
            model_name='programme',
            name='time_zone',
            field=models.CharField(blank=True, help_text='Decides the programme\'s "today" (KPI dates, "not after today", due dates). Empty: the country\'s zone nearest the coordinates.', max_length=64, validators=[accounts.clock.validate_zone], verbose_name='time zone'),
        ),
        migrations.RunPython(fill, migrations.RunPython.noop),
    ]
