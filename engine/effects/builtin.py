"""The effect types every installation has."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from typing import TYPE_CHECKING, Any

from engine.effects.registry import EffectType, RetryPolicy

if TYPE_CHECKING:
    from engine.definitions.model import ServiceDefinition

_TEXT = {
    "type": "object",
    "required": ["th", "en"],
    "properties": {"th": {"type": "string", "minLength": 1}, "en": {"type": "string", "minLength": 1}},
    "additionalProperties": False,
}


def _document_exists(params: dict[str, Any], definition: ServiceDefinition) -> Iterator[tuple[str, str]]:
    if definition.service.document(params["document"]) is None:
        known = ", ".join(d.id for d in definition.service.documents) or "none"
        yield "/document", f"service.json declares no document {params['document']!r} (declared: {known})"


def _fees_exist(params: dict[str, Any], definition: ServiceDefinition) -> Iterator[tuple[str, str]]:
    for index, fee_id in enumerate(params["fees"]):
        if definition.service.fee(fee_id) is None:
            yield f"/fees/{index}", f"service.json declares no fee {fee_id!r}"


def _recurring_fee_exists(params: dict[str, Any], definition: ServiceDefinition) -> Iterator[tuple[str, str]]:
    fee = definition.service.fee(params["fee"])
    if fee is None:
        yield "/fee", f"service.json declares no fee {params['fee']!r}"
    elif fee.period == "once":
        yield "/fee", f"fee {fee.id!r} is a one-off fee; a fee account needs a monthly or yearly fee"


ISSUE_DOCUMENT = EffectType(
    name="issue_document",
    description="Render the named document of service.json, sign it and make it downloadable.",
    params_schema={
        "required": ["document"],
        "properties": {"type": {}, "document": {"type": "string"}},
        "additionalProperties": False,
    },
    cross_check=_document_exists,
)

REQUEST_PAYMENT = EffectType(
    name="request_payment",
    description="Create a bill for the named fees, payable by Thai QR; the workflow waits for payment.",
    params_schema={
        "required": ["fees"],
        "properties": {
            "type": {},
            "fees": {"type": "array", "items": {"type": "string"}, "minItems": 1, "uniqueItems": True},
        },
        "additionalProperties": False,
    },
    cross_check=_fees_exist,
)

NOTIFY = EffectType(
    name="notify",
    description="Tell the applicant or the officers of a role, by the channels they chose.",
    params_schema={
        "required": ["to", "message"],
        "properties": {
            "type": {},
            "to": {"type": "string", "pattern": "^[a-z][a-z0-9_-]*$"},
            "message": _TEXT,
            "channels": {
                "type": "array",
                "items": {"enum": ["sms", "email", "line", "inbox"]},
                "uniqueItems": True,
            },
        },
        "additionalProperties": False,
    },
)

OPEN_FEE_ACCOUNT = EffectType(
    name="open_fee_account",
    description="Open a recurring fee account (garbage, wastewater) billed every period.",
    params_schema={
        "required": ["fee"],
        "properties": {"type": {}, "fee": {"type": "string"}},
        "additionalProperties": False,
    },
    cross_check=_recurring_fee_exists,
)

RECORD_COUNTER_PAYMENT = EffectType(
    name="record_counter_payment",
    description=(
        "Record the application's unpaid one-off fees as paid at the counter; the receipt number "
        "from the official receipt book is read from the action's input at the pointer `receipt`."
    ),
    params_schema={
        "properties": {"type": {}, "receipt": {"type": "string", "pattern": "^/"}},
        "additionalProperties": False,
    },
)

# Work the platform queues itself; a workflow may not ask for it.

ISSUE_RECEIPT = EffectType(
    name="issue_receipt",
    description="Render and sign the e-receipt of a settled bill.",
    params_schema={"required": ["bill"], "properties": {"bill": {"type": "integer"}}},
    internal=True,
)

BILLING_RUN = EffectType(
    name="billing_run",
    description="Bill every active fee account of a municipality for one period.",
    params_schema={"required": ["period"], "properties": {"period": {"type": "string"}}},
    internal=True,
)

IMPORT_STATEMENT = EffectType(
    name="import_statement",
    description="Read an uploaded bank statement and record its payments.",
    params_schema={"required": ["statement"], "properties": {"statement": {"type": "integer"}}},
    internal=True,
)

LINE_EVENTS = EffectType(
    name="line_events",
    description="Answer the messages a municipality's LINE Official Account received.",
    params_schema={"required": ["events"], "properties": {"events": {"type": "array"}}},
    # A LINE reply token lasts about a minute: after a few quick tries the answer is useless.
    retry=RetryPolicy(max_attempts=3, first_delay=timedelta(seconds=5), max_delay=timedelta(seconds=20)),
    internal=True,
)

SARABAN_DELIVER = EffectType(
    name="saraban_deliver",
    description="Deliver one signed message of the correspondence exchange to the agency it is addressed to.",
    params_schema={"required": ["message"], "properties": {"message": {"type": "integer"}}},
    # An agency's system may be down for a day: the same message is tried again for about two days.
    retry=RetryPolicy(max_attempts=40, first_delay=timedelta(seconds=30), max_delay=timedelta(hours=1)),
    internal=True,
)

WEBHOOK = EffectType(
    name="webhook",
    description="Deliver one signed event to a municipality's webhook subscription.",
    params_schema={
        "required": ["subscription", "event"],
        "properties": {"subscription": {"type": "integer"}},
    },
    # A receiver may be down for hours: the same event (same id) is tried 40 times over about 35 hours.
    retry=RetryPolicy(max_attempts=40, first_delay=timedelta(seconds=30), max_delay=timedelta(hours=1)),
    internal=True,
)

BUILTIN = (
    ISSUE_DOCUMENT,
    REQUEST_PAYMENT,
    NOTIFY,
    OPEN_FEE_ACCOUNT,
    RECORD_COUNTER_PAYMENT,
    ISSUE_RECEIPT,
    BILLING_RUN,
    IMPORT_STATEMENT,
    LINE_EVENTS,
    SARABAN_DELIVER,
    WEBHOOK,
)
