from tortoise import migrations
from tortoise.migrations import operations as ops
import functools
from json import dumps, loads
from tortoise.fields.base import OnDelete
from tortoise import fields
from tortoise.indexes import Index
from tortoise.migrations.constraints import UniqueConstraint

class Migration(migrations.Migration):
    dependencies = [('models', '0007_attempts')]

    initial = False

    operations = [
        ops.CreateModel(
            name='AccessLogEntry',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('tenant', fields.ForeignKeyField('models.Tenant', source_field='tenant_id', db_constraint=True, to_field='id', related_name='access_log', on_delete=OnDelete.CASCADE)),
                ('seq', fields.BigIntField()),
                ('at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
                ('actor_id', fields.IntField(null=True)),
                ('actor_label', fields.CharField(default='', max_length=200)),
                ('action', fields.CharField(max_length=32)),
                ('reference', fields.CharField(default='', max_length=32)),
                ('object_id', fields.CharField(default='', max_length=64)),
                ('subject_hashes', fields.JSONField(default=list, encoder=functools.partial(dumps, separators=(',', ':')), decoder=loads)),
                ('address', fields.CharField(default='', max_length=64)),
                ('channel', fields.CharField(default='web', max_length=16)),
                ('prev_hash', fields.CharField(max_length=64)),
                ('hash', fields.CharField(max_length=64)),
            ],
            options={'table': 'access_log', 'app': 'models', 'unique_together': (('tenant', 'seq'),), 'indexes': [Index(fields=['tenant_id', 'reference'])], 'pk_attr': 'id', 'table_description': 'Who looked at or downloaded personal data: append-only, hash-chained per tenant.'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='AccountEvent',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('tenant', fields.ForeignKeyField('models.Tenant', source_field='tenant_id', db_constraint=True, to_field='id', related_name='account_events', on_delete=OnDelete.CASCADE)),
                ('user', fields.ForeignKeyField('models.User', source_field='user_id', db_constraint=True, to_field='id', related_name='account_events', on_delete=OnDelete.CASCADE)),
                ('actor', fields.ForeignKeyField('models.User', source_field='actor_id', null=True, db_constraint=True, to_field='id', related_name='account_actions', on_delete=OnDelete.SET_NULL)),
                ('kind', fields.CharField(max_length=32)),
                ('detail', fields.JSONField(default=dict, encoder=functools.partial(dumps, separators=(',', ':')), decoder=loads)),
                ('address', fields.CharField(default='', max_length=64)),
                ('at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
                ('seen_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
            ],
            options={'table': 'account_event', 'app': 'models', 'indexes': [Index(fields=['tenant_id', 'user_id', 'at'])], 'pk_attr': 'id', 'table_description': "Something that happened to the account of an officer: lockouts, password and two-factor changes, deactivation."},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='DataRequest',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('tenant', fields.ForeignKeyField('models.Tenant', source_field='tenant_id', db_constraint=True, to_field='id', related_name='data_requests', on_delete=OnDelete.CASCADE)),
                ('kind', fields.CharField(max_length=16)),
                ('subject_hash', fields.CharField(max_length=64)),
                ('requested_by', fields.ForeignKeyField('models.User', source_field='requested_by_id', null=True, db_constraint=True, to_field='id', related_name='data_requests', on_delete=OnDelete.SET_NULL)),
                ('note', fields.TextField(default='', unique=False)),
                ('outcome', fields.JSONField(default=dict, encoder=functools.partial(dumps, separators=(',', ':')), decoder=loads)),
                ('blob_key', fields.CharField(default='', max_length=255)),
                ('at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
            ],
            options={'table': 'data_request', 'app': 'models', 'indexes': [Index(fields=['tenant_id', 'subject_hash'])], 'pk_attr': 'id', 'table_description': "A request of a data subject under the PDPA (access/export or erasure) and what was done about it."},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='SubjectIndex',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('tenant', fields.ForeignKeyField('models.Tenant', source_field='tenant_id', db_constraint=True, to_field='id', related_name='subjects', on_delete=OnDelete.CASCADE)),
                ('submission', fields.ForeignKeyField('models.Submission', source_field='submission_id', db_constraint=True, to_field='id', related_name='subjects', on_delete=OnDelete.CASCADE)),
                ('subject_hash', fields.CharField(max_length=64)),
            ],
            options={'table': 'subject_index', 'app': 'models', 'unique_together': (('submission', 'subject_hash'),), 'indexes': [Index(fields=['tenant_id', 'subject_hash'])], 'pk_attr': 'id', 'table_description': 'Which submissions name a person (by a digest of their national ID), to answer their PDPA requests.'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='TrackingToken',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('tenant', fields.ForeignKeyField('models.Tenant', source_field='tenant_id', db_constraint=True, to_field='id', related_name='tracking_tokens', on_delete=OnDelete.CASCADE)),
                ('submission', fields.ForeignKeyField('models.Submission', source_field='submission_id', db_constraint=True, to_field='id', related_name='tracking_tokens', on_delete=OnDelete.CASCADE)),
                ('token_hash', fields.CharField(unique=True, max_length=64)),
                ('purpose', fields.CharField(default='resent', max_length=32)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
                ('expires_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
            ],
            options={'table': 'tracking_token', 'app': 'models', 'indexes': [Index(fields=['tenant_id', 'submission_id'])], 'pk_attr': 'id', 'table_description': "A further tracking secret of a submission, e.g. a fresh link sent to the phone of the applicant."},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='WebSession',
            fields=[
                ('id', fields.CharField(primary_key=True, unique=True, db_index=True, max_length=64)),
                ('tenant', fields.ForeignKeyField('models.Tenant', source_field='tenant_id', null=True, db_constraint=True, to_field='id', related_name='sessions', on_delete=OnDelete.CASCADE)),
                ('user', fields.ForeignKeyField('models.User', source_field='user_id', null=True, db_constraint=True, to_field='id', related_name='sessions', on_delete=OnDelete.CASCADE)),
                ('data', fields.JSONField(default=dict, encoder=functools.partial(dumps, separators=(',', ':')), decoder=loads)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
                ('last_seen_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
                ('expires_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
            ],
            options={'table': 'web_session', 'app': 'models', 'indexes': [Index(fields=['user_id']), Index(fields=['expires_at'])], 'pk_attr': 'id', 'table_description': 'A browser session kept on the server: the cookie holds only a random token (stored as its digest).'},
            bases=['Model'],
        ),
        # Attempts are counts of the last minutes: dropped and made again in the new shape.
        ops.DeleteModel(name='Attempt'),
        ops.CreateModel(
            name='Attempt',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('scope', fields.CharField(max_length=32)),
                ('key_hash', fields.CharField(max_length=64)),
                ('count', fields.BigIntField(default=0)),
                ('window_start_ms', fields.BigIntField()),
            ],
            options={'table': 'attempt', 'app': 'models', 'unique_together': (('scope', 'key_hash'),), 'pk_attr': 'id', 'table_description': 'How many times one thing was tried (a login, a tracking lookup, an upload) in the current window.'},
            bases=['Model'],
        ),
        ops.AddField(
            model_name='Submission',
            name='anonymised_at',
            field=fields.DatetimeField(null=True, auto_now=False, auto_now_add=False),
        ),
        ops.AddField(
            model_name='User',
            name='password_changed_at',
            field=fields.DatetimeField(null=True, auto_now=False, auto_now_add=False),
        ),
        ops.AddField(
            model_name='User',
            name='totp_last_step',
            field=fields.BigIntField(null=True),
        ),
    ]
