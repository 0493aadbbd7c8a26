from tortoise import migrations
from tortoise.migrations import operations as ops
import functools
from json import dumps, loads
from tortoise.fields.base import OnDelete
from tortoise import fields
from tortoise.indexes import Index

class Migration(migrations.Migration):
    dependencies = [('models', '0004_billing')]

    initial = False

    operations = [
        ops.CreateModel(
            name='Payment',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('tenant', fields.ForeignKeyField('models.Tenant', source_field='tenant_id', db_constraint=True, to_field='id', related_name='payments', on_delete=OnDelete.CASCADE)),
                ('transaction_id', fields.CharField(max_length=64)),
                ('source', fields.CharField(max_length=16)),
                ('ref1', fields.CharField(max_length=20)),
                ('ref2', fields.CharField(default='', max_length=20)),
                ('amount', fields.DecimalField(max_digits=12, decimal_places=2)),
                ('paid_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
                ('payer', fields.CharField(default='', max_length=200)),
                ('status', fields.CharField(default='held', max_length=16)),
                ('problem', fields.CharField(default='', max_length=32)),
                ('account', fields.ForeignKeyField('models.FeeAccount', source_field='account_id', null=True, db_constraint=True, to_field='id', related_name='payments', on_delete=OnDelete.SET_NULL)),
                ('received', fields.JSONField(default=dict, encoder=functools.partial(dumps, separators=(',', ':')), decoder=loads)),
                ('note', fields.TextField(default='', unique=False)),
                ('resolved_by', fields.ForeignKeyField('models.User', source_field='resolved_by_id', null=True, db_constraint=True, to_field='id', related_name='resolved_payments', on_delete=OnDelete.SET_NULL)),
                ('resolved_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
            ],
            options={'table': 'payment', 'app': 'models', 'unique_together': (('tenant', 'transaction_id'),), 'indexes': [Index(fields=['tenant_id', 'status']), Index(fields=['tenant_id', 'ref1'])], 'pk_attr': 'id', 'table_description': 'Money a bank, gateway, statement or counter reported, recorded once per transaction ID.'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='PaymentAllocation',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('tenant', fields.ForeignKeyField('models.Tenant', source_field='tenant_id', db_constraint=True, to_field='id', related_name='allocations', on_delete=OnDelete.CASCADE)),
                ('payment', fields.ForeignKeyField('models.Payment', source_field='payment_id', db_constraint=True, to_field='id', related_name='allocations', on_delete=OnDelete.CASCADE)),
                ('bill', fields.ForeignKeyField('models.Bill', source_field='bill_id', db_constraint=True, to_field='id', related_name='allocations', on_delete=OnDelete.CASCADE)),
                ('amount', fields.DecimalField(max_digits=12, decimal_places=2)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
            ],
            options={'table': 'payment_allocation', 'app': 'models', 'unique_together': (('payment', 'bill'),), 'indexes': [Index(fields=['tenant_id', 'bill_id'])], 'pk_attr': 'id', 'table_description': 'How much of one payment went to one bill (an arrears payment covers several).'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='StatementImport',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('tenant', fields.ForeignKeyField('models.Tenant', source_field='tenant_id', db_constraint=True, to_field='id', related_name='statements', on_delete=OnDelete.CASCADE)),
                ('filename', fields.CharField(max_length=255)),
                ('sha256', fields.CharField(max_length=64)),
                ('rows', fields.IntField(default=0)),
                ('applied', fields.IntField(default=0)),
                ('duplicates', fields.IntField(default=0)),
                ('held', fields.IntField(default=0)),
                ('imported_by', fields.ForeignKeyField('models.User', source_field='imported_by_id', null=True, db_constraint=True, to_field='id', related_name='statements', on_delete=OnDelete.SET_NULL)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
            ],
            options={'table': 'statement_import', 'app': 'models', 'pk_attr': 'id', 'table_description': 'A bank statement file an officer imported: what it held and what became of its rows.'},
            bases=['Model'],
        ),
        ops.AddField(
            model_name='Bill',
            name='settled_at',
            field=fields.DatetimeField(null=True, auto_now=False, auto_now_add=False),
        ),
        ops.AddField(
            model_name='BillingRun',
            name='done',
            field=fields.IntField(default=0),
        ),
        ops.AddField(
            model_name='BillingRun',
            name='error',
            field=fields.TextField(default='', unique=False),
        ),
        ops.AddField(
            model_name='BillingRun',
            name='of',
            field=fields.IntField(default=0),
        ),
        ops.AlterField(
            model_name='EffectJob',
            name='audit',
            field=fields.ForeignKeyField('models.AuditEntry', source_field='audit_id', null=True, db_constraint=True, to_field='id', related_name='jobs', on_delete=OnDelete.CASCADE),
        ),
        ops.AlterField(
            model_name='EffectJob',
            name='submission',
            field=fields.ForeignKeyField('models.Submission', source_field='submission_id', null=True, db_constraint=True, to_field='id', related_name='jobs', on_delete=OnDelete.CASCADE),
        ),
        ops.AlterField(
            model_name='IssuedDocument',
            name='submission',
            field=fields.ForeignKeyField('models.Submission', source_field='submission_id', null=True, db_constraint=True, to_field='id', related_name='documents', on_delete=OnDelete.CASCADE),
        ),
        ops.AddField(
            model_name='IssuedDocument',
            name='bill',
            field=fields.ForeignKeyField('models.Bill', source_field='bill_id', null=True, db_constraint=True, to_field='id', related_name='receipts', on_delete=OnDelete.CASCADE),
        ),
    ]
