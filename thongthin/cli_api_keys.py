"""``thongthin api-keys``: a municipality's API keys for machine clients, made, listed and revoked."""

from __future__ import annotations

from datetime import datetime

import click

from engine.services.api_keys import SCOPES
from thongthin.cli_tenants import _run


@click.group("api-keys")
def api_keys_group() -> None:
    """API keys of a municipality (sent as Authorization: Bearer ttk_…)."""


@api_keys_group.command("create")
@click.option("--tenant", "slug", required=True, help="The municipality's slug.")
@click.option("--name", required=True, help="What the key is for, e.g. the client's name.")
@click.option(
    "--scope", "scopes", multiple=True, required=True, type=click.Choice(SCOPES), help="Repeat for more."
)
@click.option("--expires", type=click.DateTime(), help="When the key stops working (UTC).")
def create(slug: str, name: str, scopes: tuple[str, ...], expires: datetime | None) -> None:
    """Make a key; its secret is printed once, on standard output."""
    from datetime import UTC

    from engine.services import api_keys, tenants

    async def make() -> tuple[int, str]:
        tenant = await tenants.get_tenant(slug)
        key, secret = await api_keys.create(
            tenant, name, scopes, expires_at=expires.replace(tzinfo=UTC) if expires else None
        )
        return key.id, secret

    (key_id, secret), _ = _run(make)
    click.echo(f"API key {key_id} made; its secret is shown this once:", err=True)
    click.echo(secret)


@api_keys_group.command("list")
@click.option("--tenant", "slug", required=True, help="The municipality's slug.")
def list_keys(slug: str) -> None:
    """Every key of the municipality (never their secrets)."""
    from engine.services import api_keys, tenants

    async def load() -> list[str]:
        tenant = await tenants.get_tenant(slug)
        rows = []
        for key in await api_keys.list_keys(tenant):
            state = "revoked" if key.revoked_at else "active"
            used = key.last_used_at.isoformat(timespec="seconds") if key.last_used_at else "never used"
            rows.append(f"{key.id}\t{key.prefix}…\t{state}\t{','.join(key.scopes)}\t{used}\t{key.name}")
        return rows

    rows, _ = _run(load)
    for row in rows:
        click.echo(row)


@api_keys_group.command("revoke")
@click.option("--tenant", "slug", required=True, help="The municipality's slug.")
@click.argument("key_id", type=int)
def revoke(slug: str, key_id: int) -> None:
    """End a key at once."""
    from engine.services import api_keys, tenants

    async def end() -> None:
        await api_keys.revoke(await tenants.get_tenant(slug), key_id)

    _run(end)
    click.echo(f"API key {key_id} revoked", err=True)
