"""``Idempotency-Key`` on submissions and payment notifications: a repeat gets the first answer, nothing twice."""

from __future__ import annotations

import json
import threading
import uuid
from typing import Any

import pytest

from engine.services import idempotency, payments, tenants
from engine.store.models import IdempotencyKey, Payment, Submission
from tests.conftest import example_files, read
from tests.uploads import with_uploaded_files

pytestmark = pytest.mark.db

SERVICE = "general-petition"


@pytest.fixture(scope="module")
def town(platform: Any) -> dict[str, Any]:
    """A municipality offering the petition, with a payment notification secret."""
    slug = f"k{uuid.uuid4().hex[:8]}"

    async def setup() -> dict[str, Any]:
        tenant = await tenants.ensure_tenant(
            slug,
            name_th="เทศบาลทดสอบคำขอซ้ำ",
            name_en="Idempotency Test",
            kind="municipality",
            province="เชียงใหม่",
            reference_prefix="IK",
        )
        await tenants.enable_service(tenant, platform.catalog.get(SERVICE))
        return {"slug": slug, "tenant": tenant, "secret": await payments.rotate_secret(tenant)}

    return platform.db(setup())


def petition(client: Any, platform: Any, town: dict[str, Any]) -> bytes:
    data = with_uploaded_files(
        client, town["slug"], platform.catalog.get(SERVICE), read(example_files(SERVICE, "valid")[0])
    )
    return json.dumps(data).encode()


def post(client: Any, town: dict[str, Any], body: bytes, key: str | None) -> Any:
    headers = {"Content-Type": "application/json", **({"Idempotency-Key": key} if key is not None else {})}
    return client.post(
        f"/api/v1/tenants/{town['slug']}/services/{SERVICE}/submissions", data=body, headers=headers
    )


def submissions_of(platform: Any, town: dict[str, Any]) -> int:
    return platform.db(Submission.filter(tenant=town["tenant"]).count())


def test_a_repeated_submission_gets_the_first_receipt_and_is_filed_once(
    client: Any, platform: Any, town: dict[str, Any]
):
    body = petition(client, platform, town)
    before = submissions_of(platform, town)
    key = str(uuid.uuid4())
    first = post(client, town, body, key)
    assert first.status_code == 201
    assert "Idempotency-Replayed" not in first.headers
    again = post(client, town, body, key)
    assert again.status_code == 201
    assert again.headers["Idempotency-Replayed"] == "true"
    assert again.json == first.json
    assert again.headers["Location"] == first.headers["Location"]
    assert submissions_of(platform, town) == before + 1
    # The stored answer gives neither the key nor the tracking secret to a reader of the database.
    rows = platform.db(IdempotencyKey.filter(tenant=town["tenant"]).values("key", "response"))
    assert rows and all(key not in json.dumps(row) for row in rows)
    assert all(first.json["tracking_token"] not in json.dumps(row) for row in rows)
    # The tracking secret of the replayed receipt opens the application.
    tracked = client.get(
        first.headers["Location"], headers={"X-Tracking-Token": again.json["tracking_token"]}
    )
    assert tracked.status_code == 200 and tracked.json["reference"] == first.json["reference"]


def test_a_key_reused_with_another_body_is_refused(client: Any, platform: Any, town: dict[str, Any]):
    key = str(uuid.uuid4())
    assert post(client, town, petition(client, platform, town), key).status_code == 201
    before = submissions_of(platform, town)
    other = post(client, town, petition(client, platform, town), key)
    assert other.status_code == 422
    assert other.json["code"] == "idempotency_key_reused"
    assert submissions_of(platform, town) == before
    # The same body without a key is simply filed again.
    assert post(client, town, petition(client, platform, town), None).status_code == 201


@pytest.mark.parametrize("key", ["", "x" * 256, "ключ", "tab\there"])
def test_a_malformed_key_is_refused_before_anything_is_filed(
    client: Any, platform: Any, town: dict[str, Any], key: str
):
    body = petition(client, platform, town)
    before = submissions_of(platform, town)
    headers = {"Content-Type": "application/json", "Idempotency-Key": key.encode("utf-8").decode("latin-1")}
    refused = client.post(
        f"/api/v1/tenants/{town['slug']}/services/{SERVICE}/submissions", data=body, headers=headers
    )
    assert refused.status_code == 400, refused.json
    assert refused.json["code"] == "invalid_idempotency_key"
    assert submissions_of(platform, town) == before
    longest = uuid.uuid4().hex.ljust(255, "~")
    assert post(client, town, body, longest).status_code == 201


def test_concurrent_copies_file_one_submission_and_answer_alike(
    app: Any, platform: Any, town: dict[str, Any]
):
    body = petition(app.test_client(), platform, town)
    before = submissions_of(platform, town)
    key = str(uuid.uuid4())
    copies = 4
    barrier = threading.Barrier(copies)
    answers: list[Any] = []

    def sender() -> None:
        client = app.test_client()
        barrier.wait()
        answers.append(post(client, town, body, key))

    threads = [threading.Thread(target=sender) for _ in range(copies)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    assert [a.status_code for a in answers] == [201] * copies
    assert len({a.json["reference"] for a in answers}) == 1
    assert sum("Idempotency-Replayed" in a.headers for a in answers) == copies - 1
    assert submissions_of(platform, town) == before + 1


def notify(client: Any, town: dict[str, Any], transaction: str, key: str, amount: str = "25.00") -> Any:
    body = json.dumps(
        {
            "tenant": town["slug"],
            "transaction_id": transaction,
            "ref1": "NOSUCHACCOUNT",
            "ref2": "0",
            "amount": amount,
            "paid_at": "2026-01-10T09:15:00+07:00",
        }
    ).encode()
    return client.post(
        "/api/v1/payments/notify",
        data=body,
        headers={
            "Content-Type": "application/json",
            payments.SIGNATURE_HEADER: payments.signature(town["secret"], body),
            "Idempotency-Key": key,
        },
    )


def test_a_repeated_payment_notification_gets_the_first_answer(
    client: Any, platform: Any, town: dict[str, Any]
):
    transaction, key = f"TX{uuid.uuid4().hex[:12]}", str(uuid.uuid4())
    first = notify(client, town, transaction, key)
    assert first.status_code == 200 and first.json["status"] == "held" and first.json["duplicate"] is False
    again = notify(client, town, transaction, key)
    assert again.status_code == 200
    assert again.headers["Idempotency-Replayed"] == "true"
    assert again.json == first.json  # not "duplicate": the very first answer
    reused = notify(client, town, transaction, key, amount="30.00")
    assert reused.status_code == 422 and reused.json["code"] == "idempotency_key_reused"
    assert platform.db(Payment.filter(tenant=town["tenant"], transaction_id=transaction).count()) == 1


def test_keys_expire_after_a_day(client: Any, platform: Any, town: dict[str, Any]):
    from datetime import UTC, datetime, timedelta

    key = str(uuid.uuid4())
    assert post(client, town, petition(client, platform, town), key).status_code == 201
    assert platform.db(IdempotencyKey.filter(tenant=town["tenant"]).count()) >= 1
    platform.db(idempotency.purge_expired(now=datetime.now(UTC) + timedelta(hours=24, seconds=1)))
    assert platform.db(IdempotencyKey.filter(tenant=town["tenant"]).count()) == 0
    # Once expired, the key may be used for a new request.
    assert post(client, town, petition(client, platform, town), key).status_code == 201


def ready_draft(client: Any, platform: Any, town: dict[str, Any]) -> tuple[str, int]:
    """A petition draft with every answer given (its files uploaded); returns its secret and ID."""
    from engine.services import drafts

    definition = platform.catalog.get(SERVICE)
    data = json.loads(petition(client, platform, town))

    async def make() -> tuple[str, int]:
        secret, draft = await drafts.create(town["tenant"], definition)
        draft.data = data
        await draft.save()
        return secret, draft.id

    return platform.db(make())


def test_a_draft_submitted_again_or_twice_at_once_is_filed_once(
    app: Any, platform: Any, town: dict[str, Any]
):
    client = app.test_client()
    secret, draft_id = ready_draft(client, platform, town)
    url = f"/api/v1/tenants/{town['slug']}/services/{SERVICE}/drafts/{draft_id}/submit"
    key = str(uuid.uuid4())
    before = submissions_of(platform, town)
    barrier = threading.Barrier(2)
    answers: list[Any] = []

    def sender() -> None:
        mine = app.test_client()
        barrier.wait()
        answers.append(mine.post(url, headers={"X-Draft-Secret": secret, "Idempotency-Key": key}))

    threads = [threading.Thread(target=sender) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    assert [a.status_code for a in answers] == [201, 201], [a.json for a in answers]
    assert answers[0].json == answers[1].json
    # The draft is gone, yet the same request later still gets its receipt.
    later = client.post(url, headers={"X-Draft-Secret": secret, "Idempotency-Key": key})
    assert later.status_code == 201 and later.headers["Idempotency-Replayed"] == "true"
    assert later.json == answers[0].json
    assert submissions_of(platform, town) == before + 1
    # Without the draft's secret the key gives nothing away.
    stranger = client.post(url, headers={"X-Draft-Secret": "not-the-secret", "Idempotency-Key": key})
    assert stranger.status_code in (404, 422) and "reference" not in stranger.json
