"""The access log's new actions: seat proposals, library resources, calculator parameters, catalogues."""

from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('programmes', '0011_time_zones'),
    ]

    operations = [
        migrations.AlterField(
            model_name='accessevent',
            name='action',
            field=models.CharField(choices=[('invitation_sent', 'Invitation sent'), ('invitation_revoked', 'Invitation revoked'), ('invitation_accepted', 'Invitation accepted'), ('member_added', 'Member added'), ('role_changed', 'Role changed'), ('member_removed', 'Member removed'), ('global_role_granted', 'Global role granted'), ('global_role_revoked', 'Global role revoked'), ('account_deactivated', 'Account deactivated'), ('account_reactivated', 'Account reactivated'), ('account_changed', 'Account details changed'), ('password_set', 'Password set by an administrator'), ('programme_created', 'Programme created'), ('caseload_set', 'Expected caseload set'), ('caseload_removed', 'Expected caseload removed'), ('profile_changed', 'Programme details changed'), ('imported', 'Data imported'), ('exported', 'Data exported'), ('viewed', 'Patient data viewed'), ('reviewer_assigned', 'Reviewer assigned to a recognition application'), ('reviewer_unassigned', 'Reviewer removed from a recognition application'), ('evidence_downloaded', 'Recognition evidence downloaded'), ('champion_offer_changed', 'Champion offer changed'), ('candidate_profile_changed', 'Candidate profile changed'), ('join_request_approved', 'Request to join approved'), ('join_request_declined', 'Request to join declined'), ('seat_proposed', 'Training-day seat proposed to a candidate site'), ('seat_proposal_moved', 'Training-day seat proposal booked or withdrawn'), ('resource_moved', 'Library resource published, declined or withdrawn'), ('resource_saved', 'Library resource added or changed'), ('calculator_parameters_saved', 'Benefits calculator parameters saved'), ('catalogue_copied', 'Recognition catalogue copied to a draft'), ('catalogue_published', 'Recognition catalogue published')], max_length=40, verbose_name='action'),
        ),
    ]
