"""The load test's users (issue #10, item 3), driven by bench/load_test.py:

* patients post readings through the API with their token (weight; blood pressure);
* nurses log in, open their worklist and patient pages, and take then close open alerts
  (closing sends the GP letter: the Celery worker renders and mails it);
* GPs come in from time to time: log in, open their patient list and a few summaries, log
  out (each visit logs in again: the login's cost measured in the steady state).

With ``CONSTEL_LOAD_BARE=1`` every task hits the bare views instead (one INSERT for a
reading, one SELECT for a page): the framework's floor under the same mix.
Reads ``CONSTEL_LOAD_CREDENTIALS`` (written by ``generate_load_data --credentials``) and
``CONSTEL_LOAD_PASSWORD``.
"""

from __future__ import annotations

import json
import os
import random
import re
from datetime import UTC, datetime
from pathlib import Path

from locust import HttpUser, between, task

CREDENTIALS = json.loads(Path(os.environ["CONSTEL_LOAD_CREDENTIALS"]).read_text())
PASSWORD = os.environ.get("CONSTEL_LOAD_PASSWORD", "")
BARE = os.environ.get("CONSTEL_LOAD_BARE") == "1"
UUID = r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}"


def _now() -> str:
    return datetime.now(UTC).isoformat()


class _Base(HttpUser):
    abstract = True

    def bare_page(self, name: str) -> None:
        self.client.get("/bench/bare-read/", name=f"{name} (bare)")

    def login(self, email: str, name: str = "login") -> None:
        page = self.client.get("/accounts/login/", name=f"{name} form")
        token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page.text)
        # The login itself (password checked, session opened: a redirect), not the landing
        # page it redirects to — the user's tasks open their pages, each under its own name.
        with self.client.post("/accounts/login/", name=name, data={
                "login": email, "password": PASSWORD,
                "csrfmiddlewaretoken": token.group(1) if token else ""},
                headers={"Referer": self.host + "/accounts/login/"},
                allow_redirects=False, catch_response=True) as response:
            if response.status_code != 302:
                response.failure(f"login answered {response.status_code}, not a redirect")

    def csrf(self) -> str:
        return self.client.cookies.get("csrftoken", "")


class Patient(_Base):
    weight = 6
    wait_time = between(1, 3)

    def on_start(self) -> None:
        self.tenant = random.choice(CREDENTIALS)
        self.token = random.choice(self.tenant["patient_tokens"])
        self.weight_kg = random.uniform(60, 100)

    def _post(self, body: dict, name: str) -> None:
        if BARE:
            self.client.post("/bench/bare-insert/", name=f"{name} (bare)", json={
                "tenant": self.tenant["tenant_id"], "enrollment": self.tenant["enrollment"],
                "indicator": self.tenant["indicator"], "value": 70})
            return
        with self.client.post("/api/v1/readings/", json=body, name=name,
                              headers={"Authorization": f"Bearer {self.token}"},
                              catch_response=True) as response:
            if response.status_code != 201:
                response.failure(f"{response.status_code}: {response.text[:200]}")

    @task(3)
    def post_weight(self) -> None:
        self._post({"indicator": "body_weight",
                    "value": f"{self.weight_kg + random.uniform(-1, 1):.1f}".replace(".", ","),
                    "measured_at": _now()}, "POST reading (weight)")

    @task(2)
    def post_blood_pressure(self) -> None:
        self._post({"indicator": "blood_pressure", "value": str(random.randint(110, 165)),
                    "diastolic": str(random.randint(60, 95)), "measured_at": _now()},
                   "POST reading (blood pressure)")


class Nurse(_Base):
    weight = 3
    wait_time = between(2, 5)

    def on_start(self) -> None:
        self.tenant = random.choice(CREDENTIALS)
        if not BARE:
            # once, while every user is being spawned (a storm a real morning spreads over an
            # hour): a row of its own, apart from the GPs' logins of the steady state
            self.login(random.choice(self.tenant["staff"][:1]), name="login (nurse, at spawn)")

    @task(4)
    def worklist(self) -> None:
        if BARE:
            return self.bare_page("worklist")
        self.client.get("/pathway/worklist/", name="worklist")

    @task(3)
    def patient_page(self) -> None:
        if BARE:
            return self.bare_page("patient page")
        self.client.get(f"/patients/{random.choice(self.tenant['patients'])}/",
                        name="patient page")

    @task(1)
    def alert_flow(self) -> None:
        if BARE:
            return self.bare_page("alert flow")
        found = self.client.get("/api/v1/alerts/?status=open", name="API open alerts")
        try:
            results = found.json().get("results", [])
        except ValueError:
            return
        if not results:
            return
        alert = random.choice(results[:10])["id"]
        url = f"/pathway/alerts/{alert}/"
        self.client.get(url, name="alert page")
        headers = {"Referer": self.host + url}
        self.client.post(url, name="alert take", headers=headers,
                         data={"action": "take", "csrfmiddlewaretoken": self.csrf()})
        closing = {"action": "close", "outcome": "advice",
                   "note": "Conseils donnés (test de charge)"}
        # Closing asks once more (issue #21): the confirmation page, then the close.
        self.client.post(url, name="alert close (confirmation page)", headers=headers,
                         data={**closing, "csrfmiddlewaretoken": self.csrf()})
        self.client.post(url, name="alert close", headers=headers,
                         data={**closing, "confirmed": "1", "csrfmiddlewaretoken": self.csrf()})


class GP(_Base):
    """A GP comes in from time to time (a letter's link, a PPS to validate): logs in, opens
    their patient list and one to three summaries, logs out — so logins are measured in the
    steady state, not only in the spawn's storm."""

    weight = 1
    wait_time = between(3, 8)

    def on_start(self) -> None:
        self.tenant = random.choice(CREDENTIALS)

    @task
    def visit(self) -> None:
        if BARE:  # the same steps and pauses, each on the bare view
            self.bare_page("login")
            self.wait()
            self.bare_page("GP patients")
            for _ in range(random.randint(1, 3)):
                self.wait()
                self.bare_page("GP patient summary")
            self.wait()
            return self.bare_page("logout")
        if not self.tenant["gps"]:
            return
        self.login(random.choice(self.tenant["gps"]))
        self.wait()
        page = self.client.get("/gp/", name="GP patients")
        patients = re.findall(rf"/gp/patients/({UUID})/", page.text)
        for _ in range(random.randint(1, 3) if patients else 0):
            self.wait()
            self.client.get(f"/gp/patients/{random.choice(patients)}/",
                            name="GP patient summary")
        self.wait()
        self.client.post("/accounts/logout/", name="logout",
                         headers={"Referer": self.host + "/gp/"},
                         data={"csrfmiddlewaretoken": self.csrf()}, allow_redirects=False)
