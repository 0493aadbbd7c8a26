"""``thongthin demo``, ``worker`` and ``serve``: the platform running."""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import Any

import click


@click.command()
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=8000, show_default=True, type=int)
@click.option(
    "--data",
    "data_dir",
    type=click.Path(path_type=Path),
    help="Data folder (default: $THONGTHIN_DATA or ./var).",
)
def demo(host: str, port: int, data_dir: Path | None) -> None:
    """Create the demo municipality (idempotently) with every service and demo officers, then serve it."""

    from thongthin.app import create_app
    from thongthin.demo import DEMO_PASSWORD, DEMO_TENANT, seed
    from thongthin.settings import Settings

    # Issued documents' QR codes point at this demo unless a public address is configured.
    os.environ.setdefault("PUBLIC_URL", f"http://{host}:{port}")
    settings = Settings.from_env(demo=True, data_dir=data_dir)
    app = create_app(settings)
    platform = app.extensions["thongthin"]
    platform.upgrade()
    accounts = platform.db(seed(platform.catalog))
    click.echo(f"{DEMO_TENANT['name_th']} ({DEMO_TENANT['name_en']})")
    click.echo(f"  citizens:  http://{host}:{port}/{DEMO_TENANT['slug']}/")
    click.echo(f"  officers:  http://{host}:{port}/{DEMO_TENANT['slug']}/admin/  (password: {DEMO_PASSWORD})")
    for account in accounts:
        click.echo(f"    {account.username:<36} {account.name_th} ({account.title_th})")
    click.echo(f"  studio:    http://{host}:{port}/studio/  (operator.analyst, password: {DEMO_PASSWORD})")
    click.echo(f"  API:       http://{host}:{port}/api/v1/openapi.json")
    click.echo(f"  fees:      http://{host}:{port}/{DEMO_TENANT['slug']}/bills?account=GB-000007")
    click.echo(
        f"  pay a bill as a bank would: thongthin payments notify {DEMO_TENANT['slug']} "
        f"--ref1 GB000007 --ref2 0 --amount <owed> --url http://{host}:{port}"
    )
    _start_demo_pki(platform, port + 1)
    from thongthin import demo_saraban

    seeded = platform.db(demo_saraban.seed(DEMO_TENANT["slug"], platform.saraban_files))
    if seeded:
        click.echo(
            f"  letters:   {seeded} letters in the registers: http://{host}:{port}/{DEMO_TENANT['slug']}/admin/saraban/"
        )
    from thongthin.demo_exchange import NEIGHBOUR, NEIGHBOUR_ROLES

    neighbour = NEIGHBOUR["slug"]
    click.echo(
        f"  neighbour: {NEIGHBOUR['name_th']} http://{host}:{port}/{neighbour}/admin/saraban/  "
        f"({', '.join(f'{neighbour}.{role}' for role in NEIGHBOUR_ROLES)})"
    )
    _start_demo_worker(platform)
    from werkzeug.serving import run_simple

    run_simple(host, port, app, threaded=True, use_reloader=False, request_handler=_quiet_handler())


def _quiet_handler() -> type:
    from werkzeug.serving import WSGIRequestHandler

    from thongthin.logs import PROBES

    class Handler(WSGIRequestHandler):
        """Names no server software or version in the ``Server`` header."""

        def version_string(self) -> str:
            return "thongthin"

        def log_request(self, code: int | str = "-", size: int | str = "-") -> None:
            """Health checks and scrapes are not worth a line each."""
            if self.path.split("?", 1)[0] not in PROBES:
                super().log_request(code, size)

    return Handler


def _start_demo_pki(platform: Any, port: int) -> None:
    """The demo signs documents with the development PKI, its TSA/OCSP/CRLs served on ``port``."""
    from engine.services.roles import NOT_FOR_OFFICERS
    from engine.services.saraban.organisation import SIGNING_ROLES
    from renderers.documents import RECEIPT_SIGNERS
    from signing.pki import demo_officers, ensure_dev_pki, serve_dev_pki
    from thongthin.demo import DEMO_TENANT
    from thongthin.demo_exchange import NEIGHBOUR, NEIGHBOUR_ROLES

    titles = {
        r: spec.title.th
        for r, spec in platform.catalog.roles.items()
        if r not in NOT_FOR_OFFICERS and not spec.system
    }
    signers = {s.role for d in platform.catalog for doc in d.service.documents for s in doc.signers}
    signers |= {s.role for s in RECEIPT_SIGNERS}
    signers |= set(SIGNING_ROLES)  # officers sign their endorsements and letters
    officers = demo_officers(titles, {DEMO_TENANT["slug"]: DEMO_TENANT["name_th"]}, only=sorted(signers))
    officers += demo_officers(titles, {NEIGHBOUR["slug"]: NEIGHBOUR["name_th"]}, only=NEIGHBOUR_ROLES)
    pki = ensure_dev_pki(platform.settings.data_dir / "pki", officers, url=f"http://127.0.0.1:{port}")
    serve_dev_pki(pki)
    click.echo(f"  signing:   development PKI in {pki.directory}, TSA {pki.tsa_url}")


def _start_demo_worker(platform: Any, interval: float = 2.0) -> None:
    """In the demo, queued effects run in a background thread instead of a separate worker process."""
    import threading
    import time

    from thongthin.runners import housekeeping_for, runners_for, work_once

    runners = runners_for(platform)
    chores = housekeeping_for(platform)

    def loop() -> None:
        while True:
            try:
                platform.db(work_once(platform, runners, chores))
            except Exception as error:  # keep the demo serving; the error is shown
                click.echo(f"effects worker: {error}", err=True)
            time.sleep(interval)

    threading.Thread(target=loop, name="thongthin-demo-worker", daemon=True).start()


@click.command()
@click.option("--once", is_flag=True, help="Run what is due now, then stop.")
@click.option("--interval", default=2.0, show_default=True, help="Seconds between polls.")
def worker(once: bool, interval: float) -> None:
    """Run queued effects (notifications, and documents and bills when installed)."""
    import time

    from thongthin import logs, metrics
    from thongthin.platform import Platform
    from thongthin.runners import housekeeping_for, runners_for, work_once
    from thongthin.settings import Settings

    settings = Settings.from_env()
    logs.configure(settings.log_format)
    if settings.environ.get("THONGTHIN_WORKER_METRICS"):
        metrics.serve_worker_metrics(settings.environ["THONGTHIN_WORKER_METRICS"])
    platform = Platform.create(settings)
    runtime = platform.runtime
    runners = runners_for(platform)
    chores = housekeeping_for(platform)
    try:
        while True:
            report = runtime.run(work_once(platform, runners, chores))
            if report.done or report.retried or report.failed:
                click.echo(
                    f"effects: {report.done} done, {report.retried} to retry, {report.failed} failed",
                    err=True,
                )
            if once:
                return
            time.sleep(interval)
    finally:
        runtime.close()


@click.command()
@click.option("--bind", default="127.0.0.1:8000", show_default=True, help="Address to listen on.")
@click.option("--workers", default=2, show_default=True, type=click.IntRange(min=1), help="Processes.")
@click.option("--threads", default=4, show_default=True, type=click.IntRange(min=1), help="Per worker.")
@click.option(
    "--data",
    "data_dir",
    type=click.Path(path_type=Path),
    help="Data folder (default: $THONGTHIN_DATA or ./var).",
)
def serve(bind: str, workers: int, threads: int, data_dir: Path | None) -> None:
    """Serve with production settings through gunicorn; run `thongthin db upgrade` first.

    Settings come from the environment (DATABASE_URL, SECRET_KEY, S3_*; secure cookies on).
    The master preloads the app; every worker starts its own ORM loop thread after the fork
    (thongthin/gunicorn_conf.py). This process becomes gunicorn, so signals reach it directly.
    """

    if data_dir is not None:
        os.environ["THONGTHIN_DATA"] = str(data_dir.resolve())
    if not os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        # The workers' metrics are summed from files in one folder (emptied when gunicorn starts).
        import tempfile

        os.environ["PROMETHEUS_MULTIPROC_DIR"] = tempfile.mkdtemp(prefix="thongthin-metrics-")
    # The interpreter running this command has gunicorn installed; a `gunicorn` on PATH may not.
    command = [sys.executable, "-m", "gunicorn", "--config", "python:thongthin.gunicorn_conf"]
    command += ["--bind", bind, "--workers", str(workers), "--threads", str(threads), "thongthin.wsgi:app"]
    os.execv(sys.executable, command)
