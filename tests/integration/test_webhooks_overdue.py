"""``bill.overdue`` end to end on SQLite and PostgreSQL: a recurring bill still unpaid or partly paid
when the next period's billing run completes is announced once, signed, to a loopback receiver;
a repeated run announces nothing more, and a subscription to other events gets nothing."""

from __future__ import annotations

import json
import uuid
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

import pytest

from engine.services import billing_runs, payments, webhooks
from engine.store.models import Bill, BillingRun, FeeAccount, WebhookSubscription
from tests.integration.test_billing import direct_accounts
from tests.integration.test_webhooks import (
    NOWHERE,
    Receiver,
    jobs_for,
    make_office,
    private_allowed,  # noqa: F401 (the loopback receiver needs it)
    receiver,  # noqa: F401 (the loopback receiver)
    sent_to,
    subscribe,
    work,
)

pytestmark = pytest.mark.db

PERIOD = "2569-03"
NEXT = "2569-04"
PERSONAL = ("name", "phone", "address", "national_id", "payer", "citizen_id")


def overdue_jobs(platform: Any, subscription_id: int) -> list[Any]:
    """The ``bill.overdue`` jobs queued for a subscription (payments queue their own events too)."""
    return [j for j in jobs_for(platform, subscription_id) if j.params["event"]["type"] == "bill.overdue"]


def pay(platform: Any, tenant: Any, bill: Bill, amount: Decimal) -> None:
    reported = payments.Reported(
        transaction_id=f"TX{uuid.uuid4().hex[:10]}",
        ref1=bill.ref1,
        ref2=bill.ref2,
        amount=amount,
        paid_at=datetime.now(UTC),
    )
    platform.db(payments.record_payment(tenant, reported))


def test_unpaid_and_partial_bills_are_announced_once_when_the_next_run_completes(
    app: Any,
    client: Any,
    platform: Any,
    receiver: Receiver,  # noqa: F811 (the fixture imported above)
) -> None:
    office = make_office(platform, app.test_client())
    tenant = office.tenant
    overdue = subscribe(client, office, receiver.url, ["bill.overdue"])
    assert overdue.status_code == 201, overdue.json
    others = subscribe(client, office, NOWHERE, ["submission.created", "payment.recorded"])
    assert others.status_code == 201, others.json
    platform.db(direct_accounts(tenant, 3))

    run = platform.db(billing_runs.run_billing(tenant, PERIOD, catalog=platform.catalog))
    assert (run.status, run.created) == ("completed", 3)
    bills = platform.db(Bill.filter(tenant=tenant, period=PERIOD).order_by("id"))
    paid, partial, unpaid = bills
    pay(platform, tenant, paid, Decimal(str(paid.amount)))
    pay(platform, tenant, partial, Decimal("10.00"))
    statuses = [b.status for b in platform.db(Bill.filter(tenant=tenant, period=PERIOD).order_by("id"))]
    assert statuses == ["paid", "partial", "unpaid"]
    # The first period's own run announced nothing: no bill of the period before it.
    assert overdue_jobs(platform, overdue.json["id"]) == []

    run = platform.db(billing_runs.run_billing(tenant, NEXT, catalog=platform.catalog))
    assert run.status == "completed"
    assert len(overdue_jobs(platform, overdue.json["id"])) == 2
    assert overdue_jobs(platform, others.json["id"]) == []
    work(platform)
    got = sent_to(receiver, office.slug)
    assert len(got) == 2
    events = []
    for received in got:
        webhooks.verify_signature(overdue.json["secret"], received.headers, received.body)
        events.append(json.loads(received.body))
    assert {e["type"] for e in events} == {"bill.overdue"}
    numbers = {a.id: a.number for a in platform.db(FeeAccount.filter(tenant=tenant))}
    by_ref = {e["data"]["ref1"]: e["data"] for e in events}
    assert set(by_ref) == {partial.ref1, unpaid.ref1}
    amount = Decimal(str(unpaid.amount))
    assert by_ref[unpaid.ref1] == {
        "bill": unpaid.id,
        "account": numbers[unpaid.account_id],
        "service": "garbage-fee",
        "period": PERIOD,
        "amount": f"{amount:.2f}",
        "paid_amount": "0.00",
        "outstanding": f"{amount:.2f}",
        "ref1": unpaid.ref1,
        "ref2": unpaid.ref2,
    }
    late = by_ref[partial.ref1]
    assert (late["paid_amount"], late["outstanding"]) == (
        "10.00",
        f"{Decimal(str(partial.amount)) - Decimal('10.00'):.2f}",
    )
    for event in events:
        assert not set(event["data"]) & set(PERSONAL)

    # The same period run again (idempotent billing): completed already, nothing announced again.
    again = platform.db(billing_runs.run_billing(tenant, NEXT, catalog=platform.catalog))
    assert (again.status, again.created) == ("completed", 0)
    assert len(overdue_jobs(platform, overdue.json["id"])) == 2
    assert overdue_jobs(platform, others.json["id"]) == []
    work(platform)
    assert len(sent_to(receiver, office.slug)) == 2
    assert platform.db(BillingRun.get(tenant=tenant, period=NEXT)).status == "completed"


def test_a_paused_or_absent_subscription_costs_nothing_and_many_bills_are_chunked(
    app: Any, client: Any, platform: Any
) -> None:
    office = make_office(platform, app.test_client())
    tenant = office.tenant
    platform.db(direct_accounts(tenant, 7))
    platform.db(billing_runs.run_billing(tenant, PERIOD, catalog=platform.catalog))
    # Nobody subscribed: the next run completes and queues nothing.
    platform.db(billing_runs.run_billing(tenant, NEXT, catalog=platform.catalog))
    created = subscribe(client, office, NOWHERE, ["bill.overdue"])
    assert created.status_code == 201
    # Read three bills at a time: every one of the seven is still announced, once.
    queued = platform.db(_announce(tenant, chunk=3))
    assert queued == 7
    assert len(overdue_jobs(platform, created.json["id"])) == 7
    platform.db(WebhookSubscription.filter(id=created.json["id"]).update(active=False))
    assert platform.db(_announce(tenant, chunk=3)) == 0


async def _announce(tenant: Any, *, chunk: int) -> int:
    from tortoise.transactions import in_transaction

    async with in_transaction() as connection:
        return await billing_runs.announce_overdue(connection, tenant, PERIOD, chunk=chunk)


def test_previous_period_crosses_the_year() -> None:
    assert billing_runs.previous_period("2570-01") == "2569-12"
    assert billing_runs.previous_period("2569-04") == "2569-03"
    assert billing_runs.next_period(billing_runs.previous_period("2569-12")) == "2569-12"
