"""Letters between agencies over the API.

- ``POST /api/v1/saraban/inbound``: another node delivers a th-saraban/1.0 message (the body),
  signed in ``X-Saraban-Signature`` (detached JWS, the key named by its certificate's
  fingerprint and looked up in the directory). 202 ``{"receipt_id", "duplicate"}``, or the fault
  ``{"fault", "detail", "detail_th"}`` with its status. No bearer token: the signature is the
  credential.
- Under ``/api/v1/tenants/<t>/saraban/``, with the registry's bearer token: send a signed letter
  (``letters/<id>/send``), its deliveries, withdraw and send again; the letters that arrived
  (``messages``) and their registration, rejection or report of wrong delivery.
"""

from __future__ import annotations

from typing import Any

from flask import jsonify, request

from api.errors import ApiError
from api.saraban_views import (
    PREFIX,
    Fields,
    _bounded,
    _iso,
    _public_id,
    body_of,
    letter_json,
    office,
    optional_body,
    pdf_side,
)
from api.views import blueprint
from engine.saraban.exchange import envelope as env
from engine.saraban.exchange import jws
from engine.saraban.exchange.faults import BadSignature, ExchangeFault, SizeLimitExceeded
from engine.saraban.vocabulary import DELIVERY_STATES, INBOUND_STATES
from engine.services.saraban import exchange
from engine.store.models import ExchangeMessage
from thongthin.app import platform
from thongthin.saraban_exchange import SIGNATURE_HEADER

MAX_SIGNATURE = 4096


def _fault(fault: ExchangeFault) -> Any:
    response = jsonify(fault.as_dict())
    response.status_code = fault.http_status
    return response


@blueprint.post("/saraban/inbound")
def saraban_inbound() -> Any:
    """A message from another agency's node: 202 with the receipt, or the fault."""
    box = platform().saraban_exchange
    limit = env.raw_limit(box.max_bytes)
    request.max_content_length = limit
    signature = request.headers.get(SIGNATURE_HEADER, "")
    try:
        if not signature or len(signature) > MAX_SIGNATURE:
            raise BadSignature(
                f"sign the body in {SIGNATURE_HEADER}", th="ข้อความไม่มีลายมือชื่อ หรือลายมือชื่อยาวเกินกำหนด"
            )
        jws.check_shape(signature)
        try:
            body = _bounded(limit)
        except ApiError:
            raise SizeLimitExceeded(
                f"the body is larger than {limit} bytes", th="ข้อความมีขนาดเกินกว่าที่รับได้"
            ) from None
        receipt = platform().db(exchange.take_in(body, signature, channel="http", exchange=box))
    except ExchangeFault as fault:
        return _fault(fault)
    response = jsonify({"receipt_id": receipt.receipt_id, "duplicate": receipt.duplicate})
    response.status_code = 202
    return response


def delivery_json(row: exchange.DeliveryRow) -> dict[str, Any]:
    data = row.as_json()
    term = DELIVERY_STATES.get(row.dispatch.state)
    data["state_th"] = term.th if term else row.dispatch.state
    return data


def message_json(item: ExchangeMessage) -> dict[str, Any]:
    term = INBOUND_STATES.get(item.state)
    return {
        "receipt_id": item.receipt_id,
        "message_id": item.message_id,
        "from": {"agency": item.peer_code, "name": item.peer_name},
        "channel": item.channel,
        "letter_number": item.letter_number,
        "letter_date": _iso(item.letter_date),
        "subject": item.subject,
        "urgency": item.urgency,
        "secrecy": item.secrecy,
        "state": item.state,
        "state_th": term.th if term else item.state,
        "reason": item.reason,
        "signed": bool(item.signature),
        "sha256": item.sha256,
        "arrived_at": _iso(item.created_at),
        "letter": item.letter_id is not None,
    }


@blueprint.post(f"{PREFIX}/letters/<letter:public_id>/send")
def saraban_send(tenant: str, public_id: str) -> Any:
    """Send a signed letter to ``to`` (letter codes; default the addressees it was drafted for): 202."""
    found, actor = office(tenant)
    fields = Fields(optional_body())
    to = fields.lines("to", limit=20)
    fields.done()
    box = platform().saraban_exchange
    platform().db(exchange.send(found, actor, _public_id(public_id), box, to=to))
    rows = platform().db(exchange.status(found, actor, public_id))
    response = jsonify({"deliveries": [delivery_json(r) for r in rows]})
    response.status_code = 202
    return response


@blueprint.get(f"{PREFIX}/letters/<letter:public_id>/deliveries")
def saraban_deliveries(tenant: str, public_id: str) -> Any:
    """Per addressee: queued, sent, received, accepted (with their เลขรับ), rejected, invalid, withdrawn."""
    found, actor = office(tenant)
    rows = platform().db(exchange.status(found, actor, _public_id(public_id)))
    return jsonify({"deliveries": [delivery_json(r) for r in rows]})


@blueprint.post(f"{PREFIX}/letters/<letter:public_id>/withdraw")
def saraban_withdraw(tenant: str, public_id: str) -> Any:
    """Withdraw the letter from one addressee to send it again (``{"agency", "reason"}``)."""
    found, actor = office(tenant)
    fields = Fields(body_of())
    agency = fields.text("agency", required=True)
    reason = fields.text("reason")
    fields.done()
    box = platform().saraban_exchange
    platform().db(exchange.withdraw(found, actor, _public_id(public_id), agency, box, reason=reason))
    return jsonify(
        {"deliveries": [delivery_json(r) for r in platform().db(exchange.status(found, actor, public_id))]}
    )


@blueprint.post(f"{PREFIX}/letters/<letter:public_id>/resend")
def saraban_resend(tenant: str, public_id: str) -> Any:
    """Send a withdrawn letter to the same addressee again, as a new message (``{"agency"}``): 202."""
    found, actor = office(tenant)
    fields = Fields(body_of())
    agency = fields.text("agency", required=True)
    fields.done()
    box = platform().saraban_exchange
    platform().db(exchange.resend(found, actor, _public_id(public_id), agency, box))
    response = jsonify(
        {"deliveries": [delivery_json(r) for r in platform().db(exchange.status(found, actor, public_id))]}
    )
    response.status_code = 202
    return response


@blueprint.get(f"{PREFIX}/messages")
def saraban_messages(tenant: str) -> Any:
    """Letters that arrived from other agencies, by state (default ``pending``: awaiting registration)."""
    found, actor = office(tenant)
    state = request.args.get("state", "pending")[:20]
    items = platform().db(exchange.incoming(found, actor, state=state))
    return jsonify({"messages": [message_json(m) for m in items]})


@blueprint.get(f"{PREFIX}/messages/<receipt>")
def saraban_message(tenant: str, receipt: str) -> Any:
    found, actor = office(tenant)
    return jsonify(message_json(platform().db(exchange.message(found, actor, receipt[:80]))))


@blueprint.post(f"{PREFIX}/messages/<receipt>/register")
def saraban_register_message(tenant: str, receipt: str) -> Any:
    """Register (ลงรับ) a letter that arrived: 201 with the letter; the เลขรับ goes back to the sender."""
    found, actor = office(tenant)
    fields = Fields(optional_body())
    remark = fields.text("remark")
    fields.done()
    box = platform().saraban_exchange
    with pdf_side():
        letter = platform().db(exchange.register(found, actor, receipt[:80], box, remark=remark))
    response = jsonify(letter_json(letter))
    response.status_code = 201
    response.headers["Location"] = f"/api/v1/tenants/{found.slug}/saraban/letters/{letter.public_id}"
    return response


def _answer(tenant: str, receipt: str, wrong_delivery: bool) -> Any:
    found, actor = office(tenant)
    fields = Fields(body_of())
    reason = fields.text("reason", required=True)
    fields.done()
    box = platform().saraban_exchange
    answer = exchange.report_wrong_delivery if wrong_delivery else exchange.reject
    item = platform().db(answer(found, actor, receipt[:80], box, reason=reason))
    return jsonify(message_json(item))


@blueprint.post(f"{PREFIX}/messages/<receipt>/reject")
def saraban_reject_message(tenant: str, receipt: str) -> Any:
    """Refuse a letter that arrived (ปฏิเสธ), ``{"reason"}``; the sender is told."""
    return _answer(tenant, receipt, wrong_delivery=False)


@blueprint.post(f"{PREFIX}/messages/<receipt>/wrong-delivery")
def saraban_wrong_delivery(tenant: str, receipt: str) -> Any:
    """Tell the sender the letter is not for this agency (แจ้งหนังสือผิด / ส่งผิด), ``{"reason"}``."""
    return _answer(tenant, receipt, wrong_delivery=True)
