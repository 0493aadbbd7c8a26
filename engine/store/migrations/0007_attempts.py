from tortoise import migrations
from tortoise.migrations import operations as ops
from tortoise import fields

class Migration(migrations.Migration):
    dependencies = [('models', '0006_statement_jobs')]

    initial = False

    operations = [
        ops.CreateModel(
            name='Attempt',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('scope', fields.CharField(max_length=32)),
                ('key_hash', fields.CharField(max_length=64)),
                ('failures', fields.IntField(default=0)),
                ('window_start', fields.DatetimeField(auto_now=False, auto_now_add=False)),
            ],
            options={'table': 'attempt', 'app': 'models', 'unique_together': (('scope', 'key_hash'),), 'pk_attr': 'id', 'table_description': 'Failed tries of one secret-guarded thing (a login, a tracking lookup) within the current window.'},
            bases=['Model'],
        ),
    ]
