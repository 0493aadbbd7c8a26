from tortoise import migrations
from tortoise.migrations import operations as ops
import functools
from json import dumps, loads
from tortoise.fields.base import OnDelete
from tortoise import fields
from tortoise.indexes import Index

class Migration(migrations.Migration):
    dependencies = [('models', '0003_documents')]

    initial = False

    operations = [
        ops.CreateModel(
            name='BillingRun',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('tenant', fields.ForeignKeyField('models.Tenant', source_field='tenant_id', db_constraint=True, to_field='id', related_name='billing_runs', on_delete=OnDelete.CASCADE)),
                ('period', fields.CharField(max_length=7)),
                ('status', fields.CharField(default='running', max_length=16)),
                ('accounts', fields.IntField(default=0)),
                ('created', fields.IntField(default=0)),
                ('existing', fields.IntField(default=0)),
                ('skipped', fields.IntField(default=0)),
                ('total', fields.DecimalField(default=0, max_digits=14, decimal_places=2)),
                ('started_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
                ('finished_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
            ],
            options={'table': 'billing_run', 'app': 'models', 'unique_together': (('tenant', 'period'),), 'pk_attr': 'id', 'table_description': 'One billing period of a tenant: how many bills it created, and whether it finished.'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='FeeAccount',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('tenant', fields.ForeignKeyField('models.Tenant', source_field='tenant_id', db_constraint=True, to_field='id', related_name='fee_accounts', on_delete=OnDelete.CASCADE)),
                ('number', fields.CharField(max_length=20)),
                ('service_id', fields.CharField(max_length=64)),
                ('service_version', fields.CharField(max_length=20)),
                ('fee_id', fields.CharField(max_length=64)),
                ('fee_period', fields.CharField(default='monthly', max_length=16)),
                ('rate_class', fields.CharField(default='', max_length=64)),
                ('parameters', fields.JSONField(default=dict, encoder=functools.partial(dumps, separators=(',', ':')), decoder=loads)),
                ('holder', fields.CharField(default='', max_length=300)),
                ('phone', fields.CharField(default='', max_length=32)),
                ('address', fields.CharField(default='', max_length=500)),
                ('first_period', fields.CharField(default='', max_length=7)),
                ('active', fields.BooleanField(default=True)),
                ('submission', fields.ForeignKeyField('models.Submission', source_field='submission_id', null=True, db_constraint=True, to_field='id', related_name='fee_accounts', on_delete=OnDelete.SET_NULL)),
                ('job', fields.OneToOneField('models.EffectJob', source_field='job_id', null=True, db_constraint=True, to_field='id', related_name='fee_account', on_delete=OnDelete.SET_NULL)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
            ],
            options={'table': 'fee_account', 'app': 'models', 'unique_together': (('tenant', 'number'),), 'indexes': [Index(fields=['tenant_id', 'active', 'id']), Index(fields=['tenant_id', 'submission_id'])], 'pk_attr': 'id', 'table_description': 'A recurring fee a household or business pays, opened from an approved registration.'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='Bill',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('tenant', fields.ForeignKeyField('models.Tenant', source_field='tenant_id', db_constraint=True, to_field='id', related_name='bills', on_delete=OnDelete.CASCADE)),
                ('account', fields.ForeignKeyField('models.FeeAccount', source_field='account_id', null=True, db_constraint=True, to_field='id', related_name='bills', on_delete=OnDelete.CASCADE)),
                ('submission', fields.ForeignKeyField('models.Submission', source_field='submission_id', null=True, db_constraint=True, to_field='id', related_name='bills', on_delete=OnDelete.SET_NULL)),
                ('job', fields.OneToOneField('models.EffectJob', source_field='job_id', null=True, db_constraint=True, to_field='id', related_name='bill', on_delete=OnDelete.SET_NULL)),
                ('period', fields.CharField(default='', max_length=7)),
                ('fee_ids', fields.CharField(max_length=200)),
                ('amount', fields.DecimalField(max_digits=12, decimal_places=2)),
                ('ref1', fields.CharField(max_length=20)),
                ('ref2', fields.CharField(max_length=20)),
                ('qr_payload', fields.CharField(max_length=255)),
                ('status', fields.CharField(default='unpaid', max_length=16)),
                ('paid_amount', fields.DecimalField(default=0, max_digits=12, decimal_places=2)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
            ],
            options={'table': 'bill', 'app': 'models', 'unique_together': (('tenant', 'account', 'period'),), 'indexes': [Index(fields=['tenant_id', 'ref1']), Index(fields=['tenant_id', 'period', 'status']), Index(fields=['tenant_id', 'submission_id'])], 'pk_attr': 'id', 'table_description': 'What one account owes for one period, or a one-off fee on a submission, with its Thai QR payload.'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='FeeAccountCounter',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('tenant', fields.ForeignKeyField('models.Tenant', source_field='tenant_id', db_constraint=True, to_field='id', related_name='fee_account_counters', on_delete=OnDelete.CASCADE)),
                ('year', fields.IntField(default=0)),
                ('last_number', fields.IntField(default=0)),
            ],
            options={'table': 'fee_account_counter', 'app': 'models', 'unique_together': (('tenant', 'year'),), 'pk_attr': 'id', 'table_description': 'The last fee account number issued per tenant (one series per tenant, year is always 0).'},
            bases=['Model'],
        ),
    ]
