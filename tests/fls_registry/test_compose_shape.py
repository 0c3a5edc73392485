"""The compose shape, checked without a container registry (none is reachable here): what
docker-compose.yml mounts exists, every variable it gives the app is one the app reads, and every
path the app writes at run time exists in the image and belongs to the user it runs as."""

import re

import yaml

from tests.fls_registry.test_settings import ROOT

COMPOSE = yaml.safe_load((ROOT / "docker-compose.yml").read_text())
DOCKERFILE = (ROOT / "Dockerfile").read_text()
# How the code reads a variable: env.str("X"...), env.list("X"...), env("X"), os.environ.get("X"), os.environ["X"].
READS = re.compile(r"""(?:env(?:\.\w+)?\(\s*|os\.environ(?:\.get\(|\[)\s*|getenv\(\s*)["']([A-Z][A-Z0-9_]+)["']""")


def app_services() -> dict:
    return {name: service for name, service in COMPOSE["services"].items() if service.get("build") == "."}


def variables_read() -> set[str]:
    names = set()
    for path in ROOT.glob("*/**/*.py"):
        if ".venv" in path.parts or "tests" in path.parts or "migrations" in path.parts:
            continue
        names |= set(READS.findall(path.read_text()))
    return names


def test_every_file_compose_mounts_exists():
    for name, service in COMPOSE["services"].items():
        for volume in service.get("volumes", []):
            source = volume.split(":", 1)[0]
            if source.startswith((".", "/")):
                assert (ROOT / source).exists(), f"{name} mounts {source}, which does not exist"
    assert (ROOT / "Dockerfile").exists()
    for name, service in COMPOSE["services"].items():
        build = service.get("build")
        if isinstance(build, dict):
            dockerfile = ROOT / build.get("context", ".") / build.get("dockerfile", "Dockerfile")
            assert dockerfile.exists(), f"{name} builds from {dockerfile}, which does not exist"
            for source in re.findall(r"^COPY (\S+) ", dockerfile.read_text(), re.M):
                assert (ROOT / source).exists(), f"{dockerfile.name} copies {source}, which does not exist"


def test_the_ha_profile_runs_a_monitor_and_two_nodes_and_the_app_reaches_both():
    ha = {name for name, service in COMPOSE["services"].items() if "ha" in service.get("profiles", [])}
    assert ha == {"pg-monitor", "pg-node1", "pg-node2"}
    url = COMPOSE["services"]["web"]["environment"]["DATABASE_URL"]
    assert "target_session_attrs=read-write" in url and "${DATABASE_HOSTS:-postgres}" in url


def test_every_variable_given_to_the_app_is_read_by_it():
    read = variables_read()
    for name, service in app_services().items():
        unknown = set(service.get("environment", {})) - read
        assert not unknown, f"{name} is given {sorted(unknown)}, which the app never reads"


def test_the_app_containers_mount_no_volume_for_files():
    for name, service in app_services().items():
        assert not service.get("volumes"), f"{name} mounts {service['volumes']}: files live in PostgreSQL"


def test_every_path_the_app_writes_exists_in_the_image_and_is_its_users():
    user = re.search(r"^USER (\S+)", DOCKERFILE, re.M).group(1)
    created = re.search(rf"useradd (?:--create-home|-m)[^\n]* {user}\b", DOCKERFILE)
    assert created, "the image's user must have a home directory (font and WeasyPrint caches)"
    writable = ("/tmp/", f"/home/{user}/")  # the world-writable /tmp, and the user's home
    # Where the running app writes: beat's schedule file, and any path the compose file names.
    written = []
    for name, service in app_services().items():
        command = service.get("command") or []
        if "--schedule" in command:
            written.append((name, command[command.index("--schedule") + 1]))
        for key, value in (service.get("environment") or {}).items():
            if key.endswith(("_ROOT", "_DIR", "_PATH")):
                written.append((name, str(value)))
    assert ("beat", "/tmp/celerybeat-schedule") in written
    for name, path in written:
        assert path.startswith(writable), f"{name} writes {path}, which does not belong to {user} in the image"
    # collectstatic writes at build time, as root, before the image switches to its user.
    assert DOCKERFILE.index("collectstatic") < DOCKERFILE.index(f"USER {user}")
