from tortoise import migrations
from tortoise.migrations import operations as ops
from tortoise.fields.base import OnDelete
from tortoise import fields
from tortoise.indexes import Index


class Migration(migrations.Migration):
    """The national register of local administrations: each tenant's code, Thai kind, district and
    postcode (an empty default for the tenants already there); one-time links with which a new
    administrator chooses a password."""

    dependencies = [('models', '0010_messages')]

    initial = False

    operations = [
        ops.CreateModel(
            name='SetupToken',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('tenant', fields.ForeignKeyField('models.Tenant', source_field='tenant_id', db_constraint=True, to_field='id', related_name='setup_tokens', on_delete=OnDelete.CASCADE)),
                ('user', fields.ForeignKeyField('models.User', source_field='user_id', db_constraint=True, to_field='id', related_name='setup_tokens', on_delete=OnDelete.CASCADE)),
                ('token_hash', fields.CharField(unique=True, max_length=64)),
                ('expires_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
                ('used_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
            ],
            options={'table': 'setup_token', 'app': 'models', 'indexes': [Index(fields=['tenant_id', 'user_id'])], 'pk_attr': 'id', 'table_description': 'A one-time link with which a new administrator chooses a password, stored as its SHA-256 digest.'},
            bases=['Model'],
        ),
        ops.AddField(
            model_name='Tenant',
            name='code',
            field=fields.CharField(default='', db_default='', max_length=20),
        ),
        ops.AddField(
            model_name='Tenant',
            name='district',
            field=fields.CharField(default='', db_default='', max_length=100),
        ),
        ops.AddField(
            model_name='Tenant',
            name='kind_th',
            field=fields.CharField(default='', db_default='', max_length=30),
        ),
        ops.AddField(
            model_name='Tenant',
            name='postcode',
            field=fields.CharField(default='', db_default='', max_length=5),
        ),
        ops.AddIndex(
            model_name='Tenant',
            index=Index(fields=['code']),
        ),
    ]
