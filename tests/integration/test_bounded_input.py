"""Whatever is sent, the work to refuse it is bounded: body size, nesting, errors listed, NULs.

Times are printed for the record (pytest -s), never asserted: these machines drift.
"""

from __future__ import annotations

import json
import time
from typing import Any

import pytest

from api.body import MAX_DEPTH, MAX_JSON_BYTES, nesting_depth
from engine.forms.errors import MAX_ERRORS
from engine.store.models import Submission
from tests.conftest import example_files, read
from tests.integration.test_api import Municipality, make_municipality


@pytest.fixture(scope="module")
def town(app: Any, platform: Any) -> Municipality:
    return make_municipality(platform, app.test_client())


def _submit(client: Any, town: Municipality, body: bytes) -> tuple[Any, float]:
    started = time.perf_counter()
    response = client.post(
        f"/api/v1/tenants/{town.slug}/services/general-petition/submissions",
        data=body,
        content_type="application/json",
    )
    return response, time.perf_counter() - started


def _petition() -> dict[str, Any]:
    return read(example_files("general-petition", "valid")[0])


def test_a_body_over_the_limit_is_refused_unread(client: Any, platform: Any, town: Municipality):
    petition = _petition()
    petition.update({f"extra{i}": i for i in range(1_000_000)})
    body = json.dumps(petition).encode()
    assert len(body) > 18_000_000
    before = platform.db(Submission.all().count())
    response, seconds = _submit(client, town, body)
    print(f"\n1,000,000 extra keys ({len(body):,} bytes): {response.status_code} in {seconds * 1000:.0f} ms")
    assert response.status_code == 413
    assert response.json["code"] == "request_entity_too_large"
    assert response.json["limit_bytes"] == MAX_JSON_BYTES
    assert platform.db(Submission.all().count()) == before


def test_many_unexpected_keys_list_fifty_errors_and_count_the_rest(client: Any, town: Municipality):
    petition = _petition()
    petition.update({f"x{i}": 1 for i in range(55_000)})
    body = json.dumps(petition).encode()
    assert len(body) < MAX_JSON_BYTES
    response, seconds = _submit(client, town, body)
    print(f"\n55,000 unexpected keys: {len(response.data):,}-byte answer in {seconds * 1000:.0f} ms")
    assert response.status_code == 422
    assert len(response.json["errors"]) == MAX_ERRORS
    assert response.json["more_errors"] > 0
    assert all(e["message_th"] and e["message_en"] for e in response.json["errors"])
    assert len(response.data) < 50_000


def test_a_long_array_is_not_checked_item_by_item_to_the_end(client: Any, town: Municipality):
    petition = _petition()
    petition["attachments"] = [1] * 200_000
    response, seconds = _submit(client, town, json.dumps(petition).encode())
    print(f"\n200,000-item array: {response.status_code} in {seconds * 1000:.0f} ms")
    assert response.status_code == 422
    assert len(response.json["errors"]) <= MAX_ERRORS


@pytest.mark.parametrize("depth", [MAX_DEPTH + 1, 1_000, 100_000])
def test_deep_nesting_is_invalid_json_not_a_crash(client: Any, town: Municipality, depth: int):
    body = ('{"a":' * depth + "1" + "}" * depth).encode()
    response, seconds = _submit(client, town, body)
    print(f"\nnesting {depth}: {response.status_code} in {seconds * 1000:.0f} ms")
    assert response.status_code == 400
    assert response.json["code"] == "invalid_json"


@pytest.mark.parametrize(
    "body",
    [b'{"detail": "a\\u0000b"}', b"\xff\xfe{}", b'{"a": NaN}', b'{"a": Infinity}'],
    ids=["nul", "not-utf8", "nan", "infinity"],
)
def test_what_json_cannot_mean_is_invalid_json(client: Any, town: Municipality, body: bytes):
    response, _ = _submit(client, town, body)
    assert response.status_code == 400 and response.json["code"] == "invalid_json"


def test_the_depth_scan_ignores_brackets_inside_strings():
    assert nesting_depth(b'{"a": "[[[[[[[[{{{{{{", "b": [1, [2]]}') == 3
    assert nesting_depth(b'["\\"[[[", [[]]]') == 3


def test_a_nul_in_a_form_or_query_is_refused(client: Any, town: Municipality):
    page = client.get(f"/{town.slug}/services?q=a%00b")
    assert page.status_code == 400
    login = client.post(f"/{town.slug}/admin/login", data={"username": "a\x00b", "password": "x"})
    assert login.status_code == 400


def test_too_many_or_too_large_form_fields_are_refused(client: Any, town: Municipality):
    many = {f"f{i}": "x" for i in range(5_000)}
    response = client.post(f"/{town.slug}/admin/login", data=many, content_type="multipart/form-data")
    assert response.status_code == 413
    # A urlencoded body over the limit is not parsed at all, so it lacks its CSRF token too.
    huge = {"username": "x" * (2 * 1024 * 1024), "password": "x"}
    assert client.post(f"/{town.slug}/admin/login", data=huge).status_code in (400, 413)
