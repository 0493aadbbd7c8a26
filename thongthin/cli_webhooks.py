"""``thongthin webhooks``: a municipality's webhook subscriptions from the command line."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import click


def _with_tenant(tenant_slug: str, work: Callable[[Any, Any], Any]) -> Any:
    """Run ``work(platform, tenant)`` on the configured platform; service errors end the command."""
    from engine.services import tenants
    from engine.services.errors import ServiceError
    from thongthin.platform import Platform
    from thongthin.settings import Settings

    platform = Platform.create(Settings.from_env())
    try:
        tenant = platform.db(tenants.get_tenant(tenant_slug))
        return work(platform, tenant)
    except ServiceError as error:
        raise click.ClickException(str(error)) from None
    finally:
        platform.runtime.close()


@click.group("webhooks")
def webhooks_group() -> None:
    """Webhook subscriptions: other systems told of applications, documents and payments."""


@webhooks_group.command("list")
@click.option("--tenant", "tenant_slug", required=True, help="The municipality's slug.")
def webhooks_list(tenant_slug: str) -> None:
    """Every subscription of TENANT: id, URL, events, services."""
    from engine.services import webhooks

    found = _with_tenant(tenant_slug, lambda platform, tenant: platform.db(webhooks.list_for(tenant)))
    for s in found:
        services = ",".join(s.services) or "all services"
        click.echo(f"{s.id}\t{s.url}\t{','.join(s.events)}\t{services}")
    if not found:
        click.echo("no webhook subscriptions")


@webhooks_group.command("add")
@click.option("--tenant", "tenant_slug", required=True, help="The municipality's slug.")
@click.option("--url", required=True, help="Where events are POSTed (http:// or https://).")
@click.option("--event", "events", multiple=True, required=True, help="An event type; repeat for several.")
@click.option("--service", "services", multiple=True, help="A service id; repeat for several (none: all).")
def webhooks_add(tenant_slug: str, url: str, events: tuple[str, ...], services: tuple[str, ...]) -> None:
    """Subscribe URL; prints the signing secret, which is not shown again."""
    from engine.services import webhooks

    def add(platform: Any, tenant: Any) -> Any:
        return platform.db(
            webhooks.subscribe(
                tenant, url, list(events), list(services), platform_key=platform.settings.secret_key
            )
        )

    created = _with_tenant(tenant_slug, add)
    click.echo(f"subscription {created.subscription.id}")
    click.echo(f"signing secret (shown once): {created.secret}")


@webhooks_group.command("remove")
@click.option("--tenant", "tenant_slug", required=True, help="The municipality's slug.")
@click.argument("webhook_id", type=int)
def webhooks_remove(tenant_slug: str, webhook_id: int) -> None:
    """Remove subscription WEBHOOK_ID of TENANT; events queued for it are dropped."""
    from engine.services import webhooks

    _with_tenant(tenant_slug, lambda platform, tenant: platform.db(webhooks.remove(tenant, webhook_id)))
    click.echo(f"removed subscription {webhook_id}")
