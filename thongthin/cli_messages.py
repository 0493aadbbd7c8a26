"""``thongthin messages``: sending a test message, the log of an application's messages."""

from __future__ import annotations

import click


@click.group("messages")
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
        why = f" ({delivery.last_error})" if delivery.last_error else ""
        click.echo(
            f"{when}  {delivery.channel:<5}  {delivery.masked or '-':<22}  {delivery.status}{note}{why}"
        )
    if not log:
        click.echo("no messages")
