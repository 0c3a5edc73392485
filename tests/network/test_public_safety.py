"""The public face shows programme-level facts and aggregates only.

The walk finds every public URL (the public face's pages and API, and the links they show, for
every programme slug and resource id there is) and reads each answer anonymously: no patient-level
value appears, no episode count below 5 is shown, and candidates and programmes that did not opt
in never appear. Public text and resource summaries are sanitised."""

import json
import re
from datetime import timedelta

import pytest
from django.urls import URLPattern, URLResolver, get_resolver
from django.utils import timezone

from kpis.services import results_recompute
from network import services
from network.models import Resource
from tests.network.conftest import listing

PUBLIC_PREFIXES = ("map/", "programmes/", "resources/", "api/v1/public/")
LINK = re.compile(r'href="(/[^"#]*)"')
PAYLOADS = (
    "<script>alert('x')</script>",
    '<img src="x" onerror="alert(1)">',
    "[click](javascript:alert(1))",
    '<a href="javascript:alert(1)">a</a>',
    '<svg onload="alert(1)"></svg>',
    '<iframe src="https://evil.example"></iframe>',
    '<p style="background:url(javascript:alert(1))" onclick="x()">styled</p>',
    "[data](data:text/html;base64,PHNjcmlwdD4=)",
)
# Real tags and attributes only: the same text escaped (&lt;script&gt;) is harmless and may stay.
DANGEROUS = re.compile(
    r"<script|<iframe|<svg|<img|<[^>]*\son\w+\s*=|<[^>]*style\s*=|(href|src)\s*=\s*\"?\s*(javascript|data):",
    re.IGNORECASE,
)


def public_routes():
    def walk(patterns, prefix=""):
        for entry in patterns:
            route = prefix + str(entry.pattern)
            if isinstance(entry, URLResolver):
                yield from walk(entry.url_patterns, route)
            elif isinstance(entry, URLPattern) and route.startswith(PUBLIC_PREFIXES):
                yield route

    return sorted(set(walk(get_resolver().url_patterns)))


def expand(route: str, slugs, resource_ids) -> list[str]:
    if "<slug:slug>" in route:
        return ["/" + route.replace("<slug:slug>", slug) for slug in slugs]
    if "<int:resource_id>" in route:
        return ["/" + route.replace("<int:resource_id>", str(pk)) for pk in resource_ids]
    assert "<" not in route, f"a public route with a parameter this walk does not know: {route}"
    return ["/" + route]


@pytest.fixture
def populated(world, make_episode, coordinator, iof_staff, make_member, settings, tmp_path):
    """Episodes with distinctive patient values in shown and hidden programmes, stored figures, bands
    opted in, public texts and resources (one proposed, not yet public)."""
    settings.PRIVATE_FILES_ROOT = tmp_path / "private"
    secrets = []
    today = timezone.localdate()
    shown, hidden = world["shown"], world["hidden"]
    targets = [(shown["yaroslavl-rech"], coordinator)] + [
        (p, make_member(p, "coordinator")) for p in (shown["lyon-sud"], shown["milano-niguarda"], hidden["taipei-ntuh"])
    ]
    for index, (target, member) in enumerate(targets):
        for n in range(7 if index == 0 else 3):  # Yaroslavl 7 episodes, the others 3 (below 5)
            ref = f"SECRET-{target.slug}-{n}"
            birth = today - timedelta(days=365 * 70 + 37 * n + 11 * index + 3)
            make_episode(
                target,
                member,
                patient_ref=ref,
                birth_date=birth.isoformat(),
                fracture_date=(today - timedelta(days=400 + n)).isoformat(),
            )
            secrets += [ref, birth.isoformat()]
    results_recompute()
    for target in shown.values():
        listing(target, on_map=True, bands=True, text="Our service.\n\n" + "\n\n".join(PAYLOADS))
    for text in PAYLOADS:
        services.resource_create(
            actor=iof_staff,
            values=services.ResourceInput(
                title=f"Resource {text[:12]}",
                summary=f"Summary {text}",
                kind="toolkit",
                languages=["en"],
                last_reviewed=today,
                url="https://example.org/r",
            ),
        )
    hidden_resource = services.resource_propose(
        programme=shown["yaroslavl-rech"],
        actor=make_member(shown["yaroslavl-rech"], "lead"),
        values=services.ResourceInput(
            title="NOT-YET-PUBLIC proposal",
            summary="Waiting.",
            kind="toolkit",
            languages=["en"],
            last_reviewed=today,
            url="https://example.org/p",
        ),
    )
    return {"secrets": secrets, "hidden": hidden, "hidden_resource": hidden_resource}


def walk_public(client, populated) -> dict[str, object]:
    slugs = [*populated["hidden"], "yaroslavl-rech", "lyon-sud", "milano-niguarda"]
    ids = list(Resource.objects.values_list("pk", flat=True))
    todo = [url for route in public_routes() for url in expand(route, slugs, ids)]
    todo += [
        "/",
        "/map/?champion=1",
        "/map/?level=gold&country=IT&language=it",
        "/resources/?q=resource",
        "/api/v1/public/programmes.geojson?champion=1",
    ]
    answers, seen = {}, set()
    while todo:
        url = todo.pop(0)
        if url in seen:
            continue
        seen.add(url)
        response = client.get(url)
        answers[url] = response
        if response.status_code == 200 and "text/html" in response["Content-Type"]:
            for link in LINK.findall(response.content.decode()):
                link = link.replace("&amp;", "&")
                if link.lstrip("/").startswith(PUBLIC_PREFIXES) and link not in seen:
                    todo.append(link)
    return answers


def test_the_walk_covers_every_public_route():
    routes = public_routes()
    for expected in (
        "map/",
        "programmes/<slug:slug>/",
        "resources/",
        "resources/<int:resource_id>/",
        "api/v1/public/programmes.geojson",
        "api/v1/public/summary",
    ):
        assert expected in routes


def test_no_public_answer_holds_a_patient_value_a_hidden_programme_or_a_small_count(client, populated):
    answers = walk_public(client, populated)
    assert len(answers) > 20
    hidden_names = [p.name for p in populated["hidden"].values()] + [p.slug for p in populated["hidden"].values()]
    for url, response in answers.items():
        assert response.status_code < 500, url
        if response.status_code != 200 or response.get("Content-Disposition", "").startswith("attachment"):
            continue
        body = response.content.decode()
        for secret in populated["secrets"]:
            assert secret not in body, (url, secret)
        if not url.startswith(tuple(f"/programmes/{s}/" for s in populated["hidden"])):
            for name in hidden_names:
                assert name not in body, (url, name)
        assert "NOT-YET-PUBLIC" not in body, url
        assert not re.search(r"\b[0-4] (fracture )?episodes?\b", body), url
        if response["Content-Type"].startswith(("application/json", "application/geo+json")):
            assert_no_small_episode_count(json.loads(body), url)


def assert_no_small_episode_count(value, url, key=""):
    if isinstance(value, dict):
        for name, item in value.items():
            assert_no_small_episode_count(item, url, name)
    elif isinstance(value, list):
        for item in value:
            assert_no_small_episode_count(item, url, key)
    elif "episode" in key and isinstance(value, int):
        assert value >= 5, (url, key, value)


def test_hidden_programmes_have_no_profile_and_are_not_in_the_data(client, populated):
    for slug in populated["hidden"]:
        assert client.get(f"/programmes/{slug}/").status_code == 404
    geojson = client.get("/api/v1/public/programmes.geojson").json()
    assert not {feature["id"] for feature in geojson["features"]} & set(populated["hidden"])


def test_bands_below_5_episodes_are_not_shown(client, populated):
    page = client.get("/programmes/lyon-sud/").content.decode()  # 3 episodes last year
    assert "band-green" not in page and "band-amber" not in page and "band-red" not in page


def test_public_text_and_summaries_are_sanitised(client, populated):
    pages = [client.get("/programmes/yaroslavl-rech/"), client.get("/resources/")]
    pages += [
        client.get(f"/resources/{pk}/")
        for pk in Resource.objects.filter(status="published").values_list("pk", flat=True)
    ]
    for response in pages:
        body = response.content.decode()
        main = body[body.index("<main") : body.index("</main>")]
        assert not DANGEROUS.search(main), DANGEROUS.search(main).group(0)
    assert "styled" in client.get("/programmes/yaroslavl-rech/").content.decode()  # the text stays, the attack goes
