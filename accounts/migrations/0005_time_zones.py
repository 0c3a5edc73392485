"""Each person's own time zone for reading times (accounts/clock.py); empty: their programme's."""

import accounts.clock
from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('accounts', '0004_user_language'),
    ]

    operations = [
        migrations.AddField(
            model_name='user',
            name='time_zone',
            field=models.CharField(blank=True, help_text="Where you read times. Empty: your programme's zone.", max_length=64, validators=[accounts.clock.validate_zone], verbose_name='time zone'),
        ),
    ]
