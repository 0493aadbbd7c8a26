from tortoise import migrations
from tortoise.migrations import operations as ops
from tortoise.fields.base import OnDelete
from tortoise import fields
from tortoise.indexes import Index

class Migration(migrations.Migration):
    """e-Saraban: the platform-wide agency directory and the certificates that sign each agency's messages."""

    dependencies = [('models', '0015_saraban_search')]

    initial = False

    operations = [
        ops.CreateModel(
            name='Agency',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('kind', fields.CharField(max_length=16)),
                ('tenant', fields.OneToOneField('models.Tenant', source_field='tenant_id', null=True, db_constraint=True, to_field='id', related_name='agency', on_delete=OnDelete.SET_NULL)),
                ('name_th', fields.CharField(max_length=200)),
                ('name_en', fields.CharField(default='', max_length=200)),
                ('letter_code', fields.CharField(null=True, unique=True, max_length=40)),
                ('ministry_id', fields.CharField(default='', max_length=2)),
                ('department_id', fields.CharField(default='', max_length=5)),
                ('endpoint_url', fields.CharField(default='', max_length=500)),
                ('ecms_url', fields.CharField(default='', max_length=500)),
                ('email', fields.CharField(default='', max_length=254)),
                ('active', fields.BooleanField(default=True)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
                ('updated_at', fields.DatetimeField(auto_now=True, auto_now_add=False)),
            ],
            options={'table': 'saraban_agency', 'app': 'models', 'indexes': [Index(fields=['department_id'])], 'pk_attr': 'id', 'table_description': 'An agency of the platform-wide directory that letters travel between (สมุดรายชื่อหน่วยงาน).'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='AgencyKey',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('agency', fields.ForeignKeyField('models.Agency', source_field='agency_id', db_constraint=True, to_field='id', related_name='keys', on_delete=OnDelete.CASCADE)),
                ('certificate_pem', fields.TextField(unique=False)),
                ('fingerprint', fields.CharField(unique=True, max_length=64)),
                ('subject', fields.CharField(default='', max_length=300)),
                ('not_before', fields.DatetimeField(auto_now=False, auto_now_add=False)),
                ('not_after', fields.DatetimeField(auto_now=False, auto_now_add=False)),
                ('added_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
                ('retired_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
            ],
            options={'table': 'saraban_agency_key', 'app': 'models', 'indexes': [Index(fields=['agency_id', 'retired_at'])], 'pk_attr': 'id', 'table_description': "A certificate whose key signs an agency's messages. Several at once while keys rotate with overlap."},
            bases=['Model'],
        ),
    ]
