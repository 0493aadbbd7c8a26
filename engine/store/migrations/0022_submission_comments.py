from tortoise import migrations
from tortoise.migrations import operations as ops
from tortoise.fields.base import OnDelete
from tortoise import fields
from tortoise.indexes import Index

class Migration(migrations.Migration):
    """Officers' internal comments on an application, never shown to the applicant."""

    dependencies = [('models', '0021_api_keys')]

    initial = False

    operations = [
        ops.CreateModel(
            name='SubmissionComment',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('tenant', fields.ForeignKeyField('models.Tenant', source_field='tenant_id', db_constraint=True, to_field='id', related_name='submission_comments', on_delete=OnDelete.CASCADE)),
                ('submission', fields.ForeignKeyField('models.Submission', source_field='submission_id', db_constraint=True, to_field='id', related_name='comments', on_delete=OnDelete.CASCADE)),
                ('author', fields.ForeignKeyField('models.User', source_field='author_id', null=True, db_constraint=True, to_field='id', related_name='submission_comments', on_delete=OnDelete.SET_NULL)),
                ('author_label', fields.CharField(default='', max_length=200)),
                ('body', fields.TextField(unique=False)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
            ],
            options={'table': 'submission_comment', 'app': 'models', 'indexes': [Index(fields=['tenant_id', 'submission_id', 'id'])], 'pk_attr': 'id', 'table_description': "An officers' internal note on an application: never shown to the applicant."},
            bases=['Model'],
        ),
    ]
