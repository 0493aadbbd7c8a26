"""The ``thongthin`` command: check, validate, graph and list the catalog, run benchmarks."""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path
from typing import Any

import click

from engine.definitions import DefinitionError, UnknownService, check_path, load_catalog, load_definition
from engine.definitions.locations import catalog_dir
from engine.errors import ThongthinError


def _read_json(path: Path) -> Any:
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise click.ClickException(f"{path}: no such file") from None
    except json.JSONDecodeError as error:
        raise click.ClickException(
            f"{path}: invalid JSON at line {error.lineno} column {error.colno}: {error.msg}"
        ) from None


@click.group()
@click.version_option(package_name="thongthin")
def main() -> None:
    """Thongthin (ท้องถิ่น): citizen services of Thai local administrations as data."""


@main.command()
@click.argument("paths", nargs=-1, type=click.Path(path_type=Path))
@click.option(
    "--examples", type=click.Path(path_type=Path), help="Folder of example submissions per service."
)
def check(paths: tuple[Path, ...], examples: Path | None) -> None:
    """Check service definitions (a catalog folder or service folders); one line per problem.

    Also checks that this installation implements every effect type a workflow may ask for.
    """
    from thongthin.runners import installed_registry

    registry = installed_registry()
    problems: list[Any] = [
        f"effects:/{name}: no implementation is registered" for name in registry.missing_implementations()
    ]
    checked = 0
    for path in paths or (catalog_dir(),):
        catalog, found = check_path(path, examples=examples, effects=registry)
        problems.extend(found)
        checked += len(catalog)
    for problem in problems:
        click.echo(str(problem))
    if problems:
        click.echo(f"{len(problems)} problem(s)", err=True)
        sys.exit(1)
    click.echo(f"ok: {checked} service(s) checked", err=True)


@main.command(context_settings={"help_option_names": ["-h", "--help"]})
@click.argument("arguments", nargs=-1, metavar="[SERVICE_ID] DATA")
@click.option(
    "--schema",
    "schema_path",
    type=click.Path(path_type=Path),
    help="Validate against this JSON Schema instead.",
)
@click.option("--lang", type=click.Choice(["th", "en"]), default="th", show_default=True)
def validate(arguments: tuple[str, ...], schema_path: Path | None, lang: str) -> None:
    """Validate DATA (a submission, JSON) against a catalog service or --schema; one line per error."""
    from engine.forms import compile_schema, validate_submission

    if schema_path is not None and len(arguments) == 1:
        errors = compile_schema(_read_json(schema_path)).errors(_read_json(Path(arguments[0])))
    elif schema_path is None and len(arguments) == 2:
        service_id, data = arguments
        errors = validate_submission(_service(service_id), _read_json(Path(data)))
    else:
        raise click.UsageError("give SERVICE_ID and DATA, or --schema SCHEMA.json and DATA")
    for error in errors:
        click.echo(f"{error.pointer or '/'}: {error.message(lang)}")
    sys.exit(1 if errors else 0)


@main.command()
@click.argument("service_id")
@click.option("--lang", type=click.Choice(["th", "en"]), default="th", show_default=True)
def graph(service_id: str, lang: str) -> None:
    """Print the service's status machine as a Mermaid state diagram."""
    from engine.workflow.graph import to_mermaid

    click.echo(to_mermaid(_service(service_id).workflow, lang))


@main.group()
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


@main.group()
def db() -> None:
    """The database named by DATABASE_URL (default: SQLite in the data folder)."""


@db.command("upgrade")
@click.option(
    "--data",
    "data_dir",
    type=click.Path(path_type=Path),
    help="Data folder (default: $THONGTHIN_DATA or ./var).",
)
def db_upgrade(data_dir: Path | None) -> None:
    """Apply every pending migration and publish the national seed's new service versions."""
    from engine.services import access_log
    from thongthin.platform import Platform
    from thongthin.settings import Settings

    platform = Platform.create(Settings.from_env(data_dir=data_dir))
    try:
        published = platform.upgrade()
        # Applications stored before the subject index existed become findable by national ID.
        indexed = platform.db(access_log.backfill_subjects(platform.definition))
    finally:
        platform.runtime.close()
    for version in published:
        if version.new:
            click.echo(f"published {version.service_id} {version.version}", err=True)
    if indexed:
        click.echo(f"indexed the subjects of {indexed} earlier application(s)", err=True)
    click.echo("database is up to date", err=True)


@main.group()
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
    from engine.services import tenants
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
            billing_service.run_billing(
                tenant, period, progress=progress, batch=batch, catalog=platform.catalog
            )
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


@main.group("payments")
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
    import json
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


@main.command()
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
    import os

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
    _start_demo_worker(platform)
    from werkzeug.serving import run_simple

    run_simple(host, port, app, threaded=True, use_reloader=False, request_handler=_quiet_handler())


def _quiet_handler() -> type:
    from werkzeug.serving import WSGIRequestHandler

    class Handler(WSGIRequestHandler):
        """Names no server software or version in the ``Server`` header."""

        def version_string(self) -> str:
            return "thongthin"

    return Handler


def _start_demo_pki(platform: Any, port: int) -> None:
    """The demo signs documents with the development PKI, its TSA/OCSP/CRLs served on ``port``."""
    from renderers.documents import RECEIPT_SIGNERS
    from signing.pki import demo_officers, ensure_dev_pki, serve_dev_pki
    from thongthin.demo import DEMO_TENANT, NOT_FOR_OFFICERS

    titles = {
        r: spec.title.th
        for r, spec in platform.catalog.roles.items()
        if r not in NOT_FOR_OFFICERS and not spec.system
    }
    signers = {s.role for d in platform.catalog for doc in d.service.documents for s in doc.signers}
    signers |= {s.role for s in RECEIPT_SIGNERS}
    officers = demo_officers(titles, {DEMO_TENANT["slug"]: DEMO_TENANT["name_th"]}, only=sorted(signers))
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


@main.command()
@click.option("--once", is_flag=True, help="Run what is due now, then stop.")
@click.option("--interval", default=2.0, show_default=True, help="Seconds between polls.")
def worker(once: bool, interval: float) -> None:
    """Run queued effects (notifications, and documents and bills when installed)."""
    import time

    from thongthin.platform import Platform
    from thongthin.runners import housekeeping_for, runners_for, work_once
    from thongthin.settings import Settings

    platform = Platform.create(Settings.from_env())
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


@main.command()
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
    import os

    if data_dir is not None:
        os.environ["THONGTHIN_DATA"] = str(data_dir.resolve())
    # The interpreter running this command has gunicorn installed; a `gunicorn` on PATH may not.
    command = [sys.executable, "-m", "gunicorn", "--config", "python:thongthin.gunicorn_conf"]
    command += ["--bind", bind, "--workers", str(workers), "--threads", str(threads), "thongthin.wsgi:app"]
    os.execv(sys.executable, command)


@main.command()
@click.argument("name")
@click.option("--seconds", type=float, default=3.0, show_default=True, help="How long to measure each side.")
@click.option(
    "--backend",
    type=click.Choice(["sqlite", "postgres"]),
    help="Database of the benchmarks that store something (submit; default sqlite).",
)
@click.option(
    "--accounts",
    type=click.IntRange(1),
    help="Fee accounts to bill or pay (billing: default 50,000; payments: 5,000).",
)
def bench(name: str, seconds: float, backend: str | None, accounts: int | None) -> None:
    """Run a benchmark; the last line is one JSON object (name, value, baseline, unit, ratio)."""
    import inspect

    from bench import BENCHMARKS

    if name not in BENCHMARKS:
        raise click.UsageError(f"unknown benchmark {name!r}; known: {', '.join(sorted(BENCHMARKS))}")
    options: dict[str, Any] = {}
    if backend is not None:
        if "backend" not in inspect.signature(BENCHMARKS[name]).parameters:
            raise click.UsageError(f"benchmark {name!r} uses no database; leave out --backend")
        options["backend"] = backend
    if accounts is not None:
        if "accounts" not in inspect.signature(BENCHMARKS[name]).parameters:
            raise click.UsageError(f"benchmark {name!r} bills no accounts; leave out --accounts")
        options["accounts"] = accounts
    result = BENCHMARKS[name](seconds=seconds, echo=click.echo, **options)
    click.echo(json.dumps(result, ensure_ascii=False))


@main.group()
def audit() -> None:
    """The access log: who looked at whose personal data, hash-chained per municipality."""


@audit.command("verify")
@click.argument("tenant_slug", metavar="TENANT")
def audit_verify(tenant_slug: str) -> None:
    """Check TENANT's access log chain; prints the entries checked and the head hash (last line).

    Exit status 1 names the first entry that was changed, removed or inserted after it was written.
    """
    from engine.services import access_log, tenants
    from engine.services.errors import ServiceError
    from thongthin.platform import Platform
    from thongthin.settings import Settings

    platform = Platform.create(Settings.from_env())
    try:
        tenant = platform.db(tenants.get_tenant(tenant_slug))
        verified = platform.db(access_log.verify(tenant))
    except access_log.ChainBroken as broken:
        click.echo(f"{tenant_slug}: {broken}", err=True)
        sys.exit(1)
    except ServiceError as error:
        raise click.ClickException(str(error)) from None
    finally:
        platform.runtime.close()
    click.echo(f"{tenant_slug}: {verified.entries} entries, chain intact", err=True)
    click.echo(verified.head)


@main.group()
def pki() -> None:
    """The development PKI: root CA, tenant signing CA, officers' PKCS#12 files, TSA, OCSP, CRLs."""


_PKI_FOLDER_HELP = "PKI folder (default: $THONGTHIN_PKI_DIR, else pki/ in the data folder)."
_DATA_HELP = "Data folder (default: $THONGTHIN_DATA or ./var)."


def _pki_folder(folder: Path | None, data_dir: Path | None) -> Path:
    from signing.services import pki_dir
    from thongthin.settings import Settings

    return folder or pki_dir(Settings.from_env(data_dir=data_dir).data_dir)


@pki.command("dev")
@click.option("--out", "folder", type=click.Path(path_type=Path, file_okay=False), help=_PKI_FOLDER_HELP)
@click.option("--data", "data_dir", type=click.Path(path_type=Path), help=_DATA_HELP)
@click.option(
    "--url",
    default="http://127.0.0.1:9780",
    show_default=True,
    help="Where the TSA/OCSP/CRL service will listen; the certificates name it.",
)
@click.option("--tenant", "tenants", multiple=True, help="Municipality slug, repeatable (default: maehia).")
@click.option("--role", "roles", multiple=True, help="Only these roles (default: every officer role).")
def pki_dev(
    folder: Path | None, data_dir: Path | None, url: str, tenants: tuple[str, ...], roles: tuple[str, ...]
) -> None:
    """Create (or re-create, keeping the keys) the development PKI; never for production.

    The PKCS#12 password is $THONGTHIN_P12_PASSWORD, else the p12-password file in the PKI
    folder (made on first use).
    """
    import os

    from signing.pki import PASSWORD_ENV, create_dev_pki, demo_officers
    from thongthin.demo import DEMO_TENANT, NOT_FOR_OFFICERS

    titles = {
        role: spec.title.th
        for role, spec in _catalog().roles.items()
        if role not in NOT_FOR_OFFICERS and not spec.system
    }
    unknown = sorted(set(roles) - set(titles))
    if unknown:
        raise click.UsageError(f"unknown role(s) {', '.join(unknown)}; known: {', '.join(sorted(titles))}")
    names = {
        slug: DEMO_TENANT["name_th"] if slug == DEMO_TENANT["slug"] else slug
        for slug in tenants or (DEMO_TENANT["slug"],)
    }
    made = create_dev_pki(
        _pki_folder(folder, data_dir), demo_officers(titles, names, only=roles or None), url=url
    )
    click.echo(f"development PKI in {made.directory}")
    click.echo(f"  trust root:  {made.root_cert_path}")
    click.echo(f"  TSA:         {made.tsa_url}")
    click.echo(f"  OCSP:        {made.ocsp_url}")
    password = f"${PASSWORD_ENV}" if os.environ.get(PASSWORD_ENV) else str(made.directory / "p12-password")
    click.echo(f"  officers:    {len(made.officers)} PKCS#12 file(s), password in {password}")
    for credential in made.officers:
        click.echo(f"    {credential.tenant}/{credential.role:<24} {credential.p12}")
    click.echo(f"serve the TSA/OCSP/CRLs with: thongthin pki serve --dir {made.directory}")


@pki.command("serve")
@click.option("--dir", "folder", type=click.Path(path_type=Path, file_okay=False), help=_PKI_FOLDER_HELP)
@click.option("--data", "data_dir", type=click.Path(path_type=Path), help=_DATA_HELP)
def pki_serve(folder: Path | None, data_dir: Path | None) -> None:
    """Serve the development PKI's TSA, OCSP responder and CRLs on the address it was made for."""
    import contextlib
    from urllib.parse import urlsplit

    from signing.pki import DevPki, DevPkiServer

    loaded = DevPki.load(_pki_folder(folder, data_dir))
    address = urlsplit(loaded.url)
    server = DevPkiServer(address.hostname or "127.0.0.1", address.port or 80)
    click.echo(f"TSA {loaded.tsa_url}\nOCSP {loaded.ocsp_url}\n(Ctrl+C to stop)", err=True)
    with contextlib.suppress(KeyboardInterrupt):
        server.serve_forever(loaded)


@main.group()
def document() -> None:
    """Issued documents: render, sign and verify."""


@document.command("verify")
@click.argument("file", type=click.Path(path_type=Path, dir_okay=False))
@click.option(
    "--trust",
    type=click.Path(path_type=Path),
    help="Trust roots: a certificate file or a folder of them "
    "(default: $THONGTHIN_TRUST_ROOTS, else the development PKI's root).",
)
@click.option("--data", "data_dir", type=click.Path(path_type=Path), help=_DATA_HELP)
@click.option("--online", is_flag=True, help="Fetch revocation data the file does not carry.")
@click.option("--json", "as_json", is_flag=True, help="Print the report as JSON.")
def document_verify(
    file: Path, trust: Path | None, data_dir: Path | None, online: bool, as_json: bool
) -> None:
    """Verify the signatures of FILE.pdf; exit 0 when valid, 1 otherwise (2: cannot verify at all)."""
    import logging

    from signing.pki import load_trust_roots
    from signing.services import platform_trust_roots
    from signing.verify import verify_pdf
    from thongthin.settings import Settings

    try:
        data = file.read_bytes()
    except OSError as error:
        raise click.ClickException(f"{file}: {error.strerror or error}") from None
    roots = (
        load_trust_roots(trust)
        if trust
        else platform_trust_roots(Settings.from_env(data_dir=data_dir).data_dir)
    )
    # pyHanko logs a traceback for every chain it cannot build; the report says it in one line.
    logging.getLogger("pyhanko").setLevel(logging.ERROR)
    report = verify_pdf(data, roots, allow_fetching=online)
    if as_json:
        click.echo(json.dumps(report.as_dict(), ensure_ascii=False, indent=2))
    else:
        for line in report.lines():
            click.echo(line)
    sys.exit(0 if report.valid else 1)


@document.command("render")
@click.argument("service_id")
@click.argument("data_path", metavar="DATA.json", type=click.Path(path_type=Path, dir_okay=False))
@click.option(
    "--out", "out", required=True, type=click.Path(path_type=Path, dir_okay=False), help="PDF to write."
)
@click.option("--document", "document_id", help="Which document of the service (default: its first).")
@click.option("--sign", is_flag=True, help="Sign it with the demo signer (the development PKI).")
@click.option("--number", help="Document number (default: 1/<this Buddhist-Era year>).")
@click.option("--issued-on", type=click.DateTime(formats=["%Y-%m-%d"]), help="Issue date (default: today).")
@click.option("--thai-digits", is_flag=True, help="Write numbers and dates with Thai digits (๑๒๓).")
@click.option("--logo", type=click.Path(path_type=Path, dir_okay=False), help="The emblem: PNG, JPEG or SVG.")
@click.option("--verify-url", default="http://127.0.0.1:8000/verify/preview", show_default=True)
def document_render(
    service_id: str,
    data_path: Path,
    out: Path,
    document_id: str | None,
    sign: bool,
    number: str | None,
    issued_on: Any,
    thai_digits: bool,
    logo: Path | None,
    verify_url: str,
) -> None:
    """Render (and with --sign, sign) a document of SERVICE_ID from example DATA, to preview its template.

    The issuer is the demo municipality. Exit 1 when the data is invalid or the template fails.
    """
    import base64
    import mimetypes
    import time
    from datetime import date

    from engine.forms import validate_submission
    from engine.thaidate import buddhist_year
    from renderers.documents import DocumentError, DocumentTenant, render_document, signature_slots
    from thongthin.demo import DEMO_TENANT

    definition = _service(service_id)
    documents = definition.service.documents
    if not documents:
        raise click.ClickException(f"service {service_id!r} issues no documents")
    document_id = document_id or documents[0].id
    data = _read_json(data_path)
    errors = validate_submission(definition, data)
    for error in errors:
        click.echo(f"{error.pointer or '/'}: {error.message('th')}", err=True)
    if errors:
        raise click.ClickException(
            f"{data_path}: {len(errors)} invalid answer(s); a document is issued only for valid data"
        )
    logo_uri = None
    if logo is not None:
        kind = mimetypes.guess_type(logo.name)[0]
        if kind not in ("image/png", "image/jpeg", "image/svg+xml"):
            raise click.UsageError("--logo takes a PNG, JPEG or SVG file")
        try:
            logo_uri = f"data:{kind};base64," + base64.b64encode(logo.read_bytes()).decode("ascii")
        except OSError as error:
            raise click.ClickException(f"{logo}: {error.strerror or error}") from None
    day = issued_on.date() if issued_on else date.today()
    tenant = DocumentTenant(
        DEMO_TENANT["name_th"], DEMO_TENANT["name_en"], DEMO_TENANT["address_th"], logo_uri
    )
    started = time.perf_counter()
    try:
        pdf = render_document(
            definition,
            document_id,
            data,
            tenant=tenant,
            number=number or f"1/{buddhist_year(day)}",
            issued_on=day,
            verify_url=verify_url,
            thai_numerals=thai_digits,
            reference=f"{DEMO_TENANT['reference_prefix']}-{buddhist_year(day)}-000001",
            submitted_on=day,
        )
        slots = signature_slots(definition, document_id)
    except DocumentError as error:
        raise click.ClickException(str(error)) from None
    rendered = time.perf_counter() - started
    if sign:
        pdf = _sign_preview(pdf, definition, document_id, slots)
    try:
        out.write_bytes(pdf)
    except OSError as error:
        raise click.ClickException(f"{out}: {error.strerror or error}") from None
    signed = ", signed" if sign else ""
    click.echo(f"{out}: {len(pdf):,} bytes{signed}; rendered in {rendered:.2f} s", err=True)


def _sign_preview(pdf: bytes, definition: Any, document_id: str, slots: Any) -> bytes:
    """Sign a preview with ``signing.sign_with_demo_signer``; exit 1 with one line when it is not there."""
    try:
        import signing
    except ImportError:
        signing = None
    sign = getattr(signing, "sign_with_demo_signer", None)
    if sign is None:
        click.echo(
            "Error: signing is not available yet (no signing.sign_with_demo_signer); render without --sign",
            err=True,
        )
        sys.exit(1)
    spec = definition.service.document(document_id)
    result = sign(
        pdf,
        [slot.rect for slot in slots],
        roles=[slot.role for slot in slots],
        positions=[slot.position.th for slot in slots],
        level=spec.pades_level,
        certify=spec.certify,
    )
    return result if isinstance(result, bytes) else result.data


def _service(service_id: str) -> Any:
    try:
        return load_definition(service_id)
    except DefinitionError as error:
        raise click.ClickException(str(error)) from None


def _catalog() -> Any:
    try:
        return load_catalog()
    except DefinitionError as error:
        raise click.ClickException(str(error)) from None


from thongthin.cli_catalog import catalog  # noqa: E402 (a group of its own module)

main.add_command(catalog)


def run() -> None:
    """Console entry point: the engine's errors end in a one-line message, never a traceback."""
    try:
        main(standalone_mode=True)
    except (UnknownService, ThongthinError) as error:
        click.echo(f"Error: {error}", err=True)
        sys.exit(2)


@main.group("messages")
def messages_group() -> None:
    """Messages to citizens and officers: try a channel's settings, read an application's delivery log."""


@messages_group.command("test")
@click.argument("channel", type=click.Choice(["email", "sms"]))
@click.argument("address")
def messages_test(channel: str, address: str) -> None:
    """Send one test message now through CHANNEL (THONGTHIN_SMTP_URL / THONGTHIN_SMS_URL) to ADDRESS."""
    import uuid

    from engine.messaging import MessagingError, Outgoing, registry_from_env
    from thongthin.settings import Settings

    try:
        sender = registry_from_env(Settings.from_env().environ).get(channel)
        provider_id = sender.send(
            Outgoing(
                key=str(uuid.uuid4()),
                address=address,
                subject="ทดสอบการส่งข้อความ / Test message",
                text="ข้อความทดสอบจากระบบบริการออนไลน์ หากได้รับ แสดงว่าการตั้งค่าถูกต้อง\n"
                "A test message from the online services: if it arrived, the settings work.",
            )
        )
    except MessagingError as error:
        raise click.ClickException(f"{type(error).__name__}: {error}") from None
    click.echo(f"sent through {channel}" + (f" (provider id {provider_id})" if provider_id else ""))


@messages_group.command("log")
@click.argument("tenant_slug", metavar="TENANT")
@click.argument("reference")
def messages_log(tenant_slug: str, reference: str) -> None:
    """Every message about application REFERENCE of TENANT: when, channel, to whom (masked), result."""
    from engine.services import messages, submissions, tenants
    from engine.services.errors import ServiceError
    from thongthin.platform import Platform
    from thongthin.settings import Settings

    platform = Platform.create(Settings.from_env())
    try:
        tenant = platform.db(tenants.get_tenant(tenant_slug))
        found = platform.db(submissions.find(tenant, reference))
        log = platform.db(messages.deliveries_of(found))
    except ServiceError as error:
        raise click.ClickException(str(error)) from None
    finally:
        platform.runtime.close()
    for delivery in log:
        when = (delivery.sent_at or delivery.created_at).isoformat(timespec="seconds")
        note = f" after {delivery.attempts} tries" if delivery.attempts > 1 else ""
        error = f" ({delivery.last_error})" if delivery.last_error else ""
        click.echo(
            f"{when}  {delivery.channel:<5}  {delivery.masked or '-':<22}  {delivery.status}{note}{error}"
        )
    if not log:
        click.echo("no messages")


from thongthin.cli_tenants import tenant as _tenant_group  # noqa: E402

main.add_command(_tenant_group)
