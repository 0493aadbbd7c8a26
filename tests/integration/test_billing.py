"""Fee accounts from approved registrations, one-off bills, and billing runs that never bill twice."""

from __future__ import annotations

import uuid
from decimal import Decimal
from typing import Any

import pytest

from engine.definitions import load_definition
from engine.payments import promptpay
from engine.services import billing, billing_runs, submissions, tenants
from engine.services.effects import run_pending
from engine.store.models import Bill, BillingRun, FeeAccount, Submission, Tenant
from tests.conftest import EXAMPLES, read
from tests.uploads import with_stored_files
from tests.walks import first_input, paths_to
from thongthin.runners import runners_for


class Interrupted(Exception):
    """Stands for a run that died midway (a KeyboardInterrupt would stop the ORM loop thread itself)."""


# Other tests leave jobs in the shared database: claim them all so this test's jobs run too.
WORK_LIMIT = 10_000
# The version the seed publishes, which accounts made straight in the table are opened under.
GARBAGE_VERSION = load_definition("garbage-fee").version
GARBAGE_RATE = 25  # the municipality's own household rate, not the catalog's default 20


async def make_tenant(platform: Any) -> Tenant:
    tenant = await tenants.ensure_tenant(
        f"bl{uuid.uuid4().hex[:8]}",
        name_th="ทดสอบ",
        name_en="Test",
        kind="municipality",
        province="เชียงใหม่",
        reference_prefix="BL",
    )
    await tenants.enable_service(
        tenant,
        platform.catalog.get("garbage-fee"),
        {"fees": {"garbage_monthly": {"rates": {"household": GARBAGE_RATE, "shop": 40}}}},
    )
    await tenants.enable_service(tenant, platform.catalog.get("food-premises-notification"))
    return tenant


async def walk_to(platform: Any, tenant: Tenant, service_id: str, example: str, final: str) -> str:
    """Submit a valid example and take its workflow to ``final``; returns the reference."""
    definition = platform.catalog.get(service_id)
    path = next(paths_to(definition, final))
    data = await with_stored_files(
        platform, tenant, definition, read(EXAMPLES / service_id / f"{example}.json")
    )
    receipt = await submissions.submit(tenant, definition, data)
    for transition in path:
        for role in transition.roles:
            result = await submissions.transition(
                tenant,
                definition,
                receipt.reference,
                transition.action,
                {role},
                input=first_input(transition),
            )
            if result.fired:
                break
    submission = await Submission.get(tenant=tenant, reference=receipt.reference)
    assert submission.state == final
    return receipt.reference


async def direct_accounts(tenant: Tenant, count: int, rate_class: str = "household") -> None:
    """Garbage accounts created straight in the table (as a data migration would)."""
    await FeeAccount.bulk_create(
        [
            FeeAccount(
                tenant=tenant,
                number=f"GB-{9_000_000 + n:07d}",
                service_id="garbage-fee",
                service_version=GARBAGE_VERSION,
                fee_id="garbage_monthly",
                rate_class=rate_class,
                parameters={"inputs": {"/premises/rate_class": rate_class}},
            )
            for n in range(count)
        ]
    )


@pytest.fixture
def household(platform: Any) -> tuple[Tenant, str]:
    """A municipality where one household registered for garbage collection and was approved."""

    async def run() -> tuple[Tenant, str]:
        tenant = await make_tenant(platform)
        reference = await walk_to(platform, tenant, "garbage-fee", "valid-household", "account_opened")
        await run_pending(runners_for(platform), limit=WORK_LIMIT)
        return tenant, reference

    return platform.db(run())


def test_an_approved_registration_opens_one_account_and_a_run_bills_it_once(
    platform: Any, household: tuple[Tenant, str]
):
    tenant, reference = household
    accounts = platform.db(FeeAccount.filter(tenant=tenant))
    assert len(accounts) == 1
    account = accounts[0]
    assert platform.db(Submission.get(id=account.submission_id)).reference == reference
    assert account.number.startswith("GB-") and account.fee_id == "garbage_monthly"
    assert account.rate_class == "household" and account.holder == "นางสมพร ใจดี"
    assert account.phone == "0812345678" and "แม่เหียะ" in account.address
    assert account.first_period == "2570-01"  # billing.start_month 2027-01-01
    # The job ran once; running the worker again opens nothing more.
    platform.db(run_pending(runners_for(platform), limit=WORK_LIMIT))
    assert platform.db(FeeAccount.filter(tenant=tenant).count()) == 1

    before_start = platform.db(billing_runs.run_billing(tenant, "2569-12", catalog=platform.catalog))
    assert before_start.created == 0 and before_start.status == "completed"

    run = platform.db(billing_runs.run_billing(tenant, "2570-01", catalog=platform.catalog))
    assert (run.accounts, run.created, run.existing, run.status) == (1, 1, 0, "completed")
    bill = platform.db(Bill.get(tenant=tenant, period="2570-01"))
    assert bill.account_id == account.id and bill.status == "unpaid"
    assert Decimal(str(bill.amount)) == Decimal(GARBAGE_RATE) == Decimal(str(run.total))
    fields = promptpay.parse(bill.qr_payload)
    assert fields["54"] == f"{GARBAGE_RATE}.00"
    assert fields["30"] == {
        "00": promptpay.BILL_PAYMENT_AID,
        "01": billing.DEMO_BILLER_ID,
        "02": account.number.replace("-", ""),
        "03": "257001",
    }

    again = platform.db(billing_runs.run_billing(tenant, "2570-01", catalog=platform.catalog))
    assert (again.created, again.existing) == (0, 1)
    assert platform.db(Bill.filter(tenant=tenant).count()) == 1
    assert platform.db(BillingRun.filter(tenant=tenant, period="2570-01").count()) == 1


def test_an_interrupted_run_restarted_completes_without_duplicates(platform: Any):
    tenant = platform.db(make_tenant(platform))
    platform.db(direct_accounts(tenant, 7))
    seen: list[tuple[int, int]] = []

    def crash_after_first_batch(done: int, total: int) -> None:
        seen.append((done, total))
        raise Interrupted

    with pytest.raises(Interrupted):
        platform.db(billing_runs.run_billing(tenant, "2569-03", progress=crash_after_first_batch, batch=3))
    assert seen == [(3, 7)]
    assert platform.db(Bill.filter(tenant=tenant, period="2569-03").count()) == 3
    assert platform.db(BillingRun.get(tenant=tenant, period="2569-03")).status == "interrupted"

    progress: list[tuple[int, int]] = []
    run = platform.db(
        billing_runs.run_billing(tenant, "2569-03", progress=lambda d, t: progress.append((d, t)), batch=3)
    )
    assert progress == [(3, 7), (6, 7), (7, 7)]
    assert (run.status, run.created, run.existing, run.accounts) == ("completed", 4, 3, 7)
    bills = platform.db(Bill.filter(tenant=tenant, period="2569-03").values_list("account_id", flat=True))
    assert len(bills) == len(set(bills)) == 7


def test_a_run_bills_only_its_own_tenant(platform: Any):
    first = platform.db(make_tenant(platform))
    second = platform.db(make_tenant(platform))
    platform.db(direct_accounts(first, 3))
    platform.db(direct_accounts(second, 2, rate_class="shop"))
    run = platform.db(billing_runs.run_billing(first, "2569-04", catalog=platform.catalog))
    assert run.created == 3
    assert platform.db(Bill.filter(tenant=second).count()) == 0
    assert platform.db(Bill.filter(tenant=first).count()) == 3
    other = platform.db(billing_runs.run_billing(second, "2569-04", catalog=platform.catalog))
    amounts = platform.db(Bill.filter(tenant=second).values_list("amount", flat=True))
    assert other.created == 2 and [Decimal(str(a)) for a in amounts] == [Decimal(40)] * 2
    assert platform.db(Bill.filter(tenant=first).count()) == 3


def test_a_run_skips_inactive_accounts_and_rejects_bad_periods(platform: Any):
    tenant = platform.db(make_tenant(platform))
    platform.db(direct_accounts(tenant, 2))
    first_id = platform.db(FeeAccount.filter(tenant=tenant).order_by("id").first()).id
    platform.db(FeeAccount.filter(tenant=tenant, id=first_id).update(active=False))
    assert platform.db(billing_runs.run_billing(tenant, "2569-05", catalog=platform.catalog)).created == 1
    for bad in ("2026-01", "2569-13", "2569-1", "2569/01"):
        with pytest.raises(billing.InvalidPeriod):
            platform.db(billing_runs.run_billing(tenant, bad))


def test_request_payment_bills_the_one_off_fee_on_the_submission(platform: Any):
    async def run() -> tuple[Tenant, str]:
        tenant = await make_tenant(platform)
        tenant.settings = {"biller_id": "0994000159804"}
        await tenant.save()
        reference = await walk_to(
            platform, tenant, "food-premises-notification", "valid-noodle-shop-person", "awaiting_payment"
        )
        await run_pending(runners_for(platform), limit=WORK_LIMIT)
        await run_pending(runners_for(platform), limit=WORK_LIMIT)  # a second pass changes nothing
        return tenant, reference

    tenant, reference = platform.db(run())
    submission = platform.db(Submission.get(tenant=tenant, reference=reference))
    bills = platform.db(Bill.filter(tenant=tenant, submission=submission))
    assert len(bills) == 1
    bill = bills[0]
    area = submission.data["business"]["area_sqm"]
    expected = next(t for t in (25, 50, 100, None) if t is None or area <= t)
    tiers = {25: 50, 50: 100, 100: 200, None: 300}
    assert Decimal(str(bill.amount)) == Decimal(tiers[expected])
    assert bill.fee_ids == "certificate_fee" and bill.status == "unpaid" and bill.account_id is None
    fields = promptpay.parse(bill.qr_payload)
    assert fields["30"]["01"] == "099400015980400"
    assert fields["30"]["02"] == reference.replace("-", "") and fields["30"]["03"] == "0"
    assert platform.db(FeeAccount.filter(tenant=tenant).count()) == 0  # opened only once paid


@pytest.mark.parametrize("amount", ["20.00", "1234.50", "0.01", "999999.99"])
def test_payload_templates_build_what_bill_payment_builds(amount: str):
    payloads = billing_runs.BillPayloads(billing.DEMO_BILLER_ID, "256901", Decimal(amount))
    for ref1 in ("GB000001", "A", "ABCDEFGHIJ0123456789", "WW123", "GB000002"):
        expected = promptpay.bill_payment(
            biller_id=billing.DEMO_BILLER_ID, ref1=ref1, ref2="256901", amount=Decimal(amount)
        )
        assert payloads.payload(ref1) == expected
    with pytest.raises(promptpay.InvalidReference):
        payloads.payload("A" * 21)
