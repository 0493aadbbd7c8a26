"""Payments: recorded once per transaction, matched to bills, held when nothing matches.

Money arrives three ways: a bank or gateway calls ``POST /api/v1/payments/notify`` (signed
with the tenant's shared secret, see :func:`verify_signature`), an officer imports a bank
statement (:mod:`engine.services.statements`), or a system transition confirms it at the
counter. All three end in :func:`record_payment`, which

* records a transaction ID once per tenant: the same notification twice, or a notification
  and then the statement row of the same transfer, change nothing the second time;
* matches by reference: ref1 + ref2 of one bill (its QR or paper bill), or ref1 = an account
  number with ref2 ``0`` (the arrears QR: oldest bills first);
* never drops money: a reference that matches nothing yet (an unknown account, or next
  month's bill before its billing run) is *held*; :func:`rematch_held` tries again after
  each billing run, and an officer resolves what stays held;
* flags what needs an officer: ``underpaid`` (a bill left partly paid) and ``overpaid``
  (more than was owed; the excess stays on the last bill until refunded or accepted).

A bill that becomes paid gets its e-receipt queued (an ``issue_receipt`` job) in the same
transaction, exactly once. One-off bills also move their submission on: after the commit,
:func:`advance_after_payment` takes the workflow's system transition that a paid fee opens.
"""

from __future__ import annotations

import hashlib
import hmac
import logging
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from decimal import Decimal, InvalidOperation
from typing import Any, cast

from tortoise.exceptions import IntegrityError
from tortoise.expressions import Q
from tortoise.transactions import in_transaction

from engine import jsonpointer
from engine.definitions import ServiceDefinition
from engine.services import idempotency, secrets, webhooks
from engine.services.billing import reference_code
from engine.services.errors import NotFound, ServiceError, StaleSubmission
from engine.store.models import (
    AuditEntry,
    Bill,
    EffectJob,
    FeeAccount,
    Payment,
    PaymentAllocation,
    Submission,
    Tenant,
    User,
)

log = logging.getLogger(__name__)

SYSTEM_ROLE = "system"
ARREARS_REF2 = "0"
SECRET_SETTING = "payment_secret"
SIGNATURE_PREFIX = "sha256="
SIGNATURE_HEADER = "X-Thongthin-Signature"
CENT = Decimal("0.01")
MAX_AMOUNT = Decimal("9999999999.99")
SOURCES = ("notify", "statement", "counter")

DefinitionOf = Callable[[str, str], ServiceDefinition]


class PaymentError(ServiceError):
    code = "payment_error"


class InvalidPayment(PaymentError):
    """A notification or statement row that is not a payment (a field missing or malformed)."""

    http_status = 422

    code = "invalid_payment"

    def __init__(self, field_name: str, message: str):
        self.field = field_name
        super().__init__(f"{field_name}: {message}")


class BadSignature(PaymentError):
    """The HMAC does not match the tenant's secret (or the tenant takes no notifications)."""

    http_status = 401

    code = "bad_signature"


class TransactionConflict(PaymentError):
    """A transaction ID already recorded with another amount or reference: not a retry, a mistake."""

    http_status = 409

    code = "transaction_conflict"

    def __init__(self, transaction_id: str):
        self.transaction_id = transaction_id
        super().__init__(f"transaction {transaction_id!r} was recorded before with other details")


class PaymentNotFound(NotFound):
    code = "payment_not_found"


class NotResolvable(PaymentError):
    """The payment is not waiting for an officer (already applied cleanly, resolved or refunded)."""

    code = "not_resolvable"


# ---------------------------------------------------------------------------------------------
# Signatures


def tenant_secret(tenant: Tenant) -> str | None:
    """The shared secret a tenant's bank signs notifications with (None: it takes none)."""
    secret = tenant.settings.get(SECRET_SETTING)
    return str(secret) if secret else None


async def rotate_secret(tenant: Tenant) -> str:
    """A new notification secret for ``tenant`` (the old one stops working at once)."""
    secret = secrets.new_token(32)
    tenant.settings = {**tenant.settings, SECRET_SETTING: secret}
    await tenant.save(update_fields=["settings"])
    return secret


def signature(secret: str, body: bytes) -> str:
    """The ``X-Thongthin-Signature`` header value for ``body``: ``sha256=`` + hex HMAC-SHA256."""
    return SIGNATURE_PREFIX + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


def verify_signature(tenant: Tenant, body: bytes, header: str | None) -> None:
    """Raises :class:`BadSignature` unless ``header`` signs ``body`` with the tenant's secret.

    Replays need no timestamp: a notification is recorded once per transaction ID.
    """
    secret = tenant_secret(tenant)
    if secret is None:
        raise BadSignature(f"{tenant.slug} has no payment notification secret")
    if not header or not hmac.compare_digest(signature(secret, body), header.strip()):
        raise BadSignature("the signature does not match the body")


# ---------------------------------------------------------------------------------------------
# What was reported


def parse_amount(value: Any, field_name: str = "amount") -> Decimal:
    """A positive baht amount with at most two decimals (``"1,250.50"`` allowed); raises InvalidPayment."""
    if isinstance(value, bool) or not isinstance(value, (str, int, float, Decimal)):
        raise InvalidPayment(field_name, "give the amount in baht, e.g. 120.00")
    try:
        amount = Decimal(str(value).replace(",", "").strip())
    except InvalidOperation:
        raise InvalidPayment(field_name, f"{value!r} is not an amount") from None
    if not amount.is_finite() or amount <= 0 or amount > MAX_AMOUNT:
        raise InvalidPayment(field_name, f"{value!r} is not a positive amount")
    if amount != amount.quantize(CENT):
        raise InvalidPayment(field_name, f"{value!r} has more than two decimals")
    return amount.quantize(CENT)


EARLIEST_PAYMENT = datetime(2000, 1, 1, tzinfo=UTC)
# Clocks of banks and ours differ a little; a day is far more than any honest difference.
PAYMENT_CLOCK_SKEW = timedelta(days=1)


def parse_time(value: Any, field_name: str = "paid_at") -> datetime:
    """An ISO 8601 time with its offset; raises InvalidPayment."""
    if not isinstance(value, str):
        raise InvalidPayment(
            field_name, "give the time as ISO 8601 with an offset, e.g. 2026-01-05T10:30:00+07:00"
        )
    try:
        moment = datetime.fromisoformat(value.strip())
    except ValueError:
        raise InvalidPayment(field_name, f"{value!r} is not an ISO 8601 time") from None
    if moment.tzinfo is None:
        raise InvalidPayment(field_name, f"{value!r} has no UTC offset")
    try:
        moment = moment.astimezone(UTC)
    except OverflowError:
        raise InvalidPayment(field_name, f"{value!r} is out of range") from None
    # A bank reports a payment after it happened, and none of ours happened before 2000: a time
    # outside that window is a mistake (or worse), and would break every page that shows it.
    if not EARLIEST_PAYMENT <= moment <= datetime.now(UTC) + PAYMENT_CLOCK_SKEW:
        raise InvalidPayment(field_name, f"{value!r} is not a time a payment can have been made")
    return moment


@dataclass(frozen=True)
class Reported:
    """One payment as a bank, statement or counter reported it."""

    transaction_id: str
    ref1: str
    ref2: str
    amount: Decimal
    paid_at: datetime
    source: str = "notify"
    payer: str = ""
    received: dict[str, Any] = field(default_factory=dict)

    @classmethod
    def from_notification(cls, body: Any) -> Reported:
        """The payment a notification's JSON body reports; raises :class:`InvalidPayment`."""
        if not isinstance(body, dict):
            raise InvalidPayment("body", "the body must be a JSON object")
        transaction_id = body.get("transaction_id")
        if not isinstance(transaction_id, str) or not 1 <= len(transaction_id.strip()) <= 64:
            raise InvalidPayment("transaction_id", "give the bank's transaction ID (1-64 characters)")
        ref1 = body.get("ref1")
        if not isinstance(ref1, str) or not reference_code(ref1):
            raise InvalidPayment("ref1", "give reference 1 as printed on the bill")
        ref2 = body.get("ref2", "")
        if not isinstance(ref2, str):
            raise InvalidPayment("ref2", "reference 2 must be a string")
        payer = body.get("payer", "")
        return cls(
            transaction_id=transaction_id.strip(),
            ref1=reference_code(ref1),
            ref2=reference_code(ref2),
            amount=parse_amount(body.get("amount")),
            paid_at=parse_time(body.get("paid_at")),
            source="notify",
            payer=str(payer)[:200] if isinstance(payer, str) else "",
            received=body,
        )


@dataclass
class Recorded:
    """What :func:`record_payment` did: the payment, whether it was a repeat, the bills it settled."""

    payment: Payment
    duplicate: bool = False
    settled: list[Bill] = field(default_factory=list)


# ---------------------------------------------------------------------------------------------
# Recording and matching


async def notify(
    tenant: Tenant,
    reported: Reported,
    *,
    keyed: idempotency.Keyed | None = None,
    definition_of: DefinitionOf | None = None,
) -> idempotency.Answer:
    """A bank's notification recorded (:func:`record_payment`), answered as ``POST /payments/notify`` answers.

    With ``keyed`` (an ``Idempotency-Key``) the answer is stored with the payment and the same
    request again gets it back, replayed; raises :class:`~engine.services.idempotency.KeyReused`
    for the key used with another body.
    """
    if keyed is not None and (first := await idempotency.earlier(tenant.id, keyed)) is not None:
        return first
    recorded = await record_payment(tenant, reported, definition_of=definition_of, keyed=keyed)
    if recorded.duplicate and keyed is not None and (first := await idempotency.earlier(tenant.id, keyed)):
        return first  # a concurrent copy of this request recorded it
    return idempotency.Answer(200, notification_answer(recorded))


def notification_answer(recorded: Recorded) -> dict[str, Any]:
    """The JSON answer to a payment notification."""
    payment = recorded.payment
    return {
        "payment_id": payment.id,
        "transaction_id": payment.transaction_id,
        "status": payment.status,
        "problem": payment.problem or None,
        "duplicate": recorded.duplicate,
        "settled": [{"ref1": b.ref1, "ref2": b.ref2, "amount": str(b.amount)} for b in recorded.settled],
    }


async def record_payment(
    tenant: Tenant,
    reported: Reported,
    *,
    definition_of: DefinitionOf | None = None,
    keyed: idempotency.Keyed | None = None,
) -> Recorded:
    """Record ``reported`` once and apply it to the bills its references name (see the module doc).

    With ``definition_of``, submissions whose one-off fee is now paid move on after the
    commit (a failure there is logged and left to :func:`advance_paid_submissions`).
    Raises :class:`TransactionConflict` when the transaction ID was recorded with another
    amount or reference.
    """
    if reported.source not in SOURCES:
        raise InvalidPayment("source", f"unknown source {reported.source!r}")
    try:
        async with in_transaction() as connection:
            existing = await (
                Payment.filter(tenant=tenant, transaction_id=reported.transaction_id)
                .using_db(connection)
                .get_or_none()
            )
            if existing is not None:
                return _repeat(existing, reported)
            payment = Payment(
                tenant=tenant,
                transaction_id=reported.transaction_id,
                source=reported.source,
                ref1=reported.ref1,
                ref2=reported.ref2,
                amount=reported.amount,
                paid_at=reported.paid_at,
                payer=reported.payer,
                received=reported.received,
            )
            settled = await _apply(connection, payment)
            await _announce(connection, payment, settled)
            if keyed is not None:
                answer = notification_answer(Recorded(payment, False, settled))
                await idempotency.remember(connection, tenant.id, keyed, 200, answer)
    except IntegrityError:
        # The same transaction recorded by a concurrent request between our look and our insert.
        if keyed is not None:
            await idempotency.earlier(tenant.id, keyed)  # the same key with another body: refused
        existing = await Payment.get(tenant=tenant, transaction_id=reported.transaction_id)
        return _repeat(existing, reported)
    if definition_of is not None:
        await _advance_settled(tenant, settled, definition_of)
    return Recorded(payment, False, settled)


async def _announce(connection: Any, payment: Payment, settled: list[Bill]) -> None:
    """``payment.recorded`` for the municipality's webhooks, with the bills it settled."""
    service_id = None
    for bill in settled:
        submission_id = bill.submission_id
        if submission_id is None and bill.account_id is not None:
            account = await FeeAccount.get(id=bill.account_id, using_db=connection)
            submission_id = account.submission_id
        if submission_id is not None:
            submission = await Submission.get(id=submission_id, using_db=connection)
            service_id = submission.service_id
            break
    await webhooks.announce(
        payment.tenant_id,
        "payment.recorded",
        service_id,
        {
            "transaction_id": payment.transaction_id,
            "source": payment.source,
            "amount": str(payment.amount),
            "paid_at": payment.paid_at.isoformat(),
            "ref1": payment.ref1,
            "ref2": payment.ref2,
            "status": payment.status,
            "problem": payment.problem,
            "service": service_id,
            "settled_bills": [{"ref1": b.ref1, "ref2": b.ref2, "amount": str(b.amount)} for b in settled],
        },
        connection=connection,
    )


def same_details(existing: Payment, reported: Reported) -> bool:
    """Whether ``reported`` repeats ``existing`` (a retry), rather than reusing its transaction ID."""
    return (Decimal(str(existing.amount)), existing.ref1, existing.ref2) == (
        reported.amount,
        reported.ref1,
        reported.ref2,
    )


def _repeat(existing: Payment, reported: Reported) -> Recorded:
    if not same_details(existing, reported):
        raise TransactionConflict(reported.transaction_id)
    return Recorded(existing, True, [])


async def _targets(connection: Any, payment: Payment) -> tuple[list[Bill], int | None]:
    """The bills a payment's references name, oldest first and locked, and the account they belong to.

    On PostgreSQL concurrent payments of one bill wait for each other here (``FOR UPDATE``,
    in id order); SQLite serializes writers anyway.
    """
    tenant_id = payment.tenant_id
    exact = (
        await Bill.filter(tenant_id=tenant_id, ref1=payment.ref1, ref2=payment.ref2 or ARREARS_REF2)
        .exclude(status="cancelled")
        .order_by("id")
        .select_for_update()
        .using_db(connection)
    )
    if exact:
        return exact, exact[0].account_id
    any_bill = (
        await Bill.filter(tenant_id=tenant_id, ref1=payment.ref1, account_id__isnull=False)
        .using_db(connection)
        .first()
    )
    if any_bill is None:
        return [], None
    account_id = cast(int, any_bill.account_id)  # a bill found by its account has one
    if payment.ref2 not in ("", ARREARS_REF2):
        return [], account_id  # a period not billed yet: held until its billing run
    arrears = (
        await Bill.filter(tenant_id=tenant_id, account_id=account_id, status__in=["unpaid", "partial"])
        .order_by("period", "id")
        .select_for_update()
        .using_db(connection)
    )
    return arrears, account_id


PAYMENT_OUTCOME = ["status", "problem", "account_id"]


async def _store(connection: Any, payment: Payment) -> None:
    """Insert a new payment with its outcome, or save the outcome of one recorded before."""
    if payment.id is None:
        await payment.save(using_db=connection)
    else:
        await payment.save(using_db=connection, update_fields=PAYMENT_OUTCOME)


async def _apply(connection: Any, payment: Payment) -> list[Bill]:
    """Allocate ``payment`` (stored here, new or held) to its bills, flag what is off; returns the bills it settled."""
    ordered, account_id = await _targets(connection, payment)
    payment.account_id = account_id
    if not ordered:
        payment.status, payment.problem = "held", "unknown_reference"
        await _store(connection, payment)
        return []
    remaining = Decimal(str(payment.amount))
    moment = datetime.now(UTC)
    shares: dict[int, Decimal] = {}
    for bill in ordered:
        outstanding = Decimal(str(bill.amount)) - Decimal(str(bill.paid_amount))
        if remaining <= 0 or outstanding <= 0:
            continue
        share = min(remaining, outstanding)
        shares[bill.id] = share
        remaining -= share
    if remaining > 0:  # more than was owed: the excess stays on the last bill, for an officer
        last = ordered[-1]
        shares[last.id] = shares.get(last.id, Decimal("0.00")) + remaining
    after = {
        bill.id: Decimal(str(bill.paid_amount)) + shares[bill.id] for bill in ordered if bill.id in shares
    }
    underpaid = any(after[b.id] < Decimal(str(b.amount)) for b in ordered if b.id in after)
    payment.status = "applied"
    payment.problem = "overpaid" if remaining > 0 else "underpaid" if underpaid else ""
    await _store(connection, payment)
    await PaymentAllocation.bulk_create(
        [
            PaymentAllocation(tenant_id=payment.tenant_id, payment=payment, bill=bill, amount=shares[bill.id])
            for bill in ordered
            if bill.id in shares
        ],
        using_db=connection,
    )
    settled = []
    for bill in ordered:
        if bill.id not in after:
            continue
        bill.paid_amount = after[bill.id]
        was_paid = bill.status == "paid"
        bill.status = "paid" if bill.paid_amount >= Decimal(str(bill.amount)) else "partial"
        if bill.status == "paid" and not was_paid:
            bill.settled_at = moment
            settled.append(bill)
            if payment.source != "counter":  # the counter hands over a receipt from its numbered book
                await _queue_receipt(connection, bill, moment)
        await bill.save(using_db=connection, update_fields=["paid_amount", "status", "settled_at"])
    return settled


async def _queue_receipt(connection: Any, bill: Bill, moment: datetime) -> None:
    submission_id = bill.submission_id
    if submission_id is None and bill.account_id is not None:
        account = await FeeAccount.get(id=bill.account_id, using_db=connection)
        submission_id = account.submission_id
    await EffectJob.create(
        tenant_id=bill.tenant_id,
        submission_id=submission_id,
        audit=None,
        type="issue_receipt",
        params={"bill": bill.id},
        run_after=moment,
        using_db=connection,
    )


async def rematch_held(tenant: Tenant, *, definition_of: DefinitionOf | None = None) -> int:
    """Apply held payments whose bills exist now (e.g. after a billing run); returns how many."""
    applied = 0
    settled_all: list[Bill] = []
    for held in await Payment.filter(tenant=tenant, status="held", problem="unknown_reference").order_by(
        "id"
    ):
        async with in_transaction() as connection:
            payment = (
                await Payment.filter(id=held.id, status="held")
                .select_for_update()
                .using_db(connection)
                .first()
            )
            if payment is None:
                continue
            settled = await _apply(connection, payment)
            if payment.status == "applied":
                applied += 1
                settled_all += settled
    if definition_of is not None:
        await _advance_settled(tenant, settled_all, definition_of)
    return applied


async def record_counter_payment(job: EffectJob, submission: Submission | None) -> None:
    """The ``record_counter_payment`` runner: the application's unpaid one-off bills, paid at the counter.

    One payment per bill, keyed by the bill, so a job that runs twice records nothing more.
    The receipt number the finance officer typed (at ``params["receipt"]`` in the action's
    input) is kept with the payment; no e-receipt is issued for it.
    """
    if submission is None:
        raise LookupError(f"job {job.id} has no submission")
    entry = await AuditEntry.get(id=job.audit_id) if job.audit_id else None
    receipt = jsonpointer.resolve(entry.input, job.params.get("receipt", "/receipt_no"), "") if entry else ""
    tenant = await Tenant.get(id=job.tenant_id)
    bills = await Bill.filter(
        tenant=tenant, submission=submission, account_id=None, status__in=["unpaid", "partial"]
    ).order_by("id")
    for bill in bills:
        owed = Decimal(str(bill.amount)) - Decimal(str(bill.paid_amount))
        await record_payment(
            tenant,
            Reported(
                transaction_id=f"COUNTER-{bill.id}",
                ref1=bill.ref1,
                ref2=bill.ref2,
                amount=owed,
                paid_at=entry.at if entry else datetime.now(UTC),
                source="counter",
                received={
                    "receipt_no": str(receipt),
                    "reference": submission.reference,
                    "officer": entry.actor_label if entry else "",
                },
            ),
        )


# ---------------------------------------------------------------------------------------------
# Officers resolve what is held or flagged


REVIEW_STATUSES = ("held", "applied")  # held: matched nothing; applied: paid a bill, but not its amount
MAX_REVIEW = 500


async def needing_review(
    tenant: Tenant,
    *,
    status: str | None = None,
    after: tuple[datetime, int] | None = None,
    limit: int = MAX_REVIEW,
) -> list[Payment]:
    """Payments an officer should look at: held, underpaid or overpaid, newest first.

    ``status`` keeps only the held or only the applied ones (:data:`REVIEW_STATUSES`); ``after``
    (a payment's ``paid_at`` and ``id``) starts the list after that payment, for paging.
    """
    chosen = list(REVIEW_STATUSES) if status is None else [status]
    found = Payment.filter(tenant=tenant, status__in=chosen).exclude(problem="")
    if after is not None:
        paid_at, payment_id = after
        found = found.filter(Q(paid_at__lt=paid_at) | Q(paid_at=paid_at, id__lt=payment_id))
    return await found.order_by("-paid_at", "-id").limit(limit)


async def get_payment(tenant: Tenant, payment_id: int) -> Payment:
    """One payment of ``tenant``; raises :class:`PaymentNotFound` for any other tenant's."""
    found = await Payment.get_or_none(tenant=tenant, id=payment_id)
    if found is None:
        raise PaymentNotFound(f"no payment {payment_id}")
    return found


async def assign(
    tenant: Tenant,
    payment_id: int,
    ref1: str,
    ref2: str,
    officer: User,
    note: str = "",
    *,
    definition_of: DefinitionOf | None = None,
) -> Recorded:
    """Apply a held payment to the bill (or account's arrears) an officer identified.

    Raises :class:`PaymentNotFound`, :class:`NotResolvable` (not held) and
    :class:`InvalidPayment` when the references match no bill either.
    """
    async with in_transaction() as connection:
        payment = (
            await Payment.filter(tenant=tenant, id=payment_id)
            .select_for_update()
            .using_db(connection)
            .first()
        )
        if payment is None:
            raise PaymentNotFound(f"no payment {payment_id}")
        if payment.status != "held":
            raise NotResolvable(f"payment {payment_id} is {payment.status}, not held")
        payment.ref1, payment.ref2 = reference_code(ref1), reference_code(ref2)
        payment.note = note[:2000]
        payment.resolved_by, payment.resolved_at = officer, datetime.now(UTC)
        await payment.save(
            using_db=connection, update_fields=["ref1", "ref2", "note", "resolved_by_id", "resolved_at"]
        )
        settled = await _apply(connection, payment)
        if payment.status != "applied":
            raise InvalidPayment("ref1", f"no bill has reference {payment.ref1} {payment.ref2}".strip())
    if definition_of is not None:
        await _advance_settled(tenant, settled, definition_of)
    return Recorded(payment, False, settled)


async def close(tenant: Tenant, payment_id: int, outcome: str, officer: User, note: str) -> Payment:
    """Close a flagged or held payment: ``resolved`` (accepted as it is) or ``refunded``.

    Raises :class:`PaymentNotFound`, :class:`NotResolvable` and :class:`InvalidPayment`
    (an unknown outcome, or no note: the reason is part of the record).
    """
    if outcome not in ("resolved", "refunded"):
        raise InvalidPayment("outcome", f"unknown outcome {outcome!r}")
    if not note.strip():
        raise InvalidPayment("note", "say why (the note is kept with the payment)")
    payment = await get_payment(tenant, payment_id)
    if payment.status not in ("held", "applied") or (payment.status == "applied" and not payment.problem):
        raise NotResolvable(f"payment {payment_id} needs no review")
    payment.status, payment.note = outcome, note.strip()[:2000]
    payment.resolved_by, payment.resolved_at = officer, datetime.now(UTC)
    await payment.save(update_fields=["status", "note", "resolved_by_id", "resolved_at"])
    return payment


# ---------------------------------------------------------------------------------------------
# Workflows waiting for a fee


async def advance_after_payment(
    tenant: Tenant, submission: Submission, definition: ServiceDefinition, *, attempts: int = 3
) -> str | None:
    """Take the system transition a paid fee opened (e.g. ``payment_received``); returns its action.

    A transition counts when it is available to the system with the fee paid but not with it
    unpaid, so timers and other system actions are never fired by a payment.
    """
    from engine.services import submissions
    from engine.workflow import available_actions

    for _ in range(attempts):
        current = await Submission.get(id=submission.id)
        status = await submissions.payment_status(current)
        if status != "paid" or current.closed:
            return None

        def actions(payment: str, current: Submission = current) -> set[str]:
            return {
                t.action
                for t in available_actions(
                    definition.workflow,
                    current.state,
                    {SYSTEM_ROLE},
                    data=current.data,
                    context=submissions.context_of(current, payment),
                    votes=submissions.votes_of(current),
                )
            }

        opened = sorted(actions("paid") - actions("unpaid"))
        if not opened:
            return None
        try:
            await submissions.transition(
                tenant,
                definition,
                current.reference,
                opened[0],
                {SYSTEM_ROLE},
                expected_version=current.version,
            )
        except StaleSubmission:
            continue
        return opened[0]
    return None


async def _advance_settled(tenant: Tenant, settled: Iterable[Bill], definition_of: DefinitionOf) -> None:
    for submission_id in {b.submission_id for b in settled if b.submission_id}:
        submission = await Submission.get(id=submission_id)
        try:
            await advance_after_payment(
                tenant, submission, definition_of(submission.service_id, submission.service_version)
            )
        except Exception:  # the payment is recorded; the sweep moves the submission on later
            log.exception("could not move %s on after its payment", submission.reference)


async def advance_paid_submissions(definition_of: DefinitionOf, *, limit: int = 200) -> int:
    """Move on open submissions whose one-off fees are paid but that still wait (the worker's sweep)."""
    moved = 0
    bills = (
        await Bill.filter(status="paid", account_id=None, submission__closed=False)
        .order_by("-settled_at")
        .limit(limit)
        .prefetch_related("submission", "tenant")
    )
    seen: set[int] = set()
    for bill in bills:
        submission = bill.submission
        if submission is None or submission.id in seen:
            continue
        seen.add(submission.id)
        if bill.settled_at is None or submission.state_entered_at >= bill.settled_at:
            continue  # moved on since the payment (by the system transition or an officer)
        definition = definition_of(submission.service_id, submission.service_version)
        if await advance_after_payment(bill.tenant, submission, definition):
            moved += 1
    return moved
