from django.db import migrations, models


class Migration(migrations.Migration):
    """The audit trail's reference to a patient is a primary key: name it so (it read like patient_ref)."""

    dependencies = [
        ("patients", "0002_episode_list_index"),
    ]

    operations = [
        migrations.RenameField(model_name="auditentry", old_name="patient_id_ref", new_name="patient_pk"),
        migrations.AlterField(
            model_name="auditentry",
            name="patient_pk",
            field=models.BigIntegerField(help_text="the patient (primary key) the row concerns"),
        ),
        # PostgreSQL's index follows the renamed column by itself: only Django's record of it changes.
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.RemoveIndex(model_name="auditentry", name="audit_patient"),
                migrations.AddIndex(
                    model_name="auditentry",
                    index=models.Index(fields=["programme", "patient_pk"], name="audit_patient"),
                ),
            ]
        ),
    ]
