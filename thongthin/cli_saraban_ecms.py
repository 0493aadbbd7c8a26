"""``thongthin saraban export|import|ecms-poll|ecms-url``: letters through the e-CMS and as files.

``export`` writes a letter signed here as the ``th-saraban/1.0`` envelope or as e-CMS XML;
``import`` takes one such file into a municipality's inbox (the operator vouches for it);
``ecms-poll`` pulls what the municipality's own e-CMS node holds for it; ``ecms-url`` shows or
sets that node. ``--json`` prints one JSON document; a refusal ends with one line and exit 1.
"""

from __future__ import annotations

import hashlib
import sys
from pathlib import Path
from typing import Any

import click

from thongthin.cli_saraban import _emit, _options, _read, _write, platform_of, saraban_group


def _fault_line(fault: Any) -> click.ClickException:
    text = fault.message_th if fault.message_th == fault.message else f"{fault.message_th} ({fault.message})"
    return click.ClickException(f"{text} [{fault.fault}]")


@saraban_group.command("export")
@click.argument("slug", metavar="TENANT")
@click.argument("public_id", metavar="LETTER")
@click.option("--format", "fmt", type=click.Choice(["json", "ecms-xml"]), default="json", show_default=True)
@click.option("--to", "to_code", default=None, help="The addressee's letter code (default: its first).")
@click.option("--out", type=click.Path(path_type=Path, dir_okay=False), help="Write here (default: stdout).")
@_options
def export(
    slug: str,
    public_id: str,
    fmt: str,
    to_code: str | None,
    out: Path | None,
    data_dir: Path | None,
    as_json: bool,
) -> None:
    """Write a LETTER signed here as a file for another system: the envelope (json) or e-CMS XML."""
    from engine.saraban.exchange.faults import ExchangeFault
    from engine.services import tenants
    from thongthin.saraban_ecms import export_letter

    if as_json and out is None:
        raise click.UsageError("--json reports on the file written: give --out FILE")
    with platform_of(data_dir) as platform:

        async def run() -> bytes:
            tenant = await tenants.get_tenant(slug)
            return await export_letter(tenant, public_id, platform.saraban_files, fmt, to_code)  # type: ignore[arg-type]

        try:
            data = platform.db(run())
        except ExchangeFault as fault:
            raise _fault_line(fault) from None
    if out is None:
        sys.stdout.buffer.write(data)
        sys.stdout.buffer.flush()
        return
    _write(out, data)
    digest = hashlib.sha256(data).hexdigest()
    _emit(
        as_json,
        {"letter": public_id, "format": fmt, "out": str(out), "bytes": len(data), "sha256": digest},
        f"{public_id}\t{fmt}\t{out}\t{len(data)} bytes",
    )


@saraban_group.command("import")
@click.argument("slug", metavar="TENANT")
@click.argument("path", metavar="FILE", type=click.Path(path_type=Path, dir_okay=False))
@click.option("--sender", "sender_code", default=None, help="The sending agency's letter code (e-CMS XML).")
@_options
def import_(slug: str, path: Path, sender_code: str | None, data_dir: Path | None, as_json: bool) -> None:
    """Take a letter brought as FILE (e-CMS XML or a th-saraban/1.0 envelope) into TENANT's inbox."""
    from engine.saraban.exchange.faults import ExchangeFault
    from thongthin.saraban_ecms import import_file

    data = _read(path, "the file")
    with platform_of(data_dir) as platform:
        try:
            receipt = platform.db(
                import_file(slug, data, exchange=platform.saraban_exchange, sender_code=sender_code)
            )
        except ExchangeFault as fault:
            raise _fault_line(fault) from None
    _emit(
        as_json,
        {"receipt_id": receipt.receipt_id, "duplicate": receipt.duplicate},
        f"{receipt.receipt_id}\t{'taken in before' if receipt.duplicate else 'taken in'}",
    )


@saraban_group.command("ecms-poll")
@click.argument("slug", metavar="TENANT")
@click.option("--limit", type=click.IntRange(1, 100), default=20, show_default=True)
@_options
def ecms_poll(slug: str, limit: int, data_dir: Path | None, as_json: bool) -> None:
    """Pull what TENANT's e-CMS node holds for it; what cannot be taken in stays on the node."""
    from engine.saraban.exchange.faults import ExchangeFault
    from engine.saraban.exchange.transports import TransportUnavailable
    from engine.services import tenants
    from thongthin.saraban_ecms import poll

    with platform_of(data_dir) as platform:

        async def run() -> Any:
            tenant = await tenants.get_tenant(slug)
            return await poll(tenant, platform.saraban_exchange, limit=limit)

        try:
            report = platform.db(run())
        except ExchangeFault as fault:
            raise _fault_line(fault) from None
        except TransportUnavailable as error:
            raise click.ClickException(
                f"ติดต่อระบบ e-CMS ของหน่วยงานไม่ได้ในขณะนี้ โปรดลองใหม่ภายหลัง ({error}) [Unavailable]"
            ) from None
    lines = [f"stored\t{r.receipt_id}{' (before)' if r.duplicate else ''}" for r in report.stored]
    lines += [f"left\t{item.process_id}\t{item.fault}\t{item.detail_th}" for item in report.left]
    lines += [f"not deleted\t{process_id}" for process_id in report.not_deleted]
    _emit(as_json, report.as_dict(), "\n".join(lines) or "(nothing waiting)")


@saraban_group.command("ecms-url")
@click.argument("slug", metavar="TENANT")
@click.argument("url", required=False)
@click.option("--as", "username", default=None, help="The administrator acting (default: the first one).")
@_options
def ecms_url(slug: str, url: str | None, username: str | None, data_dir: Path | None, as_json: bool) -> None:
    """Show TENANT's own e-CMS node, or set it to URL ('' clears it)."""
    from engine.saraban.settings import settings_of
    from engine.services.saraban import organisation
    from thongthin.cli_saraban import _office

    with platform_of(data_dir) as platform:

        async def run() -> Any:
            tenant, actor = await _office(slug, username, role="admin")
            if url is not None:
                return await organisation.put_settings(tenant, actor, {"ecms_url": url})
            return settings_of(tenant.settings)

        current = platform.db(run())
    _emit(as_json, {"ecms_url": current.ecms_url}, current.ecms_url or "(none)")
