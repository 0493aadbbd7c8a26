"""The effect runners of this installation: the engine's own, plus issuing signed documents.

Issuing a document joins three adapters the engine must not know: the PDF renderer, the
signer and the blob store. The sequence makes a crash harmless: the number is reserved per
job first; rendering, signing and storing come next (the blob key is the document's public
ID, so a re-run overwrites rather than duplicates); the record is marked issued last.
"""

from __future__ import annotations

import asyncio
import base64
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import TYPE_CHECKING, Any
from urllib.parse import quote

from engine.definitions import ServiceDefinition
from engine.effects import Registry, default_registry
from engine.forms import data_roles
from engine.services import (
    billing,
    billing_runs,
    documents,
    drafts,
    idempotency,
    line,
    messages,
    payments,
    retention,
    sessions,
    signing_keys,
    statements,
    studio,
    tenants,
    throttle,
    uploads,
    webhooks,
)
from engine.services.effects import LEASE, Runners, RunReport, run_pending
from engine.services.housekeeping import Housekeeping
from engine.services.saraban import numbers as saraban_numbers
from engine.services.saraban import retention as saraban_retention
from engine.services.tracking import purge_expired_links
from engine.store.models import (
    AuditEntry,
    Bill,
    EffectJob,
    FeeAccount,
    IssuedDocument,
    Payment,
    Submission,
    Tenant,
)
from engine.workflow.sla import BANGKOK
from renderers.messages import compose as compose_message
from renderers.messages import compose_digest
from thongthin import metrics, saraban_ecms, saraban_exchange

if TYPE_CHECKING:
    from signing.signer import PadesLevel


def public_url(platform: Any) -> str:
    """Where citizens reach this installation (the QR codes on documents point there)."""
    return platform.settings.environ.get("PUBLIC_URL", "http://127.0.0.1:8000").rstrip("/")


def payment_notify_url(platform: Any) -> str:
    """Where a bank or gateway reports payments (the console shows it beside the shared secret)."""
    return f"{public_url(platform)}/api/v1/payments/notify"


def verify_url(platform: Any, public_id: str) -> str:
    return f"{public_url(platform)}/verify/{public_id}"


async def signer_names(submission: Submission) -> dict[str, str]:
    """Who acted in each role on this submission, the latest one winning (their names go under the stamps)."""
    entries = await AuditEntry.filter(tenant_id=submission.tenant_id, submission=submission).order_by("seq")
    return {e.role: e.actor_label for e in entries if e.actor_id is not None}


async def receipt_numbers(submission: Submission) -> list[str]:
    """The receipts the application's one-off fees were paid by: the counter's book number, else the e-receipt's.

    An e-receipt whose job has not run yet has no number: the permit then names none rather than a wrong one.
    """
    bills = await Bill.filter(
        tenant_id=submission.tenant_id, submission_id=submission.id, account_id=None, status="paid"
    ).order_by("id")
    found: list[str] = []
    for bill in bills:
        counter = [
            str(p.received.get("receipt_no", ""))
            for p in await Payment.filter(allocations__bill_id=bill.id, source="counter").order_by("id")
            if isinstance(p.received, dict)
        ]
        numbers = [n for n in counter if n] or [
            d.number for d in await IssuedDocument.filter(tenant_id=bill.tenant_id, bill_id=bill.id)
        ]
        found += [n for n in numbers if n not in found]
    return found


def document_tenant(platform: Any, tenant: Tenant) -> Any:
    """The municipality as its documents and bills show it: names, address and logo (as a data URI)."""
    from renderers.documents import DocumentTenant

    logo = None
    if tenant.logo_blob:
        from engine.blobs.sniff import sniff_content_type

        content = platform.blobs.get(tenant.logo_blob)
        kind = sniff_content_type(content) or "image/png"
        logo = f"data:{kind};base64," + base64.b64encode(content).decode("ascii")
    return DocumentTenant(tenant.name_th, tenant.name_en, tenant.address_th, logo, tenant.kind)


def printable_bill(platform: Any, tenant: Tenant, account: str) -> tuple[str, bytes]:
    """The account's number and its printable bill as a PDF, for whoever has the account number
    (as the paper bill: the holder masked); the portal's page and the API both print it here.

    Raises :class:`~engine.services.billing.AccountNotFound` (404) for an unknown account.
    """
    from renderers import bills

    found = platform.db(billing.find_account(tenant, account))
    statement = platform.db(billing.statement(tenant, found))
    definition = platform.definition(found.service_id, found.service_version)
    pdf = bills.render_bill(
        bills.bill_sheet(tenant, statement, definition),
        tenant=document_tenant(platform, tenant),
        issued_on=datetime.now(UTC).astimezone(BANGKOK).date(),
        thai_numerals=bool(tenant.settings.get("thai_numerals", False)),
    )
    return found.number, pdf


async def store_issued(
    platform: Any, tenant: Tenant, record: IssuedDocument, signed: Any, level: str
) -> None:
    """Keep a signed document under its public ID (a re-run overwrites), then mark it issued."""
    key = f"tenant/{tenant.id}/documents/{record.public_id}.pdf"
    await asyncio.to_thread(platform.blobs.put, key, signed.data, "application/pdf")
    await documents.mark_issued(record, blob_key=key, sha256=signed.sha256, pades_level=level)


@dataclass
class DocumentIssuer:
    """The ``issue_document`` runner."""

    platform: Any

    async def __call__(self, job: EffectJob, submission: Submission) -> None:
        definition = self.platform.definition(submission.service_id, submission.service_version)
        record = await documents.reserve(job, submission, definition, job.params["document"])
        if record.status == "issued":
            return
        tenant = await Tenant.get(id=job.tenant_id)
        names = await signer_names(submission)
        receipts = await receipt_numbers(submission)
        own_keys = await signing_keys.for_signing(tenant, self.platform.settings.secret_key)
        signed, level = await asyncio.to_thread(
            self.render_and_sign, definition, submission, tenant, record, names, own_keys, receipts
        )
        await store_issued(self.platform, tenant, record, signed, level)

    def render_and_sign(
        self,
        definition: ServiceDefinition,
        submission: Submission,
        tenant: Tenant,
        record: IssuedDocument,
        names: dict[str, str],
        own_keys: list[signing_keys.StoredKey] | None = None,
        receipts: list[str] | None = None,
    ) -> tuple[Any, str]:
        """Blocking work (WeasyPrint, pyHanko's sync API): runs on a worker thread, never the ORM loop.

        ``own_keys``: the keys the municipality's administrator set, over the platform's for their roles;
        ``receipts``: the numbers of the receipts the fees were paid by.
        """
        from renderers.documents import render_document, signature_boxes
        from signing.services import SignerSlot, load_profile, sign_document

        spec = definition.service.document(record.document_id)
        assert spec is not None  # reserve() checked it
        settings = self.platform.settings
        pdf = render_document(
            definition,
            record.document_id,
            submission.data,
            tenant=document_tenant(self.platform, tenant),
            number=record.number,
            issued_on=datetime.now(UTC).astimezone(BANGKOK).date(),
            verify_url=verify_url(self.platform, record.public_id),
            thai_numerals=bool(tenant.settings.get("thai_numerals", False)),
            reference=submission.reference,
            submitted_on=submission.submitted_at.astimezone(BANGKOK).date(),
            signer_names=names,
            receipt_numbers=receipts or (),
        )
        profile = load_profile(settings.data_dir, tenant.slug, settings.environ, own_keys or ())
        slots = [
            SignerSlot(signer.role, names.get(signer.role, ""), signer.position.th, box)
            for signer, box in zip(spec.signers, signature_boxes(definition, record.document_id), strict=True)
        ]
        with metrics.signing("document"):
            signed = sign_document(pdf, profile, slots, level=spec.pades_level, certify=spec.certify)
        return signed, spec.pades_level


@dataclass
class ReceiptIssuer:
    """The ``issue_receipt`` runner: the signed e-receipt (ใบเสร็จรับเงิน) of a settled bill.

    Numbered in the tenant's document series, rendered from ``receipt.html.j2``, signed for
    the finance officer and verifiable at ``/verify/<id>`` like every issued document.
    """

    platform: Any

    async def __call__(self, job: EffectJob, submission: Submission | None) -> None:
        bill = await Bill.get(id=job.params["bill"], tenant_id=job.tenant_id).prefetch_related("account")
        account = bill.account
        service_id = account.service_id if account else submission.service_id if submission else None
        version = account.service_version if account else submission.service_version if submission else None
        if service_id is None or version is None:
            raise LookupError(f"bill {bill.id} belongs to no account or submission")
        definition = self.platform.definition(service_id, version)
        holder = (
            account.holder
            if account
            else data_roles.document_subject(definition, submission.data)
            if submission
            else None
        ) or "-"
        record = await documents.reserve_receipt(job, bill, holder)
        if record.status == "issued":
            return
        tenant = await Tenant.get(id=job.tenant_id)
        paid_by = await Payment.filter(allocations__bill_id=bill.id).order_by("paid_at").distinct()
        own_keys = await signing_keys.for_signing(tenant, self.platform.settings.secret_key)
        signed, level = await asyncio.to_thread(
            self.render_and_sign, definition, bill, account, submission, tenant, record, paid_by, own_keys
        )
        await store_issued(self.platform, tenant, record, signed, level)

    def render_and_sign(
        self,
        definition: ServiceDefinition,
        bill: Bill,
        account: FeeAccount | None,
        submission: Submission | None,
        tenant: Tenant,
        record: IssuedDocument,
        paid_by: list[Payment],
        own_keys: list[signing_keys.StoredKey] | None = None,
    ) -> tuple[Any, str]:
        """Blocking work, on a worker thread (``own_keys`` as for :meth:`DocumentIssuer.render_and_sign`)."""
        from renderers.documents import (
            RECEIPT_SIGNERS,
            Payer,
            ReceiptItem,
            receipt_signature_boxes,
            render_receipt,
        )
        from signing.services import SignerSlot, load_profile, sign_document

        line = billing.bill_line(bill, account, definition)
        pdf = render_receipt(
            tenant=document_tenant(self.platform, tenant),
            number=record.number,
            issued_on=datetime.now(UTC).astimezone(BANGKOK).date(),
            payer=Payer(record.holder, account.address if account else ""),
            items=[ReceiptItem(line.description, Decimal(str(bill.paid_amount)), line.note)],
            verify_url=verify_url(self.platform, record.public_id),
            reference=submission.reference if submission and not account else None,
            service_title=definition.service.title.th,
            payment_method=payment_method(paid_by),
            thai_numerals=bool(tenant.settings.get("thai_numerals", False)),
        )
        settings = self.platform.settings
        profile = load_profile(settings.data_dir, tenant.slug, settings.environ, own_keys or ())
        slots = [
            SignerSlot(signer.role, "", signer.position.th, box)
            for signer, box in zip(RECEIPT_SIGNERS, receipt_signature_boxes(), strict=True)
        ]
        with metrics.signing("receipt"):
            signed = sign_document(pdf, profile, slots, level=RECEIPT_LEVEL, certify=True)
        return signed, RECEIPT_LEVEL


RECEIPT_LEVEL: PadesLevel = "B-LT"


def signing_roles_of(platform: Any, tenant: Tenant) -> list[str]:
    """The roles that sign documents (and e-receipts) in the services ``tenant`` offers, at their versions.

    Off the ORM loop (a request, a command): reading a definition may read the catalog first.
    """
    from renderers.documents import RECEIPT_SIGNERS

    enabled = platform.db(tenants.enabled_services(tenant))
    return signing_keys.document_signers(
        (platform.definition(e.service_id, e.version) for e in enabled),
        receipt_roles=[signer.role for signer in RECEIPT_SIGNERS],
    )


SOURCE_WORDS = {
    "notify": "โอนผ่าน Thai QR / พร้อมเพย์",
    "statement": "ชำระผ่านธนาคาร (ตามรายการเดินบัญชี)",
    "counter": "ชำระที่กองคลัง",
}


def payment_method(paid_by: list[Payment]) -> str:
    """How the bill was paid, as the receipt says it: channel, transaction and date of each payment."""
    from engine.thaidate import format_date

    parts = []
    for payment in paid_by:
        day = format_date(payment.paid_at.astimezone(BANGKOK).date(), short=True)
        parts.append(
            f"{SOURCE_WORDS.get(payment.source, payment.source)} รายการ {payment.transaction_id} วันที่ {day}"
        )
    return "; ".join(parts)


def message_links(platform: Any) -> messages.Links:
    """Links in messages: under the configured public address, never a request's Host."""
    root = public_url(platform)
    return messages.Links(
        tracking=lambda tenant, reference, token: (
            f"{root}/{tenant.slug}/track/{quote(reference)}/{quote(token)}"
        ),
        stop=lambda tenant, key: f"{root}/{tenant.slug}/messages/stop/{key}",
        desk=lambda tenant, reference: f"{root}/{tenant.slug}/admin/submissions/{quote(reference)}",
        inbox=lambda tenant: f"{root}/{tenant.slug}/admin/",
    )


@dataclass
class Notifier:
    """The ``notify`` effect: the message into the outbox, a delivery per channel and address."""

    platform: Any

    async def __call__(self, job: EffectJob, submission: Submission | None) -> None:
        definition = (
            self.platform.definition(submission.service_id, submission.service_version)
            if submission
            else None
        )
        await messages.enqueue(
            job, submission, definition, compose=compose_message, links=message_links(self.platform)
        )


def credentials_for(platform: Any) -> messages.CredentialFor:
    """A municipality's own credential of a channel (its LINE access token), unsealed when sending."""

    async def credential(tenant_id: int, channel: str) -> str:
        if channel != "line":
            return ""
        account = line.account_of(await Tenant.get(id=tenant_id), platform.settings.secret_key)
        return account.access_token if account else ""

    return credential


def _line_events(platform: Any) -> Any:
    root = public_url(platform)
    return line.EventHandler(
        platform.settings.secret_key,
        platform.catalog,
        platform.channels,
        message_links(platform),
        portal_url=lambda tenant, service_id: f"{root}/{tenant.slug}/services/{service_id}",
    )


# What runs each effect type in this installation, given the platform.
IMPLEMENTATIONS: dict[str, Callable[[Any], Any]] = {
    "notify": Notifier,
    line.EVENTS_JOB: _line_events,
    "issue_document": DocumentIssuer,
    "open_fee_account": lambda platform: billing.FeeAccountOpener(platform.definition),
    "request_payment": lambda platform: billing.PaymentRequester(platform.definition),
    "issue_receipt": ReceiptIssuer,
    "record_counter_payment": lambda _platform: payments.record_counter_payment,
    statements.IMPORT_JOB: lambda platform: statements.StatementImporter(platform.blobs, platform.definition),
    "billing_run": lambda platform: billing_runs.BillingRunner(platform.catalog),
    "saraban_deliver": saraban_exchange.Deliverer,
    webhooks.JOB: webhooks.Deliverer,
}


def installed_registry() -> Registry:
    """The effect types with this installation's implementations (``thongthin check`` checks it is whole)."""
    registry = default_registry()
    for name, factory in IMPLEMENTATIONS.items():
        registry.implement(name)(factory)
    return registry


def runners_for(platform: Any) -> Runners:
    """Every runner this installation has; raises :class:`MissingImplementation` when one is missing."""
    return Runners.from_registry(installed_registry(), platform)


def housekeeping_for(platform: Any) -> Housekeeping:
    """The periodic clean-up of this installation's worker (see :mod:`engine.services.housekeeping`)."""
    chores = Housekeeping()
    chores.add("drafts", timedelta(hours=1), lambda now: drafts.purge_expired(now=now, blobs=platform.blobs))
    chores.add("attempts", timedelta(hours=1), lambda now: throttle.purge_ended(now=now))
    chores.add("tracking_links", timedelta(hours=6), lambda now: purge_expired_links(now=now))
    chores.add("sessions", timedelta(hours=1), lambda now: sessions.purge_expired(now=now))
    chores.add("idempotency_keys", timedelta(hours=1), lambda now: idempotency.purge_expired(now=now))
    # A reserved correspondence number whose time passed stays in its book, marked ยกเลิก.
    chores.add(
        "number_reservations", timedelta(minutes=15), lambda now: saraban_numbers.lapse_reservations(now)
    )
    shortest = min((retention.retention_of(d) for d in platform.catalog), default=timedelta(days=365))
    chores.add(
        "retention",
        timedelta(hours=6),
        lambda now: retention.enforce(platform.definition, shortest, blobs=platform.blobs, now=now),
    )
    looked_at: set[str] = set()  # officers this worker looked at today
    chores.add(
        "digests",
        timedelta(minutes=30),
        lambda now: messages.queue_digests(
            list(platform.catalog),
            compose_digest=compose_digest,
            links=message_links(platform),
            now=now,
            looked_at=looked_at,
        ),
    )
    chores.add(
        "draft_previews",
        timedelta(hours=6),
        lambda now: studio.prune_previews(studio.preview_cache(platform.catalog_cache), now.timestamp()),
    )
    chores.add(
        "orphan_uploads",
        timedelta(minutes=30),
        lambda now: uploads.purge_orphans(now=now, blobs=platform.blobs),
    )
    # บัญชีหนังสือขอทำลาย: the previous year's survey, from 1 January for the tenant's survey_days.
    chores.add(
        "saraban_survey",
        timedelta(hours=6),
        lambda now: saraban_retention.survey_due(platform.saraban_files, now=now),
    )
    # Webhook delivery attempts older than THONGTHIN_WEBHOOKS_LOG_DAYS (a bad value stops the worker here).
    webhook_log = timedelta(days=webhooks.log_days(platform.settings.environ))
    chores.add(
        "webhook_deliveries",
        timedelta(hours=6),
        lambda now: webhooks.purge_deliveries(keep=webhook_log, now=now),
    )
    # Letters and notices waiting on the municipalities' own e-CMS nodes.
    chores.add(
        "ecms_poll",
        timedelta(minutes=5),
        lambda now: saraban_ecms.poll_every_node(platform.saraban_exchange, now=now),
    )
    return chores


async def work_once(platform: Any, runners: Runners, housekeeping: Housekeeping | None = None) -> RunReport:
    """One round of the worker: the due effects, then submissions whose fee was paid but that still wait,
    then whatever clean-up is due.

    A payment moves its submission on right after its commit; the sweep catches the ones a
    crash or a conflicting officer action left behind. Versions another node published since the
    last round are read first, so their jobs find their definitions.
    """
    await platform.load_published()
    seconds = platform.settings.effect_lease_seconds
    report = await run_pending(
        runners, lease=timedelta(seconds=seconds) if seconds else LEASE, observer=metrics.observe_job
    )
    await messages.deliver_due(platform.channels, credential_for=credentials_for(platform))
    await payments.advance_paid_submissions(platform.definition)
    if housekeeping is not None:
        await housekeeping.run_due()
    return report
