"""A reviewer never belongs to the programme they review: the rule is part of the reviewer's
capability (asked on every action), and a membership that would break it is refused."""

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from programmes.models import Membership
from programmes.services import grants
from recognition import services


@pytest.fixture
def reviewer(under_review, reviewers):
    return reviewers[0]


def test_the_programme_cannot_take_its_reviewer_as_a_member(under_review, reviewer, iof_staff, lead):
    for granting in (iof_staff, lead):
        with pytest.raises(ValidationError, match="reviews this programme's recognition application"):
            grants.membership_grant(actor=granting, user=reviewer, programme=under_review.programme, role="viewer")
    assert not Membership.objects.filter(user=reviewer).exists()


def test_an_invitation_to_the_reviewer_cannot_be_used(under_review, reviewer, lead):
    _invitation, token = grants.invitation_create(
        actor=lead, programme=under_review.programme, email=reviewer.email, role="viewer"
    )
    with pytest.raises(grants.InvitationInvalid, match="reviews this programme's recognition application"):
        grants.invitation_accept(token=token, user=reviewer)
    assert not Membership.objects.filter(user=reviewer).exists()


def test_a_member_that_slipped_in_can_no_longer_score_or_read_the_review(under_review, reviewer, login):
    assignment = under_review.assignments.get(reviewer=reviewer)
    standard, domain = next(iter(under_review.pairs()))
    services.score_save(
        assignment=assignment, actor=reviewer, standard=standard.number, domain=domain, score=2, comment="ok"
    )
    Membership.objects.create(user=reviewer, programme=under_review.programme, role="viewer")  # e.g. before the rule
    with pytest.raises(PermissionDenied):
        services.score_save(
            assignment=assignment, actor=reviewer, standard=standard.number, domain=domain, score=3, comment="ok"
        )
    assert login(reviewer).get(f"/recognition/reviews/{assignment.pk}/").status_code in (403, 404)


def test_reviewers_are_anonymous_in_everything_the_applicant_reads(
    under_review, reviewers, lead, iof_staff, login, mailoutbox, django_capture_on_commit_callbacks
):
    from tests.recognition.conftest import score_all

    names = ["Prof Anna Keller", "Dr Tomás Ortega"]
    for reviewer, name in zip(reviewers, names, strict=True):
        reviewer.full_name = name
        reviewer.save(update_fields=["full_name"])
    with django_capture_on_commit_callbacks(execute=True):
        for reviewer in reviewers:
            score_all(under_review, reviewer, lambda standard, domain: 1)
        services.changes_request(application=under_review, actor=iof_staff, comment="Please add the protocol.")
    programme = under_review.programme
    read_by_lead = [
        login(lead).get(f"/p/{programme.slug}/recognition/{under_review.pk}/").content.decode(),
        login(lead).get(f"/p/{programme.slug}/team/").content.decode(),
        *(m.body + m.subject for m in mailoutbox if lead.email in m.to),
    ]
    for text in read_by_lead:
        for reviewer, name in zip(reviewers, names, strict=True):
            assert name not in text and reviewer.email not in text
    assert "Reviewer A" in read_by_lead[0]  # their comments come back under a letter
