"""``thongthin saraban send|inbox|accept|reject|wrong-delivery|withdraw|resend|status|deliver|exchange-key``:
letters between agencies from the command line, through the same service calls as the pages and the API.

MESSAGE is the receipt id a letter got when it arrived (``saraban inbox`` lists them) or its message id.
"""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import click

from thongthin.cli_saraban import _as, _emit, _letter_json, _office, _options, platform_of, saraban_group


def _deliveries_json(rows: list[Any]) -> dict[str, Any]:
    from api.saraban_exchange_views import delivery_json

    return {"deliveries": [delivery_json(r) for r in rows]}


def _deliveries_lines(rows: list[Any]) -> str:
    from engine.saraban.vocabulary import DELIVERY_STATES

    lines = []
    for row in rows:
        d = row.dispatch
        state = DELIVERY_STATES[d.state].th if d.state in DELIVERY_STATES else d.state
        extra = (
            f"\tเลขรับ {d.accept_id}"
            if d.accept_id
            else (f"\t{d.reason or d.fault_detail}" if d.reason or d.fault_detail else "")
        )
        lines.append(
            f"{row.agency.letter_code}\t{row.agency.name_th}\t#{d.round}\t{d.channel}\t{state}{extra}"
        )
    return "\n".join(lines) or "(not sent to any agency)"


@saraban_group.command("send")
@click.argument("slug", metavar="TENANT")
@click.argument("public_id", metavar="LETTER")
@click.option(
    "--to",
    "to",
    multiple=True,
    help="An addressee's letter code (repeat); default: those it was drafted for.",
)
@_as
@_options
def send(
    slug: str, public_id: str, to: tuple[str, ...], username: str | None, data_dir: Path | None, as_json: bool
) -> None:
    """Send a signed LETTER to other agencies: one signed message each, queued for delivery."""
    from engine.services.saraban import exchange

    with platform_of(data_dir) as platform:

        async def run() -> Any:
            tenant, actor = await _office(slug, username)
            await exchange.send(tenant, actor, public_id, platform.saraban_exchange, to=to)
            return await exchange.status(tenant, actor, public_id)

        rows = platform.db(run())
    _emit(as_json, _deliveries_json(rows), _deliveries_lines(rows))


@saraban_group.command("status")
@click.argument("slug", metavar="TENANT")
@click.argument("public_id", metavar="LETTER")
@_as
@_options
def status(slug: str, public_id: str, username: str | None, data_dir: Path | None, as_json: bool) -> None:
    """Where LETTER stands with each addressee (their เลขรับ once registered)."""
    from engine.services.saraban import exchange

    with platform_of(data_dir) as platform:

        async def run() -> Any:
            tenant, actor = await _office(slug, username)
            return await exchange.status(tenant, actor, public_id)

        rows = platform.db(run())
    _emit(as_json, _deliveries_json(rows), _deliveries_lines(rows))


@saraban_group.command("inbox")
@click.argument("slug", metavar="TENANT")
@click.option(
    "--state",
    type=click.Choice(["pending", "accepted", "rejected", "invalid", "withdrawn"]),
    default="pending",
    show_default=True,
)
@_as
@_options
def inbox(slug: str, state: str, username: str | None, data_dir: Path | None, as_json: bool) -> None:
    """Letters that arrived from other agencies (default: awaiting registration), oldest first."""
    from api.saraban_exchange_views import message_json
    from engine.services.saraban import exchange

    with platform_of(data_dir) as platform:

        async def run() -> Any:
            tenant, actor = await _office(slug, username)
            return await exchange.incoming(tenant, actor, state=state)

        items = platform.db(run())
    lines = (
        "\n".join(f"{m.receipt_id}\t{m.peer_code}\t{m.letter_number}\t{m.subject}" for m in items) or "(none)"
    )
    _emit(as_json, {"messages": [message_json(m) for m in items]}, lines)


@saraban_group.command("accept")
@click.argument("slug", metavar="TENANT")
@click.argument("receipt", metavar="MESSAGE")
@click.option("--remark", default="", help="หมายเหตุ in the receive register.")
@_as
@_options
def accept(
    slug: str, receipt: str, remark: str, username: str | None, data_dir: Path | None, as_json: bool
) -> None:
    """Register (ลงรับ) a letter that arrived: its เลขรับ goes back to the sender."""
    from engine.services.saraban import exchange

    with platform_of(data_dir) as platform:

        async def run() -> Any:
            tenant, actor = await _office(slug, username)
            return await exchange.register(tenant, actor, receipt, platform.saraban_exchange, remark=remark)

        letter = platform.db(run())
    _emit(as_json, _letter_json(letter), f"{letter.public_id}\tregistered: {letter.subject}")


def _answer(
    slug: str,
    receipt: str,
    reason: str,
    username: str | None,
    data_dir: Path | None,
    as_json: bool,
    wrong: bool,
) -> None:
    from api.saraban_exchange_views import message_json
    from engine.services.saraban import exchange

    with platform_of(data_dir) as platform:

        async def run() -> Any:
            tenant, actor = await _office(slug, username)
            answer = exchange.report_wrong_delivery if wrong else exchange.reject
            return await answer(tenant, actor, receipt, platform.saraban_exchange, reason=reason)

        item = platform.db(run())
    _emit(as_json, message_json(item), f"{item.receipt_id}\t{item.state}")


@saraban_group.command("reject")
@click.argument("slug", metavar="TENANT")
@click.argument("receipt", metavar="MESSAGE")
@click.option("--reason", required=True, help="Why (the sender is told).")
@_as
@_options
def reject(
    slug: str, receipt: str, reason: str, username: str | None, data_dir: Path | None, as_json: bool
) -> None:
    """Refuse a letter that arrived (ปฏิเสธ)."""
    _answer(slug, receipt, reason, username, data_dir, as_json, wrong=False)


@saraban_group.command("wrong-delivery")
@click.argument("slug", metavar="TENANT")
@click.argument("receipt", metavar="MESSAGE")
@click.option("--reason", required=True, help="Why it is not for this agency.")
@_as
@_options
def wrong_delivery(
    slug: str, receipt: str, reason: str, username: str | None, data_dir: Path | None, as_json: bool
) -> None:
    """Tell the sender a letter is not for this agency (แจ้งหนังสือผิด / ส่งผิด)."""
    _answer(slug, receipt, reason, username, data_dir, as_json, wrong=True)


@saraban_group.command("withdraw")
@click.argument("slug", metavar="TENANT")
@click.argument("public_id", metavar="LETTER")
@click.option("--agency", required=True, help="The addressee's letter code.")
@click.option("--reason", default="", help="Why (the addressee is told).")
@_as
@_options
def withdraw(
    slug: str,
    public_id: str,
    agency: str,
    reason: str,
    username: str | None,
    data_dir: Path | None,
    as_json: bool,
) -> None:
    """Withdraw LETTER from one addressee to send it again (ขอลบหนังสือเพื่อส่งใหม่)."""
    from engine.services.saraban import exchange

    with platform_of(data_dir) as platform:

        async def run() -> Any:
            tenant, actor = await _office(slug, username)
            await exchange.withdraw(
                tenant, actor, public_id, agency, platform.saraban_exchange, reason=reason
            )
            return await exchange.status(tenant, actor, public_id)

        rows = platform.db(run())
    _emit(as_json, _deliveries_json(rows), _deliveries_lines(rows))


@saraban_group.command("resend")
@click.argument("slug", metavar="TENANT")
@click.argument("public_id", metavar="LETTER")
@click.option("--agency", required=True, help="The addressee's letter code.")
@_as
@_options
def resend(
    slug: str, public_id: str, agency: str, username: str | None, data_dir: Path | None, as_json: bool
) -> None:
    """Send a withdrawn LETTER to the same addressee again, as a new message."""
    from engine.services.saraban import exchange

    with platform_of(data_dir) as platform:

        async def run() -> Any:
            tenant, actor = await _office(slug, username)
            await exchange.resend(tenant, actor, public_id, agency, platform.saraban_exchange)
            return await exchange.status(tenant, actor, public_id)

        rows = platform.db(run())
    _emit(as_json, _deliveries_json(rows), _deliveries_lines(rows))


@saraban_group.command("deliver")
@click.option("--retry-now", is_flag=True, help="Also the messages waiting to be tried again later.")
@_options
def deliver(retry_now: bool, data_dir: Path | None, as_json: bool) -> None:
    """Deliver the queued messages now (what the worker does every round)."""
    from engine.effects.builtin import SARABAN_DELIVER
    from engine.services.effects import Runners, run_pending
    from engine.store.models import EffectJob
    from thongthin.saraban_exchange import Deliverer

    with platform_of(data_dir) as platform:
        runners = Runners({SARABAN_DELIVER.name: (Deliverer(platform), SARABAN_DELIVER.retry)})

        async def run() -> Any:
            if retry_now:
                await EffectJob.filter(type=SARABAN_DELIVER.name, status="pending").update(
                    run_after=datetime.now(UTC)
                )
            return await run_pending(runners)

        report = platform.db(run())
    _emit(
        as_json,
        {"delivered": report.done, "retrying": report.retried, "failed": report.failed},
        f"delivered {report.done}, retrying {report.retried}, failed {report.failed}",
    )


@saraban_group.command("exchange-key")
@click.argument("slug", metavar="TENANT")
@click.option("--rotate", is_flag=True, help="Make a new key; the old one stays trusted until retired.")
@click.option("--retire", "retire_id", help="Stop using and trusting the key with this fingerprint.")
@_options
def exchange_key(
    slug: str, rotate: bool, retire_id: str | None, data_dir: Path | None, as_json: bool
) -> None:
    """The certificate TENANT signs its messages with (made on first need): print it, rotate or retire one."""
    from engine.services import tenants
    from engine.services.saraban import exchange_keys

    with platform_of(data_dir) as platform:

        async def run() -> Any:
            tenant = await tenants.get_tenant(slug)
            if retire_id:
                await exchange_keys.retire(tenant, retire_id.strip().lower())
            if rotate:
                return await exchange_keys.rotate(tenant, platform.settings.secret_key)
            return await exchange_keys.current(tenant, platform.settings.secret_key)

        key = platform.db(run())
    _emit(
        as_json, {"fingerprint": key.key_id, "certificate": key.certificate_pem}, key.certificate_pem.rstrip()
    )
