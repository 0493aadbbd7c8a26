from tortoise import migrations
from tortoise.migrations import operations as ops

RETIRED = "definitions:read"


async def _drop_retired_scope(apps, schema_editor) -> None:
    # Services' definitions are public: a scope to read them granted nothing, and the API's
    # document no longer names it, so keys holding it would list a scope no client knows.
    if schema_editor.DIALECT == "sqlite":
        sql = (
            "UPDATE api_key SET scopes = (SELECT json_group_array(value) FROM json_each(api_key.scopes)"
            f" WHERE value != '{RETIRED}') WHERE EXISTS"
            f" (SELECT 1 FROM json_each(api_key.scopes) WHERE value = '{RETIRED}')"
        )
    else:
        sql = f"UPDATE api_key SET scopes = scopes - '{RETIRED}' WHERE scopes @> '[\"{RETIRED}\"]'::jsonb"
    await schema_editor.client.execute_script(sql)


async def _nothing(apps, schema_editor) -> None:
    return None


class Migration(migrations.Migration):
    """API keys lose the scope definitions:read, which granted nothing."""

    dependencies = [('models', '0022_submission_comments')]

    initial = False

    operations = [
        ops.RunPython(_drop_retired_scope, _nothing),
    ]
