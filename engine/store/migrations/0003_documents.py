from tortoise import migrations
from tortoise.migrations import operations as ops
from tortoise.fields.base import OnDelete
from tortoise import fields
from tortoise.indexes import Index

class Migration(migrations.Migration):
    dependencies = [('models', '0002_notifications')]

    initial = False

    operations = [
        ops.CreateModel(
            name='DocumentCounter',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('tenant', fields.ForeignKeyField('models.Tenant', source_field='tenant_id', db_constraint=True, to_field='id', related_name='document_counters', on_delete=OnDelete.CASCADE)),
                ('year', fields.IntField()),
                ('last_number', fields.IntField(default=0)),
            ],
            options={'table': 'document_counter', 'app': 'models', 'unique_together': (('tenant', 'year'),), 'pk_attr': 'id', 'table_description': 'The last document number issued per tenant and Buddhist-Era year.'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='IssuedDocument',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('public_id', fields.CharField(unique=True, max_length=40)),
                ('tenant', fields.ForeignKeyField('models.Tenant', source_field='tenant_id', db_constraint=True, to_field='id', related_name='documents', on_delete=OnDelete.CASCADE)),
                ('submission', fields.ForeignKeyField('models.Submission', source_field='submission_id', db_constraint=True, to_field='id', related_name='documents', on_delete=OnDelete.CASCADE)),
                ('job', fields.OneToOneField('models.EffectJob', source_field='job_id', null=True, db_constraint=True, to_field='id', related_name='document', on_delete=OnDelete.SET_NULL)),
                ('document_id', fields.CharField(max_length=64)),
                ('number', fields.CharField(max_length=40)),
                ('title_th', fields.CharField(max_length=300)),
                ('title_en', fields.CharField(max_length=300)),
                ('holder', fields.CharField(max_length=300)),
                ('status', fields.CharField(default='reserved', max_length=16)),
                ('blob_key', fields.CharField(default='', max_length=255)),
                ('sha256', fields.CharField(default='', max_length=64)),
                ('pades_level', fields.CharField(default='', max_length=8)),
                ('issued_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
            ],
            options={'table': 'issued_document', 'app': 'models', 'indexes': [Index(fields=['tenant_id', 'submission_id'])], 'pk_attr': 'id', 'table_description': 'A certificate, permit or receipt: reserved with its number first, then rendered, signed and stored.'},
            bases=['Model'],
        ),
    ]
