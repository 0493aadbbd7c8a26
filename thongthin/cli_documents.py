"""``thongthin pki`` and ``document``: the development PKI, rendering and verifying documents."""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path
from typing import Any

import click

from thongthin.cli_common import _catalog, _read_json, _service


@click.group()
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

    from engine.services.roles import NOT_FOR_OFFICERS
    from signing.pki import PASSWORD_ENV, create_dev_pki, demo_officers
    from thongthin.demo import DEMO_TENANT

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


@click.group()
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
        DEMO_TENANT["name_th"],
        DEMO_TENANT["name_en"],
        DEMO_TENANT["address_th"],
        logo_uri,
        DEMO_TENANT["kind"],
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
        sign = None
    else:
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
