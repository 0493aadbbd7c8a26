"""``thongthin qr``, ``billing`` and ``payments``: Thai QR payloads, billing runs, payment notifications."""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path
from typing import Any

import click


@click.group()
def qr() -> None:
    """Thai QR (PromptPay) payloads; the payload is the last line printed."""


def _emit_qr(payload: str, png: Path | None, svg: Path | None) -> None:
    if png or svg:
        import segno

        code = segno.make(payload, error="m", micro=False)
        if png:
            code.save(str(png), scale=8, border=4)
        if svg:
            code.save(str(svg), scale=8, border=4)
    click.echo(payload)


@qr.command("promptpay")
@click.option("--mobile")
@click.option("--national-id")
@click.option("--ewallet")
@click.option("--amount", help="Baht, e.g. 120.50; without it the QR is static (reusable).")
@click.option("--png", type=click.Path(path_type=Path))
@click.option("--svg", type=click.Path(path_type=Path))
def qr_promptpay(
    mobile: str | None,
    national_id: str | None,
    ewallet: str | None,
    amount: str | None,
    png: Path | None,
    svg: Path | None,
) -> None:
    """A PromptPay credit transfer to a mobile number, national/tax ID or e-wallet."""
    from engine.payments.promptpay import credit_transfer

    _emit_qr(
        credit_transfer(mobile=mobile, national_id=national_id, ewallet=ewallet, amount=amount), png, svg
    )


@qr.command("bill")
@click.option("--biller-id", required=True, help="13-digit tax ID, or 15 digits with the suffix.")
@click.option("--ref1", required=True)
@click.option("--ref2")
@click.option("--amount")
@click.option("--png", type=click.Path(path_type=Path))
@click.option("--svg", type=click.Path(path_type=Path))
def qr_bill(
    biller_id: str, ref1: str, ref2: str | None, amount: str | None, png: Path | None, svg: Path | None
) -> None:
    """A bill payment (tag 30) to a biller with reference 1 and 2."""
    from engine.payments.promptpay import bill_payment

    _emit_qr(bill_payment(biller_id=biller_id, ref1=ref1, ref2=ref2, amount=amount), png, svg)


@click.group()
def billing() -> None:
    """Recurring fees: bill every active fee account of a municipality for a period."""


@billing.command("run")
@click.argument("tenant_slug", metavar="TENANT")
@click.argument("period")
@click.option("--batch", default=2000, show_default=True, type=click.IntRange(1), help="Accounts per batch.")
def billing_run(tenant_slug: str, period: str, batch: int) -> None:
    """Create PERIOD's bills (a Buddhist-Era year-month such as 2569-01) for TENANT's active accounts.

    Idempotent: running it again, or after an interruption, creates only the missing bills.
    """
    from engine.payments.promptpay import PromptPayError
    from engine.services import billing as billing_service
    from engine.services import billing_runs, tenants
    from engine.services.errors import ServiceError
    from thongthin.platform import Platform
    from thongthin.settings import Settings

    try:
        billing_service.parse_period(period)
    except billing_service.InvalidPeriod as error:
        raise click.ClickException(str(error)) from None
    platform = Platform.create(Settings.from_env())
    bars: list[Any] = []

    def progress(done: int, total: int) -> None:
        if not bars:
            bars.append(click.progressbar(length=total, label=f"{tenant_slug} {period}", file=sys.stderr))
            bars[0].__enter__()
        bars[0].update(done - bars[0].pos)

    try:
        tenant = platform.db(tenants.get_tenant(tenant_slug))
        run = platform.db(
            billing_runs.run_billing(tenant, period, progress=progress, batch=batch, catalog=platform.catalog)
        )
    except (ServiceError, PromptPayError) as error:  # PromptPayError: a malformed biller_id setting
        raise click.ClickException(str(error)) from None
    finally:
        if bars:
            bars[0].__exit__(None, None, None)
        platform.runtime.close()
    click.echo(
        f"{tenant_slug} {period}: {run.created} bill(s) created, {run.existing} already there, "
        f"{run.skipped} account(s) skipped, {run.accounts} due; total {run.total} baht"
    )


@click.group("payments")
def payments_group() -> None:
    """Payment notifications: the shared secret banks sign with, and a signed test notification."""


@payments_group.command("secret")
@click.argument("tenant_slug", metavar="TENANT")
@click.option("--rotate", is_flag=True, help="Make a new secret (the old one stops working at once).")
def payments_secret(tenant_slug: str, rotate: bool) -> None:
    """Print TENANT's notification secret (last line), making one if it has none or with --rotate."""
    from engine.services import payments, tenants
    from engine.services.errors import ServiceError
    from thongthin.platform import Platform
    from thongthin.settings import Settings

    platform = Platform.create(Settings.from_env())
    try:
        tenant = platform.db(tenants.get_tenant(tenant_slug))
        secret = payments.tenant_secret(tenant)
        if rotate or secret is None:
            secret = platform.db(payments.rotate_secret(tenant))
            click.echo(f"{tenant_slug}: new notification secret; give it to the bank or gateway", err=True)
    except ServiceError as error:
        raise click.ClickException(str(error)) from None
    finally:
        platform.runtime.close()
    click.echo(secret)


@payments_group.command("notify")
@click.argument("tenant_slug", metavar="TENANT")
@click.option("--ref1", required=True, help="Reference 1 (the account number or application reference).")
@click.option("--ref2", default="0", show_default=True, help="Reference 2 (period BBBBMM, or 0 for arrears).")
@click.option("--amount", required=True, help="Baht, e.g. 25.00.")
@click.option("--transaction-id", help="The bank's transaction ID (default: a new random one).")
@click.option("--url", help="Where the platform answers (default: PUBLIC_URL or http://127.0.0.1:8000).")
@click.option(
    "--secret", envvar="THONGTHIN_PAYMENT_SECRET", help="The shared secret (default: read from the database)."
)
def payments_notify(
    tenant_slug: str,
    ref1: str,
    ref2: str,
    amount: str,
    transaction_id: str | None,
    url: str | None,
    secret: str | None,
) -> None:
    """Send a signed payment notification as a bank would (for testing a bank link or the demo).

    Prints the platform's JSON answer as the last line; exits non-zero when it refuses.
    """
    import urllib.error
    import urllib.request
    import uuid
    from datetime import UTC, datetime

    from engine.services import payments

    try:
        payments.parse_amount(amount)
    except payments.InvalidPayment as error:
        raise click.ClickException(str(error)) from None
    if secret is None:
        from engine.services import tenants
        from engine.services.errors import ServiceError
        from thongthin.platform import Platform
        from thongthin.settings import Settings

        platform = Platform.create(Settings.from_env())
        try:
            secret = payments.tenant_secret(platform.db(tenants.get_tenant(tenant_slug)))
        except ServiceError as error:
            raise click.ClickException(str(error)) from None
        finally:
            platform.runtime.close()
        if secret is None:
            raise click.ClickException(
                f"{tenant_slug} has no notification secret: run `thongthin payments secret {tenant_slug}`"
            )
    body = json.dumps(
        {
            "tenant": tenant_slug,
            "transaction_id": transaction_id or f"TEST{uuid.uuid4().hex[:12].upper()}",
            "ref1": ref1,
            "ref2": ref2,
            "amount": amount,
            "paid_at": datetime.now(UTC).isoformat(timespec="seconds"),
        }
    ).encode()
    base = (url or os.environ.get("PUBLIC_URL") or "http://127.0.0.1:8000").rstrip("/")
    request = urllib.request.Request(
        f"{base}/api/v1/payments/notify",
        data=body,
        headers={
            "Content-Type": "application/json",
            payments.SIGNATURE_HEADER: payments.signature(secret, body),
        },
    )
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            click.echo(response.read().decode().strip())
    except urllib.error.HTTPError as error:
        click.echo(error.read().decode(errors="replace").strip())
        raise click.ClickException(f"the platform refused the notification (HTTP {error.code})") from None
    except urllib.error.URLError as error:
        raise click.ClickException(f"nothing answers at {base}: {error.reason}") from None
