from tortoise import migrations
from tortoise.migrations import operations as ops
import functools
from json import dumps, loads
from tortoise.fields.base import OnDelete
from tortoise import fields


class Migration(migrations.Migration):
    """Answers to requests sent with an Idempotency-Key, replayed for a day."""

    dependencies = [('models', '0019_webhooks')]

    initial = False

    operations = [
        ops.CreateModel(
            name='IdempotencyKey',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('tenant', fields.ForeignKeyField('models.Tenant', source_field='tenant_id', db_constraint=True, to_field='id', related_name='idempotency_keys', on_delete=OnDelete.CASCADE)),
                ('route', fields.CharField(max_length=255)),
                ('key', fields.CharField(max_length=255)),
                ('body_sha256', fields.CharField(max_length=64)),
                ('status', fields.IntField()),
                ('response', fields.JSONField(encoder=functools.partial(dumps, separators=(',', ':')), decoder=loads)),
                ('created_at', fields.DatetimeField(db_index=True, auto_now=False, auto_now_add=False)),
            ],
            options={'table': 'idempotency_key', 'app': 'models', 'unique_together': (('tenant', 'route', 'key'),), 'pk_attr': 'id', 'table_description': 'The answer to one request sent with an ``Idempotency-Key``, replayed when the same request comes again.'},
            bases=['Model'],
        ),
    ]
