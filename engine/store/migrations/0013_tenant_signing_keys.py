from tortoise import migrations
from tortoise.migrations import operations as ops
from tortoise.fields.base import OnDelete
from tortoise import fields


class Migration(migrations.Migration):
    """A municipality's own signing key per role: a sealed PKCS#12 file and password, or a key label
    on the platform's token, with the certificate's name, serial and validity."""

    dependencies = [('models', '0012_catalog_versions')]

    initial = False

    operations = [
        ops.CreateModel(
            name='TenantSigningKey',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('tenant', fields.ForeignKeyField('models.Tenant', source_field='tenant_id', db_constraint=True, to_field='id', related_name='signing_keys', on_delete=OnDelete.CASCADE)),
                ('role', fields.CharField(max_length=64)),
                ('kind', fields.CharField(max_length=8)),
                ('sealed_p12', fields.TextField(default='', unique=False)),
                ('sealed_password', fields.TextField(default='', unique=False)),
                ('token_label', fields.CharField(default='', max_length=200)),
                ('subject_cn', fields.CharField(max_length=200)),
                ('serial', fields.CharField(max_length=64)),
                ('not_before', fields.DatetimeField(auto_now=False, auto_now_add=False)),
                ('not_after', fields.DatetimeField(auto_now=False, auto_now_add=False)),
                ('set_by', fields.ForeignKeyField('models.User', source_field='set_by_id', null=True, db_constraint=True, to_field='id', related_name='signing_keys_set', on_delete=OnDelete.SET_NULL)),
                ('set_by_name', fields.CharField(default='', max_length=150)),
                ('set_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
            ],
            options={'table': 'tenant_signing_key', 'app': 'models', 'unique_together': (('tenant', 'role'),), 'pk_attr': 'id', 'table_description': "A municipality's own signing key for one role, set by its administrator in the console."},
            bases=['Model'],
        ),
    ]
