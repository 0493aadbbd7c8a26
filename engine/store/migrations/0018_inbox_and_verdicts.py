from tortoise import migrations
from tortoise.migrations import operations as ops
from tortoise import fields
from tortoise.indexes import Index


class Migration(migrations.Migration):
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
            index=Index(fields=["tenant_id", "service_id", "state", "closed", "due_at"]),
        ),
        ops.AddIndex(
            model_name="Submission",
            index=Index(fields=["tenant_id", "closed", "due_at"]),
        ),
    ]
