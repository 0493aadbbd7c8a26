from tortoise import migrations
from tortoise.migrations import operations as ops
import functools
from json import dumps, loads
from tortoise import fields

class Migration(migrations.Migration):
    """The catalog's published versions and the studio's drafts in the database; fee accounts keep
    their address as answered."""

    dependencies = [('models', '0011_tenant_register')]

    initial = False

    operations = [
        ops.CreateModel(
            name='PublishedService',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('service_id', fields.CharField(max_length=64)),
                ('version', fields.CharField(max_length=20)),
                ('content_hash', fields.CharField(max_length=64)),
                ('documents', fields.JSONField(encoder=functools.partial(dumps, separators=(',', ':')), decoder=loads)),
                ('files', fields.JSONField(default=dict, encoder=functools.partial(dumps, separators=(',', ':')), decoder=loads)),
                ('changelog', fields.TextField(default='', unique=False)),
                ('published_by', fields.CharField(default='', max_length=150)),
                ('published_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
            ],
            options={'table': 'published_service', 'app': 'models', 'unique_together': (('service_id', 'version'),), 'pk_attr': 'id', 'table_description': 'One published version of a catalog service: immutable, read alike by every node.'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='ServiceDraft',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('service_id', fields.CharField(unique=True, max_length=64)),
                ('base_version', fields.CharField(default='', max_length=20)),
                ('documents', fields.JSONField(encoder=functools.partial(dumps, separators=(',', ':')), decoder=loads)),
                ('files', fields.JSONField(default=dict, encoder=functools.partial(dumps, separators=(',', ':')), decoder=loads)),
                ('revision', fields.IntField(default=1)),
                ('updated_by', fields.CharField(default='', max_length=150)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
                ('updated_at', fields.DatetimeField(auto_now=True, auto_now_add=False)),
            ],
            options={'table': 'service_draft', 'app': 'models', 'pk_attr': 'id', 'table_description': 'A service being edited in the studio: its documents and files, not yet a published version.'},
            bases=['Model'],
        ),
        ops.AddField(
            model_name='FeeAccount',
            name='address_parts',
            field=fields.JSONField(default=dict, db_default='{}', encoder=functools.partial(dumps, separators=(',', ':')), decoder=loads),
        ),
    ]
