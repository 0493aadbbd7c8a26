from tortoise import migrations
from tortoise.migrations import operations as ops
import functools
from json import dumps, loads
from tortoise.fields.base import OnDelete
from tortoise import fields
from tortoise.indexes import Index
from tortoise.migrations.constraints import UniqueConstraint



async def _sqlite_foreign_keys(schema_editor, value: str) -> None:
    # SQLite changes a column's constraints by copying the table: with foreign keys on, dropping
    # the old copy would cascade to role grants, tokens and sessions.
    if schema_editor.DIALECT == "sqlite":
        await schema_editor.client.execute_script(f"PRAGMA foreign_keys={value}")


async def _foreign_keys_off(apps, schema_editor) -> None:
    await _sqlite_foreign_keys(schema_editor, "OFF")


async def _foreign_keys_on(apps, schema_editor) -> None:
    await _sqlite_foreign_keys(schema_editor, "ON")


class Migration(migrations.Migration):
    """Usernames become unique per tenant instead of across the platform."""

    dependencies = [('models', '0008_security_privacy')]

    initial = False
    # Not in a transaction: SQLite ignores PRAGMA foreign_keys inside one.
    atomic = False

    operations = [
        ops.RunPython(_foreign_keys_off, _foreign_keys_on),
        ops.RemoveIndex(
            model_name='User',
            name=None,
            fields=['tenant_id', 'username'],
        ),
        ops.AlterField(
            model_name='User',
            name='username',
            field=fields.CharField(max_length=80),
        ),
        ops.AddConstraint(
            model_name='User',
            constraint=UniqueConstraint(fields=('tenant', 'username'), name=None),
        ),
        ops.RunPython(_foreign_keys_on, _foreign_keys_off),
    ]
