"""``thongthin tenant``: the national operator adds local administrations and their first administrators."""

from __future__ import annotations

import json
import sys
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any, TypeVar

import click

T = TypeVar("T")


def _run(
    make: Callable[[], Awaitable[T]], *, keep: tuple[type[Exception], ...] = ()
) -> tuple[T, dict[str, str]]:
    """Run a service call on the database the environment names; returns its result and the environment.

    A service error ends the command with its one-line message (exit status 1), except those
    in ``keep``, which the caller reports.
    """
    from engine.services.errors import ServiceError
    from engine.store.runtime import OrmRuntime
    from thongthin.settings import Settings

    settings = Settings.from_env()
    runtime = OrmRuntime(settings.database_url)
    try:
        return runtime.run(make()), dict(settings.environ)
    except keep:
        raise
    except ServiceError as error:
        raise click.ClickException(str(error)) from None
    finally:
        runtime.close()


def setup_link(environ: dict[str, str], slug: str, token: str) -> str:
    """The page where the administrator chooses a password (``PUBLIC_URL`` or the local default)."""
    base = (environ.get("PUBLIC_URL") or "http://127.0.0.1:8000").rstrip("/")
    return f"{base}/{slug}/admin/setup/{token}"


def _echo_link(environ: dict[str, str], slug: str, username: str, token: str, expires_at: Any) -> None:
    from engine.thaidate import format_date
    from engine.workflow.sla import BANGKOK

    until = expires_at.astimezone(BANGKOK)
    click.echo(
        f"one-time set-up link for {username}, good once until {format_date(until.date(), 'en')} "
        f"{until:%H:%M} (Bangkok); give it to them in person or by a channel only they read:",
        err=True,
    )
    click.echo(setup_link(environ, slug, token))


@click.group("tenant")
def tenant() -> None:
    """Local administrations on this platform: create one, import the national register, list them."""


@tenant.command("create")
@click.argument("slug")
@click.option("--name", "name_th", required=True, help="Thai name, e.g. เทศบาลเมืองแม่เหียะ.")
@click.option("--kind", required=True, help="เทศบาลนคร, เทศบาลเมือง, เทศบาลตำบล, อบต. or อบจ.")
@click.option("--province", required=True, help="Province, e.g. เชียงใหม่.")
@click.option("--name-en", default="", help="English name.")
@click.option("--district", default="", help="District (อำเภอ).")
@click.option("--address", "address_th", default="", help="Address of the office, in Thai.")
@click.option("--postcode", default="", help="Five-digit postcode.")
@click.option("--code", default="", help="The national register's code of the administration.")
@click.option("--admin", "admin_username", help="Username of its first administrator (gets a set-up link).")
def tenant_create(
    slug: str,
    name_th: str,
    kind: str,
    province: str,
    name_en: str,
    district: str,
    address_th: str,
    postcode: str,
    code: str,
    admin_username: str | None,
) -> None:
    """Create tenant SLUG; with --admin, its administrator and the one-time set-up link (last line)."""
    from engine.services import onboarding

    created, environ = _run(
        lambda: onboarding.create_tenant(
            slug,
            name_th=name_th,
            kind=kind,
            province=province,
            name_en=name_en,
            district=district,
            address_th=address_th,
            postcode=postcode,
            code=code,
            admin_username=admin_username,
        )
    )
    made = created.tenant
    click.echo(
        f"created {made.slug}: {made.name_th} ({made.kind_th}, {made.province}); "
        f"references {made.reference_prefix}-<year>-<number>"
    )
    if created.admin is not None and created.setup_token and created.setup_expires_at:
        _echo_link(environ, made.slug, created.admin.username, created.setup_token, created.setup_expires_at)


@tenant.command("invite")
@click.argument("slug")
@click.argument("username")
def tenant_invite(slug: str, username: str) -> None:
    """A set-up link (last line) for administrator USERNAME of SLUG: a new account, or a new link
    for one whose link expired or was lost before it was used."""
    from engine.services import onboarding

    invitation, environ = _run(lambda: onboarding.invite_admin(slug, username))
    _echo_link(environ, slug, invitation.user.username, invitation.setup_token, invitation.expires_at)


@tenant.command("import")
@click.argument("file", type=click.Path(path_type=Path, dir_okay=False))
def tenant_import(file: Path) -> None:
    """Create the tenants of the national register's CSV FILE, all or none.

    Columns: code, kind, name, province, district, address, postcode (or รหัส, ประเภท, ชื่อ,
    จังหวัด, อำเภอ, ที่อยู่, รหัสไปรษณีย์); slug optional (default t + code). Rows whose code
    is already there are skipped. Problems are printed as FILE:LINE: message and nothing is
    stored (exit status 1).
    """
    from engine.services import onboarding

    try:
        data = file.read_bytes()
    except OSError as error:
        raise click.ClickException(f"{file}: {error.strerror or error}") from None
    try:
        rows = onboarding.read_register_csv(data)
        result, _ = _run(lambda: onboarding.import_tenants(rows), keep=(onboarding.OnboardingError,))
    except onboarding.RegisterInvalid as invalid:
        _report(file, invalid.problems)
    except onboarding.OnboardingError as error:  # too large, or tenants added meanwhile
        raise click.ClickException(f"{file}: {error}") from None
    if result.ignored_columns:
        click.echo(f"{file}: ignored column(s): {', '.join(result.ignored_columns)}", err=True)
    click.echo(f"{len(result.created)} tenant(s) created, {len(result.skipped)} skipped (already registered)")


def _report(file: Path, problems: list[Any]) -> None:
    for problem in problems:
        click.echo(f"{file}:{problem.line}: {problem}")
    click.echo(f"{len(problems)} problem(s); nothing was imported", err=True)
    sys.exit(1)


@tenant.command("list")
@click.option("--json", "as_json", is_flag=True, help="Print JSON instead of a table.")
def tenant_list(as_json: bool) -> None:
    """Every tenant: slug, register code, name, kind, province, services enabled, created."""
    from engine.services import onboarding

    rows, _ = _run(onboarding.list_tenants)
    if as_json:
        click.echo(json.dumps(rows, ensure_ascii=False, indent=2))
        return
    if not rows:
        click.echo("no tenants", err=True)
        return
    width = max(len(r["slug"]) for r in rows)
    for r in rows:
        kind = r["kind_th"] or r["kind"]
        click.echo(
            f"{r['slug']:<{width}}  {r['code'] or '-':<8} {r['services']:>3}  {r['created'][:10]}  "
            f"{r['name_th']} ({kind}, {r['province']})"
        )
