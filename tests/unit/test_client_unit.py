"""The Python client without a server: how refusals become exceptions, what headers it sends, and
its webhook signature check agreeing with the platform's own.

The answers come from an ``httpx.MockTransport`` shaped as the API answers (the error shape of
``api.errors``); the signature is made by ``engine.services.webhooks.sign``, the function the
platform's worker signs deliveries with.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Iterator
from typing import Any

import httpx
import pytest
from thongthin_client import (
    ApiError,
    Client,
    Conflict,
    FieldError,
    Forbidden,
    InvalidSignature,
    NotFound,
    RateLimited,
    ThongthinError,
    Unauthorized,
    ValidationFailed,
    verify_webhook_signature,
)

from engine.services import webhooks as server_webhooks

SECRET = "whsec_unit-test-secret"
STEP_REFUSED = {
    "code": "invalid_step",
    "message": "step operator has problems",
    "message_th": "กรุณาแก้ไขข้อมูลที่ไม่ถูกต้อง",
    "step_id": "operator",
    "answers": {},
    "errors": [
        {
            "pointer": "/operator/phone",
            "message_th": "หมายเลขโทรศัพท์ไม่ถูกต้อง",
            "message_en": "The phone number is not valid",
        }
    ],
}

Handler = Callable[[httpx.Request], httpx.Response]


@pytest.fixture
def seen() -> list[httpx.Request]:
    return []


def client_answering(handler: Handler, seen: list[httpx.Request], **options: Any) -> Client:
    def record(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return handler(request)

    return Client("http://thongthin.test", transport=httpx.MockTransport(record), **options)


@pytest.fixture
def refusing(seen: list[httpx.Request]) -> Iterator[Callable[..., Client]]:
    made: list[Client] = []

    def make(
        status: int, body: Any = None, *, text: str = "", headers: dict[str, str] | None = None
    ) -> Client:
        def answer(request: httpx.Request) -> httpx.Response:
            if body is not None:
                return httpx.Response(status, json=body, headers=headers)
            return httpx.Response(status, text=text, headers=headers)

        made.append(client_answering(answer, seen))
        return made[-1]

    yield make
    for client in made:
        client.close()


@pytest.mark.parametrize(
    ("status", "kind"),
    [(401, Unauthorized), (403, Forbidden), (404, NotFound), (409, Conflict), (422, ValidationFailed)],
)
def test_each_refusal_is_its_own_kind_of_api_error(refusing: Callable[..., Client], status: int, kind: type):
    api = refusing(status, {"code": "some_code", "message": "in English", "message_th": "ภาษาไทย"})
    with pytest.raises(kind) as refused:
        api.webhooks("maehia")
    error = refused.value
    assert isinstance(error, ApiError) and isinstance(error, ThongthinError)
    assert (error.status, error.code, error.message, error.message_th) == (
        status,
        "some_code",
        "in English",
        "ภาษาไทย",
    )


def test_a_refused_step_carries_each_fields_thai_and_english_message(refusing: Callable[..., Client]):
    api = refusing(422, STEP_REFUSED)
    with pytest.raises(ValidationFailed) as refused:
        api.save_step("maehia", "food", 7, "operator", {"operator": {"phone": "08123"}}, secret="s")
    error = refused.value
    assert error.code == "invalid_step" and error.step_id == "operator"
    assert error.errors == [
        FieldError("/operator/phone", "หมายเลขโทรศัพท์ไม่ถูกต้อง", "The phone number is not valid")
    ]
    assert error.errors[0].message("en") == "The phone number is not valid"
    assert error.more_errors == 0


def test_a_draft_not_ready_names_the_step_of_each_error(refusing: Callable[..., Client]):
    body = {
        "code": "invalid_submission",
        "message": "not ready",
        "more_errors": 3,
        "errors": [{**STEP_REFUSED["errors"][0], "step_id": "operator"}, {"pointer": "/x", "step_id": None}],
    }
    with pytest.raises(ValidationFailed) as refused:
        refusing(422, body).submit_draft("maehia", "food", 7, secret="s")
    assert [e.step_id for e in refused.value.errors] == ["operator", None]
    assert refused.value.more_errors == 3 and refused.value.step_id is None


def test_rate_limits_say_how_long_to_wait(refusing: Callable[..., Client]):
    body = {"code": "too_many_attempts", "message": "wait", "retry_after": 99}
    with pytest.raises(RateLimited) as header:
        refusing(429, body, headers={"Retry-After": "30"}).bills("maehia", "GB-1", phone="0812345678")
    assert header.value.retry_after == 30, "the header wins over the body"
    with pytest.raises(RateLimited) as only_body:
        refusing(429, body).bills("maehia", "GB-1", phone="0812345678")
    assert only_body.value.retry_after == 99


def test_an_answer_not_in_the_apis_shape_keeps_its_status_and_text(refusing: Callable[..., Client]):
    with pytest.raises(ApiError) as gateway:
        refusing(502, text="<html>Bad gateway</html>").dashboard("maehia")
    assert type(gateway.value) is ApiError
    assert (gateway.value.status, gateway.value.code) == (502, "http_502")
    assert "Bad gateway" in gateway.value.message
    # A download that is refused is an error too, never the error page's bytes.
    with pytest.raises(NotFound) as missing:
        refusing(404, {"code": "bill_not_found", "message": "nothing owed"}).bill_qr_png("maehia", "GB-1")
    assert missing.value.code == "bill_not_found"


def test_draft_calls_send_the_kept_secret_and_submitting_forgets_it(seen: list[httpx.Request]):
    draft = {"id": 7, "secret": "draft-secret", "service_id": "food", "next_step": "a"}
    receipt = {"reference": "MH-1", "status": "received", "tracking_token": "tt"}

    def answer(request: httpx.Request) -> httpx.Response:
        if request.method == "POST" and request.url.path.endswith("/drafts"):
            return httpx.Response(201, json=draft)
        if request.url.path.endswith("/submit"):
            return httpx.Response(201, json=receipt, headers={"Idempotency-Replayed": "true"})
        return httpx.Response(200, json=draft)

    with client_answering(answer, seen) as api:
        api.create_draft("maehia", "food")
        api.draft("maehia", "food", 7)
        api.save_step("maehia", "food", 7, "a", {"x": 1})
        filed = api.submit_draft("maehia", "food", 7, idempotency_key="key-1")
        api.draft("maehia", "food", 7)
    create, read, save, submit, after = seen
    assert "X-Draft-Secret" not in create.headers
    assert read.headers["X-Draft-Secret"] == save.headers["X-Draft-Secret"] == "draft-secret"
    assert save.method == "PUT" and save.url.path == "/api/v1/tenants/maehia/services/food/drafts/7/steps/a"
    assert json.loads(save.content) == {"answers": {"x": 1}, "keep_invalid": False}
    assert submit.headers["Idempotency-Key"] == "key-1"
    assert filed.replayed and filed.tracking_token == "tt"
    assert "X-Draft-Secret" not in after.headers, "a submitted draft is gone: its secret is not kept"


def test_the_account_phone_and_tracking_token_travel_in_headers(seen: list[httpx.Request]):
    with client_answering(lambda _: httpx.Response(200, content=b"%PDF-1.7"), seen) as api:
        assert api.receipt_pdf("maehia", "GB 000001", "abc", "081-234-5678") == b"%PDF-1.7"
        api.document_pdf("maehia", "MH/1", "d1", tracking_token="tt")
    receipt, document = seen
    assert receipt.url.raw_path == b"/api/v1/tenants/maehia/bills/GB%20000001/receipts/abc.pdf"
    assert receipt.headers["X-Account-Phone"] == "081-234-5678"
    assert receipt.headers["Accept"].startswith("application/pdf")
    assert document.url.raw_path == b"/api/v1/tenants/maehia/submissions/MH%2F1/documents/d1.pdf"
    assert document.headers["X-Tracking-Token"] == "tt"
    assert "phone" not in str(receipt.url) and "tt" not in str(document.url.query)


# The webhook signature --------------------------------------------------------------------------


def delivery(body: bytes, *, secret: str = SECRET, at: int | None = None) -> dict[str, str]:
    """The headers the platform's worker sends with ``body``, signed by the platform's own function."""
    stamp = int(time.time()) if at is None else at
    return {
        "Webhook-Id": "evt_1",
        "Webhook-Timestamp": str(stamp),
        "Webhook-Signature": server_webhooks.sign(secret, "evt_1", stamp, body),
    }


BODY = server_webhooks.body_of(
    {
        "id": "evt_1",
        "type": "webhook.test",
        "created_at": "2026-01-01T00:00:00+00:00",
        "tenant": "maehia",
        "data": {"message": "ทดสอบ"},
    }
)


def test_a_delivery_signed_by_the_platform_is_accepted_and_read():
    headers = delivery(BODY)
    event = verify_webhook_signature(SECRET, headers, BODY)
    assert event["type"] == "webhook.test" and event["data"]["message"] == "ทดสอบ"
    # Header names in any case, the body as text: the same delivery.
    lowered = {name.lower(): value for name, value in headers.items()}
    assert verify_webhook_signature(SECRET, lowered, BODY.decode()) == event
    # The platform's own check agrees.
    server_webhooks.verify_signature(SECRET, headers, BODY)


def test_any_of_several_signatures_may_match():
    headers = delivery(BODY)
    headers["Webhook-Signature"] = "v1=" + "0" * 64 + " " + headers["Webhook-Signature"]
    assert verify_webhook_signature(SECRET, headers, BODY)["id"] == "evt_1"


@pytest.mark.parametrize(
    "spoil",
    [
        pytest.param(lambda h, b: (h, b.replace(b"maehia", b"suthep")), id="body changed"),
        pytest.param(lambda h, b: ({**h, "Webhook-Id": "evt_2"}, b), id="another event id"),
        pytest.param(lambda h, b: (delivery(b, secret="whsec_other"), b), id="another secret"),
        pytest.param(lambda h, b: (delivery(b, at=int(time.time()) - 301), b), id="older than 5 minutes"),
        pytest.param(lambda h, b: (delivery(b, at=int(time.time()) + 301), b), id="from the future"),
        pytest.param(lambda h, b: ({k: v for k, v in h.items() if k != "Webhook-Id"}, b), id="no id"),
        pytest.param(lambda h, b: ({**h, "Webhook-Timestamp": "soon"}, b), id="timestamp not a number"),
        pytest.param(lambda h, b: ({**h, "Webhook-Signature": "v1=ลายเซ็น"}, b), id="signature not ascii"),
        pytest.param(lambda h, b: ({**h, "Webhook-Signature": ""}, b), id="no signature"),
    ],
)
def test_a_delivery_that_is_not_the_platforms_is_refused(spoil: Callable[..., Any]):
    headers, body = spoil(delivery(BODY), BODY)
    with pytest.raises(InvalidSignature):
        verify_webhook_signature(SECRET, headers, body)
    with pytest.raises(server_webhooks.BadSignature):  # the platform's own check agrees
        server_webhooks.verify_signature(SECRET, headers, body)


def test_the_tolerance_is_the_receivers_to_choose():
    an_hour_ago = int(time.time()) - 3600
    headers = delivery(BODY, at=an_hour_ago)
    with pytest.raises(InvalidSignature):
        verify_webhook_signature(SECRET, headers, BODY)
    assert verify_webhook_signature(SECRET, headers, BODY, tolerance=7200)["id"] == "evt_1"
    assert verify_webhook_signature(SECRET, headers, BODY, now=an_hour_ago + 10)["id"] == "evt_1"


def test_a_signed_body_that_is_not_an_event_is_refused():
    for body in (b"not json", b"[1, 2]"):
        with pytest.raises(InvalidSignature):
            verify_webhook_signature(SECRET, delivery(body), body)
