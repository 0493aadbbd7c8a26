"""``thongthin saraban smtpd``: the municipalities' saraban@ mailboxes, served by this platform.

Point the MX of a municipality's mail domain, or a forwarding rule of its mailbox, at this server.
A signed message is taken in like any other; a plain mail with PDF attachments from the address
the directory lists for an agency waits in the letters inbox to be registered.
"""

from __future__ import annotations

import signal
import threading
from pathlib import Path
from typing import Any

import click

from thongthin.cli_saraban import platform_of, saraban_group


@saraban_group.command("smtpd")
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to listen on.")
@click.option(
    "--port", type=click.IntRange(1, 65535), default=2525, show_default=True, help="Port to listen on."
)
@click.option(
    "--data",
    "data_dir",
    type=click.Path(path_type=Path, file_okay=False),
    help="Data folder (default: $THONGTHIN_DATA or ./var); DATABASE_URL names another database.",
)
def smtpd(host: str, port: int, data_dir: Path | None) -> None:
    """Take in mail for the municipalities' saraban@ addresses until stopped (Ctrl-C or SIGTERM)."""
    try:
        from aiosmtpd.controller import Controller
    except ImportError:
        raise click.ClickException(
            "the SMTP server needs the aiosmtpd package: pip install aiosmtpd"
        ) from None
    from thongthin.saraban_mail import MAX_MAIL_BYTES, SarabanMailHandler

    with platform_of(data_dir) as platform:
        platform.runtime.loop  # noqa: B018 (the ORM's loop thread is up before the first mail)
        controller = Controller(
            SarabanMailHandler(platform),
            hostname=host,
            port=port,
            enable_SMTPUTF8=True,
            data_size_limit=MAX_MAIL_BYTES,
        )
        stop = threading.Event()

        def finish(*_: Any) -> None:
            stop.set()

        signal.signal(signal.SIGTERM, finish)
        controller.start()
        click.echo(f"saraban mail: listening on {host}:{port}", err=True)
        try:
            stop.wait()
        except KeyboardInterrupt:
            pass
        finally:
            controller.stop()
