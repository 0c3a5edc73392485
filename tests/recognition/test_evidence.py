"""Evidence files: type from the bytes, size limit, stored outside the web root, served to the
programme's members, the assigned reviewers and IOF staff only, always as an attachment."""

import pytest
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile

from programmes.models import AccessEvent
from programmes.rls import programme_scope
from recognition import services
from tests.factories import UserFactory

PDF = b"%PDF-1.4\n1 0 obj <<>> endobj\ntrailer <<>>\n%%EOF\n"
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 32
JPEG = b"\xff\xd8\xff\xe0" + b"\x00" * 32
EXE = b"MZ\x90\x00\x03\x00\x00\x00" + b"\x00" * 64


@pytest.fixture(autouse=True)
def private_root(settings, tmp_path):
    settings.PRIVATE_FILES_ROOT = tmp_path / "private"
    return settings.PRIVATE_FILES_ROOT


@pytest.fixture
def draft(programme, lead, start_application):
    return start_application(programme, lead, domains=["organisation"])


def add(application, lead, name, content):
    return services.evidence_add(
        application=application,
        actor=lead,
        standard=5,
        domain="organisation",
        upload=SimpleUploadedFile(name, content, content_type="application/pdf"),
    )


@pytest.mark.parametrize(
    ("name", "content", "kind"),
    [("guideline.pdf", PDF, "application/pdf"), ("scan.png", PNG, "image/png"), ("photo.jpeg", JPEG, "image/jpeg")],
)
def test_pdf_png_and_jpeg_are_accepted_by_their_bytes(draft, lead, name, content, kind, private_root):
    evidence = add(draft, lead, name, content)
    assert evidence.content_type == kind
    from programmes.models import StoredFile

    assert bytes(StoredFile.objects.get(name=evidence.file.name).content) == content
    assert evidence.file.open("rb").read() == content
    assert not private_root.exists()  # nothing on the web host's disk


@pytest.mark.parametrize(
    ("name", "content"),
    [
        ("setup.exe", EXE),
        ("guideline.pdf", EXE),
        ("notes.pdf", b"just text"),
        ("page.pdf", b"<html><script>alert(1)</script>"),
    ],
)
def test_anything_else_is_refused_whatever_its_name(draft, lead, name, content):
    with pytest.raises(ValidationError) as refused:
        add(draft, lead, name, content)
    assert "is not a PDF, PNG or JPEG file" in str(refused.value)
    assert not draft.evidence.exists()


def test_a_file_over_10_mb_is_refused(draft, lead):
    with pytest.raises(ValidationError) as refused:
        add(draft, lead, "big.pdf", PDF + b"0" * (10 * 1024 * 1024))
    assert "at most 10 MB" in str(refused.value)


def test_a_renamed_executable_is_refused_through_the_page(draft, lead, login):
    url = f"/p/{draft.programme.slug}/recognition/{draft.pk}/evidence/"
    response = login(lead).post(
        url, {"pair": "5-organisation", "file": SimpleUploadedFile("guideline.pdf", EXE)}, follow=True
    )
    assert "is not a PDF, PNG or JPEG file" in response.content.decode()
    assert not draft.evidence.exists()


def test_evidence_is_served_as_an_attachment_to_those_allowed_and_logged(
    draft, lead, viewer, other_programme, make_member, iof_staff, login, reviewers
):
    evidence = add(draft, lead, "guideline.pdf", PDF)
    url = f"/recognition/evidence/{evidence.pk}/"
    for allowed in (lead, viewer, iof_staff):
        response = login(allowed).get(url)
        assert response.status_code == 200
        assert response["Content-Disposition"].startswith("attachment;")
        assert response["X-Content-Type-Options"] == "nosniff"
        assert b"".join(response.streaming_content) == PDF
    with programme_scope(draft.programme_id):
        assert AccessEvent.objects.for_programme(draft.programme).filter(action="evidence_downloaded").count() == 3
    outsider = make_member(other_programme, "lead")
    unassigned_reviewer = reviewers[0]
    for refused in (outsider, unassigned_reviewer, UserFactory()):
        assert login(refused).get(url).status_code == 404
    assert login(None).get(url).status_code == 302


def test_the_assigned_reviewer_reads_the_evidence(programme, lead, start_application, reviewers, iof_staff, login):
    from tests.recognition.conftest import answer_everything

    application = start_application(programme, lead, domains=["organisation"])
    evidence = add(application, lead, "guideline.pdf", PDF)
    answer_everything(application, lead)
    services.application_submit(application=application, actor=lead)
    services.reviewer_assign(application=application, reviewer=reviewers[0], actor=iof_staff)
    assert login(reviewers[0]).get(f"/recognition/evidence/{evidence.pk}/").status_code == 200
    assert login(reviewers[1]).get(f"/recognition/evidence/{evidence.pk}/").status_code == 404


def test_evidence_cannot_be_added_once_submitted(submitted, lead):
    with pytest.raises(ValidationError):
        services.evidence_add(
            application=submitted,
            actor=lead,
            standard=5,
            domain="organisation",
            upload=SimpleUploadedFile("late.pdf", PDF),
        )
