"""The resource library: full-text search per language (stemming), filters, uploads checked from the
bytes and stored outside the web root, proposals by leads and IOF staff's approval."""

import io
import zipfile
from datetime import date
from pathlib import Path

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from network import selectors, services
from network.models import Resource, ResourceStatus
from network.selectors import ResourceFilters
from tests.conftest import sign_in


@pytest.fixture(autouse=True)
def private_root(settings, tmp_path):
    settings.PRIVATE_FILES_ROOT = tmp_path / "private"
    return settings.PRIVATE_FILES_ROOT


def values(title, summary, languages=("en",), kind="toolkit", **extra):
    return services.ResourceInput(
        title=title,
        summary=summary,
        kind=kind,
        languages=list(languages),
        last_reviewed=date(2026, 9, 1),
        publisher=extra.pop("publisher", "IOF"),
        url=extra.pop("url", "https://example.org/r"),
        **extra,
    )


@pytest.fixture
def library(iof_staff):
    make = lambda *args, **kwargs: services.resource_create(actor=iof_staff, values=values(*args, **kwargs))  # noqa: E731
    return {
        "leaflets": make(
            "Patient leaflets after a fracture", "Leaflets explaining treatment to patients.", kind="patient_leaflet"
        ),
        "fr": make(
            "Recommandations pour la filière fracture",
            "Comment organiser les consultations des fractures.",
            ["fr"],
            kind="clinical_standard",
            countries=["FR"],
        ),
        "ru": make(
            "Памятка пациенту",
            "Профилактика повторных переломов после падения.",
            ["ru"],
            kind="patient_leaflet",
            countries=["RU"],
            topics=["falls"],
        ),
        "it": make("Linee guida", "Gestione delle fratture da fragilità.", ["it"], countries=["IT"]),
    }


def found(**filters):
    return [r.title for r in selectors.resource_search(ResourceFilters(**filters))]


@pytest.mark.parametrize(
    ("query", "title"),
    [
        ("leaflet", "Patient leaflets after a fracture"),  # English stemming: leaflet ~ leaflets
        ("explained treatments", "Patient leaflets after a fracture"),
        ("recommandation fractures", "Recommandations pour la filière fracture"),  # French stemming
        ("consultation", "Recommandations pour la filière fracture"),
        ("переломы", "Памятка пациенту"),  # Russian stemming: переломы ~ переломов
        ("памятки", "Памятка пациенту"),
        ("падение", "Памятка пациенту"),
    ],
)
def test_search_stems_in_the_resources_language(library, query, title):
    assert found(q=query) == [title]


def test_search_finds_nothing_for_an_absent_word(library):
    assert found(q="zebra") == []


@pytest.mark.parametrize(
    ("filters", "titles"),
    [
        ({"kind": "patient_leaflet"}, ["Patient leaflets after a fracture", "Памятка пациенту"]),
        ({"language": "ru"}, ["Памятка пациенту"]),
        (
            {"country": "FR"},
            ["Patient leaflets after a fracture", "Recommandations pour la filière fracture"],
        ),  # all + FR
        ({"topic": "falls"}, ["Памятка пациенту"]),
        ({"kind": "patient_leaflet", "language": "ru", "q": "памятка"}, ["Памятка пациенту"]),
    ],
)
def test_filters(library, filters, titles):
    assert sorted(found(**filters)) == sorted(titles)


def test_readers_see_their_language_and_country_first(library):
    titles = [r.title for r in selectors.resource_search(ResourceFilters(), language="ru", countries_of_reader=("RU",))]
    assert titles[0] == "Памятка пациенту"
    titles = [r.title for r in selectors.resource_search(ResourceFilters(), language="it", countries_of_reader=("IT",))]
    assert titles[0] == "Linee guida"


def test_the_library_page_searches_and_filters(client, library):
    page = client.get(
        reverse("network:resources"), {"q": "памятки", "language": "ru", "kind": "patient_leaflet"}
    ).content.decode()
    assert "Памятка пациенту" in page
    assert "1 resource" in page


def test_a_proposal_is_public_only_once_approved(client, programme, lead, iof_staff):
    proposal = services.resource_propose(programme=programme, actor=lead, values=values("Our leaflet", "For patients."))
    assert proposal.status == ResourceStatus.PROPOSED
    assert found() == []
    assert client.get(reverse("network:resource", kwargs={"resource_id": proposal.pk})).status_code == 404
    services.resource_transition(resource=proposal, to=ResourceStatus.PUBLISHED, actor=iof_staff)
    assert found() == ["Our leaflet"]


def test_declining_needs_a_reason_and_only_staff_decide(programme, lead, iof_staff):
    proposal = services.resource_propose(programme=programme, actor=lead, values=values("Ours", "Text."))
    with pytest.raises(PermissionDenied):
        services.resource_transition(resource=proposal, to=ResourceStatus.PUBLISHED, actor=lead)
    with pytest.raises(ValidationError, match="Say why"):
        services.resource_transition(resource=proposal, to=ResourceStatus.DECLINED, actor=iof_staff)
    services.resource_transition(resource=proposal, to=ResourceStatus.DECLINED, actor=iof_staff, reason="Not public.")
    with pytest.raises(ValidationError, match="cannot become"):
        services.resource_transition(resource=proposal, to=ResourceStatus.PUBLISHED, actor=iof_staff)


def test_only_a_lead_proposes_and_only_staff_create(programme, coordinator, lead):
    with pytest.raises(PermissionDenied):
        services.resource_propose(programme=programme, actor=coordinator, values=values("X", "Y."))
    with pytest.raises(PermissionDenied):
        services.resource_create(actor=lead, values=values("X", "Y."))
    assert Resource.objects.count() == 0


def test_retired_resources_leave_the_library(library, iof_staff):
    services.resource_transition(resource=library["it"], to=ResourceStatus.RETIRED, actor=iof_staff)
    assert "Linee guida" not in found()


def _office(part: str) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        # A fixed date: the same bytes in every process (pytest-xdist's workers must collect the same ids).
        for name, text in (("[Content_Types].xml", "<Types/>"), (part, "<x/>")):
            archive.writestr(zipfile.ZipInfo(name, date_time=(2026, 1, 1, 0, 0, 0)), text)
    return buffer.getvalue()


@pytest.mark.parametrize(
    ("name", "content", "content_type", "extension"),
    [
        ("a.pdf", b"%PDF-1.7\n%...", "application/pdf", ".pdf"),
        ("a.png", b"\x89PNG\r\n\x1a\n0000", "image/png", ".png"),
        ("photo.jpeg", b"\xff\xd8\xff\xe0JFIF", "image/jpeg", ".jpg"),
        ("deck.bin", _office("ppt/presentation.xml"), services.PPTX, ".pptx"),  # judged from the bytes, not the name
        ("a.docx", _office("word/document.xml"), services.DOCX, ".docx"),
        ("a.xlsx", _office("xl/workbook.xml"), services.XLSX, ".xlsx"),
    ],
)
def test_uploads_are_typed_from_their_bytes_and_stored_in_the_database(
    iof_staff, private_root, settings, name, content, content_type, extension
):
    resource = services.resource_create(
        actor=iof_staff,
        values=values("File", "A file.", url=""),
        upload=SimpleUploadedFile(name, content, "text/plain"),
    )
    assert (resource.content_type, resource.file_name[-len(extension) :]) == (content_type, extension)
    from programmes.models import StoredFile

    stored = StoredFile.objects.get(name=resource.file.name)
    assert (bytes(stored.content), stored.size) == (content, len(content))
    assert not Path(private_root).exists()  # nothing on the web host's disk
    with pytest.raises(ValueError, match="no public URL"):
        resource.file.url  # noqa: B018


@pytest.mark.parametrize(
    ("name", "content"),
    [
        ("leaflet.pdf", b"<html><script>alert(1)</script></html>"),  # a PDF by name only
        ("a.docx", b"PK\x03\x04not really a zip"),
        ("a.zip", _office("other/file.xml")),  # a ZIP, but no Office document
        ("a.exe", b"MZ\x90\x00"),
    ],
)
def test_other_files_are_refused_with_a_clear_message_and_nothing_stored(iof_staff, private_root, name, content):
    with pytest.raises(ValidationError) as refused:
        services.resource_create(
            actor=iof_staff, values=values("File", "A file.", url=""), upload=SimpleUploadedFile(name, content)
        )
    assert "judged from its contents" in str(refused.value)
    assert Resource.objects.count() == 0


def test_an_oversized_file_is_refused_before_it_is_read(iof_staff, settings):
    settings.NETWORK_RESOURCE_MAX_BYTES = 1024
    with pytest.raises(ValidationError, match="at most"):
        services.resource_create(
            actor=iof_staff,
            values=values("File", "A file.", url=""),
            upload=SimpleUploadedFile("a.pdf", b"%PDF-" + b"0" * 2000),
        )
    assert Resource.objects.count() == 0


def test_a_resource_has_a_link_or_a_file(iof_staff):
    with pytest.raises(ValidationError, match="either a link or a file"):
        services.resource_create(actor=iof_staff, values=values("File", "A file.", url=""))


def test_the_file_of_a_proposal_is_downloadable_by_staff_and_its_lead_only(
    client, programme, lead, coordinator, iof_staff
):
    proposal = services.resource_propose(
        programme=programme,
        actor=lead,
        values=values("Ours", "Text.", url=""),
        upload=SimpleUploadedFile("a.pdf", b"%PDF-1.4 x"),
    )
    url = reverse("network:resource_file", kwargs={"resource_id": proposal.pk})
    assert client.get(url).status_code == 404
    for user, status in ((coordinator, 404), (lead, 200), (iof_staff, 200)):
        sign_in(client, user)
        response = client.get(url)
        assert response.status_code == status
        if status == 200:
            assert response["Content-Disposition"].startswith("attachment")
            assert response["X-Content-Type-Options"] == "nosniff"


def test_a_lead_proposes_through_the_page_and_staff_approve_on_their_desk(client, programme, lead, iof_staff):
    sign_in(client, lead)
    response = client.post(
        reverse("network:resource_propose", kwargs={"programme_slug": programme.slug}),
        {
            "title": "Ours",
            "summary": "For patients.",
            "kind": "patient_leaflet",
            "languages": "ru",
            "url": "https://x.example/l",
            "last_reviewed": "2026-10-01",
        },
    )
    assert response.status_code == 302
    proposal = Resource.objects.get()
    sign_in(client, iof_staff)
    assert "Ours" in client.get(reverse("network:staff_resources")).content.decode()
    client.post(reverse("network:staff_resources"), {"resource": proposal.pk, "to": "published"})
    proposal.refresh_from_db()
    assert proposal.status == ResourceStatus.PUBLISHED


def test_a_wrong_upload_on_the_page_says_what_and_where(client, programme, lead):
    sign_in(client, lead)
    response = client.post(
        reverse("network:resource_propose", kwargs={"programme_slug": programme.slug}),
        {
            "title": "Ours",
            "summary": "S.",
            "kind": "patient_leaflet",
            "languages": "ru",
            "last_reviewed": "2026-10-01",
            "file": SimpleUploadedFile("x.pdf", b"not a pdf"),
        },
    )
    assert response.status_code == 400
    assert "x.pdf is not a PDF" in response.content.decode()
    assert Resource.objects.count() == 0


def _office_with(*parts: str, content_types: str = "<Types/>") -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name, text in (
            ("[Content_Types].xml", content_types),
            ("word/document.xml", "<x/>"),
            *((p, "x") for p in parts),
        ):
            archive.writestr(zipfile.ZipInfo(name, date_time=(2026, 1, 1, 0, 0, 0)), text)
    return buffer.getvalue()


@pytest.mark.parametrize(
    "content",
    [
        _office_with("word/vbaProject.bin"),  # macros
        _office_with("word/embeddings/oleObject1.bin"),  # an embedded object
        _office_with("payload/setup.exe"),  # a program riding along
        _office_with(
            content_types='<Types><Default ContentType="application/vnd.ms-word.document.macroEnabled.main+xml"/></Types>'
        ),
    ],
    ids=["macros", "embedded", "exe", "macro-enabled"],
)
def test_an_office_file_with_macros_or_a_program_is_refused(iof_staff, private_root, content):
    with pytest.raises(ValidationError, match="takes documents only") as refused:
        services.resource_create(
            actor=iof_staff, values=values("File", "A file.", url=""), upload=SimpleUploadedFile("guide.docx", content)
        )
    assert "file" in refused.value.message_dict
    assert Resource.objects.count() == 0
