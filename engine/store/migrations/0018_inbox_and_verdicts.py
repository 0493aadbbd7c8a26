from tortoise import migrations
from tortoise.migrations import operations as ops
from tortoise import fields
from tortoise.indexes import Index


# PostgreSQL plans the officers' inbox from how tenant, service, state and closed go together: a
# big city's open work is far more than the columns' separate frequencies suggest, and planned as
# rare it is read in full and sorted instead of paged along the deadline index.
_STATISTICS = "CREATE STATISTICS IF NOT EXISTS submission_work (dependencies, mcv) ON tenant_id, service_id, state, closed FROM submission"


async def _forward(apps, schema_editor) -> None:
    if schema_editor.DIALECT == "postgres":
        await schema_editor._run_sql(_STATISTICS)
        await schema_editor._run_sql("ANALYZE submission")


async def _backward(apps, schema_editor) -> None:
    if schema_editor.DIALECT == "postgres":
        await schema_editor._run_sql("DROP STATISTICS IF EXISTS submission_work")


class Migration(migrations.Migration):
    """The officers' inbox counted and paged in SQL; the time-limit verdict kept on closed applications."""

    dependencies = [("models", "0017_saraban_exchange")]

    initial = False

    operations = [
        ops.RemoveIndex(
            model_name="Submission",
            name=None,
            fields=["tenant_id", "service_id", "state"],
        ),
        ops.AddField(
            model_name="Submission",
            name="sla_verdict",
            field=fields.CharField(null=True, max_length=16),
        ),
        ops.AddIndex(
            model_name="Submission",
            index=Index(fields=["tenant_id", "service_id", "state", "closed", "due_at", "sla_verdict"]),
        ),
        ops.AddIndex(
            model_name="Submission",
            index=Index(fields=["tenant_id", "closed", "due_at"]),
        ),
        ops.RunPython(_forward, _backward),
    ]
