from tortoise import migrations
from tortoise.migrations import operations as ops
import functools
from json import dumps, loads
from tortoise.fields.base import OnDelete
from tortoise import fields
from tortoise.indexes import Index

class Migration(migrations.Migration):
    """Webhook subscriptions of a municipality and the log of their deliveries."""

    dependencies = [('models', '0018_inbox_and_verdicts')]

    initial = False

    operations = [
        ops.CreateModel(
            name='WebhookSubscription',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('tenant', fields.ForeignKeyField('models.Tenant', source_field='tenant_id', db_constraint=True, to_field='id', related_name='webhooks', on_delete=OnDelete.CASCADE)),
                ('url', fields.CharField(max_length=2000)),
                ('events', fields.JSONField(default=list, encoder=functools.partial(dumps, separators=(',', ':')), decoder=loads)),
                ('services', fields.JSONField(default=list, encoder=functools.partial(dumps, separators=(',', ':')), decoder=loads)),
                ('secret_sealed', fields.TextField(unique=False)),
                ('active', fields.BooleanField(default=True)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
            ],
            options={'table': 'webhook_subscription', 'app': 'models', 'indexes': [Index(fields=['tenant_id', 'active'])], 'pk_attr': 'id', 'table_description': "A URL of another system told of a municipality's events, signed with its own secret."},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='WebhookDelivery',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('subscription', fields.ForeignKeyField('models.WebhookSubscription', source_field='subscription_id', db_constraint=True, to_field='id', related_name='deliveries', on_delete=OnDelete.CASCADE)),
                ('tenant_id', fields.IntField()),
                ('event_id', fields.CharField(max_length=40)),
                ('type', fields.CharField(max_length=40)),
                ('attempt', fields.IntField(default=1)),
                ('at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
                ('status_code', fields.IntField(null=True)),
                ('error', fields.CharField(default='', max_length=500)),
                ('duration_ms', fields.IntField(default=0)),
                ('delivered', fields.BooleanField(default=False)),
            ],
            options={'table': 'webhook_delivery', 'app': 'models', 'indexes': [Index(fields=['subscription_id', 'at'])], 'pk_attr': 'id', 'table_description': 'One attempt to deliver an event to a subscription: what came back, and how long it took.'},
            bases=['Model'],
        ),
    ]
