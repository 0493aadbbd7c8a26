from tortoise import migrations
from tortoise.migrations import operations as ops
import functools
from json import dumps, loads
from tortoise.fields.base import OnDelete
from tortoise import fields
from tortoise.indexes import Index

class Migration(migrations.Migration):
    dependencies = [('models', '0001_initial')]

    initial = False

    operations = [
        ops.CreateModel(
            name='Notification',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('tenant', fields.ForeignKeyField('models.Tenant', source_field='tenant_id', db_constraint=True, to_field='id', related_name='notifications', on_delete=OnDelete.CASCADE)),
                ('submission', fields.ForeignKeyField('models.Submission', source_field='submission_id', db_constraint=True, to_field='id', related_name='notifications', on_delete=OnDelete.CASCADE)),
                ('job', fields.OneToOneField('models.EffectJob', source_field='job_id', db_constraint=True, to_field='id', related_name='notification', on_delete=OnDelete.CASCADE)),
                ('recipient', fields.CharField(max_length=64)),
                ('channels', fields.JSONField(default=list, encoder=functools.partial(dumps, separators=(',', ':')), decoder=loads)),
                ('message_th', fields.TextField(unique=False)),
                ('message_en', fields.TextField(unique=False)),
                ('sent_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
            ],
            options={'table': 'notification', 'app': 'models', 'indexes': [Index(fields=['tenant_id', 'submission_id'])], 'pk_attr': 'id', 'table_description': 'A message to the applicant or to the officers of a role, waiting in the outbox for its channel.'},
            bases=['Model'],
        ),
    ]
