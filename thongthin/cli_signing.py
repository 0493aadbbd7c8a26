"""``thongthin signing key``: a municipality's own signing keys, as its administrator sets them in the console.

``set`` checks a PKCS#12 file (its password is asked for, never taken on the command line) or a
key label on the platform's PKCS#11 token exactly as the console does, and stores it for the
role; ``list`` shows which key signs for each role; ``remove`` lets the platform's key sign again.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

import click

from thongthin.cli_catalog import _platform


@click.group("signing")
def signing_group() -> None:
    """Signing issued documents: a municipality's own keys per role."""


@signing_group.group("key")
def key() -> None:
    """A municipality's own signing key per role (Console → Signing keys)."""


@key.command("set")
@click.argument("tenant_slug", metavar="TENANT")
@click.argument("role")
@click.option(
    "--p12", "p12", type=click.Path(path_type=Path, dir_okay=False), help="A PKCS#12 (.p12/.pfx) file."
)
@click.option("--label", help="Instead: the label of a key on the platform's PKCS#11 token.")
@click.option("--by", "by_name", default="command line", show_default=True, help="Who sets it (recorded).")
def key_set(tenant_slug: str, role: str, p12: Path | None, label: str | None, by_name: str) -> None:
    """Check a key and use it for ROLE's signatures in TENANT.

    The password of --p12 is asked for on a terminal, else read from the first line of standard input.

    Exit 1 with the reason (in Thai, then English) when the key is refused; nothing is stored then.
    """
    from engine.services import signing_keys, tenants
    from signing.keys import pkcs12_check, token_check
    from thongthin.runners import signing_roles_of

    if (p12 is None) == (label is None):
        raise click.UsageError("give --p12 FILE or --label LABEL")
    data = b""
    password = ""
    if p12 is not None:
        try:
            data = p12.read_bytes()[: signing_keys.MAX_P12_BYTES + 1]
        except OSError as error:
            raise click.ClickException(f"{p12}: {error.strerror or error}") from None
        password = _password()
    with _platform() as platform:
        tenant = platform.db(tenants.get_tenant(tenant_slug))
        roles = signing_roles_of(platform, tenant)
        roots = _trust_roots(platform)
        try:
            if p12 is not None:
                stored = platform.db(
                    signing_keys.set_pkcs12(
                        tenant,
                        role,
                        data,
                        password.encode("utf-8"),
                        roles=roles,
                        check=pkcs12_check(roots),
                        platform_key=platform.settings.secret_key,
                        by_name=by_name,
                    )
                )
            else:
                stored = platform.db(
                    signing_keys.set_pkcs11(
                        tenant,
                        role,
                        label or "",
                        roles=roles,
                        check=token_check(platform.settings.environ, roots),
                        by_name=by_name,
                    )
                )
        except signing_keys.SigningKeyRefused as refused:
            click.echo(f"{tenant_slug}/{role}: {refused.message('th')}", err=True)
            click.echo(f"{tenant_slug}/{role}: {refused.message('en')}", err=True)
            sys.exit(1)
    click.echo(
        f"{tenant_slug}/{role}: {stored.subject_cn} (serial {stored.serial}), "
        f"valid until {stored.not_after:%Y-%m-%d}"
    )


@key.command("list")
@click.argument("tenant_slug", metavar="TENANT")
@click.option("--json", "as_json", is_flag=True, help="One JSON document.")
def key_list(tenant_slug: str, as_json: bool) -> None:
    """Every role that signs TENANT's documents, and the key that signs for it."""
    from engine.services import signing_keys, tenants
    from signing.services import platform_signing_roles
    from thongthin.runners import signing_roles_of

    with _platform() as platform:
        tenant = platform.db(tenants.get_tenant(tenant_slug))
        roles = signing_roles_of(platform, tenant)
        stored = {row.role: row for row in platform.db(signing_keys.list_keys(tenant))}
        settings = platform.settings
        own = platform_signing_roles(settings.data_dir, tenant.slug, settings.environ)
    rows = [
        _row(role, stored.get(role), role in own, role in roles)
        for role in [*roles, *sorted(set(stored) - set(roles))]
    ]
    if as_json:
        click.echo(json.dumps(rows, ensure_ascii=False, indent=2))
        return
    for row in rows:
        if row["kind"] in ("pkcs12", "pkcs11"):
            where = f" on the token as {row['token_label']}" if row["kind"] == "pkcs11" else ""
            what = f"{row['subject_cn']} (serial {row['serial']}{where}), valid until {row['not_after'][:10]}"
        else:
            what = "the platform's key" if row["kind"] == "platform" else "no key"
        unused = "" if row["signs"] else " [no offered service signs with this role]"
        click.echo(f"{row['role']:<24} {what}{unused}")


def _row(role: str, stored: Any, platform_key: bool, signs: bool) -> dict[str, Any]:
    if stored is None:
        return {"role": role, "kind": "platform" if platform_key else "none", "signs": signs}
    return {
        "role": role,
        "kind": stored.kind,
        "signs": signs,
        "subject_cn": stored.subject_cn,
        "serial": stored.serial,
        "token_label": stored.token_label or None,
        "not_before": stored.not_before.isoformat(),
        "not_after": stored.not_after.isoformat(),
        "set_by": stored.set_by_name,
        "set_at": stored.set_at.isoformat(),
    }


@key.command("remove")
@click.argument("tenant_slug", metavar="TENANT")
@click.argument("role")
def key_remove(tenant_slug: str, role: str) -> None:
    """Stop using TENANT's own key for ROLE: the platform's key signs again (exit 1 when there was none)."""
    from engine.services import signing_keys, tenants

    with _platform() as platform:
        tenant = platform.db(tenants.get_tenant(tenant_slug))
        removed = platform.db(signing_keys.remove(tenant, role))
    if not removed:
        click.echo(f"{tenant_slug}/{role}: no key of its own", err=True)
        sys.exit(1)
    click.echo(f"{tenant_slug}/{role}: removed; the platform's key signs again", err=True)


def _password() -> str:
    """Asked for without echo on a terminal; otherwise the first line of standard input (for scripts)."""
    if sys.stdin.isatty():
        return str(
            click.prompt("PKCS#12 password", hide_input=True, default="", show_default=False, err=True)
        )
    return sys.stdin.readline().rstrip("\r\n")


def _trust_roots(platform: Any) -> list[Any]:
    from signing.errors import PkiError

    try:
        return platform.trust_roots()
    except PkiError:
        return []
