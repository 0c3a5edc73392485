"""The people of the load benchmark (bench/load_bench.py starts Locust with this file).

Coordinators (logged-in sessions prepared by load_bench.py, each in one demo programme, each with
its own episodes to edit so that two never save the same one) pause about 3 s between actions:
the episode list, a search, an episode, an edit saved, the worklist, the KPI dashboard, the
programme home. Anonymous visitors look at the map, its data and a programme's public profile.
Locust's FastHttpUser (geventhttpclient): the load generator shares the machine with the server, and
it takes several times less CPU per request than the requests-based client.
"""

from __future__ import annotations

import itertools
import json
import os
import random
from html.parser import HTMLParser
from http.cookiejar import Cookie
from urllib.parse import urlencode

from locust import between, constant, task
from locust.contrib.fasthttp import FastHttpUser

PLAN = json.loads(open(os.environ["LOAD_BENCH_PLAN"]).read())  # noqa: SIM115 - read once at start
# The saturation run: coordinators never pause, each sends the next request when the last one
# answers; the map's visitors keep their pauses, so that the mix stays the coordinators' (cheap,
# cached public requests without pauses would crowd it out and inflate the rate).
COORDINATOR_PAUSE = constant(0) if PLAN.get("no_pauses") else between(2, 4)  # else about 3 s between actions
_people = itertools.cycle(PLAN["coordinators"])


class FormFields(HTMLParser):
    """The fields a browser would post from the form ``form_id`` of a page (values as shown)."""

    def __init__(self, form_id: str):
        super().__init__()
        self.form_id = form_id
        self.fields: dict[str, str] = {}
        self.in_form = self.done = False
        self.select: str | None = None
        self.textarea: str | None = None
        self.first_option: str | None = None

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if self.done:
            return
        if tag == "form" and a.get("id") == self.form_id:
            self.in_form = True
        if not self.in_form:
            return
        name = a.get("name")
        if tag == "input" and name and a.get("type") not in ("submit", "button", "file"):
            if a.get("type") in ("checkbox", "radio"):
                if "checked" in a:
                    self.fields[name] = a.get("value", "on")
            else:
                self.fields[name] = a.get("value") or ""
        elif tag == "select" and name:
            self.select, self.first_option = name, None
            self.fields.setdefault(name, "")
        elif tag == "option" and self.select:
            value = a.get("value") or ""
            if self.first_option is None:
                self.first_option = value
                self.fields[self.select] = value
            if "selected" in a:
                self.fields[self.select] = value
        elif tag == "textarea" and name:
            self.textarea = name
            self.fields[name] = ""

    def handle_endtag(self, tag):
        if tag == "select":
            self.select = None
        elif tag == "textarea":
            self.textarea = None
        elif tag == "form" and self.in_form:
            self.in_form, self.done = False, True

    def handle_data(self, data):
        if self.textarea:
            self.fields[self.textarea] += data


def session_cookie(value: str) -> Cookie:
    """The bench coordinator's session, as the browser would hold it after logging in."""
    return Cookie(0, "sessionid", value, None, False, "127.0.0.1", False, False, "/", True, False, None, False, None,
                  None, {})  # fmt: skip


def form_fields(html: str, form_id: str) -> dict[str, str]:
    parser = FormFields(form_id)
    parser.feed(html)
    return parser.fields


class Coordinator(FastHttpUser):
    fixed_count = PLAN["coordinator_count"]
    wait_time = COORDINATOR_PAUSE

    def on_start(self):
        person = next(_people)
        self.slug = person["programme"]
        self.episodes = person["episodes"]  # [[id, patient_ref], ...] this person alone edits
        self.client.cookiejar.set_cookie(session_cookie(person["session"]))
        self.rng = random.Random(person["session"])
        self.base = f"/p/{self.slug}"

    @task(3)
    def episode_list(self):
        self.client.get(f"{self.base}/episodes/", name="episode list")

    @task(2)
    def search(self):
        _, ref = self.rng.choice(self.episodes)
        self.client.get(f"{self.base}/episodes/", params={"q": ref[:6]}, name="episode search")

    @task(3)
    def open_episode(self):
        episode_id, _ = self.rng.choice(self.episodes)
        self.client.get(f"{self.base}/episodes/{episode_id}/", name="episode")

    @task(2)
    def edit_and_save(self):
        episode_id, _ = self.rng.choice(self.episodes)
        url = f"{self.base}/episodes/{episode_id}/edit/"
        page = self.client.get(url, name="episode edit form")
        if page.status_code != 200:
            return
        fields = form_fields(page.text, "episode-form")
        fields["falls_assessment"] = "no" if fields.get("falls_assessment") == "yes" else "yes"
        with self.client.post(
            url,
            data=urlencode(fields),
            headers={"Referer": self.host + url, "Content-Type": "application/x-www-form-urlencoded"},
            name="episode save",
            allow_redirects=False,
            catch_response=True,
        ) as response:
            if response.status_code != 302:
                response.failure(f"save answered {response.status_code}")

    @task(3)
    def worklist(self):
        self.client.get(f"{self.base}/worklist/", name="worklist")

    @task(2)
    def dashboard(self):
        self.client.get(f"{self.base}/kpis/", name="KPI dashboard")

    @task(1)
    def home(self):
        self.client.get(f"{self.base}/", name="programme home")


class MapVisitor(FastHttpUser):
    fixed_count = PLAN["visitor_count"]
    wait_time = between(2, 4)

    @task(2)
    def map_page(self):
        self.client.get("/map/", name="map page")
        self.client.get("/api/v1/public/programmes.geojson", name="map data (GeoJSON)")

    @task(1)
    def profile(self):
        self.client.get(f"/programmes/{random.choice(PLAN['profiles'])}/", name="public profile")

    @task(1)
    def figures(self):
        self.client.get("/api/v1/public/summary", name="network figures (API)")
