from tortoise import migrations
from tortoise.migrations import operations as ops
import functools
from json import dumps, loads
from tortoise import fields

class Migration(migrations.Migration):
    dependencies = [('models', '0005_payments')]

    initial = False

    operations = [
        ops.AddField(
            model_name='StatementImport',
            name='blob_key',
            field=fields.CharField(default='', max_length=255),
        ),
        ops.AddField(
            model_name='StatementImport',
            name='done',
            field=fields.IntField(default=0),
        ),
        ops.AddField(
            model_name='StatementImport',
            name='error',
            field=fields.TextField(default='', unique=False),
        ),
        ops.AddField(
            model_name='StatementImport',
            name='outcomes',
            field=fields.JSONField(default=list, encoder=functools.partial(dumps, separators=(',', ':')), decoder=loads),
        ),
        ops.AddField(
            model_name='StatementImport',
            name='status',
            field=fields.CharField(default='completed', max_length=16),
        ),
    ]
