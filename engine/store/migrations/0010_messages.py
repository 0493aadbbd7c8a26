from tortoise import migrations
from tortoise.migrations import operations as ops
import functools
from json import dumps, loads
from tortoise.fields.base import OnDelete
from tortoise import fields
from tortoise.indexes import Index


class Migration(migrations.Migration):
    """Messages that arrive: deliveries per channel, LINE links, officers' e-mail and digest choice."""

    dependencies = [('models', '0009_usernames_per_tenant')]

    initial = False

    operations = [
        ops.AddField(
            model_name='User',
            name='email',
            field=fields.CharField(default='', db_default='', max_length=254),
        ),
        ops.AddField(
            model_name='User',
            name='digest',
            field=fields.CharField(default='email', db_default='email', max_length=16),
        ),
        ops.AddField(
            model_name='Submission',
            name='stopped_channels',
            field=fields.JSONField(default=list, db_default='[]', encoder=functools.partial(dumps, separators=(',', ':')), decoder=loads),
        ),
        ops.CreateModel(
            name='Delivery',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('tenant', fields.ForeignKeyField('models.Tenant', source_field='tenant_id', db_constraint=True, to_field='id', related_name='deliveries', on_delete=OnDelete.CASCADE)),
                ('notification', fields.ForeignKeyField('models.Notification', source_field='notification_id', null=True, db_constraint=True, to_field='id', related_name='deliveries', on_delete=OnDelete.CASCADE)),
                ('submission', fields.ForeignKeyField('models.Submission', source_field='submission_id', null=True, db_constraint=True, to_field='id', related_name='deliveries', on_delete=OnDelete.CASCADE)),
                ('user', fields.ForeignKeyField('models.User', source_field='user_id', null=True, db_constraint=True, to_field='id', related_name='deliveries', on_delete=OnDelete.CASCADE)),
                ('channel', fields.CharField(max_length=16)),
                ('address', fields.CharField(default='', max_length=254)),
                ('masked', fields.CharField(default='', max_length=80)),
                ('subject', fields.CharField(default='', max_length=300)),
                ('text', fields.TextField(default='', unique=False)),
                ('html', fields.TextField(default='', unique=False)),
                ('status', fields.CharField(default='queued', max_length=16)),
                ('attempts', fields.IntField(default=0)),
                ('next_attempt_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
                ('last_error', fields.CharField(default='', max_length=500)),
                ('provider_id', fields.CharField(default='', max_length=200)),
                ('key', fields.CharField(max_length=64, unique=True)),
                ('sent_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
            ],
            options={'table': 'delivery', 'app': 'models', 'indexes': [Index(fields=['status', 'next_attempt_at']), Index(fields=['tenant_id', 'submission_id'])], 'pk_attr': 'id', 'table_description': 'One message on one channel to one address: queued, then sent, retried or failed, as logged.'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='LineLink',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('tenant', fields.ForeignKeyField('models.Tenant', source_field='tenant_id', db_constraint=True, to_field='id', related_name='line_links', on_delete=OnDelete.CASCADE)),
                ('submission', fields.ForeignKeyField('models.Submission', source_field='submission_id', db_constraint=True, to_field='id', related_name='line_links', on_delete=OnDelete.CASCADE)),
                ('line_user_id', fields.CharField(max_length=64)),
                ('linked_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
            ],
            options={'table': 'line_link', 'app': 'models', 'unique_together': (('submission', 'line_user_id'),), 'indexes': [Index(fields=['tenant_id', 'line_user_id'])], 'pk_attr': 'id', 'table_description': "A LINE user of a municipality's Official Account who asked to follow an application."},
            bases=['Model'],
        ),
    ]
