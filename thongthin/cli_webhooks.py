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
@click.option(
    "--url",
    required=True,
    help="Where events are POSTed: https:// at a public address (THONGTHIN_WEBHOOKS_ALLOW_PRIVATE=1: any).",
)
@click.option("--event", "events", multiple=True, required=True, help="An event type; repeat for several.")
@click.option("--service", "services", multiple=True, help="A service id; repeat for several (none: all).")
def webhooks_add(tenant_slug: str, url: str, events: tuple[str, ...], services: tuple[str, ...]) -> None:
    """Subscribe URL; prints the signing secret, which is not shown again."""
    from engine.services import webhooks

    def add(platform: Any, tenant: Any) -> Any:
        return platform.db(
            webhooks.subscribe(
                tenant,
                url,
                list(events),
                list(services),
                platform_key=platform.settings.secret_key,
                allow_private=webhooks.allow_private(platform.settings.environ),
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


@webhooks_group.command("pause")
@click.option("--tenant", "tenant_slug", required=True, help="The municipality's slug.")
@click.argument("webhook_id", type=int)
def webhooks_pause(tenant_slug: str, webhook_id: int) -> None:
    """Stop sending to subscription WEBHOOK_ID; events raised while paused are not kept for it."""
    from engine.services import webhooks

    _with_tenant(
        tenant_slug, lambda platform, tenant: platform.db(webhooks.set_active(tenant, webhook_id, False))
    )
    click.echo(f"paused subscription {webhook_id}; events raised while paused will not be sent")


@webhooks_group.command("resume")
@click.option("--tenant", "tenant_slug", required=True, help="The municipality's slug.")
@click.argument("webhook_id", type=int)
def webhooks_resume(tenant_slug: str, webhook_id: int) -> None:
    """Send to subscription WEBHOOK_ID again, from the next event on (nothing of the pause is replayed)."""
    from engine.services import webhooks

    _with_tenant(
        tenant_slug, lambda platform, tenant: platform.db(webhooks.set_active(tenant, webhook_id, True))
    )
    click.echo(f"resumed subscription {webhook_id}")


@webhooks_group.command("rotate")
@click.option("--tenant", "tenant_slug", required=True, help="The municipality's slug.")
@click.argument("webhook_id", type=int)
def webhooks_rotate(tenant_slug: str, webhook_id: int) -> None:
    """A new signing secret for WEBHOOK_ID, printed once; the old one still signs for 24 hours."""
    from engine.services import webhooks

    def rotate(platform: Any, tenant: Any) -> Any:
        return platform.db(
            webhooks.rotate_secret(tenant, webhook_id, platform_key=platform.settings.secret_key)
        )

    rotated = _with_tenant(tenant_slug, rotate)
    click.echo(f"subscription {webhook_id}")
    click.echo(f"signing secret (shown once): {rotated.secret}")
    if rotated.previous_until is not None:
        click.echo(f"the old secret also signs until {rotated.previous_until.isoformat()}")
    else:
        click.echo("the old secret could not be read: the new one alone signs from now on")
