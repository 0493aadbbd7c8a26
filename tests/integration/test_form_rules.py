"""One set of form rules for every entry point: the API, the portal and the officers' counter
store the same data for the same answers, hidden answers dropped by the engine."""

from __future__ import annotations

import copy
import re
from typing import Any

import pytest

from engine.forms import rules
from engine.services import submissions
from engine.store.models import Submission
from tests.conftest import example_files, read
from tests.integration.test_api import make_municipality
from tests.integration.test_portal import citizen_of, comparable, csrf_on, make_town, walk  # noqa: F401

pytestmark = pytest.mark.db

GARBAGE = "garbage-fee"


def household_with_a_hidden_trade_name() -> dict[str, Any]:
    data = read(example_files(GARBAGE, "valid")[0].with_name("valid-household.json"))
    hidden = copy.deepcopy(data)
    hidden["premises"]["trade_name"] = "ร้านที่ไม่ได้ถาม"  # asked only when the premises are not a household
    return hidden


def test_the_api_drops_an_answer_the_form_does_not_ask(app: Any, platform: Any):
    client = app.test_client()
    town = make_municipality(platform, client)
    data = household_with_a_hidden_trade_name()
    response = client.post(f"/api/v1/tenants/{town.slug}/services/{GARBAGE}/submissions", json=data)
    assert response.status_code == 201, response.json
    stored = platform.db(Submission.get(tenant__slug=town.slug, reference=response.json["reference"]))
    assert "trade_name" not in stored.data["premises"]
    assert stored.data["premises"]["rate_class"] == "household"


def test_the_api_and_the_portal_store_the_same_data(app: Any, platform: Any):
    definition = platform.catalog.get(GARBAGE)
    data = household_with_a_hidden_trade_name()
    client = app.test_client()
    api_town = make_municipality(platform, client)
    created = client.post(f"/api/v1/tenants/{api_town.slug}/services/{GARBAGE}/submissions", json=data)
    assert created.status_code == 201, created.json
    through_api = platform.db(
        Submission.get(tenant__slug=api_town.slug, reference=created.json["reference"])
    ).data

    town = make_town(platform, "FR")
    citizen = citizen_of(app, town)
    walk(citizen, definition, data)
    citizen.post(f"/{town.slug}/services/{GARBAGE}/submit")
    done = citizen.follow()
    reference = re.search(r"FR-25[0-9]{2}-[0-9]{6}", done.page.text)
    assert reference, done.page.text
    through_portal = platform.db(Submission.get(tenant=town, reference=reference.group(0))).data

    assert comparable(definition, through_api) == comparable(definition, through_portal)
    assert comparable(definition, through_api) == comparable(definition, rules.prune_hidden(definition, data))


def test_the_engine_prunes_before_it_validates(platform: Any):
    """An answer to a hidden field that would not validate does not stop the submission."""
    definition = platform.catalog.get(GARBAGE)
    data = household_with_a_hidden_trade_name()
    data["premises"]["trade_name"] = "x" * 10_000
    town = make_town(platform, "FP")
    receipt = platform.db(submissions.submit(town, definition, data))
    stored = platform.db(Submission.get(tenant=town, reference=receipt.reference))
    assert "trade_name" not in stored.data["premises"]
