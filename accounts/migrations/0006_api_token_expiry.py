"""API tokens end (90 days by default) and may be read-only; the tokens there are end 90 days after they were made."""

from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('accounts', '0005_time_zones'),
    ]

    operations = [
        migrations.AddField(
            model_name='apitoken',
            name='expires_at',
            field=models.DateTimeField(null=True, verbose_name='expires'),
        ),
        migrations.AddField(
            model_name='apitoken',
            name='read_only',
            field=models.BooleanField(default=False, verbose_name='read-only'),
        ),
        migrations.RunSQL(
            "UPDATE accounts_apitoken SET expires_at = created_at + interval '90 days' WHERE expires_at IS NULL",
            migrations.RunSQL.noop,
        ),
    ]
